import Foundation
import GenerativeKit

// MARK: - Checkpoints

extension DigitClassifier {
  /// The classifier's weights with metadata identifying it: `"model"` = ``modelIdentifier``,
  /// `"format"` = ``formatVersion``, plus `extraMetadata` (e.g. `"test_accuracy"`).
  public func checkpoint(metadata extraMetadata: [String: String] = [:]) -> Checkpoint {
    var checkpoint = Checkpoint(metadata: extraMetadata)
    checkpoint.metadata["model"] = Self.modelIdentifier
    checkpoint.metadata["format"] = Self.formatVersion
    checkpoint.metadata["layers"] = network.description
    checkpoint.add(model: self)
    return checkpoint
  }

  /// Saves the weights as a safetensors file (see ``checkpoint(metadata:)``), atomically.
  public func save(to url: URL, metadata: [String: String] = [:]) throws {
    try checkpoint(metadata: metadata).save(to: url)
  }

  /// A classifier with the weights of `checkpoint`, in inference mode.
  ///
  /// - Throws: `GenerativeKitError.checkpoint(path:tensor:reason:)` if the checkpoint is not a
  ///   digit classifier's (other `"model"` or `"format"` metadata) or a tensor is missing or has
  ///   the wrong shape.
  public convenience init(checkpoint: Checkpoint) throws {
    let label = checkpoint.path ?? Checkpoint.inMemoryLabel
    guard checkpoint.metadata["model"] == Self.modelIdentifier else {
      throw GenerativeKitError.checkpoint(
        path: label, tensor: nil,
        reason: "is not a digit classifier (metadata \"model\" is \(checkpoint.metadata["model"].map { "\"\($0)\"" } ?? "missing"), "
          + "expected \"\(Self.modelIdentifier)\"); train one with the mnist-classifier example")
    }
    guard checkpoint.metadata["format"] == Self.formatVersion else {
      throw GenerativeKitError.checkpoint(
        path: label, tensor: nil,
        reason: "has digit-classifier format \(checkpoint.metadata["format"] ?? "missing"), this library reads \(Self.formatVersion)")
    }
    self.init(seed: 0)
    try checkpoint.restore(model: self)
    eval()
  }

  /// Loads a classifier saved by ``save(to:metadata:)``, in inference mode.
  public convenience init(contentsOf url: URL) throws {
    try self.init(checkpoint: Checkpoint(contentsOf: url))
  }
}
