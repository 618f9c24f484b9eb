import ArgumentParser
import DistributedSupport
import ExampleSupport
import Foundation
import GenerativeKit
import GenerativeKitData
import GenerativeKitTraining

/// The report's GAN on MNIST: the TensorFlow DCGAN tutorial's generator and discriminator,
/// trained with the non-saturating loss and two Adam optimizers.
@main
struct MNISTGAN: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "mnist-gan",
    abstract: "Train the report's DCGAN on MNIST.",
    discussion: """
      Writes into the output folder: checkpoints/latest.safetensors after every epoch and \
      checkpoints/epoch-NNNN.safetensors every --save-every epochs, samples/epoch-NNNN.png every \
      --sample-every epochs (and after the last), losses.svg, log.jsonl and log.csv.
      Defaults follow the report: batch 256, noise 100, Adam 1e-4, images in [-1, 1], 50 epochs; \
      loss lines every 10 epochs, weights every 20, a grid every 30. --preset dcgan uses what DCGAN \
      practice recommends instead (Adam 2e-4 with beta1 0.5, batch 64, 20 epochs, a moving average of the generator's weights with decay 0.999); \
      --preset fast trains the light networks PyTorch users write for digits (4 x 4 kernels, a batch-norm \
      discriminator, a quarter of the arithmetic) for the best digits per minute: batch 64, Adam with beta1 0.5 (4e-4 for the discriminator, 1.6e-3 for the generator), \
      a generator average with decay 0.99, 10 epochs. Options given explicitly override the preset.
      """)

  @OptionGroup var common: TrainingOptions

  @Flag(help: "Train data-parallel over MPI: start with mpirun -np N; --batch-size is the global batch.")
  var distributed = false

  @Option(parsing: .unconditional, help: "Dimension of the generator's noise input.") var noiseDimension = 100
  @Option(help: "Settings: report (the default), dcgan (Adam 2e-4, beta1 0.5, batch 64, 20 epochs, generator average 0.999), or fast (the light 4 x 4-kernel networks, batch 64, Adam 4e-4 for D and 1.6e-3 for G, beta1 0.5, generator average 0.99, 10 epochs).")
  var preset = GANPreset.tensorflowTutorial
  @Option(parsing: .unconditional, help: "Base width of both networks (64 in the report).") var width: Int?
  @Option(help: "Generator loss: non-saturating (the report's), minimax, or hinge (-mean D(G(z)), with --discriminator-loss hinge).")
  var generatorLoss = GeneratorLoss.nonSaturating
  @Option(help: "Discriminator loss: bce (the report's) or hinge.") var discriminatorLoss = DiscriminatorLoss.binaryCrossEntropy
  @Option(help: "When D is updated: simultaneous (both networks from one pass of D, the report's) or alternating (D first, then G through the updated D, as PyTorch's DCGAN example).")
  var updateOrder: GANUpdateOrder?
  @Option(parsing: .unconditional, help: "Adam beta1 (Keras default 0.9, the report's; DCGAN's paper uses 0.5).")
  var beta1: Float?
  @Option(parsing: .unconditional, help: "The generator's own Adam learning rate (default: --learning-rate, which then sets the discriminator's alone).")
  var generatorLearningRate: Float?
  @Option(parsing: .unconditional, help: ArgumentHelp(
    "After this fraction of the training (its epochs, or --minutes), decay both learning rates linearly to zero at the end: 0 decays from the first step; 1: a constant rate (the report's).",
    valueName: "fraction"))
  var learningRateDecayAfter: Double?
  @Option(help: "Print the report's loss line every N epochs (report preset: 10).") var logEvery: Int?
  @Option(help: "Save a numbered checkpoint every N epochs (report preset: 20).") var saveEvery: Int?
  @Option(help: "Write a grid of generated digits every N epochs (report preset: 30).") var sampleEvery: Int?
  @Option(help: "Which MNIST-format data set to train on: mnist or fashion-mnist.") var dataSet = "mnist"
  @Flag(help: "Class-conditional: both networks see the label (10 classes); sample a chosen digit with sample --label.")
  var conditional = false
  @Option(parsing: .unconditional, help: "Keep a moving average of the generator's weights with this decay (0.999 spans about 1,000 steps); grids and sample draw from it. 0: none (the report's).")
  var generatorAverage: Float?
  @Option(help: "Discriminator: report (the TensorFlow tutorial's, with dropout) or batch-norm (Radford et al.'s practice: three stride-2 convolutions with batch norm).")
  var discriminator = GANDiscriminator.tensorflowTutorial

  func validate() throws {
    try ArgumentChecks.check(noiseDimension, "--noise-dimension", in: ArgumentChecks.latentDimension)
    if let width { try ArgumentChecks.check(width, "--width", in: ArgumentChecks.networkWidth) }
    if let beta1 { try ArgumentChecks.checkDecayRate(beta1, "--beta1") }
    if let generatorAverage { try ArgumentChecks.checkDecayRate(generatorAverage, "--generator-average") }
    if let generatorLearningRate { try ArgumentChecks.checkPositive(generatorLearningRate, "--generator-learning-rate", atMost: 10) }
    if let learningRateDecayAfter, !(learningRateDecayAfter >= 0 && learningRateDecayAfter <= 1) {
      throw ValidationError("--learning-rate-decay-after must be a fraction of the training in [0, 1], got \(learningRateDecayAfter)")
    }
    guard ["mnist", "fashion-mnist"].contains(dataSet) else {
      throw ValidationError("--data-set must be mnist or fashion-mnist, got \(dataSet)")
    }
    for (name, value) in [("--log-every", logEvery), ("--save-every", saveEvery), ("--sample-every", sampleEvery)]
    where (value ?? 1) < 1 {
      throw ValidationError("\(name) must be at least 1, got \(value ?? 0)")
    }
  }

  func run() throws {
    try runReportingErrors {
      let parallel = distributed ? try DistributedRun.start() : nil
      defer { DistributedRun.finish(parallel) }
      common.configureRuntime()
      var options = GANOptions(preset: preset)
      options.noiseDimension = noiseDimension
      options.width = width ?? options.width
      options.generatorLoss = generatorLoss
      options.discriminatorLoss = discriminatorLoss == .binaryCrossEntropy ? nil : discriminatorLoss
      options.beta1 = beta1 ?? options.beta1
      if let generatorLearningRate { options.generatorLearningRate = generatorLearningRate }
      if let updateOrder { options.updateOrder = updateOrder == .simultaneous ? nil : updateOrder }
      if let learningRateDecayAfter {
        options.learningRateSchedule = learningRateDecayAfter < 1 ? .linearDecay(after: learningRateDecayAfter) : nil
      }
      common.applySchedule(to: &options)
      options.logEvery = logEvery ?? options.logEvery
      options.saveEvery = saveEvery ?? options.saveEvery
      options.sampleEvery = sampleEvery ?? options.sampleEvery
      options.classes = conditional ? 10 : nil
      if let generatorAverage { options.generatorAverageDecay = generatorAverage > 0 ? generatorAverage : nil }
      options.discriminator = discriminator == .batchNorm ? .batchNorm : nil
      if let resume = common.resume {
        options = try ResumedOptions<GANOptions>.continuing(resume, fromFlags: options)
      }

      let data = try common.loadData(DataSetName(rawValue: dataSet)!, pixelRange: .symmetric)
      let output = common.outputDirectory(default: "mnist-gan")
      let experiment = try GANExperiment(options: options, dataSet: data, outputDirectory: output)
      try common.train(
        experiment, epochs: options.epochs,
        banner: "mnist-gan: \(options.architecture.rawValue) generator \(experiment.generator.parameterCount) parameters, "
            + (options.architecture == .tensorflowTutorial ? "\((options.discriminator ?? .tensorflowTutorial).rawValue) " : "")
            + "discriminator "
            + "\(experiment.discriminator.parameterCount); \(common.length(epochs: options.epochs)) of batch \(options.batchSize), "
            + (options.generatorAverageDecay.map { "generator average decay \($0), " } ?? "")
            + "\(common.threads) threads; output in \(output.path)",
        parallelism: parallel)
      print("done: \(output.path)/samples, \(output.path)/losses.svg, \(output.path)/checkpoints/latest.safetensors")
    }
  }
}
