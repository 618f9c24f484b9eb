import Foundation
import Testing

@testable import GenerativeKit
@testable import GenerativeKitData
@testable import GenerativeKitMetrics

/// Parzen-window log-likelihoods against closed forms.
@Suite("Metrics: Parzen window")
struct MetricsParzenWindowTests {
  @Test("One sample, one point: the Gaussian log-density exactly")
  func singleSample() throws {
    let sample = Tensor(shape: [1, 3], scalars: [0.2, 0.5, 0.9])
    let point = Tensor(shape: [1, 3], scalars: [0.4, 0.1, 1.0])
    let sigma = 0.3
    let squared = 0.2 * 0.2 + 0.4 * 0.4 + 0.1 * 0.1
    let expected = -squared / (2 * sigma * sigma) - 1.5 * log(2 * Double.pi * sigma * sigma)
    let value = try ParzenWindow(samples: sample).logLikelihoods(of: point, sigma: sigma)
    #expect(value.count == 1)
    #expect(abs(value[0] - expected) < 1e-5, "\(value[0]) vs \(expected)")
  }

  @Test("Many samples of N(0, 1): the estimate approaches the smoothed density N(0, 1 + sigma^2)")
  func gaussianLimit() throws {
    var random = SeededGenerator(seed: 1)
    let samples = Tensor.randomNormal(shape: [20_000, 1], using: &random)
    let points: [Float] = [-1.5, -0.5, 0, 0.7, 2]
    let sigma = 0.25
    let values = try ParzenWindow(samples: samples).logLikelihoods(of: Tensor(shape: [5, 1], scalars: points), sigma: sigma)
    let variance = 1 + sigma * sigma
    for (x, value) in zip(points, values) {
      let expected = -Double(x * x) / (2 * variance) - 0.5 * log(2 * Double.pi * variance)
      #expect(abs(value - expected) < 0.04, "x = \(x): \(value) vs \(expected)")
    }
  }

  @Test("A 2-D Gaussian: the mean test log-likelihood approaches minus the smoothed entropy")
  func twoDimensional() throws {
    var random = SeededGenerator(seed: 2)
    let samples = Tensor.randomNormal(shape: [8_000, 2], standardDeviation: 0.5, using: &random)
    let test = Tensor.randomNormal(shape: [2_000, 2], standardDeviation: 0.5, using: &random)
    let sigma = 0.1
    let estimate = try ParzenWindow(samples: samples).meanLogLikelihood(of: test, sigma: sigma)
    // E[log N(x; 0, s^2 + sigma^2)] for x ~ N(0, s^2), per dimension: -1/2 log(2 pi v) - s^2 / (2 v).
    let (s2, v) = (0.25, 0.25 + sigma * sigma)
    let expected = 2 * (-0.5 * log(2 * Double.pi * v) - s2 / (2 * v))
    #expect(abs(estimate.mean - expected) < 3 * estimate.standardError + 0.03, "\(estimate) vs \(expected)")
    #expect(estimate.standardError > 0 && estimate.count == 2_000)
  }

  @Test("Many bandwidths in one pass equal separate passes; blocks and brute force agree")
  func bandwidths() throws {
    var random = SeededGenerator(seed: 3)
    let samples = Tensor.randomUniform(shape: [300, 16], using: &random)
    let points = Tensor.randomUniform(shape: [50, 16], using: &random)
    let window = try ParzenWindow(samples: samples)
    let sigmas = [0.1, 0.3, 1.0]
    let together = try window.logLikelihoods(of: points, sigmas: sigmas)
    for (index, sigma) in sigmas.enumerated() {
      #expect(together[index] == (try window.logLikelihoods(of: points, sigma: sigma)))
      for m in [0, 17, 49] {
        let exponents = (0..<300).map { -FeatureMatrix.exactSquaredDistance(points, m, samples, $0) / (2 * sigma * sigma) }
        let direct = exponents.withUnsafeBufferPointer { logSumExp($0) } - log(300.0) - 8 * log(2 * Double.pi * sigma * sigma)
        #expect(abs(together[index][m] - direct) < 1e-3 * max(1, abs(direct)), "sigma \(sigma), point \(m)")
      }
    }
  }

  @Test("Bandwidth selection maximises the validation likelihood; the protocol reports mean and standard error")
  func protocolRun() throws {
    var random = SeededGenerator(seed: 4)
    let samples = Tensor.randomNormal(shape: [2_000, 2], standardDeviation: 0.3, using: &random)
    let validation = Tensor.randomNormal(shape: [200, 2], standardDeviation: 0.3, using: &random)
    let test = Tensor.randomNormal(shape: [300, 2], standardDeviation: 0.3, using: &random)
    let grid = [0.01, 0.05, 0.1, 0.5, 2]
    let evaluation = try ParzenWindow.evaluate(samples: samples, validation: validation, test: test, grid: grid)
    let best = evaluation.validationScores.max { $0.meanLogLikelihood < $1.meanLogLikelihood }!
    #expect(evaluation.validationScores.map(\.sigma) == grid)
    #expect(evaluation.test.sigma == best.sigma)
    #expect(best.sigma == 0.05 || best.sigma == 0.1)
    let direct = try ParzenWindow(samples: samples).logLikelihoods(of: test, sigma: best.sigma)
    let mean = direct.reduce(0, +) / 300
    let std = (direct.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 300).squareRoot()
    #expect(abs(evaluation.test.mean - mean) < 1e-9)
    #expect(abs(evaluation.test.standardError - std / 300.0.squareRoot()) < 1e-9)
    #expect(ParzenWindow.defaultBandwidthGrid.count == 10)
    #expect(abs(ParzenWindow.defaultBandwidthGrid[0] - 0.1) < 1e-12 && abs(ParzenWindow.defaultBandwidthGrid[9] - 1) < 1e-12)
  }

  @Test("Far-away points stay finite (log-sum-exp), wrong sizes and bandwidths are rejected")
  func robustness() throws {
    let window = try ParzenWindow(samples: Tensor(shape: [2, 1], scalars: [0, 1]))
    let far = try window.logLikelihoods(of: Tensor(shape: [1, 1], scalars: [1000]), sigma: 0.1)
    let expected = -999 * 999 / 0.02 - log(2.0) - 0.5 * log(2 * Double.pi * 0.01) + log(1 + exp(-(1000 * 1000 - 999 * 999) / 0.02))
    #expect(far[0].isFinite && abs(far[0] - expected) < 1e-6 * abs(expected))
    #expect(throws: GenerativeKitError.self) { try window.logLikelihoods(of: Tensor(shape: [1, 2]), sigma: 0.1) }
    #expect(throws: GenerativeKitError.self) { try window.logLikelihoods(of: Tensor(shape: [1, 1]), sigma: 0) }
    #expect(throws: GenerativeKitError.self) { try ParzenWindow(samples: Tensor(shape: [0, 4])) }
  }
}
