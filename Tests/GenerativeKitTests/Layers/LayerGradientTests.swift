import GenerativeKitTesting
import Testing

@_spi(Benchmarks) @testable import GenerativeKit

/// Finite-difference checks of every layer's input and parameter gradients in training mode.
@Suite("Layer gradients")
struct LayerGradientTests {
  @Test("Dense", arguments: [(1, 3, 2), (4, 5, 7), (3, 8, 1)])
  func dense(batch: Int, inFeatures: Int, outFeatures: Int) throws {
    let layer = Dense(inFeatures: inFeatures, outFeatures: outFeatures, biasInitializer: .normal(std: 0.5), seed: 1)
    try GradCheck.checkLayer(layer, input: GradientCheck.awayFromZero(shape: [batch, inFeatures], seed: 2))
  }

  @Test("Dense without bias")
  func denseWithoutBias() throws {
    let layer = Dense(inFeatures: 6, outFeatures: 4, bias: false, seed: 3)
    #expect(layer.namedParameters.map(\.name) == ["weight"])
    try GradCheck.checkLayer(layer, input: GradientCheck.awayFromZero(shape: [3, 6], seed: 4))
  }

  struct ConvCase: CustomTestStringConvertible, Sendable {
    var batch, inChannels, outChannels, kernel, stride, height, width: Int
    var padding: Padding
    var testDescription: String {
      "N\(batch) C\(inChannels)->\(outChannels) k\(kernel) s\(stride) \(height)x\(width) pad \(padding)"
    }
  }

  static let convCases: [ConvCase] = [
    ConvCase(batch: 2, inChannels: 3, outChannels: 4, kernel: 3, stride: 1, height: 5, width: 6, padding: .same),
    ConvCase(batch: 1, inChannels: 2, outChannels: 3, kernel: 5, stride: 2, height: 7, width: 7, padding: .same),
    ConvCase(batch: 3, inChannels: 1, outChannels: 2, kernel: 1, stride: 1, height: 4, width: 3, padding: .valid),
    ConvCase(batch: 2, inChannels: 2, outChannels: 2, kernel: 2, stride: 3, height: 7, width: 8, padding: .valid),
    ConvCase(batch: 2, inChannels: 2, outChannels: 3, kernel: 3, stride: 2, height: 6, width: 5, padding: .explicit(1)),
    ConvCase(batch: 2, inChannels: 2, outChannels: 2, kernel: 5, stride: 2, height: 8, width: 8, padding: .tensorflowSame),
  ]

  @Test("Conv2D", arguments: convCases)
  func conv2D(_ c: ConvCase) throws {
    let layer = Conv2D(inChannels: c.inChannels, outChannels: c.outChannels, kernelSize: c.kernel, stride: c.stride,
                       padding: c.padding, biasInitializer: .normal(std: 0.5), seed: 5)
    try GradCheck.checkLayer(layer, input: GradientCheck.awayFromZero(shape: [c.batch, c.inChannels, c.height, c.width], seed: 6))
  }

  static let transposeCases: [(ConvCase, Int)] = [
    (ConvCase(batch: 2, inChannels: 3, outChannels: 2, kernel: 3, stride: 1, height: 4, width: 5, padding: .same), 0),
    (ConvCase(batch: 1, inChannels: 2, outChannels: 3, kernel: 5, stride: 2, height: 3, width: 4, padding: .same), 0),
    (ConvCase(batch: 2, inChannels: 2, outChannels: 1, kernel: 1, stride: 1, height: 3, width: 3, padding: .valid), 0),
    (ConvCase(batch: 2, inChannels: 2, outChannels: 2, kernel: 2, stride: 3, height: 3, width: 2, padding: .valid), 2),
    (ConvCase(batch: 2, inChannels: 3, outChannels: 2, kernel: 4, stride: 2, height: 3, width: 3, padding: .explicit(1)), 1),
    (ConvCase(batch: 2, inChannels: 2, outChannels: 2, kernel: 5, stride: 2, height: 3, width: 4, padding: .tensorflowSame), 0),
  ]

  @Test("ConvTranspose2D", arguments: transposeCases)
  func convTranspose2D(_ c: ConvCase, outputPadding: Int) throws {
    let layer = ConvTranspose2D(
      inChannels: c.inChannels, outChannels: c.outChannels, kernelSize: c.kernel, stride: c.stride,
      padding: c.padding, outputPadding: outputPadding, biasInitializer: .normal(std: 0.5), seed: 7)
    try GradCheck.checkLayer(layer, input: GradientCheck.awayFromZero(shape: [c.batch, c.inChannels, c.height, c.width], seed: 8))
  }

  @Test("Convolutions split into several batch chunks give the same gradients")
  func chunkedConvolutions() throws {
    try ConvolutionChunking.withMaximumColumnElements(200) {  // forces one image per chunk here
      let conv = Conv2D(inChannels: 2, outChannels: 3, kernelSize: 3, stride: 2, padding: .same, seed: 9)
      try GradCheck.checkLayer(conv, input: GradientCheck.awayFromZero(shape: [3, 2, 6, 6], seed: 10))
      let transpose = ConvTranspose2D(inChannels: 2, outChannels: 3, kernelSize: 3, stride: 2, padding: .same, seed: 11)
      try GradCheck.checkLayer(transpose, input: GradientCheck.awayFromZero(shape: [3, 2, 4, 4], seed: 12))
    }
  }

