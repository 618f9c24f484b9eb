import Foundation
import GenerativeKit
import GenerativeKitData
import GenerativeKitMetrics

/// How `DigitClassifier.train(on:settings:progress:onEpochEnd:)` trains.
public struct DigitClassifierTrainingSettings: Sendable, Equatable, Codable {
  /// Passes over the training set.
  public var epochs: Int = 5
  /// Images per step.
  public var batchSize: Int = 128
  /// Adam's peak step size (Keras placement of epsilon, 1e-7). It is annealed along a half cosine,
  /// `lr_t = learningRate * (1 + cos(pi t / T)) / 2` over the T steps of the run, towards 0.
  public var learningRate: Float = 2e-3
  /// Each training image is shifted by a random whole number of pixels in
  /// `-maximumShift...maximumShift` along each axis (zeros fill in), drawn anew every epoch; 0 turns
  /// the augmentation off.
  public var maximumShift: Int = 1
  /// Seeds the batch order and the shifts.
  public var seed: UInt64 = 0

  public init(epochs: Int = 5, batchSize: Int = 128, learningRate: Float = 2e-3, maximumShift: Int = 1, seed: UInt64 = 0) {
    self.epochs = epochs
    self.batchSize = batchSize
    self.learningRate = learningRate
    self.maximumShift = maximumShift
    self.seed = seed
  }

  /// The learning rate of step `step` (from 0) of `totalSteps`.
  public func learningRate(step: Int, totalSteps: Int) -> Float {
    let progress = Double(step) / Double(max(totalSteps, 1))
    return Float(Double(learningRate) * 0.5 * (1 + cos(Double.pi * progress)))
  }
}

/// One training epoch of a `DigitClassifier`.
public struct DigitClassifierEpoch: Sendable, Equatable {
  /// 1-based.
  public var epoch: Int
  /// The mean softmax cross-entropy over the epoch's batches (in training mode, with dropout).
  public var loss: Double
  /// The fraction of training images classified correctly during the epoch (with dropout).
  public var trainingAccuracy: Double
  /// The learning rate at the end of the epoch.
  public var learningRate: Float
  /// Wall-clock seconds.
  public var seconds: Double
}

extension DigitClassifier {
  /// Trains on labelled digits with Adam and softmax cross-entropy, one ``DataLoader`` epoch at a
  /// time (shuffled with `settings.seed`, the last smaller batch kept).
  ///
  /// - Parameters:
  ///   - dataSet: `[N, 1, 28, 28]` images in [0, 1] with labels 0-9 (MNIST train).
  ///   - progress: shows a progress bar or log lines; nil trains silently.
  ///   - onEpochEnd: called after each epoch (evaluate, save a checkpoint).
  /// - Returns: one summary per epoch.
  /// - Throws: ``GenerativeKitError/invalidArgument(_:)`` for a set without labels, in another
  ///   pixel range or of another image shape, or bad settings; ``TrainingError`` if the loss
  ///   stops being finite.
  @discardableResult
  public func train(
    on dataSet: ImageDataSet, settings: DigitClassifierTrainingSettings = DigitClassifierTrainingSettings(),
    progress: ProgressReporter? = nil, onEpochEnd: ((DigitClassifierEpoch) throws -> Void)? = nil
  ) throws -> [DigitClassifierEpoch] {
    guard dataSet.labels != nil else {
      throw GenerativeKitError.invalidArgument("DigitClassifier.train: data set \(dataSet.name) has no labels")
    }
    guard dataSet.pixelRange == .unit, dataSet.imageShape == imageShape else {
      throw GenerativeKitError.invalidArgument(
        "DigitClassifier.train: data set \(dataSet.name) has images \(Tensor.describe(shape: dataSet.imageShape)) in "
          + "\(dataSet.pixelRange); the classifier takes \(Tensor.describe(shape: imageShape)) in [0, 1]")
    }
    guard settings.epochs >= 1, settings.batchSize >= 1, settings.learningRate > 0, settings.maximumShift >= 0 else {
      throw GenerativeKitError.invalidArgument(
        "DigitClassifier.train: epochs, batchSize and learningRate must be positive and maximumShift not negative, "
          + "got \(settings)")
    }
    let optimizer = Adam.keras(model: self, learningRate: settings.learningRate)
    let loader = DataLoader(dataSet, batchSize: settings.batchSize, shuffle: true, seed: settings.seed)
    let loop = TrainingLoop(progress: progress ?? ProgressReporter(style: .silent, totalEpochs: settings.epochs))
    var shifts = SeededGenerator(seed: settings.seed ^ 0x5EED_5417)
    let totalSteps = settings.epochs * loader.batchesPerEpoch
    var step = 0
    var summaries: [DigitClassifierEpoch] = []
    var correct = 0
    loop.onEpochEnd = { report in
      let summary = DigitClassifierEpoch(
        epoch: report.epoch, loss: Double(report.metrics["loss"] ?? .nan),
        trainingAccuracy: Double(correct) / Double(max(report.images, 1)),
        learningRate: optimizer.learningRate, seconds: report.seconds)
      summaries.append(summary)
      correct = 0
      try onEpochEnd?(summary)
    }
    train()
    defer { eval() }
    try loop.run(epochs: 1...settings.epochs, batchesPerEpoch: loader.batchesPerEpoch,
                 batches: { loader.epoch($0) }) { batch in
      optimizer.learningRate = settings.learningRate(step: step, totalSteps: totalSteps)
      step += 1
      let images = settings.maximumShift > 0
        ? randomlyShifted(batch.images, maximumShift: settings.maximumShift, using: &shifts) : batch.images
      let (loss, hits) = try self.step(images: images, labels: batch.labels!, optimizer: optimizer)
      correct += hits
      return (TrainingFigures(["loss": loss]), batch.images.shape[0])
    }
    return summaries
  }

  /// One optimisation step on a batch; returns the batch loss and how many images it got right.
  func step(images: Tensor, labels: [Int], optimizer: any Optimizer) throws -> (loss: Float, correct: Int) {
    isTraining = true
    zeroGradients()
    let logits = try network.forward(images)
    let loss = try softmaxCrossEntropy(logits: logits, labels: labels)
    try network.backwardParametersOnly(loss.gradient)
    optimizer.step()
    let correct = zip(argmaxRows(logits), labels).filter { $0 == $1 }.count
    return (loss.value, correct)
  }
}

/// Each image of `[N, C, H, W]` moved by its own random whole-pixel offset in
/// `-maximumShift...maximumShift` along each axis, with zeros where nothing moves in.
func randomlyShifted(_ images: Tensor, maximumShift: Int, using generator: inout SeededGenerator) -> Tensor {
  let (n, c, h, w) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
  var shifted = Tensor(shape: images.shape)
  let (x, y) = (images.pointer, shifted.mutablePointer())
  let span = UInt64(2 * maximumShift + 1)
  for image in 0..<n {
    let dy = Int(generator.next() % span) - maximumShift
    let dx = Int(generator.next() % span) - maximumShift
    let columns = max(0, dx)..<min(w, w + dx)
    guard !columns.isEmpty else { continue }
    for plane in (image * c)..<((image + 1) * c) {
      for row in max(0, dy)..<min(h, h + dy) {
        (y + (plane * h + row) * w + columns.lowerBound)
          .update(from: x + (plane * h + row - dy) * w + columns.lowerBound - dx, count: columns.count)
      }
    }
  }
  return shifted
}
