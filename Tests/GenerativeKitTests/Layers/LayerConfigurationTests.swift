import Foundation
import Testing

@testable import GenerativeKit

/// A layer of a user's own that can describe itself: multiplies by a fixed factor.
final class FixedScale: ConfigurableLayer {
  static var configurationType: String { "FixedScale" }
  let factor: Float
  var isTraining = true
  init(factor: Float) { self.factor = factor }
  convenience init(configuration: LayerConfiguration) throws { self.init(factor: try configuration.number("factor")) }
  func configuration() throws -> LayerConfiguration {
    LayerConfiguration(type: Self.configurationType, arguments: ["factor": .float(factor)])
  }
  var description: String { "FixedScale(\(factor))" }
  func outputShape(forInputShape shape: [Int]) throws -> [Int] { shape }
  func forward(_ input: Tensor) throws -> Tensor { input * factor }
  func backward(_ outputGradient: Tensor) throws -> Tensor { outputGradient * factor }
}

/// A layer that cannot describe itself.
final class Opaque: Layer {
  var isTraining = true
  var description: String { "Opaque" }
  func outputShape(forInputShape shape: [Int]) throws -> [Int] { shape }
  func forward(_ input: Tensor) throws -> Tensor { input }
  func backward(_ outputGradient: Tensor) throws -> Tensor { outputGradient }
}

@Suite("Layer configurations")
struct LayerConfigurationTests {
  /// Every built-in layer type, nested containers, each padding form, both batch-norm flavours.
  static func everyLayer() -> Sequential {
    Sequential {
      Conv2D(inChannels: 2, outChannels: 3, kernelSize: 3, stride: 1, padding: .same, seed: 1)
      BatchNorm.keras(features: 3)
      LeakyReLU(slope: 0.2)
      Conv2D(inChannels: 3, outChannels: 4, kernelSize: 4, stride: 2, padding: 1, bias: false, seed: 2)
      Sequential {
        BatchNorm(features: 4, momentum: 0.3, epsilon: 1e-4, unbiasedRunningVariance: false)
        ReLU()
        Dropout(rate: 0.25, seed: 3)
      }
      ConvTranspose2D(inChannels: 4, outChannels: 2, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1, seed: 4)
      Conv2D(inChannels: 2, outChannels: 2, kernelSize: 5, stride: 2, padding: .tensorflowSame, seed: 5)
      ConvTranspose2D(inChannels: 2, outChannels: 2, kernelSize: 5, stride: 2, padding: .same, seed: 6)
      Conv2D(inChannels: 2, outChannels: 1, kernelSize: 3, padding: .valid, seed: 7)
      Sigmoid()
      Flatten()
      Dense(inFeatures: 16, outFeatures: 12, seed: 8)
      Tanh()
      Reshape([3, 2, 2])
      Flatten()
      Dense(inFeatures: 12, outFeatures: 1, bias: false, seed: 9)
    }
  }

  @Test("Every built-in layer survives configuration -> JSON -> layer: the same configuration, and with the same weights the same outputs bit for bit")
  func roundTrip() throws {
    let original = Self.everyLayer()
    let configuration = try original.configuration()
    let json = try JSONEncoder().encode(configuration)
    let decoded = try JSONDecoder().decode(LayerConfiguration.self, from: json)
    #expect(decoded == configuration)
    let rebuilt = try decoded.makeSequential(role: "test")
    #expect(try rebuilt.configuration() == configuration)
    #expect(rebuilt.description == original.description)
    try rebuilt.loadStateDict(Dictionary(uniqueKeysWithValues: original.stateDict.map { ($0.name, $0.value) }))
    original.eval()
    rebuilt.eval()
    var random = SeededGenerator(seed: 11)
    let input = Tensor.randomNormal(shape: [3, 2, 6, 6], using: &random)
    #expect(try original.forward(input) == rebuilt.forward(input))
    // Every built-in type appears, so a new layer type without a configuration fails this test.
    let used = Set(original.modules.compactMap { ($0 as? any ConfigurableLayer).map { type(of: $0).configurationType } })
    #expect(used == Set(LayerRegistry.builtInTypes.map { $0.configurationType }))
  }

