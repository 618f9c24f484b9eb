import Foundation
import Testing

@testable import GenerativeKit

/// Small models, trained states and hand-made safetensors files for the checkpoint tests.
enum CheckpointFixtures {
  /// Conv2D -> BatchNorm -> LeakyReLU -> ConvTranspose2D -> Flatten -> Dense: every layout the
  /// checkpoint has to carry (`[out, in, k, k]`, `[in, out, k, k]`, `[out, in]`, BN buffers).
  static func model(seed: UInt64) -> Sequential {
    Sequential {
      Conv2D(inChannels: 1, outChannels: 4, kernelSize: 3, stride: 2, padding: .same, seed: seed)
      BatchNorm(features: 4)
      LeakyReLU()
      ConvTranspose2D(inChannels: 4, outChannels: 2, kernelSize: 3, stride: 1, padding: .same, seed: seed + 1)
      Flatten()
      Dense(inFeatures: 2 * 4 * 4, outFeatures: 3, seed: seed + 2)
    }
  }

  static let inputShape = [2, 1, 8, 8]

  /// A model and its Adam after a few training steps, so weights, BN running statistics and
  /// the optimizer's moments all hold non-trivial values.
  static func trained(seed: UInt64) throws -> (model: Sequential, optimizer: Adam) {
    let model = model(seed: seed)
    let optimizer = Adam.keras(model: model, learningRate: 1e-2)
    var random = SeededGenerator(seed: seed)
    for _ in 0..<3 {
      let input = Tensor.randomNormal(shape: inputShape, using: &random)
      model.zeroGradients()
      let output = try model.forward(input)
      _ = try model.backward(Tensor(shape: output.shape, repeating: 0.1))
      optimizer.step()
    }
    return (model, optimizer)
  }

  /// A checkpoint with a model, an optimizer, a generator and metadata.
  static func checkpoint(seed: UInt64 = 7) throws -> Checkpoint {
    let (model, optimizer) = try trained(seed: seed)
    var checkpoint = Checkpoint(metadata: ["run": "fixture"])
    checkpoint.add(model: model, prefix: "generator.")
    checkpoint.add(optimizer: optimizer, prefix: "optimizer.generator.")
    checkpoint.setRandomGenerator(SeededGenerator(seed: seed), named: "rng.main")
    checkpoint.epoch = 3
    checkpoint.step = 42
    return checkpoint
  }

  /// A small valid file: two F32 tensors, a U64 tensor and metadata.
  static func smallFile() throws -> [UInt8] {
    var checkpoint = Checkpoint(metadata: ["note": "small", "epoch": "1"])
    checkpoint.set(Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]), named: "a.weight")
    checkpoint.set(Tensor(shape: [2], scalars: [-1, 0.5]), named: "a.bias")
    checkpoint["rng"] = .uint64(shape: [4], scalars: [1, 2, 3, UInt64.max])
    return try checkpoint.safetensorsBytes()
  }

  /// A file from a header given as text and a data section: the tool for malformed files.
  static func file(header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
    let json = Array(header.utf8)
    let length = (declaredLength ?? UInt64(json.count)).littleEndian
    return withUnsafeBytes(of: length) { Array($0) } + json + data
  }

  /// Float32 values as little-endian bytes.
  static func bytes(_ values: [Float]) -> [UInt8] {
    values.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
  }
}

/// Checks that `body` throws a ``GenerativeKitError/checkpoint(path:tensor:reason:)`` naming
/// `path` and `tensor` whose reason contains `fragment`; returns the message for further checks.
@discardableResult
func expectCheckpointError(
  path: String, tensor: String?, _ fragment: String,
  sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) -> String? {
  do {
    try body()
    Issue.record("expected an error mentioning \"\(fragment)\"", sourceLocation: sourceLocation)
    return nil
  } catch let GenerativeKitError.checkpoint(errorPath, errorTensor, reason) {
    #expect(errorPath == path, sourceLocation: sourceLocation)
    #expect(errorTensor == tensor, "reason: \(reason)", sourceLocation: sourceLocation)
    #expect(reason.contains(fragment), "reason: \(reason)", sourceLocation: sourceLocation)
    return reason
  } catch {
    Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    return nil
  }
}
