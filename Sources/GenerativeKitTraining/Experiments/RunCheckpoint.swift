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
    if let minutes = checkpoint.metadata[snapshotKey] {
      throw GenerativeKitError.file(
        path: url.path, reason: "a snapshot taken after \(minutes) minutes of training, in the middle of an epoch: sample "
          + "and gk-explore read it, but a run resumes only from the end of an epoch (checkpoints/latest.safetensors "
          + "or a numbered epoch-NNNN.safetensors)")
    }
    guard let epoch = checkpoint.epoch, let step = checkpoint.step, epoch >= 0, step >= 0 else {
      throw GenerativeKitError.file(path: url.path, reason: "checkpoint metadata lacks a valid 'epoch' or 'step'")
    }
    return (checkpoint, epoch, step)
  }

  /// The metadata key of the training time a checkpoint's run had spent, in seconds (steps and
  /// data loading, not saving files), so that a resumed run's clock continues.
  static let trainingSecondsKey = "training_seconds"
  /// The metadata key that marks a snapshot taken mid-epoch after some minutes of training; its
  /// value is the minutes.
  static let snapshotKey = "snapshot_minutes"

  /// `minutes-2.safetensors`, `minutes-0.5.safetensors`: the snapshot after `minutes` of training.
  static func snapshotFileName(minutes: Double) -> String { "minutes-\(minutesLabel(minutes)).safetensors" }

  /// `2` for 2.0, `0.5` for 0.5.
  static func minutesLabel(_ minutes: Double) -> String {
    minutes == minutes.rounded() && abs(minutes) < 1e9 ? String(Int(minutes)) : String(minutes)
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

extension RunCheckpoint {
  /// The networks' description a recipe stored under `key` (`GANConfiguration` under `gan`,
  /// `VAEConfiguration` under `vae`); the error names the file and the key.
  static func networks<Description: Decodable>(
    _ type: Description.Type, in checkpoint: Checkpoint, key: String, model: String
  ) throws -> Description {
    guard checkpoint.metadata[key] != nil else {
      throw GenerativeKitError.file(
        path: checkpoint.path ?? "checkpoint",
        reason: "a \(model) of architecture custom, but its metadata has no '\(key)' describing the networks")
    }
    return try checkpoint.configuration(type, forKey: key)
  }

  /// The model `build` makes from the stored description, with placeholder weights; an error in
  /// the description is named with the file and the key.
  static func model<Description: Decodable, Model>(
    _ type: Description.Type, in checkpoint: Checkpoint, key: String, model: String, build: (Description) throws -> Model
  ) throws -> Model {
    let description = try networks(type, in: checkpoint, key: key, model: model)
    do {
      return try build(description)
    } catch GenerativeKitError.invalidArgument(let reason) {
      throw GenerativeKitError.file(path: checkpoint.path ?? "checkpoint", reason: "metadata '\(key)': \(reason)")
    }
  }

  /// Refuses a checkpoint whose stored networks differ from the current ones, naming the first
  /// difference (`difference(stored)` compares the stored description with the current one).
  static func requireSameNetworks<Description: Decodable>(
    _ type: Description.Type, in checkpoint: Checkpoint, key: String, model: String, difference: (Description) -> String?
  ) throws {
    if let difference = difference(try networks(type, in: checkpoint, key: key, model: model)) {
      throw GenerativeKitError.file(
        path: checkpoint.path ?? "checkpoint", reason: "the checkpoint holds other networks (\(difference), stored vs current)")
    }
  }
}
