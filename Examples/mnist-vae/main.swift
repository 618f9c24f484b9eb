import ArgumentParser
import DistributedSupport
import ExampleSupport
import Foundation
import GenerativeKit
import GenerativeKitData
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
      Defaults follow the report: batch 128, Adam 1e-4, 30 epochs, MSE + 1 * KL, latent dimension 16.
      """)

  @OptionGroup var common: TrainingOptions

  @Flag(help: "Train data-parallel over MPI: start with mpirun -np N; --batch-size is the global batch.")
  var distributed = false

  @Option(parsing: .unconditional, help: "Dimension of the latent space (2 also writes the decoded manifold).") var latentDimension = 16
  @Option(parsing: .unconditional, help: "Weight of the KL term: loss = reconstruction + beta * KL.") var beta: Float = 1
  @Option(help: "Reconstruction term: mse (the report's) or bernoulli (cross-entropy, for likelihoods).")
  var reconstruction = "mse"
  @Option(help: "Save a numbered checkpoint every N epochs.") var saveEvery = 10
  @Option(help: "Write sample and reconstruction grids every N epochs.") var sampleEvery = 10
  @Option(help: "Which MNIST-format data set to train on: mnist or fashion-mnist.") var dataSet = "mnist"
  @Flag(help: "Skip the test-set evaluation after each epoch.") var noTest = false
  @Flag(help: "Class-conditional: encoder and decoder see the label (10 classes); sample a chosen digit with sample --label.")
  var conditional = false

  func validate() throws {
    try ArgumentChecks.check(latentDimension, "--latent-dimension", in: ArgumentChecks.latentDimension)
    try ArgumentChecks.checkNonNegative(beta, "--beta")
    guard ReconstructionLoss(rawValue: reconstruction) != nil else {
      throw ValidationError("--reconstruction must be mse or bernoulli, got \(reconstruction)")
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
      var options = VAEOptions()
      options.latentDimension = latentDimension
      options.beta = beta
      options.reconstructionLoss = ReconstructionLoss(rawValue: reconstruction)!
      options.epochs = common.epochs ?? 30
      options.batchSize = common.batchSize ?? 128
      options.learningRate = common.learningRate ?? 1e-4
      options.seed = common.seed
      options.saveEvery = saveEvery
      options.sampleEvery = sampleEvery
      options.classes = conditional ? 10 : nil

      let name = DataSetName(rawValue: dataSet)!
      let data = try common.loadData(name, pixelRange: .unit)
      let test = noTest ? nil : try common.loadData(name, split: .test, pixelRange: .unit)
      let output = common.outputDirectory(default: "mnist-vae")
      let experiment = try VAEExperiment(options: options, dataSet: data, testSet: test, outputDirectory: output)
      try common.train(
        experiment, epochs: options.epochs,
        banner: "mnist-vae: \(experiment.model.parameterCount) parameters, latent \(latentDimension), "
            + (conditional ? "conditional on 10 classes, " : "") + "\(options.epochs) epochs of batch \(options.batchSize), \(common.threads) threads; output in \(output.path)",
        parallelism: parallel)
      if latentDimension == 2, !conditional, parallel?.writesFiles ?? true {
        let url = output.appendingPathComponent("manifold.png")
        try ImageGrid(columns: .fixed(20), padding: 0, scale: 1).write(try experiment.model.manifold(side: 20), range: .unit, to: url)
        print("manifold: \(url.path)")
      }
      print("done: \(output.path)/samples, \(output.path)/reconstructions, \(output.path)/losses.svg")
    }
  }
}
