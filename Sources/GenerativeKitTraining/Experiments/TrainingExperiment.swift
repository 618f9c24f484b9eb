import Foundation
import GenerativeKit

/// A complete training run that writes into a folder and can continue from its checkpoints:
/// every ``Experiment`` (``GANExperiment``, ``VAEExperiment``, or a recipe of your own).
public protocol TrainingExperiment: AnyObject {
  /// The epochs completed so far (after a resume, the checkpoint's epoch).
  var epoch: Int { get }
  /// Whether a fresh run may replace an earlier run found in its output folder.
  var replacesEarlierRun: Bool { get set }
  /// Several processes training this model together (`GenerativeKitDistributed`'s
  /// `DataParallel`): each takes its shard of every global batch of `batchSize`, and process 0
  /// writes the files. Nil: one process.
  var parallelism: (any DataParallelism)? { get set }
  /// Training times, in minutes, after which a snapshot `checkpoints/minutes-M.safetensors` is
  /// saved (``Experiment/snapshotMinutes``).
  var snapshotMinutes: [Double] { get set }
  /// Whether training ends at the last of ``snapshotMinutes`` (``Experiment/stopsAtLastSnapshot``).
  var stopsAtLastSnapshot: Bool { get set }
  /// Continues from a checkpoint this kind of experiment wrote; nothing changes on error. The
  /// experiment's options must be the checkpoint's except for the epochs and the reporting
  /// (`logEvery`, `saveEvery`, `sampleEvery`, `sampleCount`): a different network or recipe (batch
  /// size, learning rate, loss, seed, generator average, ...) is refused, naming the field.
  func resume(from url: URL) throws
  /// Trains up to the configured number of epochs, writing checkpoints, pictures and logs.
  @discardableResult
  func run(progress: ProgressReporter) throws -> [EpochReport]
}
