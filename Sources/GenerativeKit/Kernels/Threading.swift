import Dispatch

/// How many threads GenerativeKit uses: OpenBLAS's GEMM threads and the parallel loops of
/// im2col, col2im and elementwise kernels.
///
/// The default is the number of active processors. Results are deterministic for a given thread
/// count: parallel loops split work into fixed contiguous ranges and never reduce across threads.
public enum Threading {
  nonisolated(unsafe) private static var configuredCount = 0

  /// The thread count in use (at least 1).
  public static var threadCount: Int {
    get {
      if configuredCount == 0 { apply(ProcessInfoLite.activeProcessorCount) }
      return configuredCount
    }
    set {
      precondition(newValue >= 1, "Threading.threadCount must be at least 1, got \(newValue)")
      apply(newValue)
    }
  }

  private static func apply(_ count: Int) {
    configuredCount = count
    BLAS.setThreadCount(count)
  }

  /// Runs `body` over `0..<count` split into contiguous ranges, one per thread, when the work is
  /// large enough (`count * costPerItem` elementary operations) to pay for the hand-off.
  @inline(__always)
  static func parallelRanges(
    _ count: Int, costPerItem: Int = 1, _ body: (Range<Int>) -> Void
  ) {
    let threads = min(threadCount, count)
    if threads <= 1 || count * costPerItem < 32_768 {
      body(0..<count)
      return
    }
    DispatchQueue.concurrentPerform(iterations: threads) { part in
      let start = count * part / threads
      let end = count * (part + 1) / threads
      if start < end { body(start..<end) }
    }
  }
}

/// The processor count without Foundation (the library keeps its imports small).
enum ProcessInfoLite {
  static var activeProcessorCount: Int {
    #if canImport(Glibc)
      return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    #else
      return 1
    #endif
  }
}

#if canImport(Glibc)
  import Glibc
#endif
