/// A layer that draws random numbers while training (``Dropout``). Its generator is part of the
/// training state: checkpoints save it so a resumed run draws the same masks.
public protocol RandomStateLayer: AnyObject {
  /// The stream the layer draws from; setting it makes the next draws those of the saved state.
  var generator: SeededGenerator { get set }
}

extension Dropout: RandomStateLayer {}

extension Module {
  /// Every random-state layer in the tree, with its path (`2` in a ``Sequential``,
  /// `discriminator.2` in a ``GAN``; see ``namedModules``).
  public var randomStateLayers: [(name: String, layer: any RandomStateLayer)] {
    namedModules.compactMap { entry in (entry.module as? any RandomStateLayer).map { (entry.name, $0) } }
  }
}
