import GenerativeKit

/// What one training step reported.
public struct StepReport: Sendable {
  /// 1-based epoch and batch within it.
  public var epoch: Int
  public var batch: Int
  /// Steps taken since the run began (across resumes, when the caller passes `firstStep`).
  public var step: Int
  public var metrics: TrainingFigures
}

/// What one epoch reported: mean figures over its batches.
public struct EpochReport: Sendable {
  public var epoch: Int
  public var metrics: TrainingFigures
  public var seconds: Double
  public var images: Int
  public var imagesPerSecond: Double { Double(images) / max(seconds, 1e-9) }
}

/// Why training stopped early.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
  /// A figure became NaN or infinite; nothing after the last completed epoch was saved.
  case nonFinite(metric: String, value: Float, epoch: Int, batch: Int)

  public var description: String {
    switch self {
    case .nonFinite(let metric, let value, let epoch, let batch):
      return "training stopped: \(metric) became \(value) at epoch \(epoch), batch \(batch). "
        + "The last checkpoint written (from the last complete epoch) is kept; try a lower learning rate "
        + "or resume from that checkpoint."
    }
  }
}

/// Runs epochs of training steps with progress output, hooks at step and epoch ends, and a stop on
/// the first non-finite figure (so a diverged run never overwrites a good checkpoint).
public final class TrainingLoop {
  public let progress: ProgressReporter
  /// Called after every step with its figures.
  public var onStepEnd: ((StepReport) throws -> Void)?
  /// Called after every epoch with its mean figures; save checkpoints and pictures here.
  public var onEpochEnd: ((EpochReport) throws -> Void)?

  /// Set by ``stop()``; checked after every step's ``onStepEnd``.
  public private(set) var stopRequested = false

  public init(progress: ProgressReporter) {
    self.progress = progress
  }

  /// Ends ``run(epochs:batchesPerEpoch:firstStep:batches:step:)`` after the current step (call it
  /// from ``onStepEnd``): an epoch cut short is neither reported nor passed to ``onEpochEnd``.
  public func stop() { stopRequested = true }

  /// Trains `epochs` (1-based, inclusive).
  ///
  /// - Parameters:
  ///   - epochs: the epochs to run, for example `4...10` when resuming after epoch 3.
  ///   - batchesPerEpoch: for the progress display.
  ///   - batches: the batches of an epoch.
  ///   - firstStep: the global step count before the first batch (non-zero when resuming).
  ///   - step: trains on one batch and returns its figures and how many images it used.
  /// - Returns: one report per epoch run.
  @discardableResult
  public func run<Batches: Sequence>(
    epochs: ClosedRange<Int>, batchesPerEpoch: Int, firstStep: Int = 0,
    batches: (Int) throws -> Batches,
    step: (Batches.Element) throws -> (metrics: TrainingFigures, images: Int)
  ) throws -> [EpochReport] {
    var reports: [EpochReport] = []
    var globalStep = firstStep
    for epoch in epochs {
      progress.epochStarted(epoch)
      let start = monotonicSeconds()
      var averager = MetricsAverager()
      var images = 0
      var batchIndex = 0
      for batch in try batches(epoch) {
        let (metrics, count) = try step(batch)
        batchIndex += 1
        globalStep += 1
        images += count
        if let bad = metrics.firstNonFinite {
          progress.message("")
          throw TrainingError.nonFinite(metric: bad.name, value: bad.value, epoch: epoch, batch: batchIndex)
        }
        averager.add(metrics)
        progress.batchFinished(epoch: epoch, batch: batchIndex, of: batchesPerEpoch, imagesSoFar: images, metrics: metrics)
        try onStepEnd?(StepReport(epoch: epoch, batch: batchIndex, step: globalStep, metrics: metrics))
        if stopRequested { return reports }
      }
      let report = EpochReport(epoch: epoch, metrics: averager.mean, seconds: monotonicSeconds() - start, images: images)
      progress.epochFinished(epoch: epoch, metrics: report.metrics, seconds: report.seconds, images: images)
      reports.append(report)
      try onEpochEnd?(report)
    }
    return reports
  }
}
