import ArgumentParser
import DistributedSupport
import ExampleSupport
import Foundation
import GenerativeKit
import GenerativeKitTraining

/// The report's GAN on face images: the report's DCGAN sized for the images (Frey faces, ORL),
/// or Radford et al.'s DCGAN-64 for 64 x 64 images (Olivetti, your own photos at --image-size 64).
@main
struct FacesGAN: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "faces-gan",
    abstract: "Train a DCGAN on face images (Frey, Olivetti, ORL, or a folder of photos).",
    discussion: """
      The same output folder as mnist-gan (checkpoints, grids, loss curves, log). 64 x 64 images use \
      DCGAN-64 (transposed convolutions 4 -> 8 -> 16 -> 32 -> 64); other sizes (multiples of 4) use the \
      report's DCGAN. Defaults for small face sets: 200 epochs, batch 64, Adam 2e-4 with beta1 0.5, \
      a checkpoint every 50 epochs and a grid every 25. No --preset or --generator-average (MNIST only).
      """)

  @OptionGroup var common: TrainingOptions
  @OptionGroup var faces: FaceDataOptions

  @Flag(help: "Train data-parallel over MPI: start with mpirun -np N; --batch-size is the global batch.")
  var distributed = false

  @Option(parsing: .unconditional, help: "Dimension of the generator's noise input.") var noiseDimension = 100
  @Option(parsing: .unconditional, help: "Base width of both networks.") var width = 64
  @Option(help: "Generator loss: non-saturating, minimax, or hinge (-mean D(G(z))).") var generatorLoss = GeneratorLoss.nonSaturating
  @Option(parsing: .unconditional, help: "Adam beta1.") var beta1: Float = 0.5
  @Option(help: "Print a loss line every N epochs.") var logEvery = 10
  @Option(help: "Save a numbered checkpoint every N epochs.") var saveEvery = 50
  @Option(help: "Write a grid of generated faces every N epochs.") var sampleEvery = 25
  @Flag(help: "Class-conditional on the face set's subjects (olivetti-faces, orl-faces): both networks see who the face is.")
  var conditional = false

  func validate() throws {
    try ArgumentChecks.check(noiseDimension, "--noise-dimension", in: ArgumentChecks.latentDimension)
    try ArgumentChecks.check(width, "--width", in: ArgumentChecks.networkWidth)
    try ArgumentChecks.checkDecayRate(beta1, "--beta1")
  }

  func run() throws {
    try runReportingErrors {
      let parallel = distributed ? try DistributedRun.start() : nil
      defer { DistributedRun.finish(parallel) }
      common.configureRuntime()
      let data = try faces.load(common, pixelRange: .symmetric)
      var options = GANOptions()
      (options.channels, options.imageHeight, options.imageWidth) = (data.imageShape[0], data.imageShape[1], data.imageShape[2])
      options.architecture = options.imageHeight == 64 && options.imageWidth == 64 ? .dcgan64 : .tensorflowTutorial
      options.noiseDimension = noiseDimension
      options.width = width
      options.generatorLoss = generatorLoss
      options.beta1 = beta1
      (options.epochs, options.batchSize, options.learningRate) = (200, 64, 2e-4)
      common.applySchedule(to: &options)
      options.logEvery = logEvery
      options.saveEvery = saveEvery
      options.sampleEvery = sampleEvery
      options.classes = conditional ? try data.conditionalClassCount() : nil

      if let resume = common.resume {
        options = try ResumedOptions<GANOptions>.continuing(resume, fromFlags: options)
      }
      let output = common.outputDirectory(default: "faces-gan")
      let experiment = try GANExperiment(options: options, dataSet: data, outputDirectory: output)
      try common.train(
        experiment, epochs: options.epochs,
        banner: "faces-gan: \(options.architecture.rawValue), generator \(experiment.generator.parameterCount) parameters, "
            + "discriminator \(experiment.discriminator.parameterCount); \(common.length(epochs: options.epochs)) of batch "
            + "\(options.batchSize); output in \(output.path)",
        parallelism: parallel)
      print("done: \(output.path)/samples, \(output.path)/losses.svg")
    }
  }
}
