import Foundation
import GenerativeKit
import GenerativeKitData
import GenerativeKitTraining
import TestSupport
import Testing

/// Networks of one's own in the library's VAE recipe (see CustomGANTests for the GAN).
@Suite("A VAE of your own networks")
struct CustomVAETests {
  static let data: ImageDataSet = {
    var random = SeededGenerator(seed: 41)
    return ImageDataSet(name: "noise 6 x 6", images: Tensor.randomUniform(shape: [24, 1, 6, 6], in: 0...1, using: &random), pixelRange: .unit)
  }()

  /// A multilayer perceptron VAE for 6 x 6 images (sides that the convolutional one refuses).
  static func model(hidden: Int = 16) -> VAE {
    let encoder = Sequential {
      Flatten()
      Dense(inFeatures: 36, outFeatures: hidden, seed: 1)
      Tanh()
      Dense(inFeatures: hidden, outFeatures: 2 * 3, seed: 2)
    }
    let decoder = Sequential {
      Dense(inFeatures: 3, outFeatures: hidden, seed: 3)
      Tanh()
      Dense(inFeatures: hidden, outFeatures: 36, seed: 4)
      Reshape([1, 6, 6])
    }
    return VAE(encoder: encoder, decoder: decoder, latentDimension: 3)
  }

  static func experiment(epochs: Int, hidden: Int = 16, in folder: URL) throws -> VAEExperiment {
    var options = VAEOptions()
    options.architecture = .custom
    (options.imageHeight, options.imageWidth, options.latentDimension) = (6, 6, 3)
    options.batchSize = 8
    options.epochs = epochs
    options.learningRate = 1e-3
    return VAEExperiment(recipe: try VAERecipe(options: options, model: model(hidden: hidden), dataSet: data), dataSet: data,
                         outputDirectory: folder)
  }

  static let silent = ProgressReporter(style: .silent, totalEpochs: 2)

  @Test("A custom VAE trains in a run folder; loadModel rebuilds it from the checkpoint; a resume is exact and other networks are refused by layer")
  func trainLoadResume() throws {
    let straight = try Self.experiment(epochs: 2, in: try TestData.temporaryDirectory("custom-vae-straight"))
    try straight.run(progress: Self.silent)
    let checkpoint = try Checkpoint(contentsOf: straight.latestCheckpointURL)
    let (loaded, options) = try VAEExperiment.loadModel(from: checkpoint)
    #expect(options.architecture == .custom)
    var random = SeededGenerator(seed: 5)
    let codes = Tensor.randomNormal(shape: [4, 3], using: &random)
    straight.recipe.model.isTraining = false
    #expect(try loaded.decode(codes) == straight.recipe.model.decode(codes))

    let folder = try TestData.temporaryDirectory("custom-vae-resumed")
    try Self.experiment(epochs: 1, in: folder).run(progress: Self.silent)
    let resumed = try Self.experiment(epochs: 2, in: folder)
    try resumed.resume(from: resumed.latestCheckpointURL)
    try resumed.run(progress: Self.silent)
    for (a, b) in zip(straight.recipe.model.namedParameters, resumed.recipe.model.namedParameters) {
      #expect(a.parameter.value == b.parameter.value, "\(a.name) differs after the resume")
    }
    let wider = try Self.experiment(epochs: 2, hidden: 20, in: folder)
    #expect { try wider.resume(from: wider.latestCheckpointURL) } throws: { "\($0)".contains("encoder: 1.outFeatures 16 vs 20") }
    var options2 = VAEOptions()
    options2.architecture = .custom
    #expect { try VAEExperiment(options: options2, dataSet: Self.data, outputDirectory: folder) } throws: {
      "\($0)".contains("VAERecipe(options:model:dataSet:testSet:)")
    }
  }
}