  @Test("BatchNorm over features and over channels", arguments: [[5, 4], [3, 2, 3, 4], [2, 3, 1, 1]])
  func batchNorm(shape: [Int]) throws {
    let layer = BatchNorm(features: shape[1])
    var generator = SeededGenerator(seed: 13)
    layer.weight.value = Tensor.randomNormal(shape: [shape[1]], mean: 1, standardDeviation: 0.3, using: &generator)
    layer.bias.value = Tensor.randomNormal(shape: [shape[1]], using: &generator)
    try GradCheck.checkLayer(layer, input: GradientCheck.awayFromZero(shape: shape, seed: 14), step: 1e-2, tolerance: 3e-2)
  }

  @Test("Activations", arguments: ["ReLU", "LeakyReLU", "Sigmoid", "Tanh"])
  func activations(name: String) throws {
    let layer: any Layer =
      switch name {
      case "ReLU": ReLU()
      case "LeakyReLU": LeakyReLU(slope: 0.3)
      case "Sigmoid": Sigmoid()
      default: Tanh()
      }
    try GradCheck.checkLayer(layer, input: GradientCheck.awayFromZero(shape: [3, 2, 4, 5], seed: 15))
  }

  @Test("Dropout with a fixed mask")
  func dropout() throws {
    let layer = Dropout(rate: 0.3, seed: 16)
    let start = layer.generator
    try GradCheck.checkLayer(layer, input: GradientCheck.awayFromZero(shape: [4, 50], seed: 17), prepare: { layer.generator = start })
  }

  @Test("Reshape and Flatten")
  func reshapes() throws {
    try GradCheck.checkLayer(Reshape([2, 3, 2]), input: GradientCheck.awayFromZero(shape: [3, 12], seed: 18))
    try GradCheck.checkLayer(Flatten(), input: GradientCheck.awayFromZero(shape: [3, 2, 2, 3], seed: 19))
  }

  @Test("Sequential composes backward through its layers")
  func sequential() throws {
    let model = Sequential {
      Conv2D(inChannels: 1, outChannels: 3, kernelSize: 3, stride: 2, padding: .same, bias: false, seed: 20)
      BatchNorm(features: 3)
      LeakyReLU()
      Flatten()
      Dense(inFeatures: 3 * 3 * 3, outFeatures: 2, seed: 21)
      Tanh()
    }
    try GradCheck.checkLayer(model, input: GradientCheck.awayFromZero(shape: [4, 1, 5, 5], seed: 22), step: 1e-3, tolerance: 3e-2)
  }

  @Test("A deliberately wrong backward is caught by the check")
  func checkCatchesWrongGradients() throws {
    final class Doubler: Layer {
      var isTraining = true
      var description: String { "Doubler" }
      func forward(_ input: Tensor) throws -> Tensor { input * 2 }
      func backward(_ outputGradient: Tensor) throws -> Tensor { outputGradient * 3 }  // wrong: should be 2
      func outputShape(forInputShape shape: [Int]) throws -> [Int] { shape }
    }
    let layer = Doubler()
    var generator = SeededGenerator(seed: 23)
    let input = Tensor.randomNormal(shape: [2, 3], using: &generator)
    let weights = Tensor.randomNormal(shape: [2, 3], using: &generator)
    let analytic = try layer.backward(weights)
    var current = input
    let report = GradientCheck.compare(
      name: "Doubler", values: input, analytic: analytic, step: 1e-2, set: { current = $0 },
      loss: { (try! layer.forward(current) * weights).withUnsafeBufferPointer { $0.reduce(0.0) { $0 + Double($1) } } },
      generator: &generator)
    #expect(report.worstRelativeError > 0.3)
  }
}

/// `backwardParametersOnly` must accumulate exactly what `backward` accumulates.
@Suite("Parameter-only backward")
struct ParameterOnlyBackwardTests {
  @Test("Sequential.backwardParametersOnly matches backward's parameter gradients")
  func matchesBackward() throws {
    func model() -> Sequential {
      Sequential {
        ReLU()
        Conv2D(inChannels: 2, outChannels: 3, kernelSize: 3, stride: 2, padding: .same, seed: 1)
        Tanh()
        ConvTranspose2D(inChannels: 3, outChannels: 2, kernelSize: 3, stride: 2, padding: .same, seed: 2)
        Flatten()
        Dense(inFeatures: 2 * 6 * 6, outFeatures: 3, seed: 3)
      }
    }
    var random = SeededGenerator(seed: 4)
    let input = Tensor.randomNormal(shape: [2, 2, 6, 6], using: &random)
    let upstream = Tensor.randomNormal(shape: [2, 3], using: &random)
    let full = model()
    _ = try full.forward(input)
    _ = try full.backward(upstream)
    let partial = model()
    _ = try partial.forward(input)
    try partial.backwardParametersOnly(upstream)
    for (a, b) in zip(full.trainableParameters, partial.trainableParameters) {
      #expect(a.gradient.maxAbsoluteDifference(to: b.gradient) < 1e-6)
    }
  }
}
