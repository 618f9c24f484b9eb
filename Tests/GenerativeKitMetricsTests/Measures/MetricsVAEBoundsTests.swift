import Foundation
import Testing

@testable import GenerativeKit
@testable import GenerativeKitData
@testable import GenerativeKitMetrics

/// The ELBO and the importance-weighted bound of a VAE.
@Suite("Metrics: VAE likelihood bounds")
struct MetricsVAEBoundsTests {
  /// A VAE small enough to compute by hand: 2 x 2 images, latent size 1, one Dense each way.
  static func tinyVAE() -> VAE {
    let encoderDense = Dense(inFeatures: 4, outFeatures: 2)
    encoderDense.weight.value = Tensor(shape: [2, 4], scalars: [0.5, -0.2, 0.1, 0.3, 0.1, 0.2, -0.3, 0.0])
    encoderDense.bias!.value = Tensor(shape: [2], scalars: [0.1, -0.5])
    let decoderDense = Dense(inFeatures: 1, outFeatures: 4)
    decoderDense.weight.value = Tensor(shape: [4, 1], scalars: [1, -1, 0.5, 2])
    decoderDense.bias!.value = Tensor(shape: [4], scalars: [0, 0.2, -0.1, 0.3])
    return VAE(encoder: Sequential([Flatten(), encoderDense]),
               decoder: Sequential([decoderDense, Reshape([1, 2, 2])]), latentDimension: 1)
  }

  static let pixels: [Double] = [1, 0, 0.5, 1]

  /// `log p(x | z) + log p(z) - log q(z | x)` for the tiny VAE, written out.
  static func handLogWeight(epsilon: Double, gaussianVariance: Double? = nil) -> Double {
    let x = pixels
    let mu = 0.5 * x[0] - 0.2 * x[1] + 0.1 * x[2] + 0.3 * x[3] + 0.1
    let logVariance = 0.1 * x[0] + 0.2 * x[1] - 0.3 * x[2] + 0.0 * x[3] - 0.5
    let z = mu + exp(logVariance / 2) * epsilon
    let logits = [1 * z + 0, -1 * z + 0.2, 0.5 * z - 0.1, 2 * z + 0.3]
    var logLikelihood = 0.0
    for (l, t) in zip(logits, x) {
      if let v = gaussianVariance {
        let p = 1 / (1 + exp(-l))
        logLikelihood += -(t - p) * (t - p) / (2 * v) - 0.5 * log(2 * Double.pi * v)
      } else {
        logLikelihood += t * log(1 / (1 + exp(-l))) + (1 - t) * log(1 - 1 / (1 + exp(-l)))
      }
    }
    let logPrior = -z * z / 2 - 0.5 * log(2 * Double.pi)
    let logPosterior = -epsilon * epsilon / 2 - 0.5 * log(2 * Double.pi) - logVariance / 2
    return logLikelihood + logPrior - logPosterior
  }

  static var image: Tensor { Tensor(shape: [1, 1, 2, 2], scalars: pixels.map(Float.init)) }

  @Test("Log importance weights of a tiny VAE match a hand computation (Bernoulli and Gaussian)")
  func handComputation() throws {
    let vae = Self.tinyVAE()
    let noise = Tensor(shape: [1, 2, 1], scalars: [0.3, -1.2])
    let bernoulli = try vae.logImportanceWeights(images: Self.image, noise: noise)
    let gaussian = try vae.logImportanceWeights(images: Self.image, noise: noise, observation: .reportMeanSquaredError)
    for (s, epsilon) in [0.3, -1.2].enumerated() {
      #expect(abs(bernoulli[0][s] - Self.handLogWeight(epsilon: epsilon)) < 1e-5)
      #expect(abs(gaussian[0][s] - Self.handLogWeight(epsilon: epsilon, gaussianVariance: 0.5)) < 1e-5)
    }
    // The importance-weighted bound of these two samples is their log-mean-exp.
    let expected = log((exp(Self.handLogWeight(epsilon: 0.3)) + exp(Self.handLogWeight(epsilon: -1.2))) / 2)
    let values = bernoulli[0]
    #expect(abs(values.withUnsafeBufferPointer { logSumExp($0) } - log(2) - expected) < 1e-5)
  }

  @Test("The report's MSE decoder: -log p(x | z) is the summed squared error plus (D/2) log(pi)")
  func meanSquaredErrorReading() throws {
    let logits = [Float(0.3), -1, 2, 0]
    let x: [Float] = [0.2, 0.9, 1, 0.5]
    let squares = zip(logits, x).reduce(0.0) { sum, pair in
      let p = 1 / (1 + exp(-Double(pair.0)))
      return sum + (Double(pair.1) - p) * (Double(pair.1) - p)
    }
    let value = ObservationModel.reportMeanSquaredError.logLikelihood(logits: logits, pixels: x, count: 4)
    #expect(abs(-value - (squares + 2 * log(Double.pi))) < 1e-12)
  }

  @Test("With k = 1 the importance-weighted bound equals the Monte Carlo ELBO for the same noise")
  func singleSample() throws {
    let vae = ConvolutionalVAE.make(latentDimension: 4, seed: 3)
    var random = SeededGenerator(seed: 9)
    let images = Tensor.randomUniform(shape: [5, 1, 28, 28], using: &random)
    var first = SeededGenerator(seed: 1)
    var second = SeededGenerator(seed: 1)
    let elbo = try vae.evidenceLowerBound(images: images, kl: .monteCarlo, batchSize: 2, using: &first)
    let iw = try vae.importanceWeightedBound(images: images, samples: 1, batchSize: 2, using: &second)
    #expect(elbo.perImage.count == 5)
    for (a, b) in zip(elbo.perImage, iw.perImage) { #expect(abs(a - b) <= 1e-9 * abs(a)) }
    #expect(vae.isTraining, "the bounds restore training mode")
  }

  /// A small fully connected VAE on 16-pixel images.
  static func smallVAE(seed: UInt64) -> VAE {
    VAE(encoder: Sequential([Flatten(), Dense(inFeatures: 16, outFeatures: 12, seed: seed), Tanh(),
                             Dense(inFeatures: 12, outFeatures: 4, seed: seed + 1)]),
        decoder: Sequential([Dense(inFeatures: 2, outFeatures: 12, seed: seed + 2), Tanh(),
                             Dense(inFeatures: 12, outFeatures: 16, seed: seed + 3), Reshape([1, 4, 4])]),
        latentDimension: 2)
  }

  @Test("The importance-weighted bound rises with k, and the ELBO estimators agree on average")
  func increasesWithK() throws {
    let vae = Self.smallVAE(seed: 20)
    var random = SeededGenerator(seed: 5)
    let images = dynamicallyBinarized(Tensor.randomUniform(shape: [40, 1, 4, 4], using: &random), using: &random)
    #expect(images.scalars.allSatisfy { $0 == 0 || $0 == 1 })
    var bounds: [Double] = []
    for k in [1, 5, 50] {
      var noise = SeededGenerator(seed: 100 + UInt64(k))
      bounds.append(try vae.importanceWeightedBound(images: images, samples: k, using: &noise).mean)
    }
    #expect(bounds[0] < bounds[1] && bounds[1] < bounds[2], "\(bounds)")

    var a = SeededGenerator(seed: 7)
    var b = SeededGenerator(seed: 8)
    let analytic = try vae.evidenceLowerBound(images: images, samples: 200, kl: .analytic, using: &a)
    let monteCarlo = try vae.evidenceLowerBound(images: images, samples: 200, kl: .monteCarlo, using: &b)
    #expect(abs(analytic.mean - monteCarlo.mean) < 0.05 * abs(analytic.mean), "\(analytic) vs \(monteCarlo)")
    #expect(analytic.mean < bounds[2])
  }

  @Test("Pixels outside [0, 1], wrong noise shapes and bad sample counts are rejected")
  func errors() throws {
    let vae = Self.tinyVAE()
    var random = SeededGenerator(seed: 1)
    #expect(throws: GenerativeKitError.self) {
      try vae.logImportanceWeights(images: Tensor(shape: [1, 1, 2, 2], repeating: 2), noise: Tensor(shape: [1, 1, 1]))
    }
    #expect(throws: GenerativeKitError.self) {
      try vae.logImportanceWeights(images: Self.image, noise: Tensor(shape: [1, 1, 2]))
    }
    #expect(throws: GenerativeKitError.self) {
      try vae.importanceWeightedBound(images: Self.image, samples: 0, using: &random)
    }
    #expect(throws: GenerativeKitError.self) {
      try vae.evidenceLowerBound(images: Self.image, observation: .gaussian(variance: 0), using: &random)
    }
  }
}
