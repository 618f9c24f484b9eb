import ArgumentParser
import DistributedSupport
import ExampleSupport
import Foundation
import GenerativeKit
import GenerativeKitTraining

/// The report's convolutional VAE on face images, sized for the images (multiples of 4).
@main
struct FacesVAE: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "faces-vae",
    abstract: "Train the convolutional VAE on face images (Frey, Olivetti, ORL, or a folder of photos).",
    discussion: """
      The same output folder as mnist-vae (checkpoints, sample and reconstruction grids, loss curves, \
      log); reconstructions show training faces (the face sets have no test split, so there is no test \
      ELBO or --test-nll). Defaults for small face sets: 200 epochs, batch 64, Adam 1e-3, latent 16, \
      a checkpoint every 50 epochs and grids every 25. No --preset (MNIST only).
      """)

  @OptionGroup var common: TrainingOptions
  @OptionGroup var faces: FaceDataOptions

  @Flag(help: "Train data-parallel over MPI: start with mpirun -np N; --batch-size is the global batch.")
  var distributed = false

  @Option(parsing: .unconditional, help: "Dimension of the latent space (2 also writes the decoded manifold).") var latentDimension = 16
  @Option(parsing: .unconditional, help: "Weight of the KL term.") var beta: Float = 1
  @Option(help: "Reconstruction term: mse or bernoulli.") var reconstruction = ReconstructionLoss.meanSquaredError
  @Option(help: "Save a numbered checkpoint every N epochs.") var saveEvery = 50
  @Option(help: "Write sample and reconstruction grids every N epochs.") var sampleEvery = 25
  @Flag(help: "Class-conditional on the face set's subjects (olivetti-faces, orl-faces): encoder and decoder see who the face is.")
  var conditional = false

  func validate() throws {
    try ArgumentChecks.check(latentDimension, "--latent-dimension", in: ArgumentChecks.latentDimension)
    try ArgumentChecks.checkNonNegative(beta, "--beta")
  }

  func run() throws {
    try runReportingErrors {
      let parallel = distributed ? try DistributedRun.start() : nil
      defer { DistributedRun.finish(parallel) }
      common.configureRuntime()
      let data = try faces.load(common, pixelRange: .unit)
      var options = VAEOptions()
      (options.channels, options.imageHeight, options.imageWidth) = (data.imageShape[0], data.imageShape[1], data.imageShape[2])
      options.latentDimension = latentDimension
      options.beta = beta
      options.reconstructionLoss = reconstruction
      (options.epochs, options.batchSize, options.learningRate) = (200, 64, 1e-3)
      common.applySchedule(to: &options)
      options.saveEvery = saveEvery
      options.sampleEvery = sampleEvery
      options.classes = conditional ? try data.conditionalClassCount() : nil

      if let resume = common.resume {
        options = try ResumedOptions<VAEOptions>.continuing(resume, fromFlags: options)
      }
      let output = common.outputDirectory(default: "faces-vae")
      let experiment = try VAEExperiment(options: options, dataSet: data, outputDirectory: output)
      try common.train(
        experiment, epochs: options.epochs,
        banner: "faces-vae: \(experiment.model.parameterCount) parameters, latent \(latentDimension), images "
            + "\(Tensor.describe(shape: data.imageShape)); \(common.length(epochs: options.epochs)) of batch \(options.batchSize); output in \(output.path)",
        parallelism: parallel)
      print("done: \(output.path)/samples, \(output.path)/reconstructions, \(output.path)/losses.svg")
    }
  }
}
