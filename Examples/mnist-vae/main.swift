import ArgumentParser
import DistributedSupport
import ExampleSupport
import Foundation
import GenerativeKit
import GenerativeKitData
import GenerativeKitMetrics
import GenerativeKitTraining

/// The report's convolutional VAE on MNIST: three convolutions and a dense layer to the mean and
/// log-variance, a dense layer and three transposed convolutions back, MSE + beta * KL.
@main
struct MNISTVAE: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "mnist-vae",
    abstract: "Train the report's convolutional VAE on MNIST.",
    discussion: """
      Writes into the output folder: checkpoints/latest.safetensors after every epoch and \
      checkpoints/epoch-NNNN.safetensors every --save-every epochs, samples/ (decoded prior \
      samples) and reconstructions/ (test digits above their reconstructions) every --sample-every \
      epochs, losses.svg, log.jsonl and log.csv with the training and test losses of every epoch.
      Defaults follow the report: batch 128, Adam 1e-4, 30 epochs, MSE + 1 * KL, latent dimension 16. \
      --preset bernoulli follows the likelihood papers instead: a Bernoulli decoder on dynamically \
      binarized digits, latent 32, Adam 1e-3, 50 epochs; with --test-nll K the run ends with the test \
      negative log-likelihood, the importance-weighted bound with K samples on the binarized test digits \
      (Burda et al. use K = 5,000). Options given explicitly override the preset.
      """)

  @OptionGroup var common: TrainingOptions

  @Flag(help: "Train data-parallel over MPI: start with mpirun -np N; --batch-size is the global batch.")
  var distributed = false

  @Option(help: "Settings: report (the default) or bernoulli (binarized digits, Bernoulli decoder, latent 32, Adam 1e-3, 50 epochs).")
  var preset = VAEPreset.meanSquaredError
  @Option(parsing: .unconditional, help: "Dimension of the latent space (2 also writes the decoded manifold; report preset: 16).")
  var latentDimension: Int?
  @Option(parsing: .unconditional, help: "Weight of the KL term: loss = reconstruction + beta * KL.") var beta: Float = 1
  @Option(help: "Reconstruction term: mse (the report's) or bernoulli (cross-entropy, for likelihoods).")
  var reconstruction: ReconstructionLoss?
  @Option(help: "Save a numbered checkpoint every N epochs.") var saveEvery = 10
  @Option(help: "Write sample and reconstruction grids every N epochs.") var sampleEvery = 10
  @Option(parsing: .unconditional, help: "After training, estimate the test negative log-likelihood with K importance samples per test digit (binarized digits and a Bernoulli decoder; K = 5,000 as Burda et al.).")
  var testNll: Int?
  @Option(parsing: .unconditional, help: "Test digits the --test-nll bound is taken on: N of them in a fixed random order (default all 10,000).")
  var testNllDigits: Int?
  @Option(help: "Which MNIST-format data set to train on: mnist or fashion-mnist.") var dataSet = "mnist"
  @Flag(help: "Skip the test-set evaluation after each epoch.") var noTest = false
  @Flag(help: "Class-conditional: encoder and decoder see the label (10 classes); sample a chosen digit with sample --label.")
  var conditional = false

  func validate() throws {
    if let latentDimension { try ArgumentChecks.check(latentDimension, "--latent-dimension", in: ArgumentChecks.latentDimension) }
    try ArgumentChecks.checkNonNegative(beta, "--beta")
    if let testNll {
      try ArgumentChecks.check(testNll, "--test-nll", in: 1...100_000)
      if let testNllDigits { try ArgumentChecks.check(testNllDigits, "--test-nll-digits", in: 1...10_000) }
      let loss = reconstruction ?? VAEOptions(preset: preset).reconstructionLoss
      // A resumed run's decoder is the checkpoint's: checked in run() once it is read.
      guard loss == .bernoulli && !conditional || common.resume != nil else {
        throw ValidationError("--test-nll needs an unconditional model with the Bernoulli decoder (--preset bernoulli or --reconstruction bernoulli)")
      }
    }
    guard ["mnist", "fashion-mnist"].contains(dataSet) else {
      throw ValidationError("--data-set must be mnist or fashion-mnist, got \(dataSet)")
    }
    for (name, value) in [("--save-every", saveEvery), ("--sample-every", sampleEvery)] where value < 1 {
      throw ValidationError("\(name) must be at least 1, got \(value)")
    }
  }

  func run() throws {
    try runReportingErrors {
      let parallel = distributed ? try DistributedRun.start() : nil
      defer { DistributedRun.finish(parallel) }
      common.configureRuntime()
      var options = VAEOptions(preset: preset)
      options.latentDimension = latentDimension ?? options.latentDimension
      options.beta = beta
      options.reconstructionLoss = reconstruction ?? options.reconstructionLoss
      common.applySchedule(to: &options)
      options.saveEvery = saveEvery
      options.sampleEvery = sampleEvery
      options.classes = conditional ? 10 : nil

      if let resume = common.resume {
        options = try ResumedOptions<VAEOptions>.continuing(resume, fromFlags: options)
        if testNll != nil, options.reconstructionLoss != .bernoulli || options.classes != nil {
          throw ValidationError("--test-nll needs an unconditional model with the Bernoulli decoder; the run in \(resume) is not one")
        }
      }
      let name = DataSetName(rawValue: dataSet)!
      let data = try common.loadData(name, pixelRange: .unit)
      let test = noTest ? nil : try common.loadData(name, split: .test, pixelRange: .unit)
      let output = common.outputDirectory(default: "mnist-vae")
      let experiment = try VAEExperiment(options: options, dataSet: data, testSet: test, outputDirectory: output)
      try common.train(
        experiment, epochs: options.epochs,
        banner: "mnist-vae: \(experiment.model.parameterCount) parameters, latent \(options.latentDimension), "
            + (options.dynamicBinarization == true ? "binarized digits, Bernoulli decoder, " : "")
            + (options.classes != nil ? "conditional on 10 classes, " : "") + "\(common.length(epochs: options.epochs)) of batch \(options.batchSize), \(common.threads) threads; output in \(output.path)",
        parallelism: parallel)
      if options.latentDimension == 2, options.classes == nil, parallel?.writesFiles ?? true {
        let url = output.appendingPathComponent("manifold.png")
        try ImageGrid(columns: .fixed(20), padding: 0, scale: 1).write(try experiment.model.manifold(side: 20), range: .unit, to: url)
        print("manifold: \(url.path)")
      }
      if let testNll, parallel?.writesFiles ?? true {
        try reportTestLikelihood(experiment, samples: testNll)
      }
      print("done: \(output.path)/samples, \(output.path)/reconstructions, \(output.path)/losses.svg")
    }
  }

  /// Prints the importance-weighted bound on the binarized test digits (the test negative
  /// log-likelihood as Burda et al. measure it), recorded digit by digit in the output folder.
  func reportTestLikelihood(_ experiment: VAEExperiment, samples: Int) throws {
    let test = try common.loadData(DataSetName(rawValue: dataSet)!, split: .test, pixelRange: .unit)
    let folder = experiment.outputDirectory
    try TestLikelihoodReport.run(
      model: experiment.model, modelName: "\(folder.lastPathComponent) epoch \(experiment.epoch)", test: test,
      samples: samples, digits: testNllDigits, seed: common.seed &+ 200,
      record: folder.appendingPathComponent("test-nll-k\(samples).csv"))
  }
}
