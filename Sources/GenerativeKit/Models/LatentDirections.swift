/// Directions in a latent space along which the decoded images change the most: the sliders of a
/// latent-space explorer.
///
/// A GAN's noise is isotropic, so its axes mean nothing in particular; what matters is which
/// directions move the *output*. ``principal(dimension:count:samples:using:decode:)`` finds them
/// as Härkönen et al.'s GANSpace (2020) does for a generator's features, here on its images:
/// decode `samples` random codes, take the principal components of the images, and regress the
/// codes on each component's scores.
public enum LatentDirections {
  /// Up to `count` orthonormal latent directions `[count, dimension]`, the first the one whose
  /// images vary most.
  ///
  /// 1. `Z ~ N(0, I)`, `[samples, dimension]`; `X = decode(Z)` flattened and centred, `[samples, P]`.
  /// 2. The top eigenvectors `u_k` of the Gram matrix `X X^T` (power iteration with deflation, in
  ///    Double): `u_k` are the images' principal-component scores, normalised.
  /// 3. `d_k = Z^T u_k`, the least-squares direction of the codes that predicts those scores (as
  ///    `Z^T Z` is about `samples * I`), orthonormalised against the earlier directions.
  ///
  /// For a linear decoder `x = A z` the directions are `A`'s right singular vectors, strongest first.
  ///
  /// - Parameters:
  ///   - dimension: the latent length.
  ///   - count: directions wanted, 1 to `dimension`.
  ///   - samples: codes decoded to estimate them (at least `count + 1`).
  ///   - generator: draws the codes.
  ///   - decode: codes `[n, dimension]` to images `[n, ...]` (a GAN's generate, a VAE's decode).
  /// - Throws: `GenerativeKitError.invalidArgument` for counts out of range; `decode`'s errors.
  public static func principal(
    dimension: Int, count: Int, samples: Int = 512, using generator: inout SeededGenerator,
    decode: (Tensor) throws -> Tensor
  ) throws -> Tensor {
    guard dimension >= 1, (1...dimension).contains(count), samples > count else {
      throw GenerativeKitError.invalidArgument(
        "LatentDirections.principal: needs 1 <= count <= dimension and samples > count; got dimension \(dimension), "
          + "count \(count), samples \(samples)")
    }
    let codes = Tensor.randomNormal(shape: [samples, dimension], using: &generator)
    let images = try decode(codes)
    guard images.rank >= 1, images.shape[0] == samples else {
      throw GenerativeKitError.shapeMismatch(
        context: "LatentDirections.principal: decoded images", expected: "[\(samples), ...]", actual: images.shape)
    }
    let width = images.count / samples
    let centred = images.reshaped([samples, width])
    let means = (0..<width).map { column in (0..<samples).reduce(0) { $0 + centred[$1, column] } / Float(samples) }
    let x = Tensor(shape: [samples, width], scalars: (0..<(samples * width)).map { centred[flat: $0] - means[$0 % width] })
    let gram = Tensor.matmul(x, x, transposeB: true)
    let g = (0..<(samples * samples)).map { Double(gram[flat: $0]) }

    var scores: [[Double]] = []
    var directions: [[Double]] = []
    var start = SeededGenerator(seed: 0x5EED)
    while directions.count < count {
      var u = (0..<samples).map { _ in Double(start.nextNormalPair().0) }
      for _ in 0..<300 {
        // u <- G u with the earlier components projected out (deflation).
        var next = [Double](repeating: 0, count: samples)
        for row in 0..<samples {
          var sum = 0.0
          for column in 0..<samples { sum += g[row * samples + column] * u[column] }
          next[row] = sum
        }
        orthogonalize(&next, against: scores)
        guard normalize(&next) else { break }
        let change = zip(next, u).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        u = next
        if change < 1e-20 { break }
      }
      scores.append(u)
      var direction = (0..<dimension).map { d in (0..<samples).reduce(0.0) { $0 + Double(codes[$1, d]) * u[$1] } }
      orthogonalize(&direction, against: directions)
      // A direction the images do not depend on (a degenerate decoder): fall back to an unused axis.
      if !normalize(&direction) {
        direction = (0..<dimension).map { Double(($0 == directions.count) ? 1 : 0) }
        orthogonalize(&direction, against: directions)
        _ = normalize(&direction)
      }
      directions.append(direction)
    }
    return Tensor(shape: [count, dimension], scalars: directions.flatMap { $0.map(Float.init) })
  }

  private static func orthogonalize(_ vector: inout [Double], against basis: [[Double]]) {
    for b in basis {
      let dot = zip(vector, b).reduce(0) { $0 + $1.0 * $1.1 }
      for i in vector.indices { vector[i] -= dot * b[i] }
    }
  }

  /// Scales `vector` to unit length; false (and unchanged) when it is zero.
  private static func normalize(_ vector: inout [Double]) -> Bool {
    let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
    guard norm > 1e-12 else { return false }
    for i in vector.indices { vector[i] /= norm }
    return true
  }
}
