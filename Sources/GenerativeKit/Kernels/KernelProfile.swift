import Synchronization

/// Time spent in each kind of kernel (GEMM, im2col, col2im, layout changes), accumulated while
/// ``isEnabled`` is on: where a convolution's time goes. Off by default; when on, every timed kernel
/// call costs two clock reads and a lock. Kernels timed inside parallel loops add up the time of
/// every thread, so a kind's total can exceed the wall time.
@_spi(Benchmarks) public enum KernelProfile {
  public static var isEnabled: Bool {
    get { enabled.load(ordering: .relaxed) }
    set { enabled.store(newValue, ordering: .relaxed) }
  }

  private static let enabled = Atomic<Bool>(false)

  /// Seconds accumulated per kind of kernel since the last ``reset()``.
  public static var seconds: [String: Double] { totals.withLock { $0.mapValues(\.seconds) } }

  /// Measured calls per kind of kernel since the last ``reset()``.
  public static var calls: [String: Int] { totals.withLock { $0.mapValues(\.calls) } }

  private static let totals = Mutex<[String: (seconds: Double, calls: Int)]>([:])

  /// Clears the accumulated times and counts.
  public static func reset() { totals.withLock { $0 = [:] } }

  @inline(__always)
  static func measure<R>(_ kind: String, _ body: () -> R) -> R {
    guard isEnabled else { return body() }
    let start = monotonicSeconds()
    let result = body()
    let elapsed = monotonicSeconds() - start
    totals.withLock {
      $0[kind, default: (0, 0)].seconds += elapsed
      $0[kind, default: (0, 0)].calls += 1
    }
    return result
  }
}
