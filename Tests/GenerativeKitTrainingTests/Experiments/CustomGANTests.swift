import Foundation
import GenerativeKit
import GenerativeKitData
import GenerativeKitTraining
import TestSupport
import Testing

/// Networks of one's own in the library's GAN recipe: the run folder, checkpoints that describe
/// the networks, loading them without the code that built them, exact resume and refusals.
@Suite("A GAN of your own networks")
struct CustomGANTests {
  static func data(classes: Int? = nil) -> ImageDataSet {
    var random = SeededGenerator(seed: 31)
    let images = Tensor.randomUniform(shape: [40, 1, 8, 8], in: -1...1, using: &random)
    return ImageDataSet(name: "noise squares", images: images, labels: classes.map { c in (0..<40).map { $0 % c } },
                        pixelRange: .symmetric)
  }

  /// A small DCGAN-style pair for 8 x 8 images; `slope` varies the discriminator's structure.
  static func model(classes: Int? = nil, slope: Float = 0.2, extra: (any Layer)? = nil) throws -> GAN {
    let labels = classes ?? 0
    let generator = Sequential {
      Dense(inFeatures: 6 + labels, outFeatures: 8 * 2 * 2, bias: false, weightInitializer: .normal(std: 0.02), seed: 1)
      BatchNorm(features: 32, weightInitializer: .normal(mean: 1, std: 0.02), seed: 2)
      ReLU()
      Reshape([8, 2, 2])
      ConvTranspose2D(inChannels: 8, outChannels: 4, kernelSize: 4, stride: 2, padding: 1, bias: false, seed: 3)
      BatchNorm(features: 4)
      ReLU()
      ConvTranspose2D(inChannels: 4, outChannels: 1, kernelSize: 4, stride: 2, padding: 1, seed: 4)
      Tanh()
    }
    let discriminator = Sequential {
      Conv2D(inChannels: 1 + labels, outChannels: 4, kernelSize: 4, stride: 2, padding: 1, seed: 5)
      LeakyReLU(slope: slope)
      if let extra { extra }
      Flatten()
      Dense(inFeatures: 4 * 4 * 4, outFeatures: 1, seed: 6)
    }
    return try GAN(generator: generator, discriminator: discriminator, noiseDimension: 6, classCount: classes)
  }

  static func options(epochs: Int, classes: Int? = nil) -> GANOptions {
    var options = GANOptions()
    options.architecture = .custom
    (options.channels, options.imageHeight, options.imageWidth) = (1, 8, 8)
    options.noiseDimension = 6
    options.batchSize = 8
    options.epochs = epochs
    options.classes = classes
    options.learningRate = 2e-4
    options.beta1 = 0.5
    options.generatorAverageDecay = 0.9
    options.discriminatorLoss = .leastSquares
    options.generatorLoss = .leastSquares
    return options
  }

  static func experiment(epochs: Int, classes: Int? = nil, slope: Float = 0.2, in folder: URL) throws -> GANExperiment {
    let data = data(classes: classes)
    let recipe = try GANRecipe(options: options(epochs: epochs, classes: classes), model: model(classes: classes, slope: slope), dataSet: data)
    return GANExperiment(recipe: recipe, dataSet: data, outputDirectory: folder)
  }

  static let silent = ProgressReporter(style: .silent, totalEpochs: 3)

  @Test("A run's checkpoint describes its networks: loadModel builds them without the code and draws what the run draws; a resume ends bit for bit where a straight run ends")
  func trainLoadResume() throws {
    let straightFolder = try TestData.temporaryDirectory("custom-gan-straight")
    let straight = try Self.experiment(epochs: 2, classes: 3, in: straightFolder)
    try straight.run(progress: Self.silent)
    let checkpoint = try Checkpoint(contentsOf: straight.latestCheckpointURL)
    #expect(checkpoint.metadata[GAN.configurationKey] != nil)
    let (loaded, options, averaged) = try GANExperiment.loadModel(from: checkpoint)
    #expect(averaged && options.architecture == .custom && loaded.classCount == 3)
    #expect(try loaded.configuration() == straight.recipe.model.configuration())
    var random = SeededGenerator(seed: 4)
    let noise = Tensor.randomNormal(shape: [6, 6], using: &random)
    let labels = [0, 1, 2, 0, 1, 2]
    #expect(try loaded.generate(noise, labels: labels) == straight.recipe.samplingModel.generate(noise, labels: labels))
    let trained = try GANExperiment.loadModel(from: checkpoint, generator: .trained).model
    #expect(try trained.generate(noise, labels: labels) == straight.recipe.model.generate(noise, labels: labels))

    let folder = try TestData.temporaryDirectory("custom-gan-resumed")
    try Self.experiment(epochs: 1, classes: 3, in: folder).run(progress: Self.silent)
    let resumed = try Self.experiment(epochs: 2, classes: 3, in: folder)
    try resumed.resume(from: resumed.latestCheckpointURL)
    try resumed.run(progress: Self.silent)
    for (a, b) in zip(straight.recipe.model.namedParameters, resumed.recipe.model.namedParameters) {
      #expect(a.parameter.value == b.parameter.value, "\(a.name) differs after the resume")
    }
  }

