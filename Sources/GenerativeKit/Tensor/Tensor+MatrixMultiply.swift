extension Tensor {
  /// The matrix product `op(a) x op(b)` of two rank-2 tensors through OpenBLAS `sgemm`, where
  /// `op` transposes when asked: `[m, k] x [k, n] -> [m, n]`.
  public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    enforce(a.rank == 2 && b.rank == 2, "matmul: needs two matrices, got \(a.shapeDescription) and \(b.shapeDescription)")
    let (m, k) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
    let (k2, n) = transposeB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
    enforce(k == k2, "matmul: inner dimensions differ: \(a.shapeDescription)\(transposeA ? "^T" : "") x \(b.shapeDescription)\(transposeB ? "^T" : "")")
    let result = Tensor(uninitializedShape: [m, n])
    if k == 0 {
      result.storage.pointer.initialize(repeating: 0, count: m * n)
      return result
    }
    BLAS.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a.pointer, b: b.pointer, c: result.storage.pointer)
    return result
  }
}
