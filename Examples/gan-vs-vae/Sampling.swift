import GenerativeKit

/// Generating many images without running whole sets through the networks at once.
enum Sampling {
  /// `count` generator samples in [0, 1], in inference mode, `batch` at a time.
  static func gan(_ generator: Sequential, noiseDimension: Int, count: Int, seed: UInt64, batch: Int = 500) throws -> Tensor {
    var random = SeededGenerator(seed: seed)
    generator.eval()
    defer { generator.train() }
    var parts: [Tensor] = []
    for start in stride(from: 0, to: count, by: batch) {
      let noise = Tensor.randomNormal(shape: [min(batch, count - start), noiseDimension], using: &random)
      parts.append(try generator.forward(noise).map { ($0 + 1) / 2 })
    }
    return Tensor.concatenate(batches: parts)
  }

  /// `count` decoded prior samples in [0, 1], `batch` at a time.
  static func vae(_ model: VAE, count: Int, seed: UInt64, batch: Int = 500) throws -> Tensor {
    var random = SeededGenerator(seed: seed)
    var parts: [Tensor] = []
    for start in stride(from: 0, to: count, by: batch) {
      parts.append(try model.sample(count: min(batch, count - start), using: &random))
    }
    return Tensor.concatenate(batches: parts)
  }

  /// Rows of linear interpolations between random latent points, decoded by `decode`.
  static func interpolations(
    dimension: Int, rows: Int, steps: Int, seed: UInt64, decode: (Tensor) throws -> Tensor
  ) throws -> Tensor {
    var random = SeededGenerator(seed: seed)
    var parts: [Tensor] = []
    for _ in 0..<rows {
      let ends = Tensor.randomNormal(shape: [2, dimension], using: &random)
      let path = try Tensor.interpolation(from: ends.slice(batch: 0..<1).reshaped([dimension]),
                                          to: ends.slice(batch: 1..<2).reshaped([dimension]), steps: steps)
      parts.append(try decode(path))
    }
    return Tensor.concatenate(batches: parts)
  }
}
