import Foundation
import GenerativeKit
import GenerativeKitData

/// The parts of a training run's checkpoint both experiment kinds share: the format tag, the
/// options as JSON, and the epoch and step reached.
enum RunCheckpoint {
  /// A new checkpoint tagged with `format`, holding `options`, `epoch` and `step`.
  static func make<Options: Encodable>(format: String, options: Options, epoch: Int, step: Int) throws -> Checkpoint {
    var checkpoint = Checkpoint(metadata: ["format": format, "version": "1"])
    try checkpoint.setConfiguration(options)
    checkpoint.epoch = epoch
    checkpoint.step = step
    return checkpoint
  }

  /// Opens a checkpoint written by an experiment of kind `format` and checks that its network
  /// matches: `mismatch` returns a description of the first difference from the saved options.
  static func open<Options: Decodable>(
    _ url: URL, format: String, as: Options.Type, mismatch: (Options) -> String?
  ) throws -> (checkpoint: Checkpoint, epoch: Int, step: Int) {
    let checkpoint = try Checkpoint(contentsOf: url)
    guard checkpoint.metadata["format"] == format else {
      throw GenerativeKitError.file(
        path: url.path, reason: "not a checkpoint of this kind of run (metadata format is "
          + "\(checkpoint.metadata["format"].map { "'\($0)'" } ?? "missing"), expected '\(format)')")
    }
    if let difference = mismatch(try checkpoint.configuration(Options.self)) {
      throw GenerativeKitError.file(path: url.path, reason: "checkpoint was trained with a different network (\(difference))")
    }
    guard let epoch = checkpoint.epoch, let step = checkpoint.step, epoch >= 0, step >= 0 else {
      throw GenerativeKitError.file(path: url.path, reason: "checkpoint metadata lacks a valid 'epoch' or 'step'")
    }
    return (checkpoint, epoch, step)
  }

  /// The metadata key of the epoch's `log.jsonl` line in a checkpoint.
  static let logLineKey = "log_line"

  /// Where a resumed run continues from: the checkpoint file and the log line it carries.
  struct ResumePoint {
    let url: URL
    let logLine: String?

    init(url: URL, checkpoint: Checkpoint) {
      self.url = url
      logLine = checkpoint.metadata[logLineKey]
    }
  }

  /// Saves `checkpoint` as `checkpoints/latest.safetensors` in `directory` after every epoch, and as
  /// a numbered file every `saveEvery` epochs and after the last one. The checkpoint carries the
  /// epoch's log line, so that a resume restores it if the process died before the log was written.
  static func save(_ checkpoint: Checkpoint, report: EpochReport, of totalEpochs: Int, saveEvery: Int, in directory: URL) throws {
    var checkpoint = checkpoint
    checkpoint.metadata[logLineKey] = RunLog.jsonLine(report)
    let epoch = report.epoch
    try checkpoint.save(to: directory.appendingPathComponent("latest.safetensors"))
    if epoch % saveEvery == 0 || epoch == totalEpochs {
      try checkpoint.save(to: directory.appendingPathComponent(fileName(epoch: epoch, extension: "safetensors")))
    }
  }

  /// `epoch-0030.png`-style names, so files sort by epoch.
  static func fileName(epoch: Int, extension ext: String) -> String {
    let digits = String(epoch)
    return "epoch-" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits + "." + ext
  }
}

