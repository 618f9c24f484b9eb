/// Element-wise selection on the sign of a second array (ReLU's derivative), written with SIMD
/// masks.
///
/// A plain loop `r[i] = c[i] > 0 ? a[i] : 0` reads `a[i]` only when the condition holds, and the
/// compiler may not read through a raw pointer that the program does not read, so it emits a
/// branch per element; on activations about half of the signs are negative in no pattern, and
/// the branch mispredicts every other element (docs/PERFORMANCE.md has the cost on the VAE's last
/// layer). Blending whole vectors by a comparison mask has no branch. (LeakyReLU's `c >= 0 ? a[i] : slope * a[i]` reads `a[i]` on both arms and already
/// compiles to vector selects.) The result has the same bits as the scalar loop, NaN included.
enum SignSelect {
  typealias Vector = SIMD16<Float>

  @inline(__always)
  private static func load(_ pointer: UnsafePointer<Float>, _ i: Int) -> Vector {
    UnsafeRawPointer(pointer + i).loadUnaligned(as: Vector.self)
  }

  @inline(__always)
  private static func store(_ vector: Vector, _ pointer: UnsafeMutablePointer<Float>, _ i: Int) {
    UnsafeMutableRawPointer(pointer + i).storeBytes(of: vector, as: Vector.self)
  }

  /// `result[i] = sign[i] > 0 ? value[i] : 0` (ReLU's derivative applied to `value`). `result`
  /// may be `value`.
  static func keepWherePositive(
    _ value: UnsafePointer<Float>, sign: UnsafePointer<Float>, into result: UnsafeMutablePointer<Float>, count: Int
  ) {
    var i = 0
    while i + Vector.scalarCount <= count {
      store(load(value, i).replacing(with: 0, where: .!(load(sign, i) .> 0)), result, i)
      i += Vector.scalarCount
    }
    while i < count {
      result[i] = sign[i] > 0 ? value[i] : 0
      i += 1
    }
  }
}
