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
  public static var seconds: [String: Double] { totals.withLock { $0 } }

  private static let totals = Mutex<[String: Double]>([:])

  /// Clears the accumulated times.
  public static func reset() { totals.withLock { $0 = [:] } }

  @inline(__always)
  static func measure<R>(_ kind: String, _ body: () -> R) -> R {
    guard isEnabled else { return body() }
    let start = monotonicSeconds()
    let result = body()
    let elapsed = monotonicSeconds() - start
    totals.withLock { $0[kind, default: 0] += elapsed }
    return result
  }
}
