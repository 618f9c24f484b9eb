import Testing

@testable import GenerativeKit

/// The SIMD sign selections against their scalar definitions, bit for bit.
@Suite("Sign selections")
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

  @Test("keepWherePositive and scaleWhereNegative match the scalar loops, in place and not",
        arguments: [0, 1, 15, 16, 17, 100, 1000])
  func matchesScalar(count: Int) {
    let (values, signs) = Self.data(count: count, seed: UInt64(count) + 1)
    let relu = (0..<count).map { signs[$0] > 0 ? values[$0] : 0 }
    let leaky = (0..<count).map { signs[$0] >= 0 ? values[$0] : 0.3 * values[$0] }
    var out = [Float](repeating: 7, count: count)
    SignSelect.keepWherePositive(values, sign: signs, into: &out, count: count)
    #expect(Self.sameBits(out, relu))
    SignSelect.scaleWhereNegative(values, sign: signs, slope: 0.3, into: &out, count: count)
    #expect(Self.sameBits(out, leaky))
    var inPlace = values
    inPlace.withUnsafeMutableBufferPointer { buffer in
      guard let base = buffer.baseAddress else { return }
      SignSelect.keepWherePositive(base, sign: signs, into: base, count: count)
    }
    #expect(Self.sameBits(inPlace, relu))
  }

  @Test("LeakyReLU forward scales exactly the negative inputs")
  func leakyForward() throws {
    let input = Tensor(shape: [1, 20], scalars: (0..<20).map { Float($0) - 9.5 })
    let output = try LeakyReLU(slope: 0.25).forward(input)
    #expect(output.scalars == input.scalars.map { $0 >= 0 ? $0 : 0.25 * $0 })
  }
}
