extension VAE {
  /// Decoded images along the straight line from latent point `start` to `end` (`[latent]` each),
  /// `steps` images including both ends: `[steps, C, H, W]` in [0, 1].
  public func interpolate(from start: Tensor, to end: Tensor, steps: Int) throws -> Tensor {
    try decode(linearPath(from: start, to: end, steps: steps, name: "VAE.interpolate"))
  }

  /// For a 2-D latent space: the decoded manifold, a `side x side` grid of images whose codes are
  /// the standard normal's quantiles at evenly spaced probabilities (Kingma & Welling's figure 4),
  /// row-major with the second coordinate along rows: `[side * side, C, H, W]` in [0, 1].
  public func manifold(side: Int) throws -> Tensor {
    guard latentDimension == 2 else {
      throw GenerativeKitError.invalidArgument("VAE.manifold: needs a 2-D latent space, this VAE has \(latentDimension)")
    }
    guard side >= 2 else { throw GenerativeKitError.invalidArgument("VAE.manifold: side must be at least 2, got \(side)") }
    let quantiles = (0..<side).map { standardNormalQuantile((Double($0) + 0.5) / Double(side)) }
    var codes: [Float] = []
    for row in 0..<side { for column in 0..<side { codes += [Float(quantiles[column]), Float(quantiles[side - 1 - row])] } }
    let wasTraining = isTraining
    defer { isTraining = wasTraining }
    isTraining = false
    return try decode(Tensor(shape: [side * side, 2], scalars: codes))
  }
}

extension GAN {
  /// Generated images along the straight line from noise vector `start` to `end`
  /// (`[noiseDimension]` each), `steps` images including both ends: `[steps, C, H, W]` in [0, 1];
  /// all of class `label` for a conditional GAN.
  public func interpolate(from start: Tensor, to end: Tensor, steps: Int, label: Int? = nil) throws -> Tensor {
    try generate(
      linearPath(from: start, to: end, steps: steps, name: "GAN.interpolate"),
      labels: label.map { [Int](repeating: $0, count: steps) })
  }
}

/// Rows of latent interpolations, as in the report's figures: each row walks the straight line
/// between two random N(0, I) points.
public enum LatentInterpolation {
  /// `rows` paths of `steps` points each, both ends drawn from N(0, I) with `generator`, each row
  /// passed to `decode` (a VAE's ``VAE/decode(_:labels:)``, a GAN's ``GAN/generate(_:labels:statistics:)``):
  /// `[rows * steps, C, H, W]`, row after row.
  public static func randomRows(
    dimension: Int, rows: Int, steps: Int, using generator: inout SeededGenerator,
    decode: (Tensor) throws -> Tensor
  ) throws -> Tensor {
    guard dimension >= 1, rows >= 1 else {
      throw GenerativeKitError.invalidArgument(
        "LatentInterpolation.randomRows: dimension and rows must be at least 1, got \(dimension) and \(rows)")
    }
    var parts: [Tensor] = []
    for _ in 0..<rows {
      let ends = Tensor.randomNormal(shape: [2, dimension], using: &generator)
      let path = try linearPath(
        from: ends.slice(batch: 0..<1).reshaped([dimension]), to: ends.slice(batch: 1..<2).reshaped([dimension]),
        steps: steps, name: "LatentInterpolation.randomRows")
      parts.append(try decode(path))
    }
    return Tensor.concatenate(batches: parts)
  }
}

extension Tensor {
  /// `steps` evenly spaced points on the segment from `start` to `end` (vectors of one length),
  /// both ends included: `[steps, n]`, ready for a generator or decoder.
  public static func interpolation(from start: Tensor, to end: Tensor, steps: Int) throws -> Tensor {
    try linearPath(from: start, to: end, steps: steps, name: "Tensor.interpolation")
  }
}

/// `count` images decoded `batchSize` at a time from N(0, I) codes `[rows, dimension]` drawn in
/// turn from `generator` (so the images do not depend on `batchSize`), with each image's class for
/// a conditional model: `labels` (`count` of them), or the classes in turn (0, 1, ..., 0, 1, ...).
func sampleInBatches(
  count: Int, labels: [Int]?, classCount: Int?, dimension: Int, batchSize: Int, function: String,
  using generator: inout SeededGenerator, decode: (Tensor, [Int]?) throws -> Tensor
) throws -> Tensor {
  guard count >= 1, batchSize >= 1 else {
    throw GenerativeKitError.invalidArgument(
      "\(function): count and batchSize must be at least 1, got \(count) and \(batchSize)")
  }
  let classes = try classCount.map { classCount in
    let chosen = labels ?? (0..<count).map { $0 % classCount }
    guard chosen.count == count else {
      throw GenerativeKitError.invalidArgument("\(function): \(chosen.count) labels for \(count) images")
    }
    return chosen
  }
  var parts: [Tensor] = []
  for start in stride(from: 0, to: count, by: batchSize) {
    let rows = start..<min(count, start + batchSize)
    let codes = Tensor.randomNormal(shape: [rows.count, dimension], using: &generator)
    parts.append(try decode(codes, classes.map { Array($0[rows]) }))
  }
  return parts.count == 1 ? parts[0] : Tensor.concatenate(batches: parts)
}

/// Points on the segment between two vectors: `[steps, n]`.
func linearPath(from start: Tensor, to end: Tensor, steps: Int, name: String) throws -> Tensor {
  guard start.shape == end.shape, start.rank == 1 else {
    throw GenerativeKitError.invalidArgument(
      "\(name): endpoints must be two vectors of the same length, got \(start.shapeDescription) and \(end.shapeDescription)")
  }
  guard steps >= 2 else { throw GenerativeKitError.invalidArgument("\(name): steps must be at least 2, got \(steps)") }
  let n = start.count
  var scalars: [Float] = []
  scalars.reserveCapacity(steps * n)
  for step in 0..<steps {
    let t = Float(step) / Float(steps - 1)
    for i in 0..<n { scalars.append((1 - t) * start[flat: i] + t * end[flat: i]) }
  }
  return Tensor(shape: [steps, n], scalars: scalars)
}

/// The standard normal quantile function (inverse CDF) by bisection on `erfc`, to about 1e-12.
func standardNormalQuantile(_ p: Double) -> Double {
  enforce(p > 0 && p < 1, "standardNormalQuantile: p must be in (0, 1), got \(p)")
  var (low, high) = (-40.0, 40.0)
  for _ in 0..<200 {
    let mid = (low + high) / 2
    if 0.5 * erfc(-mid / 2.0.squareRoot()) < p { low = mid } else { high = mid }
  }
  return (low + high) / 2
}

#if canImport(Glibc)
  import Glibc
#endif
