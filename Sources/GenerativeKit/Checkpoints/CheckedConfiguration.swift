/// A run configuration that can say whether its values describe a network this machine can build,
/// before anything is built from it. ``Checkpoint/configuration(_:forKey:)`` checks every
/// configuration it reads from a file, and the experiments check theirs before building networks,
/// so a damaged or hostile checkpoint gives an error naming the field instead of a trap or an
/// allocation of gigabytes.
public protocol CheckedConfiguration {
  /// Throws ``GenerativeKitError/invalidArgument(_:)`` naming the first field out of its range.
  func check() throws
}
