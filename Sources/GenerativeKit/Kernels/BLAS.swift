import COpenBLAS
import Synchronization

/// The library's only door to OpenBLAS and LAPACKE. Everything else calls these functions on
/// plain pointers, so the C types (`Int32` dimensions, CBLAS enums) stay in this file (and in
/// `BLASCore.swift`, which checks OpenBLAS's choice of kernels before the first call).
///
/// Public only for ``configuration``: which OpenBLAS and which kernels the library runs on.
public enum BLAS {
  /// Every entry point calls this first, so OpenBLAS's kernels are checked (and if need be
  /// replaced) before any product runs. After the first call it is one load and compare.
  @inline(__always)
  static func prepare() {
    _ = selectedConfiguration
  }

  /// Row-major single-precision GEMM: `C[m, n] = alpha * op(A)[m, k] * op(B)[k, n] + beta * C`.
  ///
  /// `op(X)` is `X` or its transpose. Leading dimensions default to tight packing of the stored
  /// (untransposed) matrices: `A` is stored `[m, k]` or, transposed, `[k, m]`.
  @inline(__always)
  package static func sgemm(
    transposeA: Bool = false, transposeB: Bool = false,
    m: Int, n: Int, k: Int,
    alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int? = nil,
    b: UnsafePointer<Float>, ldb: Int? = nil,
    beta: Float = 0,
    c: UnsafeMutablePointer<Float>, ldc: Int? = nil
  ) {
    prepare()
    guard m > 0, n > 0 else { return }
    if k == 0 {
      // BLAS would still scale C by beta; keep that meaning without a call.
      for i in 0..<m { for j in 0..<n { c[i * (ldc ?? n) + j] *= beta } }
      return
    }
    let lda = lda ?? (transposeA ? m : k)
    let ldb = ldb ?? (transposeB ? k : n)
    let ldc = ldc ?? n
    let threads = Threading.isInsideParallelLoop ? 1 : Threading.threadCount
    let parts = GEMMPartition.parts(m: m, n: n, k: k, threads: threads)
    if parts <= 1 {
      singleThreadedSgemm(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
      return
    }
    // One block of C's rows (or columns) per thread, each an independent GEMM on sub-matrices.
    let alongRows = m >= n
    let extent = alongRows ? m : n
    let nextPart = Atomic<Int>(0)
    Threading.concurrentPerform(parts) {
      let part = nextPart.add(1, ordering: .relaxed).oldValue
      let range = GEMMPartition.range(part, of: parts, extent: extent)
      guard !range.isEmpty else { return }
      if alongRows {
        let aBlock = transposeA ? a + range.lowerBound : a + range.lowerBound * lda
        singleThreadedSgemm(transposeA, transposeB, range.count, n, k, alpha, aBlock, lda, b, ldb, beta,
                            c + range.lowerBound * ldc, ldc)
      } else {
        let bBlock = transposeB ? b + range.lowerBound * ldb : b + range.lowerBound
        singleThreadedSgemm(transposeA, transposeB, m, range.count, k, alpha, a, lda, bBlock, ldb, beta,
                            c + range.lowerBound, ldc)
      }
    }
  }

  @inline(__always)
  private static func singleThreadedSgemm(
    _ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
    _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int, _ beta: Float,
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int
  ) {
    cblas_sgemm(
      CblasRowMajor,
      transposeA ? CblasTrans : CblasNoTrans,
      transposeB ? CblasTrans : CblasNoTrans,
      Int32(m), Int32(n), Int32(k),
      alpha, a, Int32(lda), b, Int32(ldb),
      beta, c, Int32(ldc))
  }

  /// Row-major double-precision GEMM: `C[m, n] = alpha * op(A)[m, k] * op(B)[k, n] + beta * C`, with
  /// tightly packed matrices (the metrics' Float64 covariance and matrix-square-root products).
  package static func dgemm(
    transposeA: Bool = false, transposeB: Bool = false,
    m: Int, n: Int, k: Int,
    alpha: Double = 1,
    a: UnsafePointer<Double>, b: UnsafePointer<Double>,
    beta: Double = 0,
    c: UnsafeMutablePointer<Double>
  ) {
    prepare()
    guard m > 0, n > 0 else { return }
    if k == 0 {
      for i in 0..<(m * n) { c[i] *= beta }
      return
    }
    cblas_dgemm(
      CblasRowMajor,
      transposeA ? CblasTrans : CblasNoTrans,
      transposeB ? CblasTrans : CblasNoTrans,
      Int32(m), Int32(n), Int32(k),
      alpha, a, Int32(transposeA ? m : k), b, Int32(transposeB ? k : n),
      beta, c, Int32(n))
  }

  /// `y += alpha * x` over `count` floats.
  @inline(__always)
  static func saxpy(count: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
    prepare()
    cblas_saxpy(Int32(count), alpha, x, 1, y, 1)
  }

  /// OpenBLAS always runs single-threaded; ``sgemm`` splits large products over
  /// ``Threading/threadCount`` threads itself. OpenBLAS's own workers spin for a while after every
  /// call, and on a 2-core machine that spinning thread took a core from the im2col and elementwise
  /// loops that run between the GEMMs.
  static func useSingleThreadedOpenBLAS() {
    prepare()
    openblas_set_num_threads(1)
  }

  /// Eigen-decomposition of a symmetric `n x n` row-major matrix (LAPACKE `dsyevd`).
  ///
  /// On return `matrix` holds the eigenvectors as columns; the eigenvalues come back ascending.
  /// Returns nil when LAPACK reports that the algorithm failed to converge.
  package static func symmetricEigen(_ matrix: inout [Double], n: Int) -> [Double]? {
    enforce(matrix.count == n * n, "symmetricEigen: matrix has \(matrix.count) entries, expected \(n * n)")
    prepare()
    var eigenvalues = [Double](repeating: 0, count: n)
    let info = matrix.withUnsafeMutableBufferPointer { a in
      eigenvalues.withUnsafeMutableBufferPointer { w in
        LAPACKE_dsyevd(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "U")),
                       Int32(n), a.baseAddress, Int32(n), w.baseAddress)
      }
    }
    return info == 0 ? eigenvalues : nil
  }
}

/// How ``BLAS/sgemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)`` shares a product
/// between threads: C is cut along its longer side into one block per thread, at multiples of 16
/// (OpenBLAS's micro-kernel width), once the product is large enough to pay for the hand-off.
enum GEMMPartition {
  /// Products below this many multiply-adds run on the calling thread.
  static let minimumMultiplyAdds = 1 << 20
  static let alignment = 16

  static func parts(m: Int, n: Int, k: Int, threads: Int) -> Int {
    guard threads > 1, m * n * k >= minimumMultiplyAdds else { return 1 }
    let blocks = (max(m, n) + alignment - 1) / alignment
    return min(threads, blocks)
  }

  /// The rows (or columns) of block `part` of `parts`: contiguous, aligned, covering `0..<extent`.
  static func range(_ part: Int, of parts: Int, extent: Int) -> Range<Int> {
    let blocks = (extent + alignment - 1) / alignment
    let start = min(extent, blocks * part / parts * alignment)
    let end = part == parts - 1 ? extent : min(extent, blocks * (part + 1) / parts * alignment)
    return start..<max(start, end)
  }
}
