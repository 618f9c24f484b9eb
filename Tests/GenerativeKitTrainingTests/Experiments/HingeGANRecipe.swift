import Foundation
import GenerativeKit
import GenerativeKitData
import GenerativeKitTraining

// A model the library does not know, trained in a run folder as a user would write it: the
// public API only (no @testable import). docs/YOUR-OWN-RECIPE.md walks through this file.

/// What defines a run of the hinge GAN: saved in every checkpoint.
struct HingeGANOptions: ExperimentOptions {
  var epochs = 2
  var batchSize = 16
  var seed: UInt64 = 1
  var saveEvery = 1
  /// The discriminator's channels.
  var width = 4
  var noiseDimension = 8
  var learningRate: Float = 2e-4

  func check() throws {
    guard width > 0, noiseDimension > 0, batchSize > 1, epochs >= 0, saveEvery > 0 else {
      throw GenerativeKitError.invalidArgument("HingeGANOptions: width, noise, batch and intervals must be positive")
    }
  }

  func architectureMismatch(with stored: HingeGANOptions) -> String? {
    if stored.width != width { return "width \(stored.width) vs \(width)" }
    if stored.noiseDimension != noiseDimension { return "noise dimension \(stored.noiseDimension) vs \(noiseDimension)" }
    return nil
  }
}

/// A small GAN for 8 x 8 images with the hinge objective and PyTorch's Adam.
final class HingeGANRecipe: ExperimentRecipe {
  static let format = "example-hinge-gan"
  let options: HingeGANOptions
  let model: GAN
  let trainer: GANTrainer

  init(options: HingeGANOptions) throws {
    try options.check()
    self.options = options
    let generator = Sequential {
      Dense(inFeatures: options.noiseDimension, outFeatures: 64, seed: options.seed)
      Tanh()
      Reshape([1, 8, 8])
    }
    let discriminator = Sequential {
      Conv2D(inChannels: 1, outChannels: options.width, kernelSize: 4, stride: 2, padding: 1, seed: options.seed + 1)
      LeakyReLU(slope: 0.2)
      Flatten()
      Dense(inFeatures: options.width * 4 * 4, outFeatures: 1, seed: options.seed + 2)
    }
    model = try GAN(generator: generator, discriminator: discriminator, noiseDimension: options.noiseDimension)
    trainer = GANTrainer(
      model: model,
      generatorOptimizer: Adam(model: generator, learningRate: options.learningRate, beta1: 0.5),
      discriminatorOptimizer: Adam(model: discriminator, learningRate: options.learningRate, beta1: 0.5),
      loss: HingeLoss(), seed: options.seed + 3)
  }

  var outputFolders: [String] { ["samples"] }
  var dataParallelTrainer: any DataParallelTrainable { trainer }

  func trainStep(on batch: DataBatch, shard: BatchShard?) throws -> TrainingFigures {
    try trainer.step(realImages: batch.images, shard: shard).metrics
  }

  func save(into checkpoint: inout Checkpoint) throws {
    checkpoint.add(model: model)
    checkpoint.add(optimizer: trainer.generatorOptimizer, prefix: "optimizer.generator.")
    checkpoint.add(optimizer: trainer.discriminatorOptimizer, prefix: "optimizer.discriminator.")
    checkpoint.setRandomGenerator(trainer.noiseGenerator, named: "rng.noise")
  }

  func restore(from checkpoint: Checkpoint) throws {
    let noise = try checkpoint.randomGenerator(named: "rng.noise")
    try checkpoint.restore(
      models: [("", model)],
      optimizers: [("optimizer.generator.", trainer.generatorOptimizer),
                   ("optimizer.discriminator.", trainer.discriminatorOptimizer)],
      strict: false)
    trainer.noiseGenerator = noise
  }

  func writeFiles(after report: EpochReport, log: RunLog, in directory: URL, progress: ProgressReporter) throws {
    var noise = SeededGenerator(seed: options.seed + 4)
    let images = try model.sample(count: 16, using: &noise)
    let name = String(format: "epoch-%04d.png", report.epoch)
    try ImageGrid(scale: 4).write(images, range: .unit, to: directory.appendingPathComponent("samples/\(name)"))
  }
}
