/// A dense, row-major Float32 array with a shape: the value every layer takes and returns.
///
/// Images are NCHW: `[batch, channels, height, width]`. Tensors have value semantics: copies share
/// memory until one of them is written to. Every precondition message names the shapes involved.
///
/// ```swift
/// var x = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
/// x[1, 2] = 0
/// let y = x.reshaped([3, 2])
/// ```
public struct Tensor: Sendable {
  /// The extent of each dimension, outermost first.
  public private(set) var shape: [Int]
  @usableFromInline package var storage: TensorStorage

  /// The number of scalars (the product of `shape`).
  public var count: Int { Self.count(of: shape) }

  /// The number of dimensions.
  public var rank: Int { shape.count }

  /// A tensor of the given shape with every element set to `value`.
  public init(shape: [Int], repeating value: Float = 0) {
    Self.validate(shape)
    let count = Self.count(of: shape)
    self.shape = shape
    self.storage = TensorStorage(capacity: count)
    storage.pointer.initialize(repeating: value, count: count)
  }

  /// A tensor of the given shape holding `scalars` in row-major order.
  public init(shape: [Int], scalars: [Float]) {
    Self.validate(shape)
    let count = Self.count(of: shape)
    enforce(
      scalars.count == count,
      "Tensor(shape: \(Self.describe(shape: shape))): needs \(count) scalars, got \(scalars.count)")
    self.shape = shape
    self.storage = TensorStorage(capacity: count)
    scalars.withUnsafeBufferPointer { storage.pointer.update(from: $0.baseAddress!, count: count) }
  }

  /// A tensor whose contents are undefined; the caller overwrites every element.
  @usableFromInline
  package init(uninitializedShape shape: [Int]) {
    Self.validate(shape)
    self.shape = shape
    self.storage = TensorStorage(capacity: Self.count(of: shape))
  }

  @usableFromInline
  package init(shape: [Int], storage: TensorStorage) {
    enforce(storage.capacity >= Self.count(of: shape))
    self.shape = shape
    self.storage = storage
  }

  /// The scalars in row-major order.
  public var scalars: [Float] {
    Array(UnsafeBufferPointer(start: storage.pointer, count: count))
  }

  /// The element at a flat (row-major) index.
  public subscript(flat index: Int) -> Float {
    get {
      enforce(index >= 0 && index < count, "Tensor\(shapeDescription): flat index \(index) out of range")
      return storage.pointer[index]
    }
    set {
      enforce(index >= 0 && index < count, "Tensor\(shapeDescription): flat index \(index) out of range")
      makeUnique()
      storage.pointer[index] = newValue
    }
  }

  /// The element at a multi-dimensional index, one entry per dimension.
  public subscript(_ indices: Int...) -> Float {
    get { storage.pointer[offset(of: indices)] }
    set {
      let offset = offset(of: indices)
      makeUnique()
      storage.pointer[offset] = newValue
    }
  }

  /// The same scalars viewed with another shape of the same element count (no copy).
  public func reshaped(_ newShape: [Int]) -> Tensor {
    enforce(
      Self.count(of: newShape) == count,
      "reshape: cannot view \(shapeDescription) (\(count) elements) as \(Self.describe(shape: newShape))")
    return Tensor(shape: newShape, storage: storage)
  }

  /// Calls `body` with the scalars; the pointer is valid only inside `body`.
  @inlinable
  public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
    try body(UnsafeBufferPointer(start: storage.pointer, count: count))
  }

  /// Calls `body` with writable scalars, copying first if the memory is shared.
  @inlinable
  public mutating func withUnsafeMutableBufferPointer<R>(
    _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
  ) rethrows -> R {
    makeUnique()
    return try body(UnsafeMutableBufferPointer(start: storage.pointer, count: count))
  }

  /// Read-only base pointer for kernels inside the library. Valid while `self` is alive.
  @usableFromInline package var pointer: UnsafePointer<Float> { UnsafePointer(storage.pointer) }

  /// Writable base pointer for kernels; makes the storage unique first.
  @usableFromInline
  package mutating func mutablePointer() -> UnsafeMutablePointer<Float> {
    makeUnique()
    return storage.pointer
  }

  @inlinable
  mutating func makeUnique() {
    if !isKnownUniquelyReferenced(&storage) {
      storage = storage.copy(count: count)
    }
  }

  /// Whether no other tensor shares this tensor's memory.
  mutating func isUniquelyReferenced() -> Bool { isKnownUniquelyReferenced(&storage) }

  private func offset(of indices: [Int]) -> Int {
    enforce(
      indices.count == shape.count,
      "Tensor\(shapeDescription): \(indices.count) indices given for \(shape.count) dimensions")
    var offset = 0
    for (axis, index) in indices.enumerated() {
      enforce(
        index >= 0 && index < shape[axis],
        "Tensor\(shapeDescription): index \(indices) out of range in dimension \(axis)")
      offset = offset * shape[axis] + index
    }
    return offset
  }
}

// MARK: - Shape helpers

extension Tensor {
  /// The shape written as `[2, 3, 28, 28]`, for messages.
  public var shapeDescription: String { Self.describe(shape: shape) }

  /// A shape written as `[2, 3, 28, 28]`.
  public static func describe(shape: [Int]) -> String {
    "[" + shape.map(String.init).joined(separator: ", ") + "]"
  }

  package static func count(of shape: [Int]) -> Int { shape.reduce(1, *) }

  static func validate(_ shape: [Int]) {
    enforce(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in shape \(describe(shape: shape))")
  }

  /// Throws a ``GenerativeKitError/shapeMismatch(context:expected:actual:)`` unless the shape is
  /// `expected`, where `nil` entries match any extent.
  package func checkShape(_ expected: [Int?], context: @autoclosure () -> String) throws {
    try Self.check(shape: shape, matches: expected, context: context())
  }

  /// Throws unless `shape` matches `expected` (`nil` entries match any extent).
  package static func check(shape: [Int], matches expected: [Int?], context: @autoclosure () -> String) throws {
    let matches =
      expected.count == shape.count
      && zip(expected, shape).allSatisfy { want, have in want == nil || want == have }
    if !matches {
      let text = "[" + expected.map { $0.map(String.init) ?? "N" }.joined(separator: ", ") + "]"
      throw GenerativeKitError.shapeMismatch(context: context(), expected: text, actual: shape)
    }
  }
}

extension Tensor: Equatable {
  /// Exact equality of shape and every scalar.
  public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
    guard lhs.shape == rhs.shape else { return false }
    if lhs.storage === rhs.storage { return true }
    for i in 0..<lhs.count where lhs.storage.pointer[i] != rhs.storage.pointer[i] { return false }
    return true
  }
}

extension Tensor: CustomStringConvertible {
  public var description: String {
    let shown = scalars.prefix(8).map { String($0) }.joined(separator: ", ")
    return "Tensor\(shapeDescription)(\(shown)\(count > 8 ? ", ..." : ""))"
  }
}