  @Test("Floats are written as their shortest decimal and read back exactly")
  func shortestFloats() throws {
    let json = String(decoding: try JSONEncoder().encode(LeakyReLU(slope: 0.2).configuration()), as: UTF8.self)
    #expect(json.contains("0.2") && !json.contains("0.2000000"), "\(json)")
    for value: Float in [0.2, 0.1, 1e-5, 1e-3, 0.99, Float.leastNormalMagnitude, 1 / 3] {
      guard case .number(let stored) = LayerArgument.float(value) else { Issue.record("not a number"); continue }
      #expect(Float(stored) == value)
    }
  }

  @Test("A copy has the same structure and weights and shares no storage with the original")
  func copy() throws {
    let original = Self.everyLayer()
    let copied = try LayerRegistry.copy(of: original)
    for (a, b) in zip(original.namedParameters, copied.namedParameters) {
      #expect(a.name == b.name && a.parameter.value == b.parameter.value)
    }
    copied.namedParameters[0].parameter.value[0, 0, 0, 0] += 1
    #expect(original.namedParameters[0].parameter.value != copied.namedParameters[0].parameter.value)
  }

  @Test("An unknown type is refused by name, listing the known ones; a registered type of one's own is built")
  func registry() throws {
    let unknown = LayerConfiguration(type: "Sequential", layers: [LayerConfiguration(type: "Residual")])
    #expect { try LayerRegistry.makeLayer(from: unknown) } throws: { error in
      "\(error)".contains("layer 0") && "\(error)".contains("unknown layer type 'Residual'") && "\(error)".contains("Conv2D")
    }
    try LayerRegistry.register(FixedScale.self)
    try LayerRegistry.register(FixedScale.self)  // again: the same type is fine
    let network = Sequential { FixedScale(factor: 2.5); Tanh() }
    let rebuilt = try (try network.configuration()).makeSequential(role: "test")
    #expect((rebuilt.layers[0] as? FixedScale)?.factor == 2.5)

