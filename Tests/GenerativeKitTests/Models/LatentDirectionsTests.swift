import Testing

@testable import GenerativeKit

@Suite("Latent directions")
struct LatentDirectionsTests {
  @Test("For a linear decoder x = A z the principal directions are A's right singular vectors, strongest first")
  func linearDecoder() throws {
    // A = U diag(6, 3, 1) V^T with V a rotation of the latent axes and U an embedding into 5 pixels.
    let angle = Float(0.7)
    let (c, s) = (cosf(angle), sinf(angle))
    let v: [[Float]] = [[c, s, 0], [-s * 0.6, c * 0.6, 0.8], [s * 0.8, -c * 0.8, 0.6]]  // rows: orthonormal
    let strengths: [Float] = [6, 3, 1]
    let decode: (Tensor) throws -> Tensor = { codes in
      let n = codes.shape[0]
      var pixels = Tensor(shape: [n, 1, 1, 5])
      for row in 0..<n {
        for k in 0..<3 {
          let projection = (0..<3).reduce(Float(0)) { $0 + v[k][$1] * codes[row, $1] }
          pixels[flat: row * 5 + k + 1] = strengths[k] * projection  // pixel k+1 carries component k
        }
      }
      return pixels
    }
    var random = SeededGenerator(seed: 1)
    let directions = try LatentDirections.principal(dimension: 3, count: 3, samples: 800, using: &random, decode: decode)
    #expect(directions.shape == [3, 3])
    for k in 0..<3 {
      let cosine = abs((0..<3).reduce(Float(0)) { $0 + directions[k, $1] * v[k][$1] })
      #expect(cosine > 0.99, "direction \(k): |cos| \(cosine)")
      for j in 0..<3 {
        let dot = (0..<3).reduce(Float(0)) { $0 + directions[k, $1] * directions[j, $1] }
        #expect(abs(dot - (j == k ? 1 : 0)) < 1e-5)
      }
    }
  }

  @Test("Bad counts are errors; a decoder that ignores its input still gives orthonormal directions")
  func edgeCases() throws {
    var random = SeededGenerator(seed: 2)
    #expect(throws: GenerativeKitError.self) {
      try LatentDirections.principal(dimension: 3, count: 4, using: &random) { $0 }
    }
    #expect(throws: GenerativeKitError.self) {
      try LatentDirections.principal(dimension: 3, count: 2, samples: 2, using: &random) { $0 }
    }
    let constant = try LatentDirections.principal(dimension: 4, count: 2, samples: 16, using: &random) { codes in
      Tensor(shape: [codes.shape[0], 3], repeating: 1)
    }
    for k in 0..<2 {
      #expect(abs((0..<4).reduce(Float(0)) { $0 + constant[k, $1] * constant[k, $1] } - 1) < 1e-5)
    }
  }
}

#if canImport(Glibc)
  import Glibc
#endif
