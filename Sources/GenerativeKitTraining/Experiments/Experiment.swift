import Foundation
import GenerativeKit
import GenerativeKitData

/// A complete training run of one recipe (``GANRecipe``, ``VAERecipe`` or your own
/// ``ExperimentRecipe``) in a folder it owns, resumable from its checkpoints.
///
/// The experiment does what every kind of run needs, so a recipe says only how its model trains,
/// saves and draws:
/// - a lock on the folder, and refusal to overwrite an earlier run unless ``replacesEarlierRun``;
/// - the same seeded order of batches on every process and every resume;
/// - `checkpoints/latest.safetensors` after every epoch and `checkpoints/epoch-NNNN.safetensors`
///   every `saveEvery` epochs and after the last, each holding the options, the epoch and step,
///   the epoch's log line and the recipe's state; saved before the epoch enters the log, so the
///   log never describes an epoch no checkpoint holds;
/// - `log.jsonl` and `log.csv`, one line per epoch, restored from the checkpoint when the process
///   died between the two;
/// - resuming: a checkpoint of another format, network or recipe is refused, naming the field;
/// - data parallelism: with ``parallelism`` set, each process trains on its rows of every global
///   batch, figures are averaged, and only process 0 touches files.
///
/// The recipe's properties read through the experiment (`experiment.model` is
/// `experiment.recipe.model`).
@dynamicMemberLookup
public final class Experiment<Recipe: ExperimentRecipe>: TrainingExperiment {
  /// The model, its trainer and what it draws.
  public let recipe: Recipe
  /// The training images.
  public let dataSet: ImageDataSet
  /// The run folder.
  public let outputDirectory: URL
  /// Whether a fresh run may replace an earlier run found in ``outputDirectory`` (its
  /// checkpoints, pictures and log are deleted first). False by default: such a run is refused, so
  /// nothing is overwritten by accident (``resume(from:)`` continues the earlier run instead).
  public var replacesEarlierRun = false
  /// Several processes training this run together; see ``TrainingExperiment/parallelism``.
  public var parallelism: (any DataParallelism)?
  /// The epochs completed so far (after a resume, the checkpoint's epoch).
  public private(set) var epoch = 0
  /// The training steps taken so far.
  public private(set) var steps = 0
  /// Seconds spent training so far: steps and loading their batches, not saving checkpoints or
  /// drawing pictures. Checkpoints carry it, so a resumed run's clock continues (a checkpoint
  /// written before it was recorded restarts it at 0).
  public private(set) var trainingSeconds: Double = 0
  /// Training times, in minutes of ``trainingSeconds``, after which to save a snapshot of the run
  /// as `checkpoints/minutes-M.safetensors` (`minutes-2`, `minutes-0.5`): the checkpoint of the step
  /// that crossed the time, for comparing recipes after equal minutes. `sample` and `gk-explore`
  /// read a snapshot; a run resumes only from the end of an epoch. Empty by default. One process
  /// only: data-parallel processes would cross a time at different steps.
  public var snapshotMinutes: [Double] = []
  /// When true, training ends at the step that crosses the last of ``snapshotMinutes``, even in
  /// the middle of an epoch (the epoch cut short is not logged; `latest.safetensors` stays at the
  /// last whole epoch). False by default: the run trains its epochs.
  public var stopsAtLastSnapshot = false
  /// The checkpoint ``resume(from:)`` read (nil for a fresh run).
  private var resumedFrom: RunCheckpoint.ResumePoint?

  /// A run of `recipe` on `dataSet` in `outputDirectory` (created when training starts).
  public init(recipe: Recipe, dataSet: ImageDataSet, outputDirectory: URL) {
    self.recipe = recipe
    self.dataSet = dataSet
    self.outputDirectory = outputDirectory
  }

  /// The recipe's properties, read through the experiment.
  public subscript<Value>(dynamicMember keyPath: KeyPath<Recipe, Value>) -> Value { recipe[keyPath: keyPath] }

  /// The run's options.
  public var options: Recipe.Options { recipe.options }
  /// The `format` metadata of the recipe's checkpoints.
  public static var format: String { Recipe.format }
  /// `checkpoints/` in the run folder.
  public var checkpointDirectory: URL { outputDirectory.appendingPathComponent("checkpoints") }
  /// `checkpoints/latest.safetensors`, rewritten after every epoch.
  public var latestCheckpointURL: URL { checkpointDirectory.appendingPathComponent("latest.safetensors") }

  // MARK: - Checkpoints

  /// Everything needed to continue this run exactly: the options, epoch and step, and the
  /// recipe's state (weights, buffers, optimizers, random generators).
  public func checkpoint() throws -> Checkpoint {
    var checkpoint = try RunCheckpoint.make(format: Recipe.format, options: options, epoch: epoch, step: steps)
    checkpoint.metadata[RunCheckpoint.trainingSecondsKey] = String(trainingSeconds)
    try recipe.save(into: &checkpoint)
    return checkpoint
  }

