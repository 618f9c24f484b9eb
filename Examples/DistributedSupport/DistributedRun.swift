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
}
