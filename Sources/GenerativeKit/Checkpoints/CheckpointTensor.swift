/// One tensor stored in a ``Checkpoint``: Float32 values (parameters, buffers, optimizer moments)
/// or 64-bit integers (random generator states, counters), each with its safetensors dtype.
public enum CheckpointTensor: Equatable, CustomStringConvertible {
  /// Float32 values, dtype `F32`.
  case float32(Tensor)
  /// Signed 64-bit integers in row-major order, dtype `I64`.
  case int64(shape: [Int], scalars: [Int64])
  /// Unsigned 64-bit integers in row-major order, dtype `U64`.
  case uint64(shape: [Int], scalars: [UInt64])

  /// The extent of each dimension, outermost first.
  public var shape: [Int] {
    switch self {
    case .float32(let tensor): return tensor.shape
    case .int64(let shape, _), .uint64(let shape, _): return shape
    }
  }

  /// The element type as safetensors names it.
  public var dtype: SafeTensorsDType {
    switch self {
    case .float32: return .float32
    case .int64: return .int64
    case .uint64: return .uint64
    }
  }

  /// The number of bytes the values take in a file.
  var byteCount: Int { shape.reduce(1, *) * dtype.size }

  /// Exact equality of dtype, shape and every value's bits (so `NaN` equals the same `NaN`, and
  /// `-0.0` differs from `0.0`): what a bit-for-bit round trip promises.
  public static func == (lhs: CheckpointTensor, rhs: CheckpointTensor) -> Bool {
    switch (lhs, rhs) {
    case (.float32(let a), .float32(let b)):
      guard a.shape == b.shape else { return false }
      return a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
          memcmp(pa.baseAddress!, pb.baseAddress!, pa.count * MemoryLayout<Float>.size) == 0
        }
      }
    case (.int64(let shapeA, let a), .int64(let shapeB, let b)): return shapeA == shapeB && a == b
    case (.uint64(let shapeA, let a), .uint64(let shapeB, let b)): return shapeA == shapeB && a == b
    default: return false
    }
  }

  public var description: String {
    switch self {
    case .float32(let tensor): return tensor.description
    case .int64(let shape, let scalars): return "I64\(Tensor.describe(shape: shape))\(scalars.prefix(8))"
    case .uint64(let shape, let scalars): return "U64\(Tensor.describe(shape: shape))\(scalars.prefix(8))"
    }
  }

  /// Calls `body` with the values' little-endian bytes, as a safetensors file stores them.
  func withLittleEndianBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    #if _endian(little)
      switch self {
      case .float32(let tensor): return try tensor.withUnsafeBufferPointer { try body(UnsafeRawBufferPointer($0)) }
      case .int64(_, let scalars): return try scalars.withUnsafeBytes(body)
      case .uint64(_, let scalars): return try scalars.withUnsafeBytes(body)
      }
    #else
      switch self {
      case .float32(let tensor):
        return try tensor.scalars.map { $0.bitPattern.littleEndian }.withUnsafeBytes(body)
      case .int64(_, let scalars): return try scalars.map(\.littleEndian).withUnsafeBytes(body)
      case .uint64(_, let scalars): return try scalars.map(\.littleEndian).withUnsafeBytes(body)
      }
    #endif
  }

  /// A tensor of `dtype` and `shape` whose values are read by `fill`, which must write exactly
  /// `shape` x `dtype.size` little-endian bytes into the buffer it is given.
  static func make(
    dtype: SafeTensorsDType, shape: [Int], fill: (UnsafeMutableRawBufferPointer) throws -> Void
  ) rethrows -> CheckpointTensor {
    let count = shape.reduce(1, *)
    switch dtype {
    case .float32:
      var tensor = Tensor(uninitializedShape: shape)
      try tensor.withUnsafeMutableBufferPointer { try fill(UnsafeMutableRawBufferPointer($0)) }
      #if !_endian(little)
        tensor.withUnsafeMutableBufferPointer { values in
          for i in values.indices { values[i] = Float(bitPattern: UInt32(littleEndian: values[i].bitPattern)) }
        }
      #endif
      return .float32(tensor)
    case .int64:
      var scalars = [Int64](repeating: 0, count: count)
      try scalars.withUnsafeMutableBytes(fill)
      return .int64(shape: shape, scalars: scalars.map { Int64(littleEndian: $0) })
    case .uint64:
      var scalars = [UInt64](repeating: 0, count: count)
      try scalars.withUnsafeMutableBytes(fill)
      return .uint64(shape: shape, scalars: scalars.map { UInt64(littleEndian: $0) })
    }
  }
}

/// The element types GenerativeKit reads and writes in safetensors files.
public enum SafeTensorsDType: String, CaseIterable, Sendable {
  /// 32-bit IEEE float.
  case float32 = "F32"
  /// Signed 64-bit integer.
  case int64 = "I64"
  /// Unsigned 64-bit integer.
  case uint64 = "U64"

  /// Bytes per element.
  public var size: Int {
    switch self {
    case .float32: return 4
    case .int64, .uint64: return 8
    }
  }

  /// Every dtype name the safetensors format defines, including those GenerativeKit does not load.
  static let formatNames: Set<String> = [
    "BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2", "I16", "U16",
    "F16", "BF16", "I32", "U32", "F32", "F64", "C64", "I64", "U64",
  ]
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif
