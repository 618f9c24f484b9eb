import ArgumentParser
import Foundation
import GenerativeKit
import GenerativeKitData
import GenerativeKitTraining

/// The options every training example shares.
public struct TrainingOptions: ParsableArguments {
  @Option(help: "Folder with the data sets (default: $GENERATIVEKIT_DATA, then ~/.cache/generativekit).")
  public var dataDir: String?

  @Option(help: "Folder for checkpoints, sample grids, loss curves and the log.")
  public var output: String?

  @Option(parsing: .unconditional, help: "Epochs to train (in total, counting epochs done before a resume).")
  public var epochs: Int?

  @Option(parsing: .unconditional, help: "Images per batch.")
  public var batchSize: Int?

  @Option(parsing: .unconditional, help: "Adam learning rate.")
  public var learningRate: Float?

  @Option(help: "Random seed: the same seed and thread count give the same run.")
  public var seed: UInt64 = 1

  @Option(parsing: .unconditional, help: "Threads for the GEMMs and the parallel loops.")
  public var threads: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

  @Option(help: "Continue from this checkpoint (for example OUTPUT/checkpoints/latest.safetensors).")
  public var resume: String?

  @Option(parsing: .unconditional, help: "Train on the first N training images only (quick looks and tests).")
  public var limit: Int?

  @Option(parsing: .unconditional, help: ArgumentHelp(
    "Train for this many minutes of training time (steps and data loading; saving files pauses the clock), then stop, "
      + "even mid-epoch, saving checkpoints/minutes-M.safetensors; --epochs still ends a run that is faster.",
    valueName: "minutes"))
  public var minutes: Double?

  @Option(help: ArgumentHelp(
    "Save checkpoints/minutes-M.safetensors after each of these minutes of training time (comma-separated, for "
      + "example 2,5,10), for comparing recipes after equal minutes; sample reads them.",
    valueName: "m1,m2,..."))
  public var snapshotMinutes: String?

  @Flag(help: "Start afresh in an output folder that holds an earlier run, deleting its checkpoints, pictures and log.")
  public var overwrite = false

  @Flag(help: "Download MNIST or Fashion-MNIST into the cache when the files are not found (needs internet).")
  public var download = false

  public init() {}

  public func validate() throws {
    if let epochs { try ArgumentChecks.check(epochs, "--epochs", in: ArgumentChecks.epochs) }
    if let batchSize { try ArgumentChecks.check(batchSize, "--batch-size", in: ArgumentChecks.batchSize) }
    if let learningRate { try ArgumentChecks.checkPositive(learningRate, "--learning-rate", atMost: 10) }
    try ArgumentChecks.check(threads, "--threads", in: ArgumentChecks.threads)
    if let limit, limit < 1 { throw ValidationError("--limit must be at least 1, got \(limit)") }
    if let dataDir { try ArgumentChecks.checkExistingFolder(dataDir, "--data-dir") }
    if let output { try ArgumentChecks.checkNotEmpty(output, "--output") }
    if let minutes { try ArgumentChecks.checkPositive(Float(minutes), "--minutes", atMost: 1e6) }
    _ = try snapshotTimes()
    if resume != nil && overwrite { throw ValidationError("--resume and --overwrite exclude each other") }
    if let resume, !FileManager.default.fileExists(atPath: resume) {
      throw ValidationError("--resume: no file at \(resume)")
    }
  }

  /// How long the run trains, for a banner: "10 epochs", or "10 minutes" when `--minutes` bounds it
  /// and `--epochs` does not.
  public func length(epochs: Int) -> String {
    guard let minutes, self.epochs == nil else { return "\(epochs) epochs" }
    return "\(minutes == minutes.rounded() && minutes < 1e9 ? String(Int(minutes)) : String(minutes)) minutes"
  }

  /// The snapshot times of `--snapshot-minutes` and `--minutes`, sorted.
  public func snapshotTimes() throws -> [Double] {
    var times: [Double] = []
    for text in (snapshotMinutes ?? "").split(separator: ",", omittingEmptySubsequences: false) where snapshotMinutes != nil {
      let trimmed = text.trimmingCharacters(in: .whitespaces)
      guard let value = Double(trimmed), value.isFinite, value > 0 else {
        throw ValidationError("--snapshot-minutes takes positive numbers of minutes separated by commas (for example 2,5,10), got '\(trimmed)'")
      }
      times.append(value)
    }
    if let minutes { times.append(minutes) }
    return Array(Set(times)).sorted()
  }

  /// Applies the thread count, seeds the process-wide generator and prints the BLAS line.
  public func configureRuntime() {
    useThreads(threads)
    GlobalRandom.seed(seed)
  }

