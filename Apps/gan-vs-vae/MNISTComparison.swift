import ExampleSupport
import Foundation
import GenerativeKit
import GenerativeKitData
import GenerativeKitMetrics
import GenerativeKitTraining

/// The MNIST half of the comparison: train (or resume) both models, then measure them with the
/// digit classifier's features, Parzen windows and, for the VAE, likelihood bounds.
struct MNISTComparison {
  let settings: ComparisonSettings
  let folder: URL
  let dataDirectory: String?
  let seed: UInt64
  /// A trained classifier to use; otherwise the report folder's, trained on first use.
  let classifierURL: URL?
  let progress: (Int) -> ProgressReporter
  /// Several processes training the models together (`--distributed`); process 0 measures them.
  var parallelism: (any DataParallelism)? = nil

  /// Trains (or resumes) both models, then measures them; nil on the processes of a data-parallel
  /// job other than process 0, which only train.
  func run() throws -> ComparisonReport.Section? {
    let train = try ImageDataSet.load(.mnist, split: .train, pixelRange: .unit, directory: dataDirectory)
    let test = try ImageDataSet.load(.mnist, split: .test, pixelRange: .unit, directory: dataDirectory)
    let trainingSet = settings.mnistLimit.map { train.prefix($0) } ?? train

    // GAN
    var ganOptions = GANOptions(preset: settings.ganPreset)
    ganOptions.epochs = settings.mnistGANEpochs
    ganOptions.batchSize = settings.ganBatchSize
    ganOptions.width = settings.ganWidth
    ganOptions.learningRate = settings.ganLearningRate
    ganOptions.beta1 = settings.ganBeta1
    ganOptions.seed = seed
    ganOptions.saveEvery = max(1, settings.mnistGANEpochs)
    ganOptions.sampleEvery = max(1, settings.mnistGANEpochs)
    let symmetric = trainingSet.rescaled(to: .symmetric)
    let gan = try GANExperiment(options: ganOptions, dataSet: symmetric, outputDirectory: folder.appendingPathComponent("mnist-gan"))
    let ganCost = try trainOrResume(
      gan, latest: gan.latestCheckpointURL, folder: gan.outputDirectory, epochs: ganOptions.epochs,
      parameters: gan.generator.parameterCount + gan.discriminator.parameterCount,
      label: "MNIST GAN: \(ganOptions.epochs) epochs on \(trainingSet.count) images", parallelism: parallelism,
      progress: progress)

    // VAE
    var vaeOptions = VAEOptions(preset: settings.vaePreset)
    vaeOptions.epochs = settings.mnistVAEEpochs
    vaeOptions.batchSize = settings.vaeBatchSize
    vaeOptions.learningRate = settings.vaeLearningRate
    vaeOptions.seed = seed
    vaeOptions.saveEvery = max(1, settings.mnistVAEEpochs)
    vaeOptions.sampleEvery = max(1, settings.mnistVAEEpochs)
    let vae = try VAEExperiment(options: vaeOptions, dataSet: trainingSet, testSet: test.prefix(settings.testCount),
                                outputDirectory: folder.appendingPathComponent("mnist-vae"))
    let vaeCost = try trainOrResume(
      vae, latest: vae.latestCheckpointURL, folder: vae.outputDirectory, epochs: vaeOptions.epochs,
      parameters: vae.model.parameterCount,
      label: "MNIST VAE: \(vaeOptions.epochs) epochs on \(trainingSet.count) images", parallelism: parallelism,
      progress: progress)
    guard let ganCost, let vaeCost else { return nil }
    let classifier = try loadOrTrainClassifier(train: train, test: test)
    let accuracy = try classifier.accuracy(on: test)
    print("classifier: \(Format.number(100 * accuracy)) % test accuracy")

    // Samples and features
    print("measuring: \(settings.sampleCount) samples per model against \(settings.testCount) test digits")
    let n = settings.sampleCount
    var ganNoise = SeededGenerator(seed: seed &+ 100)
    var vaeNoise = SeededGenerator(seed: seed &+ 101)
    let ganSamples = try gan.samplingModel.sample(count: n, using: &ganNoise)
    let vaeSamples = try vae.model.sample(count: n, using: &vaeNoise)
    let testImages = test.images(in: 0..<min(settings.testCount, test.count))
    let floorImages = train.images(in: (train.count - testImages.shape[0])..<train.count)
    let testFeatures = try classifier.features(testImages)
    let floorFeatures = try classifier.features(floorImages)
    let fidFloor = try frechetDistance(floorFeatures, testFeatures)
    let testProbabilities = try classifier.probabilities(testImages)
    let testIS = try inceptionScore(probabilities: testProbabilities, splits: 10)
    let testConfident = try confidentFraction(probabilities: testProbabilities)
    let validation = ParzenProtocol.validationDigits(of: train)
    let ganQuality = try classifier.sampleQuality(
      of: ganSamples, against: testImages, realFeatures: testFeatures, parzenValidation: validation)
    let vaeQuality = try classifier.sampleQuality(
      of: vaeSamples, against: testImages, realFeatures: testFeatures, parzenValidation: validation)
    let (ganIS, vaeIS) = (ganQuality.inceptionScore, vaeQuality.inceptionScore)
    let (ganHistogram, vaeHistogram) = (ganQuality.classHistogram, vaeQuality.classHistogram)
    let (ganPR, vaePR) = (ganQuality.precisionRecall, vaeQuality.precisionRecall)
    guard let ganParzen = ganQuality.parzen, let vaeParzen = vaeQuality.parzen else {
      throw GenerativeKitError.invalidArgument("gan-vs-vae: the Parzen estimates need validation images")
    }

    var noise = SeededGenerator(seed: seed &+ 102)
    let boundImages = testImages.slice(batch: 0..<min(testImages.shape[0], settings.testCount))
    // A Bernoulli decoder's bounds are taken on the test digits binarized once, as the papers do.
    let bernoulli = vaeOptions.reconstructionLoss == .bernoulli
    var binarizer = SeededGenerator(seed: testSetBinarizationSeed)
    let boundTargets = bernoulli ? dynamicallyBinarized(boundImages, using: &binarizer) : boundImages
    let observation: ObservationModel = bernoulli ? .bernoulli : .reportMeanSquaredError
    let elbo = try vae.model.evidenceLowerBound(images: boundTargets, observation: observation, using: &noise)
    let iwBound: LikelihoodBound
    if settings.vaePreset == .bernoulli {
      // The papers' test NLL takes hours: recorded digit by digit, so a rerun continues it.
      iwBound = try TestLikelihoodReport.run(
        model: vae.model, modelName: "mnist-vae epoch \(vae.epoch)", test: test.prefix(settings.testCount),
        samples: settings.importanceSamples, digits: nil, seed: seed &+ 105,
        record: vae.outputDirectory.appendingPathComponent("test-nll-k\(settings.importanceSamples).csv"))
    } else {
      print("measuring: the VAE's importance-weighted bound, \(settings.importanceSamples) samples per test digit")
      iwBound = try vae.model.importanceWeightedBound(
        images: boundTargets, samples: settings.importanceSamples, observation: observation, using: &noise)
    }

    // Figures
    let figures = folder.appendingPathComponent("figures")
    try FileManager.default.createDirectory(at: figures, withIntermediateDirectories: true)
    let grid = ImageGrid(columns: .fixed(10), scale: 2)
    try grid.write(ganSamples.slice(batch: 0..<min(100, n)), range: .unit, to: figures.appendingPathComponent("mnist-gan-samples.png"))
    try grid.write(vaeSamples.slice(batch: 0..<min(100, n)), range: .unit, to: figures.appendingPathComponent("mnist-vae-samples.png"))
    let originals = testImages.slice(batch: 0..<10)
    try grid.write(Tensor.concatenate(batches: [originals, try vae.model.reconstruct(originals)]), range: .unit,
                   to: figures.appendingPathComponent("mnist-vae-reconstructions.png"))
    var ganEnds = SeededGenerator(seed: seed &+ 103)
    let ganPath = try LatentInterpolation.randomRows(
      dimension: ganOptions.noiseDimension, rows: 4, steps: 10, using: &ganEnds, decode: { try gan.samplingModel.generate($0) })
    try grid.write(ganPath, range: .unit, to: figures.appendingPathComponent("mnist-gan-interpolation.png"))
    var vaeEnds = SeededGenerator(seed: seed &+ 104)
    let vaePath = try LatentInterpolation.randomRows(
      dimension: vaeOptions.latentDimension, rows: 4, steps: 10, using: &vaeEnds, decode: { try vae.model.decode($0) })
    try grid.write(vaePath, range: .unit, to: figures.appendingPathComponent("mnist-vae-interpolation.png"))

    typealias Row = ComparisonReport.Row
    typealias Measured = ComparisonReport.Measured
    let (ganKID, vaeKID) = (ganQuality.kernelDistance, vaeQuality.kernelDistance)
    let kidFloor = try kernelDistance(testFeatures, floorFeatures, subsets: ganKID.subsets, subsetSize: ganKID.subsetSize)
    let rows: [Row] = [
      Row(metric: "FID (classifier features, lower is better)", gan: Format.number(ganQuality.frechetDistance),
          vae: Format.number(vaeQuality.frechetDistance),
          note: "train-vs-test floor \(Format.number(fidFloor)); not comparable with Inception-feature FIDs (Lucic et al.: 6.8)",
          measured: Measured(gan: ganQuality.frechetDistance, vae: vaeQuality.frechetDistance, lowerIsBetter: true)),
      Row(metric: "KID (classifier features, unbiased, lower is better)",
          gan: Format.plusMinus(ganKID.mean, ganKID.standardError, digits: 0),
          vae: Format.plusMinus(vaeKID.mean, vaeKID.standardError, digits: 0),
          note: "train-vs-test floor \(Format.plusMinus(kidFloor.mean, kidFloor.standardError, digits: 0)); Bińkowski et al. 2018: "
            + "no bias from the sample size, unlike FID; ± standard error over \(ganKID.subsets) subsets of \(ganKID.subsetSize); "
            + "the cubic kernel makes it scale with the features' size cubed (these are the classifier's, not Inception's)",
          measured: Measured(gan: ganKID.mean, vae: vaeKID.mean, lowerIsBetter: true, digits: 0)),
      Row(metric: "Inception score (classifier, max 10)", gan: Format.plusMinus(ganIS.mean, ganIS.standardDeviation, digits: 2),
          vae: Format.plusMinus(vaeIS.mean, vaeIS.standardDeviation, digits: 2),
          note: "test digits: \(Format.number(testIS.mean))",
          measured: Measured(gan: ganIS.mean, vae: vaeIS.mean, lowerIsBetter: false)),
      Row(metric: "samples the classifier labels with ≥ 90 % confidence (%)",
          gan: Format.percent(ganQuality.confidentFraction), vae: Format.percent(vaeQuality.confidentFraction),
          note: "test digits: \(Format.percent(testConfident))",
          measured: Measured(gan: 100 * ganQuality.confidentFraction, vae: 100 * vaeQuality.confidentFraction,
                             lowerIsBetter: false, digits: 1)),
      Row(metric: "classes present", gan: "\(ganHistogram.classesPresent)", vae: "\(vaeHistogram.classesPresent)",
          note: "of 10",
          measured: Measured(gan: Double(ganHistogram.classesPresent), vae: Double(vaeHistogram.classesPresent),
                             lowerIsBetter: false, digits: 1)),
      Row(metric: "KL(class histogram || uniform)", gan: Format.number(ganHistogram.klDivergenceFromUniform, digits: 3),
          vae: Format.number(vaeHistogram.klDivergenceFromUniform, digits: 3),
          note: "one repeated digit would give 2.303",
          measured: Measured(gan: ganHistogram.klDivergenceFromUniform, vae: vaeHistogram.klDivergenceFromUniform,
                             lowerIsBetter: true, digits: 3)),
      Row(metric: "precision (k = 3)", gan: Format.number(ganPR.precision), vae: Format.number(vaePR.precision),
          note: "Kynkäänniemi et al. 2019, classifier features: samples inside the real manifold",
          measured: Measured(gan: ganPR.precision, vae: vaePR.precision, lowerIsBetter: false)),
      Row(metric: "recall (k = 3)", gan: Format.number(ganPR.recall), vae: Format.number(vaePR.recall),
          note: "real digits inside the samples' manifold",
          measured: Measured(gan: ganPR.recall, vae: vaePR.recall, lowerIsBetter: false)),
      Row(metric: "Parzen log-likelihood (nats)", gan: Format.plusMinus(ganParzen.test.mean, ganParzen.test.standardError),
          vae: Format.plusMinus(vaeParzen.test.mean, vaeParzen.test.standardError),
          note: "sigma \(Format.number(ganParzen.test.sigma, digits: 3)) / \(Format.number(vaeParzen.test.sigma, digits: 3)); "
            + "Goodfellow et al. 2014 GAN: 225 ± 2 (10,000 samples and test digits)",
          measured: Measured(gan: ganParzen.test.mean, vae: vaeParzen.test.mean, lowerIsBetter: false, digits: 1)),
      Row(metric: "VAE ELBO (nats)", gan: "–", vae: Format.number(elbo.mean, digits: 1),
          note: bernoulli
            ? "Bernoulli decoder on the binarized test digits: minus the test NLL's upper bound"
            : "Gaussian decoder with variance 1/2 (the report's MSE loss): densities, not comparable with Bernoulli NLLs",
          measured: Measured(gan: nil, vae: elbo.mean, lowerIsBetter: nil, digits: 1)),
      Row(metric: "VAE importance-weighted bound, k = \(settings.importanceSamples) (nats)", gan: "–",
          vae: Format.number(iwBound.mean, digits: 1),
          note: bernoulli ? "minus the test NLL as Burda et al. 2015 estimate it (k = 5,000); their one-layer VAE: -86.76"
            : "the same density, a tighter bound",
          measured: Measured(gan: nil, vae: iwBound.mean, lowerIsBetter: nil, digits: 1)),
      Row(metric: "training time (s)", gan: Format.duration(ganCost.seconds), vae: Format.duration(vaeCost.seconds),
          note: "\(ganCost.epochs) and \(vaeCost.epochs) epochs on \(Format.count(trainingSet.count)) images",
          measured: Measured(gan: ganCost.seconds, vae: vaeCost.seconds, lowerIsBetter: nil, digits: 1)),
      Row(metric: "training speed (img/s)", gan: Format.number(ganCost.imagesPerSecond, digits: 0),
          vae: Format.number(vaeCost.imagesPerSecond, digits: 0), note: "\(Threading.threadCount) thread\(Threading.threadCount == 1 ? "" : "s")"
            + (parallelism.map { " in each of \($0.processCount) data-parallel processes" } ?? ""),
          measured: Measured(gan: ganCost.imagesPerSecond, vae: vaeCost.imagesPerSecond, lowerIsBetter: nil, digits: 0)),
      Row(metric: "parameters", gan: Format.count(ganCost.parameters), vae: Format.count(vaeCost.parameters),
          note: "GAN: generator + discriminator; VAE: encoder + decoder"),
    ]
    typealias Figure = ComparisonReport.Figure
    return ComparisonReport.Section(
      title: "MNIST",
      summary: (settings.ganPreset == .fast
          ? "The fast GAN recipe (mnist-gan --preset fast: light 4 x 4-kernel networks, a batch-norm discriminator, a "
            + "generator average) and the report's convolutional VAE"
          : "The report's DCGAN and convolutional VAE") + " trained on \(Format.count(trainingSet.count)) MNIST digits "
        + "(GAN: width \(settings.ganWidth)\(settings.ganWidth == 64 ? " as the report's" : " instead of the report's 64"), "
        + "batch \(settings.ganBatchSize), Adam \(settings.ganLearningRate)"
        + (gan.options.generatorLearningRate.map { " for D and \($0) for G" } ?? "")
        + " with beta1 \(settings.ganBeta1); VAE: batch "
        + "\(settings.vaeBatchSize), Adam \(settings.vaeLearningRate)); "
        + "\(Format.count(n)) samples of each compared with \(Format.count(testImages.shape[0])) test digits. "
        + "The digit classifier behind FID, IS and precision/recall reaches \(Format.number(100 * accuracy)) % on the test set.",
      rows: rows,
      figures: [
        Figure(path: "figures/mnist-gan-samples.png", caption: "GAN samples"),
        Figure(path: "figures/mnist-vae-samples.png", caption: "VAE samples from N(0, I)"),
        Figure(path: "figures/mnist-vae-reconstructions.png", caption: "VAE: test digits (top) and reconstructions"),
        Figure(path: "figures/mnist-gan-interpolation.png", caption: "GAN: linear interpolations in noise space"),
        Figure(path: "figures/mnist-vae-interpolation.png", caption: "VAE: linear interpolations in latent space"),
        Figure(path: "mnist-gan/losses.svg", caption: "GAN losses per epoch"),
        Figure(path: "mnist-vae/losses.svg", caption: "VAE losses per epoch"),
      ])
  }

