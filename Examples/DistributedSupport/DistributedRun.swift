import GenerativeKit
import GenerativeKitDistributed

#if canImport(Glibc)
  import Glibc
#endif

/// The examples' `--distributed` mode: one MPI job (`mpirun -np N mnist-gan --distributed ...`)
/// training one model, every process on its shard of each global batch, process 0 writing the
/// files and the log lines (the other processes' standard output is discarded; errors still show).
public enum DistributedRun {
  /// Joins the MPI job and returns the data-parallel backend for the experiment.
  public static func start() throws -> DataParallel {
    let parallel = DataParallel(communicator: try .world())
    announceTermination(rank: parallel.rank, processes: parallel.processCount)
    if parallel.rank != 0 {
      fflush(nil)
      _ = freopen("/dev/null", "w", stdout)
    }
    print("distributed: \(parallel.processCount) processes (MPI), this is rank 0; --batch-size is the global batch")
    return parallel
  }

  /// Prints what the collective operations of process 0 moved and how long they took, then leaves
  /// the MPI job; call after the last training step, in every process.
  public static func finish(_ parallel: DataParallel?) {
    guard let parallel else { return }
    let counters = parallel.communicator.statistics
    print("distributed: \(counters.calls) collective calls on rank 0, \(counters.bytes) bytes of its buffers, "
          + "\((counters.seconds * 1000).rounded() / 1000) s inside them")
    parallel.communicator.finalize()
  }

  /// When `mpirun` ends the job because another process died or failed, it sends the others
  /// SIGTERM: each then says so on standard error before it exits, instead of vanishing.
  static func announceTermination(rank: Int, processes: Int) {
    let program = CommandLine.arguments.first.map { String($0.split(separator: "/").last ?? "") } ?? "training"
    let text = "\(program): rank \(rank) of \(processes) stopped: the MPI job is ending because another of its "
      + "processes failed or was stopped; continue with --resume OUTPUT/checkpoints/latest.safetensors (on any number of processes)\n"
    let bytes = Array(text.utf8)
    let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: bytes.count)
    buffer.initialize(from: bytes, count: bytes.count)
    terminationMessage = (UnsafeRawPointer(buffer), bytes.count)
    signal(SIGTERM) { _ in
      // Only async-signal-safe calls here: write(2) of a prepared buffer, then _exit.
      if let (message, count) = terminationMessage { _ = write(2, message, count) }
      _exit(143)
    }
  }
}

/// The message ``DistributedRun/announceTermination(rank:processes:)`` prepares for its handler.
nonisolated(unsafe) private var terminationMessage: (UnsafeRawPointer, Int)?