    final class Impostor: ConfigurableLayer {
      static var configurationType: String { "FixedScale" }
      var isTraining = true
      init() {}
      convenience init(configuration: LayerConfiguration) throws { self.init() }
      func configuration() throws -> LayerConfiguration { LayerConfiguration(type: "FixedScale") }
      var description: String { "Impostor" }
      func outputShape(forInputShape shape: [Int]) throws -> [Int] { shape }
      func forward(_ input: Tensor) throws -> Tensor { input }
      func backward(_ outputGradient: Tensor) throws -> Tensor { outputGradient }
    }
    #expect { try LayerRegistry.register(Impostor.self) } throws: { "\($0)".contains("'FixedScale' is taken") }
  }

  @Test("A layer that cannot describe itself is named, with its position")
  func opaqueLayer() throws {
    let network = Sequential { Tanh(); Opaque() }
    #expect { try network.configuration() } throws: { error in
      "\(error)".contains("layer 1") && "\(error)".contains("Opaque") && "\(error)".contains("ConfigurableLayer")
    }
  }

  @Test("Arguments out of range are thrown as errors naming the layer type and argument, never a crash",
        arguments: [
          (LayerConfiguration(type: "Conv2D", arguments: ["inChannels": .integer(1), "outChannels": .integer(2), "kernelSize": .integer(0),
                                                          "stride": .integer(1), "padding": .text("same")]), "kernelSize"),
          (LayerConfiguration(type: "Conv2D", arguments: ["inChannels": .integer(1), "outChannels": .integer(2), "kernelSize": .integer(3),
                                                          "stride": .integer(1), "padding": .text("sideways")]), "padding"),
          (LayerConfiguration(type: "Dense", arguments: ["inFeatures": .integer(3)]), "outFeatures"),
          (LayerConfiguration(type: "Dense", arguments: ["inFeatures": .text("3"), "outFeatures": .integer(2)]), "inFeatures"),
          (LayerConfiguration(type: "Dropout", arguments: ["rate": .integer(1)]), "rate"),
          (LayerConfiguration(type: "BatchNorm", arguments: ["features": .integer(4), "momentum": .number(0.1), "epsilon": .integer(0)]), "epsilon"),
          (LayerConfiguration(type: "BatchNorm", arguments: ["features": .integer(4), "momentum": .number(1.5), "epsilon": .number(1e-5)]), "momentum"),
          (LayerConfiguration(type: "LeakyReLU", arguments: ["slope": .number(.infinity)]), "slope"),
          (LayerConfiguration(type: "Reshape", arguments: ["shape": .integers([2, -1])]), "shape"),
          (LayerConfiguration(type: "ConvTranspose2D", arguments: ["inChannels": .integer(1), "outChannels": .integer(2), "kernelSize": .integer(3),
                                                                   "stride": .integer(2), "padding": .integer(1), "outputPadding": .integer(2)]), "outputPadding"),
        ])
  func badArguments(configuration: LayerConfiguration, argument: String) throws {
    #expect { try LayerRegistry.makeLayer(from: configuration) } throws: { error in
      "\(error)".contains(configuration.type) && "\(error)".contains("'\(argument)'")
    }
  }

  @Test("The first difference between two networks names the layer's path and the argument")
  func differences() throws {
    let a = try Sequential { Dense(inFeatures: 2, outFeatures: 3, seed: 1); Sequential { LeakyReLU(slope: 0.2) } }.configuration()
    let b = try Sequential { Dense(inFeatures: 2, outFeatures: 3, seed: 2); Sequential { LeakyReLU(slope: 0.3) } }.configuration()
    let c = try Sequential { Dense(inFeatures: 2, outFeatures: 3, seed: 1) }.configuration()
    #expect(a.firstDifference(from: a) == nil)
    #expect(a.firstDifference(from: b) == "1.0.slope 0.2 vs 0.3")
    #expect(a.firstDifference(from: c) == "the network has 2 layers vs 1")
  }

  @Test("A GAN and a VAE are rebuilt from their configurations with the same structure")
  func models() throws {
    let gan = try GAN(generator: DCGAN.lightGenerator(noiseDimension: 12, channels: 1, width: 8, imageHeight: 8, imageWidth: 8, seed: 1),
                      discriminator: DCGAN.lightDiscriminator(channels: 2, width: 8, imageHeight: 8, imageWidth: 8, seed: 2),
                      noiseDimension: 10, classCount: 2)
    let rebuilt = try GAN(configuration: try gan.configuration())
    #expect(try rebuilt.configuration() == gan.configuration())
    #expect(rebuilt.classCount == 2 && rebuilt.noiseDimension == 10)
    #expect(rebuilt.namedParameters.map(\.name) == gan.namedParameters.map(\.name))
    var wrong = try gan.configuration()
    wrong.generator = LayerConfiguration(type: "Tanh")
    #expect { try GAN(configuration: wrong) } throws: { "\($0)".contains("GAN generator") && "\($0)".contains("Tanh") }

    let vae = ConvolutionalVAE.make(latentDimension: 3, channels: 1, imageHeight: 8, imageWidth: 8, seed: 3)
    let rebuiltVAE = try VAE(configuration: try vae.configuration())
    #expect(try rebuiltVAE.configuration() == vae.configuration())
    #expect(rebuiltVAE.namedParameters.map(\.name) == vae.namedParameters.map(\.name))
  }

  @Test("Initializers: N(mean, std) and constants; batch norm's scale takes one, and constant ones draw nothing from GlobalRandom")
  func initializers() throws {
    var random = SeededGenerator(seed: 5)
    let drawn = Initializer.normal(mean: 1, std: 0.02).make(shape: [10_000], fanIn: 1, fanOut: 1, using: &random)
    let mean = drawn.scalars.reduce(0, +) / 10_000
    let std = (drawn.scalars.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 10_000).squareRoot()
    #expect(abs(mean - 1) < 0.002 && abs(std - 0.02) < 0.002, "mean \(mean), std \(std)")
    #expect(Initializer.constant(0.5).make(shape: [3], fanIn: 1, fanOut: 1, using: &random).scalars == [0.5, 0.5, 0.5])
    #expect(Initializer.normal(std: 0.02) == .normal(mean: 0, std: 0.02))

    let scaled = BatchNorm(features: 64, weightInitializer: .normal(mean: 1, std: 0.02), seed: 9)
    #expect(scaled.weight.value.scalars != [Float](repeating: 1, count: 64))
    #expect(scaled.weight.value.scalars.allSatisfy { abs($0 - 1) < 0.2 })
    #expect(scaled.bias.value.scalars.allSatisfy { $0 == 0 })

    GlobalRandom.seed(77)
    _ = BatchNorm(features: 8)
    var afterConstant = GlobalRandom.split()
    GlobalRandom.seed(77)
    var untouched = GlobalRandom.split()
    #expect(afterConstant.next() == untouched.next(), "a batch norm with constant initialisers drew from GlobalRandom")
  }
}
