import ArgumentParser
import Foundation
import GenerativeKit
import GenerativeKitData
import GenerativeKitMetrics
import GenerativeKitTraining

/// Trains the digit classifier whose features and probabilities the MNIST metrics use (classifier
/// FID, Inception Score, class histogram, precision and recall), reports its test accuracy and
/// saves it as `classifier.safetensors`. With `--reference-metrics` it also measures the metrics
/// of real data against real data, the floor every generator is compared with.
@main
struct MNISTClassifier: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "mnist-classifier",
    abstract: "Train the MNIST digit classifier used by GenerativeKit's metrics and report its test accuracy.")

  @Option(help: "Folder with mnist/*.gz (default: $GENERATIVEKIT_DATA, then the cache).")
  var dataDir: String?
  @Option(help: "Folder for classifier.safetensors.") var output = "output/classifier"
  @Option(parsing: .unconditional, help: "Training epochs.") var epochs = 5
  @Option(parsing: .unconditional, help: "Images per step.") var batchSize = 128
  @Option(parsing: .unconditional, help: "Adam's peak learning rate, annealed to 0 along a half cosine.")
  var learningRate: Float = 2e-3
  @Option(parsing: .unconditional, help: "Random shifts of up to this many pixels augment the training images (0: none).")
  var maxShift = 1
  @Option(help: "Random seed (weights, dropout, batch order).") var seed: UInt64 = 1
  @Option(parsing: .unconditional, help: "Threads for the GEMMs and the parallel loops.") var threads = 2
  @Option(parsing: .unconditional, help: "Train on the first N training images only (quick runs).") var limit: Int?
  @Flag(help: "Also measure real-vs-real reference metrics (FID, IS, precision/recall, Parzen) and their timing.")
  var referenceMetrics = false

  func validate() throws {
    guard (1...10_000).contains(epochs) else { throw ValidationError("--epochs must be between 1 and 10000, got \(epochs)") }
    guard (1...65_536).contains(batchSize) else {
      throw ValidationError("--batch-size must be between 1 and 65536, got \(batchSize)")
    }
    guard learningRate.isFinite, learningRate > 0, learningRate <= 10 else {
      throw ValidationError("--learning-rate must be a finite number above 0 and at most 10, got \(learningRate)")
    }
    // Shifts move a 28 x 28 digit; more than a few pixels push it out of the frame.
    guard (0...8).contains(maxShift) else { throw ValidationError("--max-shift must be between 0 and 8, got \(maxShift)") }
    guard (1...256).contains(threads) else { throw ValidationError("--threads must be between 1 and 256, got \(threads)") }
    if let limit, limit < 1 { throw ValidationError("--limit must be at least 1, got \(limit)") }
    guard !output.isEmpty else { throw ValidationError("--output must not be empty") }
    if let dataDir {
      var isFolder: ObjCBool = false
      guard FileManager.default.fileExists(atPath: dataDir, isDirectory: &isFolder), isFolder.boolValue else {
        throw ValidationError("--data-dir: \(dataDir) is not an existing folder")
      }
    }
  }

  func run() throws {
    Threading.threadCount = threads
    print("blas: \(BLAS.configuration.summary)")
    let start = Date()
    var train = try ImageDataSet.load(.mnist, split: .train, pixelRange: .unit, directory: dataDir)
    let test = try ImageDataSet.load(.mnist, split: .test, pixelRange: .unit, directory: dataDir)
    if let limit { train = train.prefix(limit) }
    print("mnist-classifier: \(train.count) training images, \(test.count) test images, \(threads) threads, seed \(seed)")

    let classifier = DigitClassifier(seed: seed)
    print("model: \(classifier.parameterCount) parameters: \(classifier.network)")
    let settings = DigitClassifierTrainingSettings(
      epochs: epochs, batchSize: batchSize, learningRate: learningRate, maximumShift: maxShift, seed: seed)
    var accuracy = 0.0
    let trainingStart = Date()
    try classifier.train(on: train, settings: settings, progress: .automatic(totalEpochs: epochs)) { epoch in
      accuracy = try classifier.accuracy(on: test)
      print("epoch \(epoch.epoch): loss \(fixed(epoch.loss, 4)), train accuracy \(fixed(100 * epoch.trainingAccuracy, 2)) %, "
              + "test accuracy \(fixed(100 * accuracy, 2)) %, lr \(String(format: "%.2e", epoch.learningRate)), \(fixed(epoch.seconds, 1)) s")
    }
    let trainingSeconds = Date().timeIntervalSince(trainingStart)

    let directory = URL(fileURLWithPath: output, isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let file = directory.appendingPathComponent("classifier.safetensors")
    try classifier.save(to: file, metadata: [
      "test_accuracy": fixed(accuracy, 6), "epochs": String(epochs), "seed": String(seed),
      "training_images": String(train.count), "training_seconds": fixed(trainingSeconds, 1),
    ])
    print("test accuracy \(fixed(100 * accuracy, 2)) % after \(epochs) epochs; training took \(fixed(trainingSeconds, 1)) s "
            + "(\(fixed(Date().timeIntervalSince(start), 1)) s in all); saved \(file.path)")

    if referenceMetrics {
      let full = limit == nil ? train : try ImageDataSet.load(.mnist, split: .train, pixelRange: .unit, directory: dataDir)
      try measureReferenceMetrics(classifier: classifier, train: full, test: test)
    }
  }

  /// Metrics of real MNIST against real MNIST: training images standing in for a perfect
  /// generator, scored against the test set with the same call the comparison report uses.
  func measureReferenceMetrics(classifier: DigitClassifier, train: ImageDataSet, test: ImageDataSet) throws {
    let samples = train.images(in: 0..<10_000)
    let validation = train.images(in: 50_000..<51_000)
    print("reference metrics: 10,000 training images as 'samples' against the 10,000 test images")
    var clock = Date()
    let quality = try classifier.sampleQuality(of: samples, against: test.images, parzenValidation: validation)
    print(quality.description.split(separator: "\n").map { "  \($0)" }.joined(separator: "\n"))
    if let parzen = quality.parzen {
      let scores = parzen.validationScores.map { "\(fixed($0.sigma, 3)): \(fixed($0.meanLogLikelihood, 1))" }
      print("  Parzen validation mean log-likelihood by sigma: \(scores.joined(separator: ", "))")
    }
    print("  all of it in \(elapsed(since: &clock)) (Parzen: 10,000 x 10,000 x 784 distances)")
  }

  func elapsed(since clock: inout Date) -> String {
    let now = Date()
    defer { clock = now }
    return "\(fixed(now.timeIntervalSince(clock), 2)) s"
  }

  func fixed(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }
}