  func loadOrTrainClassifier(train: ImageDataSet, test: ImageDataSet) throws -> DigitClassifier {
    let url = classifierURL ?? folder.appendingPathComponent("classifier.safetensors")
    if classifierURL != nil || FileManager.default.fileExists(atPath: url.path) {
      print("classifier: loading \(url.path)")
      return try DigitClassifier(contentsOf: url)
    }
    let classifier = DigitClassifier(seed: seed &+ 7)
    var training = DigitClassifierTrainingSettings()
    training.epochs = settings.classifierEpochs
    training.seed = seed
    let data = settings.classifierLimit.map { train.prefix($0) } ?? train
    print("classifier: training \(training.epochs) epochs on \(data.count) digits")
    try classifier.train(on: data, settings: training, progress: progress(training.epochs))
    try classifier.save(to: url)
    return classifier
  }
}

/// Resumes `experiment` from `latest` when a previous report run left a checkpoint there, trains it
/// to the end, and returns what its training cost (from the run log, so resumed epochs count).
/// With `parallelism`, every process trains its shards; only process 0 reads the log (the others
/// return nil).
func trainOrResume(
  _ experiment: some TrainingExperiment, latest: URL, folder: URL, epochs: Int, parameters: Int, label: String,
  parallelism: (any DataParallelism)? = nil, progress: (Int) -> ProgressReporter
) throws -> TrainingCost? {
  if FileManager.default.fileExists(atPath: latest.path) {
    print("resuming from \(latest.path)")
    try experiment.resume(from: latest)
  }
  print(label)
  experiment.parallelism = parallelism
  let writesFiles = parallelism?.writesFiles ?? true
  try experiment.run(progress: writesFiles ? progress(epochs) : ProgressReporter(style: .silent, totalEpochs: epochs))
  guard writesFiles else { return nil }
  return TrainingCost(log: try RunLog(directory: folder, keepingEpochsThrough: experiment.epoch), parameters: parameters)
}
