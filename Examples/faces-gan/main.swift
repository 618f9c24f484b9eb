import ArgumentParser
import DistributedSupport
import ExampleSupport
import Foundation
import GenerativeKit
import GenerativeKitTraining

/// The report's GAN on face images: the report's DCGAN sized for the images (Frey faces, ORL),
/// or Radford et al.'s DCGAN-64 for 64 x 64 images (Olivetti, your own photos at --image-size 64);
/// or, with `--preset fast`, the light networks with the fast recipe's step sizes and average.
@main
struct FacesGAN: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "faces-gan",
    abstract: "Train a DCGAN on face images (Frey, Olivetti, ORL, or a folder of photos).",
    discussion: """
      The same output folder as mnist-gan (checkpoints, grids, loss curves, log). --preset report (the \
      default) trains the report's DCGAN sized for the images (sides multiples of 4), or for 64 x 64 \
      images Radford et al.'s DCGAN-64 (transposed convolutions 4 -> 8 -> 16 -> 32 -> 64): 200 epochs, \
      batch 64, Adam 2e-4 with beta1 0.5. --preset fast trains the light 4 x 4-kernel networks with \
      Adam 4e-4 for D and 1.6e-3 for G and a generator average with decay 0.99, chosen by quality after \
      equal minutes (docs/RESULTS.md, "Faces GANs per minute"). Both save a checkpoint every 50 epochs \
      and a grid every 25; options given explicitly override the preset.
      """)

  @OptionGroup var common: TrainingOptions
  @OptionGroup var faces: FaceDataOptions

  @Flag(help: "Train data-parallel over MPI: start with mpirun -np N; --batch-size is the global batch.")
  var distributed = false

  @Option(help: "Settings: report (the report's DCGAN, or DCGAN-64 for 64 x 64 images; Adam 2e-4, beta1 0.5, batch 64, 200 epochs) or fast (the light 4 x 4-kernel networks, Adam 4e-4 for D and 1.6e-3 for G, generator average 0.99).")
  var preset = FacesGANPreset.report
  @Option(parsing: .unconditional, help: "Dimension of the generator's noise input.") var noiseDimension = 100
  @Option(parsing: .unconditional, help: "Base width of both networks.") var width = 64
  @Option(help: "Generator loss: non-saturating, minimax, or hinge (-mean D(G(z))).") var generatorLoss = GeneratorLoss.nonSaturating
  @Option(parsing: .unconditional, help: "Adam beta1 (0.5 in both presets).") var beta1: Float?
  @Option(parsing: .unconditional, help: "The generator's own Adam learning rate (default: --learning-rate, which then sets the discriminator's alone).")
  var generatorLearningRate: Float?
  @Option(parsing: .unconditional, help: "Keep a moving average of the generator's weights with this decay (0.99 spans about 100 steps); grids and sample draw from it. 0: none.")
  var generatorAverage: Float?
  @Option(help: "Networks: report-dcgan (the report's, sized for the images), dcgan-light (4 x 4 kernels, 2w then w channels, a batch-norm discriminator) or dcgan-64 (Radford et al.'s, 64 x 64 only). Default: the preset's.")
  var architecture: GANArchitecture?
  @Option(help: "Print a loss line every N epochs (default 10).") var logEvery: Int?
  @Option(help: "Save a numbered checkpoint every N epochs (default 50).") var saveEvery: Int?
  @Option(help: "Write a grid of generated faces every N epochs (default 25).") var sampleEvery: Int?
  @Flag(help: "Class-conditional on the face set's subjects (olivetti-faces, orl-faces): both networks see who the face is.")
  var conditional = false

  func validate() throws {
    try ArgumentChecks.check(noiseDimension, "--noise-dimension", in: ArgumentChecks.latentDimension)
    try ArgumentChecks.check(width, "--width", in: ArgumentChecks.networkWidth)
    if let beta1 { try ArgumentChecks.checkDecayRate(beta1, "--beta1") }
    for (name, value) in [("--log-every", logEvery), ("--save-every", saveEvery), ("--sample-every", sampleEvery)]
    where (value ?? 1) < 1 {
      throw ValidationError("\(name) must be at least 1, got \(value ?? 0)")
    }
    if let generatorAverage { try ArgumentChecks.checkDecayRate(generatorAverage, "--generator-average") }
    if let generatorLearningRate { try ArgumentChecks.checkPositive(generatorLearningRate, "--generator-learning-rate", atMost: 10) }
    if architecture == .custom { throw ValidationError("--architecture custom is for your own networks in code (GANRecipe); choose report-dcgan, dcgan-light or dcgan-64") }
  }

  func run() throws {
    try runReportingErrors {
      let parallel = distributed ? try DistributedRun.start() : nil
      defer { DistributedRun.finish(parallel) }
      common.configureRuntime()
      let data = try faces.load(common, pixelRange: .symmetric)
      var options = GANOptions(facesPreset: preset, channels: data.imageShape[0], height: data.imageShape[1], width: data.imageShape[2])
      options.architecture = architecture ?? options.architecture
      options.noiseDimension = noiseDimension
      options.width = width
      options.generatorLoss = generatorLoss
      options.beta1 = beta1 ?? options.beta1
      common.applySchedule(to: &options)
      if let generatorLearningRate { options.generatorLearningRate = generatorLearningRate }
      if let generatorAverage { options.generatorAverageDecay = generatorAverage > 0 ? generatorAverage : nil }
      options.logEvery = logEvery ?? options.logEvery
      options.saveEvery = saveEvery ?? options.saveEvery
      options.sampleEvery = sampleEvery ?? options.sampleEvery
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
            + "\(options.batchSize)"
            + (options.generatorAverageDecay.map { ", generator average decay \($0)" } ?? "") + "; output in \(output.path)",
        parallelism: parallel)
      print("done: \(output.path)/samples, \(output.path)/losses.svg")
    }
  }
}
