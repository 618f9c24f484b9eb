import CMPI
import GenerativeKit
import Synchronization

/// The processes of an MPI job (`MPI_COMM_WORLD`): which one this is, how many there are, and the
/// collective operations data-parallel training needs, with a count of what they moved.
///
/// Start the job with `mpirun -np N program ...`; a program started without `mpirun` is a job of
/// one process. MPI is initialised on first use (`MPI_THREAD_FUNNELED`: only the thread that
/// initialised it calls MPI, and GenerativeKit's worker threads never do) and finalised by
/// ``finalize()``. MPI's default error handler is kept: an error in any process, or the death of
/// one, ends the whole job, so no process waits forever on a peer that is gone.
///
/// Sendable without a lock on the MPI calls: its stored properties are set once, the counters sit
/// behind a mutex, and MPI itself is called only from the thread that initialised it.
public final class MPICommunicator: @unchecked Sendable {
  /// This process's number, 0 to `size - 1`; process 0 writes checkpoints and logs.
  public let rank: Int
  /// The number of processes in the job.
  public let size: Int
  private let world: MPI_Comm
  private let counters = Mutex(CommunicationCounters())

  private static let shared = Mutex<MPICommunicator?>(nil)

  /// The job's communicator, initialising MPI in the first call.
  ///
  /// - Throws: `GenerativeKitError.invalidArgument(_:)` when MPI cannot be initialised or gives
  ///   less thread support than needed.
  public static func world() throws -> MPICommunicator {
    try shared.withLock { shared in
      if let shared { return shared }
      var initialized: Int32 = 0
      MPI_Initialized(&initialized)
      if initialized == 0 {
        var provided: Int32 = 0
        guard MPI_Init_thread(nil, nil, gk_mpi_thread_funneled(), &provided) == gk_mpi_success() else {
          throw GenerativeKitError.invalidArgument("MPI: MPI_Init_thread failed")
        }
        guard provided >= gk_mpi_thread_funneled() else {
          throw GenerativeKitError.invalidArgument("MPI: the library gives thread level \(provided), GenerativeKit needs FUNNELED")
        }
      }
      guard let world = gk_mpi_comm_world() else { throw GenerativeKitError.invalidArgument("MPI: no MPI_COMM_WORLD") }
      var rank: Int32 = 0
      var size: Int32 = 0
      MPI_Comm_rank(world, &rank)
      MPI_Comm_size(world, &size)
      let communicator = MPICommunicator(world: world, rank: Int(rank), size: Int(size))
      shared = communicator
      return communicator
    }
  }

  private init(world: MPI_Comm, rank: Int, size: Int) {
    self.world = world
    self.rank = rank
    self.size = size
  }

  /// Whether this is process 0, the one that writes files.
  public var isRoot: Bool { rank == 0 }

  /// What the collective operations of this process have moved so far.
  public var statistics: CommunicationCounters { counters.withLock { $0 } }

  /// Zeroes ``statistics``.
  public func resetStatistics() { counters.withLock { $0 = CommunicationCounters() } }

  /// Replaces each of `count` floats at `buffer` with its sum over all processes.
  public func allreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws {
    try timed(bytes: count * MemoryLayout<Float>.size) {
      MPI_Allreduce(gk_mpi_in_place(), buffer, Int32(count), gk_mpi_float(), gk_mpi_sum(), world)
    }
  }

  /// Replaces each value with its sum over all processes.
  public func allreduceSum(_ values: inout [Double]) throws {
    let count = values.count
    try values.withUnsafeMutableBufferPointer { buffer in
      try timed(bytes: count * MemoryLayout<Double>.size) {
        MPI_Allreduce(gk_mpi_in_place(), buffer.baseAddress, Int32(count), gk_mpi_double(), gk_mpi_sum(), world)
      }
    }
  }

  /// Copies `count` floats at `buffer` from process `root` to every other process.
  public func broadcast(_ buffer: UnsafeMutablePointer<Float>, count: Int, root: Int = 0) throws {
    try timed(bytes: count * MemoryLayout<Float>.size) {
      MPI_Bcast(buffer, Int32(count), gk_mpi_float(), Int32(root), world)
    }
  }

