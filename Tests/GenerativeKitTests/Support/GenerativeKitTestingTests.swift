import GenerativeKitTesting
import Testing

@testable import GenerativeKit

/// The public testing product, as a user's test target sees it.
@Suite("GenerativeKitTesting: gradient checks")
struct GenerativeKitTestingTests {
  /// `y = a * x` with a learnable scalar `a`, whose parameter gradient forgets the input when
  /// `planted` is set (it adds `sum(dy)` instead of `sum(dy * x)`).
  final class Scale: Layer {
    var isTraining = true
    let planted: Bool
    let a = Parameter(Tensor(shape: [1], repeating: 1.7))
    private var input: Tensor?
    init(planted: Bool) { self.planted = planted }
    var description: String { "Scale(planted: \(planted))" }
    var namedParameters: [NamedParameter] { [NamedParameter("a", a)] }
    func outputShape(forInputShape shape: [Int]) throws -> [Int] { shape }
    func forward(_ x: Tensor) throws -> Tensor {
      input = x
      return x * a.value[flat: 0]
    }
    func backward(_ dy: Tensor) throws -> Tensor {
      guard let x = input else { throw GenerativeKitError.backwardBeforeForward(layer: description) }
      a.gradient[flat: 0] += (planted ? dy : dy * x).withUnsafeBufferPointer { $0.reduce(0, +) }
      return dy * a.value[flat: 0]
    }
  }

  @Test("GradientCheck.layer passes a right layer and names the parameter a planted bug breaks")
  func layerCheck() throws {
    let input = GradientCheck.awayFromZero(shape: [3, 4], seed: 1)
    let right = try GradientCheck.layer(Scale(planted: false), input: input)
    #expect(right.count == 2)
    for report in right { #expect(report.passes(tolerance: 1e-2), "\(report)") }

    let wrong = try GradientCheck.layer(Scale(planted: true), input: input)
    #expect(wrong[0].passes(tolerance: 1e-2), "the input gradient is right: \(wrong[0])")
    #expect(!wrong[1].passes(tolerance: 1e-2), "the parameter gradient is wrong: \(wrong[1])")
    #expect(wrong[1].name.hasSuffix(" a"))
  }

  @Test("Probed entries are distinct: all of a small tensor, a seeded sample of a large one")
  func probes() {
    var generator = SeededGenerator(seed: 2)
    #expect(GradientCheck.probeIndices(count: 5, maximum: 24, generator: &generator) == [0, 1, 2, 3, 4])
    // 30 of 40: drawing with replacement would repeat some (the birthday bound), leaving others out.
    let sample = GradientCheck.probeIndices(count: 40, maximum: 30, generator: &generator)
    #expect(sample.count == 30)
    #expect(Set(sample).count == 30)
    #expect(sample.allSatisfy { (0..<40).contains($0) })
    var again = SeededGenerator(seed: 2)
    _ = GradientCheck.probeIndices(count: 5, maximum: 24, generator: &again)
    #expect(GradientCheck.probeIndices(count: 40, maximum: 30, generator: &again) == sample)
  }
}
