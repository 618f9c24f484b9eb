import Testing

@testable import GenerativeKit

/// The SIMD sign selection against its scalar definition, bit for bit.
@Suite("Sign selection")
struct SignSelectTests {
  /// Random values and signs with zeros, negative zeros, NaNs and infinities mixed in.
  static func data(count: Int, seed: UInt64) -> (values: [Float], signs: [Float]) {
    var random = SeededGenerator(seed: seed)
    let specials: [Float] = [0, -0.0, .nan, .infinity, -.infinity, .leastNonzeroMagnitude, -.leastNonzeroMagnitude]
    func draw() -> Float {
      random.nextUniform() < 0.2 ? specials[Int(random.next() % UInt64(specials.count))] : 4 * random.nextUniform() - 2
    }
    return ((0..<count).map { _ in draw() }, (0..<count).map { _ in draw() })
  }

  static func sameBits(_ a: [Float], _ b: [Float]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
  }

  @Test("keepWherePositive matches the scalar loop, in place and not",
        arguments: [0, 1, 15, 16, 17, 100, 1000])
  func matchesScalar(count: Int) {
    let (values, signs) = Self.data(count: count, seed: UInt64(count) + 1)
    let relu = (0..<count).map { signs[$0] > 0 ? values[$0] : 0 }
    var out = [Float](repeating: 7, count: count)
    SignSelect.keepWherePositive(values, sign: signs, into: &out, count: count)
    #expect(Self.sameBits(out, relu))
    var inPlace = values
    inPlace.withUnsafeMutableBufferPointer { buffer in
      guard let base = buffer.baseAddress else { return }
      SignSelect.keepWherePositive(base, sign: signs, into: base, count: count)
    }
    #expect(Self.sameBits(inPlace, relu))
  }
}