  @Test("Other networks are refused on resume, naming the layer and argument; so are a layer that cannot describe itself, networks that do not fit the options or the data, and custom options without networks")
  func refusals() throws {
    let folder = try TestData.temporaryDirectory("custom-gan-refusals")
    try Self.experiment(epochs: 1, in: folder).run(progress: Self.silent)
    let other = try Self.experiment(epochs: 2, slope: 0.1, in: folder)
    #expect { try other.resume(from: other.latestCheckpointURL) } throws: { error in
      "\(error)".contains("discriminator: 1.slope 0.2 vs 0.1")
    }

    final class Identity: Layer {
      var isTraining = true
      var description: String { "Identity" }
      func outputShape(forInputShape shape: [Int]) throws -> [Int] { shape }
      func forward(_ input: Tensor) throws -> Tensor { input }
      func backward(_ outputGradient: Tensor) throws -> Tensor { outputGradient }
    }
    #expect { try GANRecipe(options: Self.options(epochs: 1), model: Self.model(extra: Identity()), dataSet: Self.data()) } throws: {
      "\($0)".contains("discriminator layer 2") && "\($0)".contains("Identity") && "\($0)".contains("ConfigurableLayer")
    }
    #expect { try GANRecipe(options: Self.options(epochs: 1, classes: 2), model: Self.model(), dataSet: Self.data(classes: 2)) } throws: {
      "\($0)".contains("classes none") && "\($0)".contains("classes 2")
    }
    let big = ImageDataSet(name: "big", images: Tensor(shape: [4, 1, 16, 16]), pixelRange: .symmetric)
    var bigOptions = Self.options(epochs: 1)
    (bigOptions.imageHeight, bigOptions.imageWidth) = (16, 16)
    #expect { try GANRecipe(options: bigOptions, model: Self.model(), dataSet: big) } throws: {
      "\($0)".contains("generator makes images [1, 8, 8]") && "\($0)".contains("[1, 16, 16]")
    }
    #expect { try GANExperiment(options: Self.options(epochs: 1), dataSet: Self.data(), outputDirectory: folder) } throws: {
      "\($0)".contains("GANRecipe(options:model:dataSet:)")
    }
    var stripped = try Checkpoint(contentsOf: other.latestCheckpointURL)
    stripped.metadata[GAN.configurationKey] = nil
    #expect { try GANExperiment.loadModel(from: stripped) } throws: { "\($0)".contains("no 'gan'") }
    stripped.metadata[GAN.configurationKey] = #"{"generator":{"type":"Sequential","arguments":{},"layers":[{"type":"Residual","arguments":{}}]},"discriminator":{"type":"Sequential","arguments":{}},"noiseDimension":6}"#
    #expect { try GANExperiment.loadModel(from: stripped) } throws: { "\($0)".contains("unknown layer type 'Residual'") }
  }

  @Test("The library's own architectures also describe their networks in every checkpoint")
  func builtInArchitecturesDescribeThemselves() throws {
    var options = GANOptions()
    options.architecture = .light
    (options.width, options.noiseDimension, options.imageHeight, options.imageWidth) = (4, 6, 8, 8)
    let experiment = try GANExperiment(options: options, dataSet: Self.data(), outputDirectory: try TestData.temporaryDirectory("light-describes"))
    let checkpoint = try experiment.checkpoint()
    let stored = try checkpoint.configuration(GANConfiguration.self, forKey: GAN.configurationKey)
    #expect(stored == (try options.makeModel().configuration()))
  }

  @Test("GANOptions.adam picks torch.optim.Adam's epsilon placement for both networks; absent, Keras's (the report's); a resume with another is refused by name")
  func adamConvention() throws {
    var options = Self.options(epochs: 1)
    let keras = try GANRecipe(options: options, model: Self.model(), dataSet: Self.data())
    options.adam = .pytorch
    let pytorch = try GANRecipe(options: options, model: Self.model(), dataSet: Self.data())
    for (recipe, placement, epsilon) in [(keras, Adam.EpsilonPlacement.keras, Float(1e-7)), (pytorch, .pytorch, 1e-8)] {
      for optimizer in [recipe.trainer.generatorOptimizer, recipe.trainer.discriminatorOptimizer] {
        let adam = try #require(optimizer as? Adam)
        #expect(adam.epsilonPlacement == placement && adam.epsilon == epsilon && adam.beta1 == 0.5)
      }
    }
    let folder = try TestData.temporaryDirectory("custom-gan-adam")
    try GANExperiment(recipe: keras, dataSet: Self.data(), outputDirectory: folder).run(progress: Self.silent)
    let resumed = GANExperiment(recipe: pytorch, dataSet: Self.data(), outputDirectory: folder)
    #expect { try resumed.resume(from: resumed.latestCheckpointURL) } throws: { "\($0)".contains("adam keras in the checkpoint, pytorch now") }
  }
}
