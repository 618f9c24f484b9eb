/// Reads and writes whole safetensors files: an 8-byte little-endian header length N, N bytes of
/// JSON header (``SafeTensorsHeader``), then the tensors' little-endian bytes back to back.
///
/// Reading validates the header completely before allocating tensor memory, and every allocation
/// is bounded by the input's size, so a hostile or damaged file costs at most its own size.
enum SafeTensorsCodec {
  typealias NamedTensor = (name: String, tensor: CheckpointTensor)

  /// Decodes every tensor and the metadata, tensors in the order of their data.
  static func decode(
    _ input: some RandomAccessBytes, source: String
  ) throws -> (tensors: [NamedTensor], metadata: [String: String]) {
    func failure(_ reason: String) -> GenerativeKitError { .checkpoint(path: source, tensor: nil, reason: reason) }
    guard input.count >= 8 else {
      throw failure("not a safetensors file: \(input.count) bytes, too short for the 8-byte header length")
    }
    var prefix: UInt64 = 0
    try withUnsafeMutableBytes(of: &prefix) { try input.read(into: $0, at: 0) }
    let declared = UInt64(littleEndian: prefix)
    guard declared <= UInt64(SafeTensorsHeader.maximumSize) else {
      throw failure("not a safetensors file: it declares a \(declared)-byte header, "
                    + "more than the \(SafeTensorsHeader.maximumSize)-byte limit")
    }
    let headerSize = Int(declared)
    guard headerSize <= input.count - 8 else {
      throw failure("the header length \(headerSize) runs past the end of the \(input.count)-byte file "
                    + "(truncated, or not a safetensors file)")
    }
    guard headerSize >= 2 else { throw failure("the header length \(headerSize) is too small for a JSON object") }
    let header = try [UInt8](unsafeUninitializedCapacity: headerSize) { buffer, count in
      try input.read(into: UnsafeMutableRawBufferPointer(buffer), at: 8)
      count = headerSize
    }
    let dataStart = 8 + headerSize
    let parsed = try header.withUnsafeBytes {
      try SafeTensorsHeader.parse($0, dataSize: input.count - dataStart, source: source)
    }
    let tensors = try parsed.entries.map { entry -> NamedTensor in
      let tensor = try CheckpointTensor.make(dtype: entry.dtype, shape: entry.shape) { buffer in
        guard buffer.count > 0 else { return }
        try input.read(into: buffer, at: dataStart + entry.begin)
      }
      return (entry.name, tensor)
    }
    return (tensors, parsed.metadata)
  }

  /// The complete file as bytes.
  static func encode(_ tensors: [NamedTensor], metadata: [String: String], destination: String) throws -> [UInt8] {
    try validateForWriting(tensors, destination: destination)
    var bytes = SafeTensorsHeader.encode(tensors, metadata: metadata)
    for (_, tensor) in tensors { tensor.withLittleEndianBytes { bytes.append(contentsOf: $0) } }
    return bytes
  }

  /// Writes the file to `sink`, streaming each tensor from its own memory.
  static func write(_ tensors: [NamedTensor], metadata: [String: String], to sink: FileSink) throws {
    try validateForWriting(tensors, destination: sink.path)
    try sink.write(SafeTensorsHeader.encode(tensors, metadata: metadata))
    for (_, tensor) in tensors { try tensor.withLittleEndianBytes { try sink.write($0) } }
  }

  /// Rejects the one name a reader would take for something else, before anything is written.
  /// (Names are unique already: ``Checkpoint`` keys its tensors by name.)
  static func validateForWriting(_ tensors: [NamedTensor], destination: String) throws {
    if tensors.contains(where: { $0.name == SafeTensorsHeader.metadataKey }) {
      throw GenerativeKitError.checkpoint(
        path: destination, tensor: SafeTensorsHeader.metadataKey, reason: "the name is reserved for the metadata map")
    }
  }
}
