import Testing

@testable import GenerativeKit
@testable import GenerativeKitData
@testable import GenerativeKitMetrics
@testable import GenerativeKitTraining

@Suite("Training loop")
struct TrainingLoopTests {
  @Test("Epoch figures are batch means, and hooks run at every step and epoch end")
  func meansAndHooks() throws {
    let loop = TrainingLoop(progress: ProgressReporter(style: .silent, totalEpochs: 2))
    var steps: [Int] = []
    var epochs: [EpochReport] = []
    loop.onStepEnd = { steps.append($0.step) }
    loop.onEpochEnd = { epochs.append($0) }
    let reports = try loop.run(epochs: 1...2, batchesPerEpoch: 3, firstStep: 10, batches: { epoch in
      (1...3).map { Float($0 * epoch) }
    }) { value in (TrainingFigures(["loss": value]), 4) }
    #expect(steps == Array(11...16))
    #expect(reports.map(\.epoch) == [1, 2] && epochs.count == 2)
    #expect(reports[0].metrics["loss"] == 2 && reports[1].metrics["loss"] == 4)
    #expect(reports[0].images == 12)
  }

  @Test("A non-finite figure stops training before the epoch-end hook runs")
  func stopsOnNaN() throws {
    let loop = TrainingLoop(progress: ProgressReporter(style: .silent, totalEpochs: 3))
    var savedEpochs: [Int] = []
    loop.onEpochEnd = { savedEpochs.append($0.epoch) }
    #expect(throws: TrainingError.nonFinite(metric: "g_loss", value: .infinity, epoch: 2, batch: 1)) {
      try loop.run(epochs: 1...3, batchesPerEpoch: 2, batches: { epoch in [epoch, epoch] }) { epoch in
        (TrainingFigures(["d_loss": 1, "g_loss": epoch == 2 ? .infinity : 1]), 1)
      }
    }
    #expect(savedEpochs == [1])
  }

  @Test("Progress lines count epochs against the total, or name the time budget of a run that minutes end")
  func progressEpochLabel() {
    #expect(ProgressReporter(style: .silent, totalEpochs: 10).epochLabel(3) == "epoch 3/10")
    #expect(ProgressReporter(style: .silent, totalEpochs: 1_000_000, timeBudget: "5 minutes").epochLabel(3)
              == "epoch 3 (training for 5 minutes)")
  }

  @Test("TrainingFigures keep their order and format compactly")
  func metricsFormatting() {
    var metrics = TrainingFigures(["d_loss": 1.23456, "g_loss": 0.5])
    metrics["d_real"] = 0.25
    #expect(metrics.names == ["d_loss", "g_loss", "d_real"])
    #expect(metrics.description == "d_loss 1.2346, g_loss 0.50000, d_real 0.25000")
    #expect(formatFixed(-0.04, digits: 1) == "0.0")
    #expect(formatFixed(-1.25, digits: 1) == "-1.3")
    #expect(formatFixed(12.346, digits: 2) == "12.35")
    #expect(formatFixed(3, digits: 0) == "3")
  }
}
