import Foundation
import GenerativeKit
import GenerativeKitData

/// The options of one kind of experiment: everything that defines a run, saved as JSON in every
/// checkpoint. ``Experiment`` reads the schedule from them; the rest is the recipe's.
public protocol ExperimentOptions: Codable, Equatable, Sendable, CheckedConfiguration {
  /// The epochs the run trains for (a resume may raise it).
  var epochs: Int { get }
  /// Images per global batch.
  var batchSize: Int { get }
  /// Seeds the run: the shuffle of every epoch, and whatever the recipe derives from it.
  var seed: UInt64 { get }
  /// Epochs between numbered checkpoints (`checkpoints/latest.safetensors` is written every epoch).
  var saveEvery: Int { get }

  /// The first difference between the network `stored` in a checkpoint describes and this one's,
  /// as "field stored vs current", or nil when a checkpoint of `stored` fits these options'
  /// networks. (Differences of recipe, such as the learning rate, are found by the runner.)
  func architectureMismatch(with stored: Self) -> String?
}

/// What one kind of model brings to an ``Experiment``: how it trains on a batch, what its
/// checkpoints hold beyond the run's counters, and what it draws after an epoch. The experiment
/// owns everything else: the run folder and its lock, the log, the seeded data order, the
/// checkpoint files and their names, resuming (refusing another network or recipe), and
/// data-parallel sharding.
///
/// ``GANRecipe`` and ``VAERecipe`` are the library's; a model of your own is one class conforming
/// to this protocol (`docs/YOUR-OWN-RECIPE.md` in the repository walks through one).
public protocol ExperimentRecipe: AnyObject {
  /// The options that define a run of this recipe.
  associatedtype Options: ExperimentOptions

  /// The `format` metadata of this recipe's checkpoints (for example `generativekit-gan`): a
  /// checkpoint of another format is refused by name.
  static var format: String { get }

  /// The run's options.
  var options: Options { get }

  /// Folders inside the run folder the recipe writes into (for example `samples`), besides
  /// `checkpoints`; they are created before training and cleared when a run is replaced.
  var outputFolders: [String] { get }

  /// The trainer of the recipe's model, which data-parallel training prepares (same weights and
  /// random state everywhere, synchronised batch statistics, averaged gradients).
  var dataParallelTrainer: any DataParallelTrainable { get }

  /// Changes a whole global batch before it is split among processes (for example dynamic
  /// binarization, which draws random pixels). The default returns the batch unchanged.
  func prepareGlobalBatch(_ batch: DataBatch) throws -> DataBatch

  /// Called before every step with how far the run has come, for schedules (a learning rate
  /// that decays towards the end). The default does nothing.
  func prepareStep(at position: TrainingPosition)

  /// One training step on `batch` (images and, where the data set has them, labels): this
  /// process's rows of the global batch when `shard` is given. Returns the step's figures.
  func trainStep(on batch: DataBatch, shard: BatchShard?) throws -> TrainingFigures

  /// Called after every epoch on every process, before the checkpoint is saved: may add figures
  /// to the epoch's report (a test loss) and print a line. The default does nothing.
  func finishEpoch(_ report: inout EpochReport, progress: ProgressReporter) throws

  /// Adds the recipe's state to a checkpoint that already holds the options and counters: model
  /// weights, optimizer moments, random generators.
  func save(into checkpoint: inout Checkpoint) throws

  /// Restores the state ``save(into:)`` wrote. Nothing may change unless all of it fits: read and
  /// check everything first, then assign. Errors name the tensor or generator at fault.
  func restore(from checkpoint: Checkpoint) throws

  /// Writes what people look at after an epoch has been checkpointed and logged (process 0 only):
  /// sample grids, curves. `log` holds every epoch so far; files go into `directory`.
  func writeFiles(after report: EpochReport, log: RunLog, in directory: URL, progress: ProgressReporter) throws
}

extension ExperimentRecipe {
  public func prepareGlobalBatch(_ batch: DataBatch) throws -> DataBatch { batch }
  public func prepareStep(at position: TrainingPosition) {}
  public func finishEpoch(_ report: inout EpochReport, progress: ProgressReporter) throws {}
}

/// How far a run has come before one of its steps, against what it plans: the steps of its
/// epochs, and the minutes of training when it stops after a time (``Experiment/stopsAtLastSnapshot``).
public struct TrainingPosition: Sendable, Equatable {
  /// Steps taken before this one (0 before the first).
  public var step: Int
  /// The steps of all the run's epochs (`epochs` x batches per epoch).
  public var plannedSteps: Int
  /// Seconds of training so far (the experiment's training clock).
  public var trainingSeconds: Double
  /// The run's time budget in seconds, when it stops after a time; nil when only its epochs end it.
  public var plannedSeconds: Double?

  public init(step: Int, plannedSteps: Int, trainingSeconds: Double, plannedSeconds: Double?) {
    self.step = step
    self.plannedSteps = plannedSteps
    self.trainingSeconds = trainingSeconds
    self.plannedSeconds = plannedSeconds
  }

  /// The fraction of the planned training done, in [0, 1]: of the steps or of the time budget,
  /// whichever ends the run first. With a time budget it follows the clock, so two runs of the
  /// same seed differ from the first step at which their clocks disagree.
  public var fraction: Double {
    let ofSteps = plannedSteps > 0 ? Double(step) / Double(plannedSteps) : 0
    let ofTime = plannedSeconds.map { $0 > 0 ? trainingSeconds / $0 : 0 } ?? 0
    return min(max(ofSteps, ofTime, 0), 1)
  }
}
