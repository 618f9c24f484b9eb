import GenerativeKit
import GenerativeKitData
import GenerativeKitTraining

/// What one input did to a parser.
public enum FuzzVerdict: Equatable, Sendable {
  /// Parsed, and every property checked on the result held.
  case accepted
  /// Refused with an error (what hostile input should get).
  case rejected
  /// Parsed, but a property of the result failed: a bug, described.
  case violated(String)
}

/// The parsers a user's files reach, each with the properties its result must have. `gk-fuzz`
/// runs one of them under libFuzzer (`scripts/fuzz.sh`); the tests replay the kept corpus and every
/// crasher through the same code.
public enum FuzzTarget: String, CaseIterable, Sendable {
  /// A safetensors checkpoint and the run configuration in its metadata.
  case safetensors
  /// An uncompressed IDX file (MNIST's format).
  case idx
  /// Gzip decompression; the input is also compressed and decompressed again.
  case gzip
  /// A NumPy `.npy` array.
  case npy
  /// A PNG image, decoded through libpng.
  case png
  /// A JPEG image, decoded through libjpeg.
  case jpeg

  /// The bound on what one input may make a parser allocate (elements, bytes or pixels), far
  /// below the library's defaults so that a run of a million inputs stays fast.
  static let limit = 1 << 20

  /// Runs `bytes` through the parser and checks the result.
  public func run(_ bytes: [UInt8]) -> FuzzVerdict {
    do {
      switch self {
      case .safetensors: return try Self.safetensors(bytes)
      case .idx: return try Self.idx(bytes)
      case .gzip: return try Self.gzip(bytes)
      case .npy: return try Self.npy(bytes)
      case .png: return try Self.image(PNG.decode(bytes, source: "fuzz.png", maxPixels: Self.limit), lossless: true)
      case .jpeg: return try Self.image(JPEG.decode(bytes, source: "fuzz.jpg", maxPixels: Self.limit), lossless: false)
      }
    } catch {
      return .rejected
    }
  }

  /// A checkpoint that loads must save to bytes that load to the same checkpoint; a configuration
  /// it carries is read (and range-checked) as both experiments' options.
  private static func safetensors(_ bytes: [UInt8]) throws -> FuzzVerdict {
    let checkpoint = try Checkpoint(safetensors: bytes, source: "fuzz.safetensors")
    let again = try Checkpoint(safetensors: checkpoint.safetensorsBytes(), source: "fuzz.safetensors (saved again)")
    guard again == checkpoint else { return .violated("a checkpoint saved again loads differently") }
    if checkpoint.metadata["configuration"] != nil {
      _ = try? checkpoint.configuration(GANOptions.self)
      _ = try? checkpoint.configuration(VAEOptions.self)
    }
    return .accepted
  }

  /// An IDX array's dimensions must account for exactly its elements.
  private static func idx(_ bytes: [UInt8]) throws -> FuzzVerdict {
    let array = try IDX.parse(bytes, source: "fuzz.idx", limit: limit)
    let count = array.dimensions.reduce(1, *)
    guard count == array.count, array.dataOffset == 4 + 4 * array.dimensions.count, array.dataOffset + count == bytes.count
    else {
      return .violated("IDX dimensions \(array.dimensions) for \(bytes.count - array.dataOffset) data bytes")
    }
    return .accepted
  }

  /// Any bytes survive compression and decompression; a stream that decompresses stays in bounds.
  private static func gzip(_ bytes: [UInt8]) throws -> FuzzVerdict {
    guard try Gzip.decompress(Gzip.compress(bytes), source: "fuzz (compressed here)", limit: limit) == bytes else {
      return .violated("compress then decompress changed \(bytes.count) bytes")
    }
    let output = try Gzip.decompress(bytes, source: "fuzz.gz", limit: limit)
    guard output.count <= limit else { return .violated("\(output.count) bytes decompressed past the limit") }
    return .accepted
  }

  /// An array that loads must save to bytes that load to the same tensor.
  private static func npy(_ bytes: [UInt8]) throws -> FuzzVerdict {
    let tensor = try NumPyArray.decode(bytes, source: "fuzz.npy")
    let again = try NumPyArray.decode(NumPyArray.encode(tensor), source: "fuzz.npy (saved again)")
    guard again.shape == tensor.shape, again.scalars.elementsEqual(tensor.scalars, by: { $0.bitPattern == $1.bitPattern })
    else { return .violated("an array saved again loads differently (shape \(tensor.shapeDescription))") }
    return .accepted
  }

  /// A decoded image has the pixels its size says; a PNG encoded again decodes to the same pixels.
  private static func image(_ image: PixelImage, lossless: Bool) throws -> FuzzVerdict {
    guard image.width >= 1, image.height >= 1, image.width * image.height <= limit,
      image.pixels.count == image.width * image.height * image.channelCount
    else { return .violated("\(image.width)x\(image.height) \(image.color) image with \(image.pixels.count) bytes") }
    if lossless, try PNG.decode(PNG.encode(image), source: "fuzz.png (saved again)") != image {
      return .violated("a decoded PNG encoded again decodes to other pixels")
    }
    return .accepted
  }
}
