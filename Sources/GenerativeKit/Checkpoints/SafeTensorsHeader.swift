/// The JSON header of a safetensors file (https://huggingface.co/docs/safetensors):
/// `{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ..., "__metadata__": {..}}`.
///
/// ``parse(_:dataSize:source:)`` checks everything a reader relies on before any tensor memory is
/// allocated: known dtypes, sizes that match the shapes, and offsets that tile the data section
/// exactly (contiguous, no gaps, no overlaps). Every error names the file and, where one is at
/// fault, the tensor.
struct SafeTensorsHeader {
  /// Where one tensor's bytes are, relative to the start of the data section.
  struct Entry {
    var name: String
    var dtype: SafeTensorsDType
    var shape: [Int]
    var begin: Int
    var end: Int
  }

  /// The tensors in data order.
  var entries: [Entry]
  var metadata: [String: String]

  /// The reserved key for the string-to-string metadata map.
  static let metadataKey = "__metadata__"
  /// The largest header accepted, as in the reference implementation (100 MB).
  static let maximumSize = 100_000_000
  /// The highest tensor rank accepted.
  static let maximumRank = 16

  // MARK: - Writing

  /// The 8-byte length prefix and the header, padded with spaces so the data starts 8-byte aligned.
  static func encode(
    _ tensors: [(name: String, tensor: CheckpointTensor)], metadata: [String: String]
  ) -> [UInt8] {
    var json = "{"
    var fields: [String] = []
    if !metadata.isEmpty {
      let pairs = metadata.keys.sorted().map { HeaderJSON.quoted($0) + ":" + HeaderJSON.quoted(metadata[$0]!) }
      fields.append(HeaderJSON.quoted(metadataKey) + ":{" + pairs.joined(separator: ",") + "}")
    }
    var offset = 0
    for (name, tensor) in tensors {
      let end = offset + tensor.byteCount
      fields.append(
        HeaderJSON.quoted(name) + ":{\"dtype\":\"\(tensor.dtype.rawValue)\",\"shape\":["
          + tensor.shape.map(String.init).joined(separator: ",") + "],\"data_offsets\":[\(offset),\(end)]}")
      offset = end
    }
    json += fields.joined(separator: ",") + "}"
    var header = Array(json.utf8)
    header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8))
    let length = UInt64(header.count).littleEndian
    return withUnsafeBytes(of: length) { Array($0) } + header
  }

  // MARK: - Reading

  /// Parses and validates a header whose data section holds `dataSize` bytes.
  static func parse(_ bytes: UnsafeRawBufferPointer, dataSize: Int, source: String) throws -> SafeTensorsHeader {
    func failure(_ reason: String, tensor: String? = nil) -> GenerativeKitError {
      .checkpoint(path: source, tensor: tensor, reason: reason)
    }
    guard bytes.first == UInt8(ascii: "{") else {
      throw failure("not a safetensors file: the header does not start with '{'")
    }
    let root: HeaderJSON.Value
    do {
      root = try HeaderJSON.parse(bytes)
    } catch let error as HeaderJSON.SyntaxError {
      throw failure("the header is not valid JSON: \(error)")
    }
    guard case .object(let members) = root else { throw failure("the header is not a JSON object") }

    var entries: [Entry] = []
    var metadata: [String: String] = [:]
    for (name, value) in members {
      if name == metadataKey {
        metadata = try parseMetadata(value, failure: failure)
      } else {
        entries.append(try parseEntry(name: name, value, failure: { failure($0, tensor: name) }))
      }
    }
    try checkLayout(&entries, dataSize: dataSize, failure: failure)
    return SafeTensorsHeader(entries: entries, metadata: metadata)
  }

  private static func parseMetadata(
    _ value: HeaderJSON.Value, failure: (String, String?) -> GenerativeKitError
  ) throws -> [String: String] {
    if case .null = value { return [:] }
    guard case .object(let pairs) = value else {
      throw failure("\(metadataKey) must be an object of strings, found \(value.kind)", nil)
    }
    var metadata: [String: String] = [:]
    for (key, item) in pairs {
      guard case .string(let text) = item else {
        throw failure("\(metadataKey) value for key \(HeaderJSON.quoted(key)) must be a string, found \(item.kind)", nil)
      }
      metadata[key] = text
    }
    return metadata
  }

  private static func parseEntry(
    name: String, _ value: HeaderJSON.Value, failure: (String) -> GenerativeKitError
  ) throws -> Entry {
    guard case .object(let fields) = value else {
      throw failure("its header entry must be an object, found \(value.kind)")
    }
    var dtypeName: String?
    var shape: [Int]?
    var offsets: [Int]?
    for (key, item) in fields {
      switch key {
      case "dtype":
        guard case .string(let text) = item else { throw failure("dtype must be a string, found \(item.kind)") }
        dtypeName = text
      case "shape":
        shape = try integers(item, field: "shape", failure: failure)
      case "data_offsets":
        offsets = try integers(item, field: "data_offsets", failure: failure)
      default:
        throw failure("unknown field \(HeaderJSON.quoted(key)) (expected dtype, shape, data_offsets)")
      }
    }
    guard let dtypeName else { throw failure("missing field \"dtype\"") }
    guard let shape else { throw failure("missing field \"shape\"") }
    guard let offsets else { throw failure("missing field \"data_offsets\"") }
    guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
      if SafeTensorsDType.formatNames.contains(dtypeName) {
        throw failure("dtype \(dtypeName) is not supported (GenerativeKit reads F32, I64 and U64)")
      }
      throw failure("unknown dtype \(HeaderJSON.quoted(dtypeName))")
    }
    guard shape.count <= maximumRank else {
      throw failure("shape has \(shape.count) dimensions, more than \(maximumRank)")
    }
    guard offsets.count == 2 else {
      throw failure("data_offsets must be [begin, end], found \(offsets.count) numbers")
    }
    let (begin, end) = (offsets[0], offsets[1])
    guard begin <= end else { throw failure("data_offsets [\(begin), \(end)] end before they begin") }
    var byteCount = dtype.size
    for extent in shape {
      let (product, overflow) = byteCount.multipliedReportingOverflow(by: extent)
      guard !overflow else { throw failure("shape \(Tensor.describe(shape: shape)) is too large") }
      byteCount = product
    }
    guard byteCount == end - begin else {
      throw failure(
        "shape \(Tensor.describe(shape: shape)) of \(dtypeName) needs \(byteCount) bytes, "
          + "but data_offsets [\(begin), \(end)] hold \(end - begin)")
    }
    return Entry(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
  }

  /// Reads an array of non-negative integers.
  private static func integers(
    _ value: HeaderJSON.Value, field: String, failure: (String) -> GenerativeKitError
  ) throws -> [Int] {
    guard case .array(let items) = value else { throw failure("\(field) must be an array, found \(value.kind)") }
    return try items.map { item in
      guard case .integer(let number) = item, number >= 0 else {
        throw failure("\(field) must hold non-negative integers")
      }
      return number
    }
  }

  /// Sorts the entries by offset and checks that they tile `0..<dataSize` exactly.
  private static func checkLayout(
    _ entries: inout [Entry], dataSize: Int, failure: (String, String?) -> GenerativeKitError
  ) throws {
    // A stable sort: empty tensors sharing an offset keep their header order.
    entries = entries.enumerated().sorted { ($0.element.begin, $0.element.end, $0.offset) < ($1.element.begin, $1.element.end, $1.offset) }
      .map(\.element)
    var position = 0
    var previous: String?
    for entry in entries {
      if entry.begin != position {
        let after = previous.map { "tensor '\($0)' ends at byte \(position)" } ?? "the data section starts at byte 0"
        let problem = entry.begin < position ? "overlaps the tensor before it" : "leaves a gap"
        throw failure("data_offsets begin at byte \(entry.begin), but \(after): the tensor \(problem)", entry.name)
      }
      guard entry.end <= dataSize else {
        throw failure("data_offsets end at byte \(entry.end), past the \(dataSize)-byte data section "
                      + "(the file is truncated?)", entry.name)
      }
      position = entry.end
      previous = entry.name
    }
    guard position == dataSize else {
      throw failure("the tensors cover \(position) bytes of data, but the data section holds \(dataSize) "
                    + "(trailing bytes after the last tensor)", nil)
    }
  }
}
