import GenerativeKit

/// An array read from an IDX file (the MNIST format): its dimensions and its unsigned bytes in
/// row-major order.
///
/// The format: two zero bytes, an element-type byte (only `0x08`, unsigned byte, is supported), a
/// byte holding the number of dimensions, each dimension as a big-endian `UInt32`, then the
/// elements. Images files are `[N, H, W]`, label files `[N]`.
public struct IDXArray {
  /// The extent of each dimension, outermost first (`[60000, 28, 28]`).
  public let dimensions: [Int]
  /// The whole file; the elements start at ``dataOffset``. Kept whole to avoid a copy.
  private let file: [UInt8]
  /// Where the elements start in the file: `4 + 4 * dimensions.count`.
  public let dataOffset: Int

  /// The number of elements (the product of ``dimensions``).
  public var count: Int { file.count - dataOffset }

  /// The elements in row-major order (a copy).
  public var elements: [UInt8] { Array(file[dataOffset...]) }

  /// Calls `body` with the elements in row-major order, without copying.
  public func withUnsafeElements<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
    try file.withUnsafeBufferPointer { all in
      try body(UnsafeBufferPointer(rebasing: all[dataOffset...]))
    }
  }

  fileprivate init(dimensions: [Int], file: [UInt8], dataOffset: Int) {
    self.dimensions = dimensions
    self.file = file
    self.dataOffset = dataOffset
  }
}

/// Reads IDX files, raw or gzip-compressed, checking every header field before trusting it.
public enum IDX {
  /// The element type this reader supports: unsigned bytes.
  public static let unsignedByteType: UInt8 = 0x08

  /// Reads the IDX file at `path`, decompressing it first if it is gzip.
  ///
  /// - Parameters:
  ///   - path: the `.idx` file, gzip-compressed or not.
  ///   - limit: the largest file, decompressed size and element count accepted.
  /// - Throws: `GenerativeKitError/file(path:reason:)` naming `path` and what was wrong.
  public static func read(_ path: String, limit: Int = Gzip.defaultSizeLimit) throws -> IDXArray {
    try parse(Gzip.readFile(path, limit: limit), source: path, limit: limit)
  }

  /// Parses the bytes of an uncompressed IDX file.
  ///
  /// Checks the magic number (`00 00 08 ndims`), that `ndims` is 1...4, that the dimensions'
  /// product neither overflows nor exceeds `limit`, and that the data after the header is exactly
  /// that many bytes long. Nothing is allocated from the declared sizes.
  ///
  /// - Parameters:
  ///   - bytes: the whole file, uncompressed.
  ///   - source: names the data in error messages (usually the file's path).
  ///   - limit: the largest element count accepted.
  /// - Throws: `GenerativeKitError/file(path:reason:)` with `source` as the path.
  public static func parse(_ bytes: [UInt8], source: String, limit: Int = Gzip.defaultSizeLimit) throws -> IDXArray {
    func fail(_ reason: String) -> GenerativeKitError { .file(path: source, reason: reason) }
    guard bytes.count >= 4 else {
      throw fail("not an IDX file: \(bytes.count) bytes is shorter than the 4-byte magic number")
    }
    guard bytes[0] == 0, bytes[1] == 0 else {
      throw fail(
        "not an IDX file: the magic number must start with 00 00, found \(hex(bytes[0])) \(hex(bytes[1]))"
          + (Gzip.isCompressed(bytes) ? " (the data is still gzip-compressed)" : ""))
    }
    guard bytes[2] == unsignedByteType else {
      throw fail(
        "IDX element type \(hex(bytes[2])) (\(typeName(bytes[2]))) is not supported; "
          + "only \(hex(unsignedByteType)) (unsigned byte) is")
    }
    let rank = Int(bytes[3])
    guard (1...4).contains(rank) else {
      throw fail("IDX header declares \(rank) dimensions; expected 1 to 4")
    }
    let headerSize = 4 + 4 * rank
    guard bytes.count >= headerSize else {
      throw fail("truncated IDX header: \(rank) dimensions need \(headerSize) header bytes, the file has \(bytes.count)")
    }
    var dimensions: [Int] = []
    var elements = 1
    var overflow = false
    for axis in 0..<rank {
      let at = 4 + 4 * axis
      let extent = Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
      dimensions.append(extent)
      if !overflow {
        let product = elements.multipliedReportingOverflow(by: extent)
        (elements, overflow) = (product.partialValue, product.overflow)
      }
    }
    let shape = Tensor.describe(shape: dimensions)
    guard !overflow, elements <= limit else {
      throw fail("IDX header declares dimensions \(shape), more than the limit of \(limit) elements")
    }
    let expected = headerSize + elements
    guard bytes.count == expected else {
      let problem = bytes.count < expected ? "truncated" : "has \(bytes.count - expected) extra bytes"
      throw fail(
        "IDX file \(problem): dimensions \(shape) need \(headerSize) + \(elements) = \(expected) bytes, "
          + "the file has \(bytes.count)")
    }
    return IDXArray(dimensions: dimensions, file: bytes, dataOffset: headerSize)
  }

  /// The bytes of an uncompressed IDX file holding `elements` with the given dimensions.
  public static func encode(dimensions: [Int], elements: [UInt8]) -> [UInt8] {
    enforce((1...4).contains(dimensions.count), "IDX.encode: \(dimensions.count) dimensions; expected 1 to 4")
    enforce(dimensions.allSatisfy { $0 >= 0 && $0 <= Int(UInt32.max) },
                 "IDX.encode: dimensions \(dimensions) out of the UInt32 range")
    enforce(dimensions.reduce(1, *) == elements.count,
                 "IDX.encode: dimensions \(dimensions) need \(dimensions.reduce(1, *)) elements, got \(elements.count)")
    var bytes: [UInt8] = [0, 0, unsignedByteType, UInt8(dimensions.count)]
    for extent in dimensions {
      bytes += [UInt8(extent >> 24 & 0xff), UInt8(extent >> 16 & 0xff), UInt8(extent >> 8 & 0xff), UInt8(extent & 0xff)]
    }
    bytes += elements
    return bytes
  }

  private static func hex(_ byte: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return "0x" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0xf)])
  }

  private static func typeName(_ type: UInt8) -> String {
    switch type {
    case 0x09: return "signed byte"
    case 0x0B: return "int16"
    case 0x0C: return "int32"
    case 0x0D: return "float32"
    case 0x0E: return "float64"
    default: return "unknown type"
    }
  }
}
