#if canImport(Glibc)
  import Glibc
#endif
import Synchronization

/// A scratch buffer kept between calls, grown on demand and never shrunk, so steady-state
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

  /// The floats currently held.
  var capacity: Int { storage?.capacity ?? 0 }
}

/// The scratch matrices of the convolution layers (im2col columns, the GEMM operand or product
/// beside them, rearranged weights), shared by every layer that runs on the same thread.
///
/// A layer uses them only inside one `forward` or `backward` call, so one set per thread serves
/// a whole network: memory is the largest layer's need, not the sum over layers. Each thread gets
/// its own set, so models trained on different threads never share a buffer; the set is freed
/// when its thread ends.
final class ConvolutionScratch {
  /// im2col / col2im column matrices.
  let columns = Workspace()
  /// The GEMM's other operand or its product, in the channel-major layout.
  let matrix = Workspace()
  /// Weights rearranged for a kernel and its partial weight gradients; used only by the thread
  /// that called the layer, never by the workers of its parallel loops.
  let weights = Workspace()
  /// Kernels transformed for Winograd's minimal filtering (``WinogradPlan``).
  let transformedWeights = Workspace()
  /// A stride-2 layer's input split into its phases (``PhaseDecomposition``), or their gradient.
  let phases = Workspace()

  /// The calling thread's scratch.
  static var current: ConvolutionScratch {
    if let raw = pthread_getspecific(key) {
      return Unmanaged<ConvolutionScratch>.fromOpaque(raw).takeUnretainedValue()
    }
    let scratch = ConvolutionScratch()
    pthread_setspecific(key, Unmanaged.passRetained(scratch).toOpaque())
    return scratch
  }

  private static let key: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key) { raw in
      if let raw { Unmanaged<ConvolutionScratch>.fromOpaque(raw).release() }
    }
    return key
  }()
}

/// Splits a batch into chunks whose column matrices stay within a memory budget while keeping the
/// GEMM's N dimension (chunk size x output pixels) large.
@_spi(Benchmarks) public enum ConvolutionChunking {
  /// The largest im2col column matrix, in floats, one convolution chunk may use (default 4 Mi
  /// floats = 16 MiB). Larger budgets give larger GEMMs and use more memory per layer.
  public static var maximumColumnElements: Int {
    get { columnBudget.load(ordering: .relaxed) }
    set { columnBudget.store(max(1, newValue), ordering: .relaxed) }
  }

  private static let columnBudget = Atomic<Int>(4 << 20)

  /// Whether stride-1 5 x 5 transposed convolutions with at least 64 channels on each side run
  /// their three passes with Winograd's minimal filtering (``winogradTile``). On by default: on the
  /// DCGAN's 256 -> 128 layer it took about half the tap-by-tap form's time, within 1e-4 of its
  /// results (docs/PERFORMANCE.md); off, every layer runs tap by tap or im2col, as PyTorch would.
  public static var winogradEnabled: Bool {
    get { winograd.load(ordering: .relaxed) }
    set { winograd.store(newValue, ordering: .relaxed) }
  }

  private static let winograd = Atomic<Bool>(true)

  /// The output tile side of the Winograd form, 2, 3 or 4 (F(2x2, 5x5), F(3x3, 5x5), F(4x4, 5x5)).
  public static var winogradTile: Int {
    get { winogradTileSide.load(ordering: .relaxed) }
    set { winogradTileSide.store(min(4, max(2, newValue)), ordering: .relaxed) }
  }

  private static let winogradTileSide = Atomic<Int>(4)

  /// The plan of ``winogradTile``.
  static var winogradPlan: WinogradPlan {
    switch winogradTile {
    case 2: return .f2
    case 3: return .f3
    default: return .f4
    }
  }

  /// Images per chunk for a column matrix of `rows` rows and `columnsPerImage` columns per image.
  static func imagesPerChunk(batch: Int, rows: Int, columnsPerImage: Int) -> Int {
    let perImage = max(1, rows * columnsPerImage)
    let budget = budgetOverride.value ?? maximumColumnElements
    return max(1, min(batch, budget / perImage))
  }

  /// Runs `body` with a column budget of `elements` for the convolutions the calling thread runs
  /// (tests force several chunks per layer this way without changing other threads' work).
  static func withMaximumColumnElements<T>(_ elements: Int, _ body: () throws -> T) rethrows -> T {
    try budgetOverride.with(elements, body)
  }

  private static let budgetOverride = ThreadLocalInt()

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
        // Eight interleaved lanes, added in a fixed order: one running sum made every addition
        // wait for the previous one.
        var lanes = SIMD8<Float>()
        let vectorEnd = plane & ~7
        for i in stride(from: 0, to: vectorEnd, by: 8) {
          lanes += UnsafeRawPointer(row + i).loadUnaligned(as: SIMD8<Float>.self)
        }
        var partial = lanes.sum()
        for i in vectorEnd..<plane { partial += row[i] }
        total += partial
      }
      sums[c] += total
    }
  }
}

/// Recycles the memory of the tensors a layer returns (outputs, input gradients), so that steady
/// training allocates nothing per step.
///
/// A storage is handed out again only when nobody else holds it any more (the pool's own reference
/// is the only one), so a tensor the caller keeps is never overwritten: value semantics hold. Two
/// storages cover the usual pattern, where the next layer caches this layer's last output until its
/// own next forward pass.
final class TensorPool {
  private var storages: [TensorStorage] = []
  private var nextReplacement = 0
  private let depth: Int

  init(depth: Int = 2) { self.depth = depth }

  /// A tensor of `shape` with undefined contents, backed by a free recycled storage if one is big
  /// enough, otherwise by a new one.
  func make(_ shape: [Int]) -> Tensor {
    let count = Tensor.count(of: shape)
    for index in storages.indices where storages[index].capacity >= count {
      if isKnownUniquelyReferenced(&storages[index]) { return Tensor(shape: shape, storage: storages[index]) }
    }
    let fresh = TensorStorage(capacity: count)
    if storages.count < depth {
      storages.append(fresh)
    } else {
      // Prefer replacing a free (but too small) storage; otherwise the oldest.
      let free = storages.indices.first { isKnownUniquelyReferenced(&storages[$0]) }
      let index = free ?? nextReplacement
      storages[index] = fresh
      nextReplacement = (index + 1) % depth
    }
    return Tensor(shape: shape, storage: fresh)
  }
}
