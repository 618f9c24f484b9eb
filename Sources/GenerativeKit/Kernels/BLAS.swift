import COpenBLAS

/// The library's only door to OpenBLAS and LAPACKE. Everything else calls these functions on
/// plain pointers, so the C types (`Int32` dimensions, CBLAS enums) stay in this file.
enum BLAS {
  /// Row-major single-precision GEMM: `C[m, n] = alpha * op(A)[m, k] * op(B)[k, n] + beta * C`.
  ///
  /// `op(X)` is `X` or its transpose. Leading dimensions default to tight packing of the stored
  /// (untransposed) matrices: `A` is stored `[m, k]` or, transposed, `[k, m]`.
  @inline(__always)
  static func sgemm(
    transposeA: Bool = false, transposeB: Bool = false,
    m: Int, n: Int, k: Int,
    alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int? = nil,
    b: UnsafePointer<Float>, ldb: Int? = nil,
    beta: Float = 0,
    c: UnsafeMutablePointer<Float>, ldc: Int? = nil
  ) {
    guard m > 0, n > 0 else { return }
    if k == 0 {
      // BLAS would still scale C by beta; keep that meaning without a call.
      for i in 0..<m { for j in 0..<n { c[i * (ldc ?? n) + j] *= beta } }
      return
    }
    let lda = lda ?? (transposeA ? m : k)
    let ldb = ldb ?? (transposeB ? k : n)
    let ldc = ldc ?? n
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
  static func dgemm(
    transposeA: Bool = false, transposeB: Bool = false,
    m: Int, n: Int, k: Int,
    alpha: Double = 1,
    a: UnsafePointer<Double>, b: UnsafePointer<Double>,
    beta: Double = 0,
    c: UnsafeMutablePointer<Double>
  ) {
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
    cblas_saxpy(Int32(count), alpha, x, 1, y, 1)
  }

  static func setThreadCount(_ count: Int) {
    openblas_set_num_threads(Int32(count))
  }

  static var threadCount: Int { Int(openblas_get_num_threads()) }

  /// Eigen-decomposition of a symmetric `n x n` row-major matrix (LAPACKE `dsyevd`).
  ///
  /// On return `matrix` holds the eigenvectors as columns; the eigenvalues come back ascending.
  /// Returns nil when LAPACK reports that the algorithm failed to converge.
  static func symmetricEigen(_ matrix: inout [Double], n: Int) -> [Double]? {
    precondition(matrix.count == n * n, "symmetricEigen: matrix has \(matrix.count) entries, expected \(n * n)")
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
