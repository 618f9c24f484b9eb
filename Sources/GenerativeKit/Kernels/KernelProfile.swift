/// Time spent in each kind of kernel (GEMM, im2col, col2im, layout changes), accumulated while
/// ``isEnabled`` is on: where a convolution's time goes. Off by default; when on, every timed kernel
/// call costs two clock reads.
public enum KernelProfile {
  nonisolated(unsafe) public static var isEnabled = false
  nonisolated(unsafe) public private(set) static var seconds: [String: Double] = [:]

  /// Clears the accumulated times.
  public static func reset() { seconds = [:] }

  @inline(__always)
  static func measure<R>(_ kind: String, _ body: () -> R) -> R {
    guard isEnabled else { return body() }
    let start = monotonicSeconds()
    let result = body()
    seconds[kind, default: 0] += monotonicSeconds() - start
    return result
  }
}