/// The epoch loop both experiment kinds share: folders, the run log, a seeded loader, the stop when
/// nothing is left to do, and the hooks that keep the experiment's counters and files current.
enum ExperimentEpochs {
  /// Trains epochs `completedEpochs + 1 ... totalEpochs`.
  /// - Parameters:
  ///   - step: trains on one batch (images and, where the data set has them, labels) and returns its figures.
  ///   - stepFinished: receives the global step count after every step.
  ///   - epochFinished: may add figures to the epoch's report before it is logged.
  ///   - checkpointsWritten: saves the epoch's checkpoints, before the epoch enters the log, so a
  ///     failed save never leaves a log that describes an epoch no checkpoint holds.
  ///   - filesWritten: runs with the log after it (pictures, curves).
  ///   - replacingEarlierRun: a fresh run (no epochs completed) in a folder that holds an earlier
  ///     run's log or checkpoint deletes that run's files when true and is refused when false.
  ///   - resumedFrom: the checkpoint a resumed run continues from: a resume into a folder that
  ///     holds another run, or this run at a later epoch, is refused, and a log line the process
  ///     died before writing is restored from it.
  ///   - prepareBatch: changes every global batch before it is sharded (dynamic binarization).
  ///   - parallelism: several processes training together: `step` then gets this process's rows
  ///     of each global batch and its shard, the figures are averaged over the processes, and only
  ///     process 0 touches files (lock, log, checkpoints, pictures).
  static func run(
    folders: [URL], outputDirectory: URL, dataSet: ImageDataSet, batchSize: Int, seed: UInt64,
    completedEpochs: Int, totalEpochs: Int, firstStep: Int, replacingEarlierRun: Bool, resumedFrom: RunCheckpoint.ResumePoint?,
    parallelism: (any DataParallelism)? = nil,
    progress: ProgressReporter,
    prepareBatch: ((DataBatch) throws -> DataBatch)? = nil,
    step: @escaping (DataBatch, BatchShard?) throws -> TrainingFigures,
    stepFinished: @escaping (Int) -> Void,
    epochFinished: @escaping (inout EpochReport) throws -> Void,
    checkpointsWritten: @escaping (EpochReport) throws -> Void,
    filesWritten: @escaping (EpochReport, RunLog) throws -> Void
  ) throws -> [EpochReport] {
    guard parallelism?.writesFiles ?? true else {
      // The other processes of a data-parallel run train their shards and touch no file.
      guard completedEpochs < totalEpochs else { return [] }
      return try trainEpochs(
        dataSet: dataSet, batchSize: batchSize, seed: seed, epochs: (completedEpochs + 1)...totalEpochs,
        firstStep: firstStep, parallelism: parallelism, progress: progress, prepareBatch: prepareBatch, step: step,
        stepFinished: stepFinished, epochFinished: epochFinished)
    }
    for folder in [outputDirectory] + folders {
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }
    // Held until this function returns: the folder belongs to this run.
    let lock = try RunFolderLock(directory: outputDirectory)
    defer { withExtendedLifetime(lock) {} }
    if completedEpochs == 0 {
      let earlier = RunFolder.earlierRun(in: outputDirectory)
      if earlier.epochs > 0 || earlier.latestCheckpoint {
        guard replacingEarlierRun else {
          throw GenerativeKitError.invalidArgument(
            "the output folder \(outputDirectory.path) already holds a run (\(earlier.epochs) epochs in log.jsonl"
              + (earlier.latestCheckpoint ? ", checkpoints/latest.safetensors" : "") + "): continue it with --resume "
              + "\(outputDirectory.path)/checkpoints/latest.safetensors, replace it with --overwrite, or choose another output folder")
        }
        try RunFolder.removeEarlierRun(in: outputDirectory, folders: folders)
        progress.message("replaced the earlier run in \(outputDirectory.path)")
      }
    } else {
      try RunFolder.checkResume(of: resumedFrom?.url, epoch: completedEpochs, into: outputDirectory)
    }
    let removed = RunFolder.removeInterruptedSaves(in: [outputDirectory] + folders)
    if removed > 0 { progress.message("removed \(removed) temporary file(s) of interrupted saves") }
    let log = try RunLog(directory: outputDirectory, keepingEpochsThrough: completedEpochs)
    if completedEpochs > 0, (log.epochs.last?.epoch ?? 0) < completedEpochs,
       let line = resumedFrom?.logLine, let report = RunLog.parse(line), report.epoch == completedEpochs
    {
      // The process ended between the checkpoint and its log line: the checkpoint has the line.
      try log.append(report)
      progress.message("restored epoch \(completedEpochs)'s line of log.jsonl from the checkpoint")
    }
    guard completedEpochs < totalEpochs else {
      progress.message("nothing to do: the run already completed \(completedEpochs) of \(totalEpochs) epochs")
      return []
    }
    return try trainEpochs(
      dataSet: dataSet, batchSize: batchSize, seed: seed, epochs: (completedEpochs + 1)...totalEpochs,
      firstStep: firstStep, parallelism: parallelism, progress: progress, prepareBatch: prepareBatch, step: step,
      stepFinished: stepFinished
    ) { report in
      try epochFinished(&report)
      try checkpointsWritten(report)
      try log.append(report)
      try filesWritten(report, log)
    }
  }

  /// The loop itself: the same global batches on every process (one seeded shuffle per epoch),
  /// each process's step on its rows, the figures averaged over the processes.
  private static func trainEpochs(
    dataSet: ImageDataSet, batchSize: Int, seed: UInt64, epochs: ClosedRange<Int>, firstStep: Int,
    parallelism: (any DataParallelism)?, progress: ProgressReporter, prepareBatch: ((DataBatch) throws -> DataBatch)?,
    step: @escaping (DataBatch, BatchShard?) throws -> TrainingFigures,
    stepFinished: @escaping (Int) -> Void, epochFinished: @escaping (inout EpochReport) throws -> Void
  ) throws -> [EpochReport] {
    // A last batch of one image cannot be batch-normalised, and each process needs a row of the
    // global batch: a shorter remainder is left out of the epoch (PyTorch's drop_last for it).
    let minimumBatch = max(2, parallelism?.processCount ?? 1)
    let loader = DataLoader(dataSet, batchSize: batchSize, shuffle: true, lastBatch: .keepAtLeast(minimumBatch), seed: seed)
    guard loader.batchesPerEpoch > 0 else {
      throw GenerativeKitError.invalidArgument(
        "\(dataSet.name) has \(dataSet.count) image\(dataSet.count == 1 ? "" : "s"), fewer than a batch needs "
          + "(at least \(minimumBatch): batch norm needs two values per channel"
          + (minimumBatch > 2 ? ", and each of the \(minimumBatch) processes a row" : "") + ")")
    }
    let loop = TrainingLoop(progress: progress)
    loop.onStepEnd = { stepFinished($0.step) }
    loop.onEpochEnd = { report in
      var report = report
      try epochFinished(&report)
    }
    return try loop.run(
      epochs: epochs, batchesPerEpoch: loader.batchesPerEpoch, firstStep: firstStep, batches: { loader.epoch($0 - 1) }
    ) { loaded in
      // Batch-wide changes (dynamic binarization) happen to the global batch, before sharding.
      let batch = try prepareBatch?(loaded) ?? loaded
      guard let parallelism else { return (try step(batch, nil), batch.images.shape[0]) }
      let shard = try parallelism.shard(globalCount: batch.images.shape[0])
      let rows: DataBatch = (try batch.images.rows(of: shard), batch.labels.map { Array($0[shard.rows]) })
      return (try parallelism.average(try step(rows, shard), shard: shard), batch.images.shape[0])
    }
  }
}
