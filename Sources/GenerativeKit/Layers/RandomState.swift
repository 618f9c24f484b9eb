/// A layer that draws random numbers while training (``Dropout``). Its generator is part of the
/// training state: checkpoints save it so a resumed run draws the same masks.
public protocol RandomStateLayer: AnyObject {
  /// The stream the layer draws from; setting it makes the next draws those of the saved state.
  var generator: SeededGenerator { get set }
}

extension Dropout: RandomStateLayer {}

extension Sequential {
  /// Every random-state layer inside, with its state-dictionary path (`2`, `3.1`).
  public var randomStateLayers: [(name: String, layer: any RandomStateLayer)] {
    layers.enumerated().flatMap { index, layer -> [(name: String, layer: any RandomStateLayer)] in
      if let nested = layer as? Sequential {
        return nested.randomStateLayers.map { ("\(index).\($0.name)", $0.layer) }
      }
      if let random = layer as? any RandomStateLayer { return [("\(index)", random)] }
      return []
    }
  }
}
