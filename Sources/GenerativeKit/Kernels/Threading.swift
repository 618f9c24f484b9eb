import Dispatch
import Synchronization

/// How many threads GenerativeKit uses: for GEMMs (each large product is split into one
/// single-threaded OpenBLAS call per thread) and for the parallel loops of im2col, col2im and
/// elementwise kernels.
///
/// The default is the number of active processors. Results are deterministic for a given thread
/// count: parallel loops split work into fixed contiguous ranges and never reduce across threads.
public enum Threading {
  /// The process-wide setting; 0 until first read or set.
  private static let configuredCount = Atomic<Int>(0)

  /// The thread count in use (at least 1): the calling thread's override from
  /// ``withThreadCount(_:_:)`` if there is one, otherwise the process-wide setting.
  public static var threadCount: Int {
    get {
      if let override = threadCountOverride.value { return override }
      let configured = configuredCount.load(ordering: .relaxed)
      if configured > 0 { return configured }
      apply(ProcessInfoLite.activeProcessorCount)
      return configuredCount.load(ordering: .relaxed)
    }
    set {
      enforce(newValue >= 1, "Threading.threadCount must be at least 1, got \(newValue)")
      apply(newValue)
    }
  }

  /// Runs `body` with `count` threads for the work the calling thread starts, leaving the
  /// process-wide ``threadCount`` (and every other thread's work) alone: a test or a measurement
  /// can change the thread count while other work runs in parallel.
  public static func withThreadCount<T>(_ count: Int, _ body: () throws -> T) rethrows -> T {
    enforce(count >= 1, "Threading.withThreadCount: the count must be at least 1, got \(count)")
    BLAS.useSingleThreadedOpenBLAS()
    return try threadCountOverride.with(count, body)
  }

  private static let threadCountOverride = ThreadLocalInt()

  private static func apply(_ count: Int) {
    configuredCount.store(count, ordering: .relaxed)
    BLAS.useSingleThreadedOpenBLAS()
  }

  /// Runs `body` over `0..<count` split into contiguous ranges when the work is large enough
  /// (`count * costPerItem` elementary operations) to pay for the hand-off.
  ///
  /// There are a few ranges per thread rather than one, so that when another process holds a core
  /// the remaining ranges move to the free one instead of everyone waiting for the slow range. Every
  /// item is processed exactly once by one call, so results never depend on the split. Called
  /// from inside another parallel loop (a kernel run per image by a loop over images), it runs
  /// `body` on the calling thread: the outer loop already keeps every thread busy.
  @inline(__always)
  package static func parallelRanges(
    _ count: Int, costPerItem: Int = 1, _ body: (Range<Int>) -> Void
  ) {
    let threads = min(threadCount, count)
    if threads <= 1 || count * costPerItem < 32_768 || isInsideParallelLoop {
      body(0..<count)
      return
    }
    let parts = min(count, threads * rangesPerThread, max(threads, count * costPerItem / 16_384))
    // `threads` workers take the next unclaimed range until none is left.
    let next = Atomic<Int>(0)
    concurrentPerform(threads) {
      while true {
        let part = next.add(1, ordering: .relaxed).oldValue
        guard part < parts else { return }
        let start = count * part / parts
        let end = count * (part + 1) / parts
        if start < end { body(start..<end) }
      }
    }
  }

  /// Runs `worker` on `threads` threads (the caller's among them), each marked as inside a
  /// parallel loop while it runs, so nested loops and GEMM splits stay on their thread.
  static func concurrentPerform(_ threads: Int, _ worker: () -> Void) {
    // `concurrentPerform` returns only when every iteration has finished, so `worker` never
    // outlives this call; the loops built on it give each thread its own output range.
    withoutActuallyEscaping(worker) { worker in
      let shared = UncheckedSendable(worker)
      DispatchQueue.concurrentPerform(iterations: threads) { _ in
        let outer = pthread_getspecific(nestingKey)
        pthread_setspecific(nestingKey, UnsafeRawPointer(bitPattern: 1))
        defer { pthread_setspecific(nestingKey, outer) }
        shared.value()
      }
    }
  }

  /// Whether the calling thread is running a part of a parallel loop.
  static var isInsideParallelLoop: Bool { pthread_getspecific(nestingKey) != nil }

  private static let nestingKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key, nil)
    return key
  }()

  /// Ranges per thread in ``parallelRanges(_:costPerItem:_:)``.
  static let rangesPerThread = 4
}

/// A value handed to the threads of a parallel loop that the compiler cannot prove safe to share:
/// the loops give every thread a disjoint range of the output and wait for all of them.
struct UncheckedSendable<Value>: @unchecked Sendable {
  let value: Value
  init(_ value: Value) { self.value = value }
}

/// An integer setting the calling thread may override for the length of a closure.
///
/// Sendable without a lock: its only stored property, the pthread key, is set once in `init`, and
/// each thread reads and writes only its own slot of the key.
final class ThreadLocalInt: @unchecked Sendable {
  private let key: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key, nil)
    return key
  }()

  /// The calling thread's override, if it set one.
  var value: Int? { pthread_getspecific(key).map { Int(bitPattern: $0) - 1 } }

  /// Runs `body` with `value` overridden to `override` (at least 0) on the calling thread.
  func with<T>(_ override: Int, _ body: () throws -> T) rethrows -> T {
    enforce(override >= 0, "ThreadLocalInt: the override must be non-negative, got \(override)")
    let outer = pthread_getspecific(key)
    pthread_setspecific(key, UnsafeRawPointer(bitPattern: override + 1))
    defer { pthread_setspecific(key, outer) }
    return try body()
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
