#if canImport(Glibc)
  import Glibc
#endif

/// Seconds from an arbitrary fixed point (CLOCK_MONOTONIC), for intervals: the kernel profile,
/// the training loop's images per second, progress ETAs.
package func monotonicSeconds() -> Double {
  var time = timespec()
  clock_gettime(CLOCK_MONOTONIC, &time)
  return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}