  /// Loads a named data set's split (`--limit` applies to the training split only) and says what was loaded.
  public func loadData(_ name: DataSetName, split: DataSplit = .train, pixelRange: PixelRange) throws -> ImageDataSet {
    var downloader: DataSetDownloader?
    if download { downloader = DataSetDownloader(directory: DataDirectories.cacheDirectory()) }
    var data: ImageDataSet
    do {
      data = try ImageDataSet.load(name, split: split, pixelRange: pixelRange, directory: dataDir, downloader: downloader)
    } catch DataSetError.notFound(let setName, _) {
      let searched = DataDirectories.searchList(for: name, directory: dataDir).joined(separator: ", ")
      throw DataSetError.notFound(
        name: setName,
        message: "The \(name) files were not found (looked in \(searched), and in a \(name) subfolder of each). "
          + "Run again with --download (needs internet) to fetch them into \(DataDirectories.cacheDirectory()), "
          + "or pass --data-dir DIR (or set GENERATIVEKIT_DATA) pointing to a folder that holds them.")
    }
    if let limit, split == .train { data = data.prefix(limit) }
    print("data: \(data.name), \(data.count) images of \(Tensor.describe(shape: data.imageShape)), pixels in \(pixelRange)"
      + (data.sourceFiles.isEmpty ? "" : ", read from \(data.sourceFiles.joined(separator: " and "))"))
    return data
  }

  /// The output folder as a URL.
  public func outputDirectory(default name: String) -> URL {
    URL(fileURLWithPath: output ?? "output/\(name)")
  }
}

/// Sets the thread count and prints which OpenBLAS kernels run the GEMMs (the first line of every
/// example's log; a warning goes to standard error when they are slower than the CPU allows).
public func useThreads(_ threads: Int) {
  Threading.threadCount = threads
  let blas = BLAS.configuration
  print("blas: \(blas.summary); \(threads) threads")
  if let warning = blas.warning { FileHandle.standardError.write(Data((warning + "\n").utf8)) }
}

/// Runs `body`, turning library errors into one clear message and a non-zero exit (no stack trace).
public func runReportingErrors(_ body: () throws -> Void) throws {
  do {
    try body()
  } catch let error as GenerativeKitError {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    throw ExitCode(1)
  } catch let error as DataSetError {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    throw ExitCode(1)
  } catch let error as TrainingError {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    throw ExitCode(2)
  } catch let error as CocoaError {
    // File-system failures (an unwritable --output, a full disk): Foundation's sentence, not its dump.
    let path = (error.userInfo[NSFilePathErrorKey] as? String).map { " (\($0))" } ?? ""
    FileHandle.standardError.write(Data("error: \(error.localizedDescription)\(path)\n".utf8))
    throw ExitCode(1)
  }
}

extension TrainingOptions {
  /// Resumes `experiment` when `--resume` was given, prints `banner`, and trains for `epochs`;
  /// with `parallelism`, as one process of a data-parallel job (every process reads the same
  /// checkpoint to resume; process 0 writes the files).
  public func train(
    _ experiment: some TrainingExperiment, epochs: Int, banner: String, parallelism: (any DataParallelism)? = nil
  ) throws {
    experiment.replacesEarlierRun = overwrite
    experiment.parallelism = parallelism
    experiment.snapshotMinutes = try snapshotTimes()
    experiment.stopsAtLastSnapshot = minutes != nil
    if let resume {
      try experiment.resume(from: URL(fileURLWithPath: resume))
      print("resumed from \(resume) at epoch \(experiment.epoch)")
    }
    print(banner)
    let progress = parallelism.map { $0.writesFiles } == false
      ? ProgressReporter(style: .silent, totalEpochs: epochs)
      : .automatic(totalEpochs: epochs, timeBudget: minutes != nil && self.epochs == nil ? length(epochs: epochs) : nil)
    try experiment.run(progress: progress)
  }
}

/// The fields of a run's options that the common flags set.
public protocol TrainingSchedule {
  var epochs: Int { get set }
  var batchSize: Int { get set }
  var learningRate: Float { get set }
  var seed: UInt64 { get set }
}

extension GANOptions: TrainingSchedule {}
extension VAEOptions: TrainingSchedule {}

extension TrainingOptions {
  /// Sets `options`' epochs, batch size and learning rate from the flags given (the fields keep
  /// their values otherwise; with `--minutes` and no `--epochs`, the epochs do not bound the run)
  /// and its seed from `--seed`.
  public func applySchedule<Options: TrainingSchedule>(to options: inout Options) {
    // A run given minutes trains until they are over unless --epochs also bounds it.
    options.epochs = epochs ?? (minutes != nil ? ArgumentChecks.epochs.upperBound : options.epochs)
    options.batchSize = batchSize ?? options.batchSize
    options.learningRate = learningRate ?? options.learningRate
    options.seed = seed
  }
}