  /// Continues from a checkpoint written by ``checkpoint()``. Nothing changes unless everything
  /// in it fits this run's networks and recipe (see ``TrainingExperiment/resume(from:)``); the
  /// error names the file and the first field or tensor that differs.
  public func resume(from url: URL) throws {
    let (checkpoint, epoch, step) = try RunCheckpoint.open(
      url, format: Recipe.format, as: Recipe.Options.self, mismatch: { options.architectureMismatch(with: $0) })
    if let difference = RecipeCheck.difference(stored: try checkpoint.configuration(Recipe.Options.self), current: options) {
      throw GenerativeKitError.file(
        path: url.path, reason: "the run was trained with another recipe (\(difference)); a resume continues it as it "
          + "was (only the epochs and the reporting may change): start a new run to train with other settings")
    }
    let seconds = checkpoint.metadata[RunCheckpoint.trainingSecondsKey].map { Double($0) }
    guard let seconds = seconds ?? 0, seconds.isFinite, seconds >= 0 else {
      throw GenerativeKitError.file(
        path: url.path, reason: "metadata '\(RunCheckpoint.trainingSecondsKey)' must be a number of seconds, got "
          + "'\(checkpoint.metadata[RunCheckpoint.trainingSecondsKey] ?? "")'")
    }
    try recipe.restore(from: checkpoint)
    self.epoch = epoch
    steps = step
    trainingSeconds = seconds
    resumedFrom = RunCheckpoint.ResumePoint(url: url, checkpoint: checkpoint)
  }

  // MARK: - Training

  /// Trains from the current epoch to `options.epochs`, writing checkpoints, pictures, curves and
  /// the log as it goes. A non-finite loss stops the run with ``TrainingError`` and leaves the
  /// checkpoints of the last good epoch in place.
  @discardableResult
  public func run(progress: ProgressReporter) throws -> [EpochReport] {
    try checkSnapshotMinutes()
    try parallelism?.prepare(recipe.dataParallelTrainer)
    guard parallelism?.writesFiles ?? true else {
      // The other processes of a data-parallel run train their shards and touch no file.
      return try trainEpochs(progress: progress) { _ in }
    }
    let folders = [outputDirectory, checkpointDirectory]
      + recipe.outputFolders.map { outputDirectory.appendingPathComponent($0) }
    for folder in folders {
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }
    // Held until this function returns: the folder belongs to this run.
    let lock = try RunFolderLock(directory: outputDirectory)
    defer { withExtendedLifetime(lock) {} }
    try claimFolder(folders: Array(folders.dropFirst()), progress: progress)
    let removed = RunFolder.removeInterruptedSaves(in: folders)
    if removed > 0 { progress.message("removed \(removed) temporary file(s) of interrupted saves") }
    let log = try RunLog(directory: outputDirectory, keepingEpochsThrough: epoch)
    if epoch > 0, (log.epochs.last?.epoch ?? 0) < epoch,
       let line = resumedFrom?.logLine, let report = RunLog.parse(line), report.epoch == epoch
    {
      // The process ended between the checkpoint and its log line: the checkpoint has the line.
      try log.append(report)
      progress.message("restored epoch \(epoch)'s line of log.jsonl from the checkpoint")
    }
    guard epoch < options.epochs else {
      progress.message("nothing to do: the run already completed \(epoch) of \(options.epochs) epochs")
      return []
    }
    return try trainEpochs(progress: progress) { [unowned self] report in
      try RunCheckpoint.save(try checkpoint(), report: report, of: options.epochs, saveEvery: options.saveEvery,
                             in: checkpointDirectory)
      try log.append(report)
      try recipe.writeFiles(after: report, log: log, in: outputDirectory, progress: progress)
    }
  }

  private func checkSnapshotMinutes() throws {
    if let bad = snapshotMinutes.first(where: { !($0.isFinite && $0 > 0) }) {
      throw GenerativeKitError.invalidArgument("snapshot minutes must be positive, got \(bad)")
    }
    if stopsAtLastSnapshot && snapshotMinutes.isEmpty {
      throw GenerativeKitError.invalidArgument("stopsAtLastSnapshot needs at least one time in snapshotMinutes")
    }
    if !snapshotMinutes.isEmpty, let parallelism, parallelism.processCount > 1 {
      throw GenerativeKitError.invalidArgument(
        "snapshots after minutes of training need one process: the \(parallelism.processCount) processes of a "
          + "data-parallel run would cross a time at different steps")
    }
  }

  /// Saves the run as it is after `minutes` of training, marked as a mid-epoch snapshot.
  private func saveSnapshot(minutes: Double, progress: ProgressReporter) throws {
    var snapshot = try checkpoint()
    snapshot.metadata[RunCheckpoint.snapshotKey] = RunCheckpoint.minutesLabel(minutes)
    let url = checkpointDirectory.appendingPathComponent(RunCheckpoint.snapshotFileName(minutes: minutes))
    try snapshot.save(to: url)
    progress.message("snapshot after \(RunCheckpoint.minutesLabel(minutes)) minutes of training (step \(steps), "
      + "epoch \(epoch + 1)): \(url.path)")
  }