  /// Process `root`'s bytes on every process (its length first, so the others need not know it).
  public func broadcast(bytes: [UInt8], root: Int = 0) throws -> [UInt8] {
    var length = [Int64(bytes.count)]
    try length.withUnsafeMutableBufferPointer { buffer in
      try timed(bytes: 8) { MPI_Bcast(buffer.baseAddress, 1, gk_mpi_int64(), Int32(root), world) }
    }
    var result = rank == root ? bytes : [UInt8](repeating: 0, count: Int(length[0]))
    try result.withUnsafeMutableBufferPointer { buffer in
      try timed(bytes: buffer.count) {
        MPI_Bcast(buffer.baseAddress, Int32(buffer.count), gk_mpi_uint8(), Int32(root), world)
      }
    }
    return result
  }

  /// Waits until every process has called it.
  public func barrier() throws {
    try timed(bytes: 0) { MPI_Barrier(world) }
  }

  /// Ends MPI in this process; call once, after the last collective operation, in every process.
  public func finalize() {
    var finalized: Int32 = 0
    MPI_Finalized(&finalized)
    if finalized == 0 { MPI_Finalize() }
  }

  /// Starts summing `count` floats at `buffer` across the processes, in place, and returns at once
  /// (a non-blocking allreduce): the buffer must stay alive and untouched until ``wait(_:)``.
  /// Every process starts the same reductions in the same order.
  public func startAllreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws -> PendingReduction {
    var request = gk_mpi_request_null()
    try timed(bytes: count * MemoryLayout<Float>.size) {
      MPI_Iallreduce(gk_mpi_in_place(), buffer, Int32(count), gk_mpi_float(), gk_mpi_sum(), world, &request)
    }
    return PendingReduction(request: request)
  }

  /// Lets MPI move pending reductions along (Open MPI progresses them only inside MPI calls);
  /// returns whether `pending` is complete.
  @discardableResult
  public func poll(_ pending: PendingReduction) throws -> Bool {
    guard !pending.isComplete else { return true }
    var done: Int32 = 0
    let status = MPI_Test(&pending.request, &done, gk_mpi_status_ignore())
    guard status == gk_mpi_success() else {
      throw GenerativeKitError.invalidArgument("MPI: a pending reduction failed with code \(status) on rank \(rank)")
    }
    if done != 0 { pending.isComplete = true }
    return pending.isComplete
  }

  /// Waits until `pending` is complete; the time spent waiting counts in ``statistics``.
  public func wait(_ pending: PendingReduction) throws {
    guard !pending.isComplete else { return }
    try timed(bytes: 0, countsCall: false) { MPI_Wait(&pending.request, gk_mpi_status_ignore()) }
    pending.isComplete = true
  }

  /// Stops every process of the job with `message` (from any one process).
  public func abort(_ message: String) -> Never {
    print("rank \(rank): \(message)")
    MPI_Abort(world, 1)
    fatalError(message)
  }

  private func timed(bytes: Int, countsCall: Bool = true, _ operation: () -> Int32) throws {
    let start = monotonicSeconds()
    let status = operation()
    let seconds = monotonicSeconds() - start
    counters.withLock {
      if countsCall { $0.calls += 1 }
      $0.bytes += bytes
      $0.seconds += seconds
    }
    guard status == gk_mpi_success() else {
      throw GenerativeKitError.invalidArgument("MPI: a collective operation failed with code \(status) on rank \(rank)")
    }
  }
}

/// Collective operations of one process: how many, the bytes of its own buffers they carried (an
/// allreduce of n bytes sends about 2n(N-1)/N over the network in a ring), and the wall time in them.
public struct CommunicationCounters: Sendable, Equatable {
  /// Collective calls.
  public var calls = 0
  /// Bytes of this process's buffers passed to them.
  public var bytes = 0
  /// Seconds spent inside them, waiting for slower processes included.
  public var seconds = 0.0
}

/// A reduction started by ``MPICommunicator/startAllreduceSum(_:count:)`` and not yet waited for.
public final class PendingReduction {
  fileprivate var request: MPI_Request?
  /// Whether MPI has finished it.
  public fileprivate(set) var isComplete = false

  fileprivate init(request: MPI_Request?) { self.request = request }
}
