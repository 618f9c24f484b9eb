import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Counts tensor allocations, so tests and benchmarks can check that steady training reuses memory.
@_spi(Benchmarks) public enum TensorAllocations {
  static let counter = Atomic<Int>(0)
  static let byteCounter = Atomic<Int>(0)

  /// Tensor storages allocated since the process started.
  public static var count: Int { counter.load(ordering: .relaxed) }
  /// Bytes of tensor storage allocated since the process started.
  public static var bytes: Int { byteCounter.load(ordering: .relaxed) }

  /// The tensor storages (count and bytes) that `body` allocates on the calling thread, so a
  /// measurement is not disturbed by other threads.
  public static func measure(_ body: () throws -> Void) rethrows -> (count: Int, bytes: Int) {
    let tally = ThreadTally()
    let previous = pthread_getspecific(tallyKey)
    pthread_setspecific(tallyKey, Unmanaged.passUnretained(tally).toOpaque())
    defer { pthread_setspecific(tallyKey, previous) }
    try body()
    return (tally.count, tally.bytes)
  }

  final class ThreadTally {
    var count = 0
    var bytes = 0
  }

  static let tallyKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key, nil)
    return key
  }()

  static func record(bytes: Int) {
    counter.add(1, ordering: .relaxed)
    byteCounter.add(bytes, ordering: .relaxed)
    if let raw = pthread_getspecific(tallyKey) {
      let tally = Unmanaged<ThreadTally>.fromOpaque(raw).takeUnretainedValue()
      tally.count += 1
      tally.bytes += bytes
    }
  }
}

/// A reference-counted, 64-byte-aligned Float32 buffer: the memory behind a ``Tensor``.
///
/// Tensors share a storage until one of them is mutated (copy-on-write). Layers keep their
/// workspaces in storages too, so a buffer that nobody else holds is reused from step to step
/// instead of being allocated again.
///
/// Sendable because it is only written through a tensor or a workspace that holds the sole
/// reference (`isKnownUniquelyReferenced`); a storage that two holders share is copied first, so
/// what one thread reads no other thread writes.
@usableFromInline
package final class TensorStorage: @unchecked Sendable {
  @usableFromInline package let pointer: UnsafeMutablePointer<Float>
  @usableFromInline package let capacity: Int

  /// Allocates `capacity` floats. The contents are undefined.
  @usableFromInline
  package init(capacity: Int) {
    enforce(capacity >= 0, "TensorStorage: negative capacity \(capacity)")
    var raw: UnsafeMutableRawPointer?
    let bytes = max(capacity, 1) * MemoryLayout<Float>.stride
    let status = posix_memalign(&raw, 64, bytes)
    guard status == 0, let raw else {
      fatalError("GenerativeKit: out of memory allocating \(bytes) bytes for a tensor")
    }
    self.pointer = raw.bindMemory(to: Float.self, capacity: max(capacity, 1))
    self.capacity = capacity
    TensorAllocations.record(bytes: bytes)
  }

  @usableFromInline
  func copy(count: Int) -> TensorStorage {
    let fresh = TensorStorage(capacity: count)
    fresh.pointer.update(from: pointer, count: count)
    return fresh
  }

  deinit {
    free(pointer)
  }
}
