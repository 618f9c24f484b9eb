/// A scratch buffer a layer keeps between calls, grown on demand and never shrunk, so steady-state
/// training reuses memory instead of allocating it every step (darknet's `net.workspace` idea).
final class Workspace {
  private var storage: TensorStorage?

  /// A buffer of at least `count` floats; contents are undefined.
  func buffer(_ count: Int) -> UnsafeMutablePointer<Float> {
    if let storage, storage.capacity >= count { return storage.pointer }
    let fresh = TensorStorage(capacity: count)
    storage = fresh
    return fresh.pointer
  }

  /// Frees the memory (for example after training, before sampling).
  func release() { storage = nil }
}

/// Splits a batch into chunks whose column matrices stay within a memory budget while keeping the
/// GEMM's N dimension (chunk size x output pixels) large.
public enum ConvolutionChunking {
  /// The largest im2col column matrix, in floats, one convolution chunk may use (default 4 Mi
  /// floats = 16 MiB). Larger budgets give larger GEMMs and use more memory per layer.
  nonisolated(unsafe) public static var maximumColumnElements = 4 << 20

  /// Images per chunk for a column matrix of `rows` rows and `columnsPerImage` columns per image.
  static func imagesPerChunk(batch: Int, rows: Int, columnsPerImage: Int) -> Int {
    let perImage = max(1, rows * columnsPerImage)
    return max(1, min(batch, maximumColumnElements / perImage))
  }

  /// The chunk ranges covering `0..<batch`.
  static func chunks(batch: Int, rows: Int, columnsPerImage: Int) -> [Range<Int>] {
    let size = imagesPerChunk(batch: batch, rows: rows, columnsPerImage: columnsPerImage)
    return stride(from: 0, to: batch, by: size).map { $0..<min(batch, $0 + size) }
  }
}

/// Adds each channel's sum over the batch and spatial positions of `values` (`[N, C, S]`) to
/// `sums[c]`. Channels are split across threads; each channel sums in a fixed order.
func accumulateChannelSums(
  _ values: UnsafePointer<Float>, batch: Int, channels: Int, plane: Int, into sums: UnsafeMutablePointer<Float>
) {
  Threading.parallelRanges(channels, costPerItem: batch * plane) { range in
    for c in range {
      var total: Float = 0
      for b in 0..<batch {
        let row = values + (b * channels + c) * plane
        var partial: Float = 0
        for i in 0..<plane { partial += row[i] }
        total += partial
      }
      sums[c] += total
    }
  }
}
