import Foundation
import TestSupport
import Testing

@testable import GenerativeKit
@testable import GenerativeKitTraining
@testable import GenerativeKitData
@testable import GenerativeKitMetrics

/// The digit classifier behind the MNIST metrics: shapes, batching, training and checkpoints.
@Suite("Metrics: digit classifier")
struct MetricsDigitClassifierTests {
  /// `count` 28 x 28 images of two easy classes (bright bar at the top or at the bottom) with noise,
  /// labelled 0 and 1 alternately.
  static func bars(count: Int, seed: UInt64) -> ImageDataSet {
    var random = SeededGenerator(seed: seed)
    var images = Tensor.randomUniform(shape: [count, 1, 28, 28], in: 0...0.2, using: &random)
    images.withUnsafeMutableBufferPointer { p in
      for n in 0..<count {
        let rows = n % 2 == 0 ? 4..<10 : 18..<24
        for y in rows { for x in 6..<22 { p[n * 784 + y * 28 + x] = 1 } }
      }
    }
    return ImageDataSet(name: "bars", images: images, labels: (0..<count).map { $0 % 2 }, pixelRange: .unit)
  }

  @Test("Features are [N, 128], probabilities [N, 10] summing to 1, the same for any batch size")
  func shapesAndBatching() throws {
    let classifier = DigitClassifier(seed: 1)
    let images = Self.bars(count: 7, seed: 2).images
    let features = try classifier.features(images)
    #expect(features.shape == [7, 128])
    // GEMM blocking depends on the batch, so batches agree to rounding, not bit for bit.
    #expect(try classifier.features(images, batchSize: 3).isApproximatelyEqual(to: features, absoluteTolerance: 1e-5))
    let probabilities = try classifier.probabilities(images, batchSize: 2)
    #expect(probabilities.shape == [7, 10])
    for row in 0..<7 { #expect(abs((0..<10).reduce(0.0) { $0 + Double(probabilities[row, $1]) } - 1) < 1e-5) }
    #expect(try classifier.predictions(images).count == 7)
    #expect(classifier.isTraining, "inference restores the previous mode")
    // Features are the Dense(3136 -> 128) outputs: the logits are the last layers applied to them.
    let relu = features.map { max($0, 0) }
    let last = classifier.network.layers[13] as! Dense
    let logits = Tensor.matmul(relu, last.weight.value, transposeB: true)
      + Tensor(shape: [7, 10], scalars: (0..<7).flatMap { _ in last.bias!.value.scalars })
    #expect(logits.isApproximatelyEqual(to: try classifier.logits(images), absoluteTolerance: 1e-4))
  }

  @Test("A few seeded epochs learn two easy classes; the same seed trains the same weights")
  func training() throws {
    let data = Self.bars(count: 96, seed: 3)
    let settings = DigitClassifierTrainingSettings(epochs: 3, batchSize: 16, learningRate: 1e-3, maximumShift: 1, seed: 4)
    let classifier = DigitClassifier(seed: 5)
    var seen: [Int] = []
    let epochs = try classifier.train(on: data, settings: settings) { seen.append($0.epoch) }
    #expect(seen == [1, 2, 3] && epochs.count == 3)
    // 6 steps per epoch: the last step (17 of 18) sets the rate the summary reports.
    #expect(epochs[2].learningRate == settings.learningRate(step: 17, totalSteps: 18))
    #expect(epochs[2].loss < epochs[0].loss, "\(epochs)")
    #expect(epochs[2].trainingAccuracy > 0.9, "\(epochs)")
    #expect(!classifier.isTraining)

    let again = DigitClassifier(seed: 5)
    try again.train(on: data, settings: settings)
    #expect(again.stateDict.map(\.value) == classifier.stateDict.map(\.value))
  }

  @Test("The learning rate follows a half cosine from its peak to 0")
  func schedule() {
    let settings = DigitClassifierTrainingSettings(learningRate: 2e-3)
    #expect(settings.learningRate(step: 0, totalSteps: 100) == 2e-3)
    #expect(abs(settings.learningRate(step: 50, totalSteps: 100) - 1e-3) < 1e-9)
    #expect(settings.learningRate(step: 99, totalSteps: 100) < 1e-6)
  }

  @Test("Random shifts move whole images by at most the maximum, filling with zeros")
  func shifts() {
    var image = Tensor(shape: [1, 1, 5, 5])
    image[0, 0, 2, 2] = 1
    let batch = Tensor.concatenate(batches: Array(repeating: image, count: 50))
    var random = SeededGenerator(seed: 1)
    let shifted = randomlyShifted(batch, maximumShift: 2, using: &random)
    var offsets = Set<[Int]>()
    for n in 0..<50 {
      let item = shifted.slice(batch: n..<(n + 1))
      #expect(item.sum() == 1)
      let position = item.scalars.firstIndex(of: 1)!
      offsets.insert([position / 5 - 2, position % 5 - 2])
    }
    #expect(offsets.count > 10 && offsets.allSatisfy { abs($0[0]) <= 2 && abs($0[1]) <= 2 })
    // A maximum of 0 leaves the images as they are.
    var unshifted = SeededGenerator(seed: 2)
    #expect(randomlyShifted(image, maximumShift: 0, using: &unshifted) == image)
  }

  @Test("Save and load keep the logits exactly; other checkpoints are refused by name")
  func checkpoints() throws {
    let classifier = DigitClassifier(seed: 6)
    let images = Self.bars(count: 4, seed: 7).images
    let directory = try TestData.temporaryDirectory("classifier")
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("classifier.safetensors")
    try classifier.save(to: url, metadata: ["test_accuracy": "0.99"])
    let loaded = try DigitClassifier(contentsOf: url)
    #expect(try loaded.logits(images) == (try classifier.logits(images)))
    let checkpoint = try Checkpoint(contentsOf: url)
    #expect(checkpoint.metadata["model"] == DigitClassifier.modelIdentifier)
    #expect(checkpoint.metadata["test_accuracy"] == "0.99")
    #expect(checkpoint.names.first == "0.weight")

    var vae = Checkpoint()
    vae.add(model: ConvolutionalVAE.make(latentDimension: 2, seed: 1))
    do {
      _ = try DigitClassifier(checkpoint: vae)
      Issue.record("a VAE checkpoint was accepted as a classifier")
    } catch let error as GenerativeKitError {
      #expect(error.description.contains("is not a digit classifier"))
    }
  }

  @Test("Images of the wrong shape and unlabelled sets are rejected with the shapes named")
  func errors() throws {
    let classifier = DigitClassifier(seed: 1)
    #expect(throws: GenerativeKitError.shapeMismatch(
      context: "DigitClassifier.features: images", expected: "[N, 1, 28, 28]", actual: [2, 1, 32, 32])) {
      try classifier.features(Tensor(shape: [2, 1, 32, 32]))
    }
    let unlabelled = ImageDataSet(name: "x", images: Tensor(shape: [2, 1, 28, 28]), pixelRange: .unit)
    #expect(throws: GenerativeKitError.self) { try classifier.train(on: unlabelled) }
    #expect(throws: GenerativeKitError.self) { try classifier.accuracy(images: Tensor(shape: [2, 1, 28, 28]), labels: [1]) }
  }
}
