import Foundation

/// Named tensors in a fixed order plus string metadata, saved as a safetensors file
/// (https://huggingface.co/docs/safetensors) that PyTorch, NumPy and the `safetensors` package read.
///
/// A training run puts its models, optimizers, random generators and run metadata in one
/// checkpoint, each under a prefix, and restores them from it:
///
/// ```swift
/// var checkpoint = Checkpoint()
/// checkpoint.add(model: generator, prefix: "generator.")            // generator.0.weight, ...
/// checkpoint.add(optimizer: generatorOptimizer, prefix: "optimizer.generator.")
/// checkpoint.setRandomGenerator(random, named: "rng.main")
/// checkpoint.epoch = 20
/// try checkpoint.save(to: URL(fileURLWithPath: "runs/gan/epoch-20.safetensors"))
///
/// let loaded = try Checkpoint(contentsOf: URL(fileURLWithPath: "runs/gan/epoch-20.safetensors"))
/// try loaded.restore(models: [("generator.", generator)], optimizers: [("optimizer.generator.", generatorOptimizer)])
/// ```
///
/// Saving is atomic (see ``save(to:)``). Loading validates the whole file before it allocates
/// tensor memory, and every error names the file and the first tensor at fault.
public struct Checkpoint: Equatable {
  /// String metadata, stored in the file's `__metadata__` map (written in sorted key order).
  public var metadata: [String: String]
  /// The file this checkpoint was loaded from (or the source named when decoding bytes), for
  /// messages; nil if it was built in memory.
  public internal(set) var path: String?

  private var order: [String] = []
  private var storage: [String: CheckpointTensor] = [:]

  /// An empty checkpoint with the given metadata.
  public init(metadata: [String: String] = [:]) {
    self.metadata = metadata
    self.path = nil
  }

  /// The tensor names in file order (the order they were added in).
  public var names: [String] { order }

  /// The number of tensors.
  public var count: Int { order.count }

  /// Every tensor with its name, in file order.
  public var tensors: [(name: String, tensor: CheckpointTensor)] { order.map { ($0, storage[$0]!) } }

  /// The tensor called `name`. Setting a new name appends it; setting an existing one replaces the
  /// value in place (keeping its position); setting nil removes it.
  public subscript(name: String) -> CheckpointTensor? {
    get { storage[name] }
    set {
      switch (storage[name], newValue) {
      case (nil, let value?):
        order.append(name)
        storage[name] = value
      case (_?, let value?):
        storage[name] = value
      case (_?, nil):
        order.removeAll { $0 == name }
        storage[name] = nil
      case (nil, nil):
        break
      }
    }
  }

  /// Stores a Float32 tensor under `name` (see ``subscript(_:)`` for the ordering rules).
  public mutating func set(_ tensor: Tensor, named name: String) {
    self[name] = .float32(tensor)
  }

  /// The Float32 tensor called `name`; the error names the file and the tensor if it is missing
  /// or holds another dtype.
  public func tensor(named name: String) throws -> Tensor {
    guard let stored = storage[name] else { throw error(tensor: name, "missing from the checkpoint") }
    guard case .float32(let tensor) = stored else {
      throw error(tensor: name, "has dtype \(stored.dtype.rawValue), expected F32")
    }
    return tensor
  }

  /// The names that start with `prefix`, in file order.
  public func names(withPrefix prefix: String) -> [String] {
    order.filter { $0.hasPrefix(prefix) }
  }

  /// Equal tensors (names, order, dtype, shape and every bit) and equal metadata; ``path`` is ignored.
  public static func == (lhs: Checkpoint, rhs: Checkpoint) -> Bool {
    lhs.order == rhs.order && lhs.metadata == rhs.metadata && lhs.storage == rhs.storage
  }

  /// How messages refer to this checkpoint: its file, or "in-memory checkpoint".
  var displayPath: String { path ?? Self.inMemoryLabel }

  package static let inMemoryLabel = "in-memory checkpoint"

  /// An error about this checkpoint, naming its file and, if given, the tensor.
  func error(tensor: String? = nil, _ reason: String) -> GenerativeKitError {
    .checkpoint(path: displayPath, tensor: tensor, reason: reason)
  }
}

// MARK: - Files and bytes

extension Checkpoint {
  /// Loads a safetensors file, checking it completely first: header length within the file and
  /// at most 100 MB, well-formed JSON, known dtypes, sizes matching shapes, and offsets that cover
  /// the data section exactly. Errors name the file and, where one is at fault, the tensor.
  public init(contentsOf url: URL) throws {
    let file = try ReadableFile(path: url.path)
    try self.init(decoding: file, source: url.path)
    path = url.path
  }

  /// Decodes a checkpoint from the bytes of a safetensors file; `source` (a file name, a URL)
  /// names it in errors and becomes ``path``.
  public init(safetensors bytes: [UInt8], source: String? = nil) throws {
    let label = source ?? Self.inMemoryLabel
    try self.init(decoding: MemoryBytes(bytes: bytes, source: label), source: label)
    path = source
  }

  private init(decoding input: some RandomAccessBytes, source: String) throws {
    let decoded = try SafeTensorsCodec.decode(input, source: source)
    self.init(metadata: decoded.metadata)
    for (name, tensor) in decoded.tensors { self[name] = tensor }
  }

  /// The checkpoint as the bytes of a safetensors file.
  public func safetensorsBytes() throws -> [UInt8] {
    try SafeTensorsCodec.encode(tensors, metadata: metadata, destination: displayPath)
  }

  /// Saves the checkpoint as a safetensors file, atomically: the bytes go to a temporary file in
  /// the same directory, which is synced to disk and then renamed over `url`. A crash or kill
  /// mid-save leaves the previous file at `url` intact (and possibly a hidden
  /// `.<name>.tmp-<pid>-<n>` file beside it). The directory must exist.
  public func save(to url: URL) throws {
    let tensors = self.tensors
    try AtomicFile.write(to: url) { sink in
      try SafeTensorsCodec.write(tensors, metadata: metadata, to: sink)
    }
  }
}
