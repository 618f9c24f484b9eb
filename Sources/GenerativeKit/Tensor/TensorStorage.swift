#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A reference-counted, 64-byte-aligned Float32 buffer: the memory behind a ``Tensor``.
///
/// Tensors share a storage until one of them is mutated (copy-on-write). Layers keep their
/// workspaces in storages too, so a buffer that nobody else holds is reused from step to step
/// instead of being allocated again.
@usableFromInline
final class TensorStorage {
  @usableFromInline let pointer: UnsafeMutablePointer<Float>
  @usableFromInline let capacity: Int

  /// Allocates `capacity` floats. The contents are undefined.
  @usableFromInline
  init(capacity: Int) {
    precondition(capacity >= 0, "TensorStorage: negative capacity \(capacity)")
    var raw: UnsafeMutableRawPointer?
    let bytes = max(capacity, 1) * MemoryLayout<Float>.stride
    let status = posix_memalign(&raw, 64, bytes)
    guard status == 0, let raw else {
      fatalError("GenerativeKit: out of memory allocating \(bytes) bytes for a tensor")
    }
    self.pointer = raw.bindMemory(to: Float.self, capacity: max(capacity, 1))
    self.capacity = capacity
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