  /// A fresh run takes the folder only if it holds no earlier run, or replaces it when allowed; a
  /// resumed run only continues the run the folder holds, at the checkpoint's epoch.
  private func claimFolder(folders: [URL], progress: ProgressReporter) throws {
    guard epoch == 0 else {
      try RunFolder.checkResume(of: resumedFrom?.url, epoch: epoch, into: outputDirectory)
      return
    }
    let earlier = RunFolder.earlierRun(in: outputDirectory)
    guard earlier.epochs > 0 || earlier.latestCheckpoint else { return }
    guard replacesEarlierRun else {
      throw GenerativeKitError.invalidArgument(
        "the output folder \(outputDirectory.path) already holds a run (\(earlier.epochs) epochs in log.jsonl"
          + (earlier.latestCheckpoint ? ", checkpoints/latest.safetensors" : "") + "): continue it with --resume "
          + "\(outputDirectory.path)/checkpoints/latest.safetensors, replace it with --overwrite, or choose another output folder")
    }
    try RunFolder.removeEarlierRun(in: outputDirectory, folders: folders)
    progress.message("replaced the earlier run in \(outputDirectory.path)")
  }

  /// The loop itself: the same global batches on every process (one seeded shuffle per epoch),
  /// each process's step on its rows, the figures averaged over the processes; `epochSaved`
  /// writes the epoch's files (nothing on processes other than 0).
  private func trainEpochs(progress: ProgressReporter, epochSaved: @escaping (EpochReport) throws -> Void) throws -> [EpochReport] {
    guard epoch < options.epochs else { return [] }
    // A last batch of one image cannot be batch-normalised, and each process needs a row of the
    // global batch: a shorter remainder is left out of the epoch (PyTorch's drop_last for it).
    let minimumBatch = max(2, parallelism?.processCount ?? 1)
    let loader = DataLoader(
      dataSet, batchSize: options.batchSize, shuffle: true, lastBatch: .keepAtLeast(minimumBatch), seed: options.seed)
    guard loader.batchesPerEpoch > 0 else {
      throw GenerativeKitError.invalidArgument(
        "\(dataSet.name) has \(dataSet.count) image\(dataSet.count == 1 ? "" : "s"), fewer than a batch needs "
          + "(at least \(minimumBatch): batch norm needs two values per channel"
          + (minimumBatch > 2 ? ", and each of the \(minimumBatch) processes a row" : "") + ")")
    }
    let loop = TrainingLoop(progress: progress)
    // The training clock runs from here and pauses while files are written.
    var clockStart = monotonicSeconds() - trainingSeconds
    func pausingClock(_ body: () throws -> Void) rethrows {
      let paused = monotonicSeconds()
      try body()
      clockStart += monotonicSeconds() - paused
    }
    var pendingSnapshots = snapshotMinutes.sorted().filter { $0 * 60 > trainingSeconds }
    if stopsAtLastSnapshot && pendingSnapshots.isEmpty {
      progress.message("nothing to do: the run has already trained \(Int(trainingSeconds / 60)) minutes, past the last "
        + "snapshot time (\(RunCheckpoint.minutesLabel(snapshotMinutes.max() ?? 0)) minutes)")
      return []
    }
    let writesFiles = parallelism?.writesFiles ?? true
    loop.onStepEnd = { [unowned self] report in
      steps = report.step
      trainingSeconds = monotonicSeconds() - clockStart
      var crossed = false
      while let next = pendingSnapshots.first, trainingSeconds >= next * 60 {
        pendingSnapshots.removeFirst()
        crossed = true
        if writesFiles { try pausingClock { try saveSnapshot(minutes: next, progress: progress) } }
      }
      if crossed && pendingSnapshots.isEmpty && stopsAtLastSnapshot { loop.stop() }
    }
    loop.onEpochEnd = { [unowned self] report in
      var report = report
      epoch = report.epoch
      try pausingClock {
        try recipe.finishEpoch(&report, progress: progress)
        try epochSaved(report)
      }
    }
    let parallelism = self.parallelism
    let (product, overflow) = options.epochs.multipliedReportingOverflow(by: loader.batchesPerEpoch)
    let plannedSteps = overflow ? Int.max : product
    let plannedSeconds = stopsAtLastSnapshot ? snapshotMinutes.max().map { $0 * 60 } : nil
    return try loop.run(
      epochs: (epoch + 1)...options.epochs, batchesPerEpoch: loader.batchesPerEpoch, firstStep: steps,
      batches: { loader.epoch($0) }
    ) { [unowned self] loaded in
      // Batch-wide changes (dynamic binarization) happen to the global batch, before sharding.
      let batch = try recipe.prepareGlobalBatch(loaded)
      recipe.prepareStep(at: TrainingPosition(
        step: steps, plannedSteps: plannedSteps, trainingSeconds: trainingSeconds, plannedSeconds: plannedSeconds))
      guard let parallelism else { return (try recipe.trainStep(on: batch, shard: nil), batch.images.shape[0]) }
      let shard = try parallelism.shard(globalCount: batch.images.shape[0])
      let rows: DataBatch = (try batch.images.rows(of: shard), batch.labels.map { Array($0[shard.rows]) })
      return (try parallelism.average(try recipe.trainStep(on: rows, shard: shard), shard: shard), batch.images.shape[0])
    }
  }
}
