import Foundation

// MARK: - Models

extension Checkpoint {
  /// Adds the model's state dictionary (every parameter and buffer, PyTorch's names and layouts)
  /// with each name prefixed: `prefix` `"generator."` gives `generator.0.weight`.
  public mutating func add(model: any Module, prefix: String = "") {
    for (name, value) in model.stateDict { set(value, named: prefix + name) }
  }

  /// Checks, changing nothing, that the checkpoint holds every tensor `model` expects under
  /// `prefix`, as F32 with the model's shape; with `strict`, also that no other tensor under
  /// `prefix` is left over (as PyTorch's `load_state_dict(strict=True)`). The error names the file
  /// and the first tensor that is missing, differs, or holds a value that is not finite.
  public func validate(model: any Module, prefix: String = "", strict: Bool = true) throws {
    _ = try stateDict(for: model, prefix: prefix, strict: strict)
  }

  /// Replaces the model's parameters and buffers with the tensors under `prefix`, after checking
  /// them all as ``validate(model:prefix:strict:)`` does: on error the model is unchanged.
  public func restore(model: any Module, prefix: String = "", strict: Bool = true) throws {
    try restore(models: [(prefix, model)], strict: strict)
  }

  /// The model's tensors from this checkpoint, without the prefix, checked as `validate` promises.
  func stateDict(for model: any Module, prefix: String, strict: Bool) throws -> [String: Tensor] {
    var result: [String: Tensor] = [:]
    for entry in model.namedParameters {
      let name = prefix + entry.name
      let expected = entry.parameter.value.shapeDescription
      guard let stored = self[name] else {
        throw error(tensor: name, "missing (the model expects F32 \(expected)); \(heldPrefixes)")
      }
      guard case .float32(let tensor) = stored else {
        throw error(tensor: name, "has dtype \(stored.dtype.rawValue), the model expects F32 \(expected)")
      }
      guard tensor.shape == entry.parameter.shape else {
        throw error(tensor: name, "has shape \(tensor.shapeDescription), the model expects \(expected)")
      }
      if let bad = tensor.withUnsafeBufferPointer({ $0.firstIndex { !$0.isFinite } }) {
        throw error(tensor: name, "holds \(tensor.scalars[bad]) at element \(bad); a model's weights must be finite")
      }
      result[entry.name] = tensor
    }
    if strict, let extra = names(withPrefix: prefix).first(where: { result[String($0.dropFirst(prefix.count))] == nil }) {
      throw error(tensor: extra, "is not a parameter or buffer of the model (restore with strict: false to ignore it)")
    }
    return result
  }
}

extension Checkpoint {
  /// What the file does hold, for an error about a tensor it lacks: the first component of its
  /// names (`generator.`, `optimizer.`), which tells a wrong prefix from a wrong file.
  var heldPrefixes: String {
    var prefixes: [String] = []
    for name in names {
      let prefix = name.split(separator: ".", maxSplits: 1).count > 1 ? String(name.prefix { $0 != "." }) + "." : name
      if !prefixes.contains(prefix) { prefixes.append(prefix) }
    }
    if prefixes.isEmpty { return "the file holds no tensors" }
    let shown = prefixes.prefix(8).map { "'\($0)'" }.joined(separator: ", ")
    return "the file holds \(count) tensor\(count == 1 ? "" : "s") under " + shown + (prefixes.count > 8 ? ", ..." : "")
  }
}

// MARK: - Optimizers

extension Checkpoint {
  /// Adds the optimizer's state (moments, step count; see ``Optimizer/state``) under `prefix`,
  /// e.g. `"optimizer.generator."` gives `optimizer.generator.exp_avg.0.weight`. Names are added in
  /// sorted order, so the same state always gives the same file.
  public mutating func add(optimizer: any Optimizer, prefix: String) {
    let state = optimizer.state
    for name in state.keys.sorted() { set(state[name]!, named: prefix + name) }
  }

  /// Restores the optimizer's state from the tensors under `prefix`; on error the optimizer is
  /// unchanged, and the error names the file and the first tensor that is missing or differs.
  public func restore(optimizer: any Optimizer, prefix: String) throws {
    try restore(models: [], optimizers: [(prefix, optimizer)])
  }

  /// The optimizer's state tensors from this checkpoint, without the prefix. Every tensor the
  /// optimizer has now must be there with the same shape (a fresh SGD has none yet; its buffers
  /// are checked by its own `loadState`).
  func optimizerState(for optimizer: any Optimizer, prefix: String) throws -> [String: Tensor] {
    var result: [String: Tensor] = [:]
    for name in names(withPrefix: prefix) { result[String(name.dropFirst(prefix.count))] = try tensor(named: name) }
    let current = optimizer.state
    for key in current.keys.sorted() {
      let expected = current[key]!.shapeDescription
      guard let tensor = result[key] else {
        throw error(tensor: prefix + key, "missing (the optimizer expects F32 \(expected))")
      }
      guard tensor.shape == current[key]!.shape else {
        throw error(tensor: prefix + key, "has shape \(tensor.shapeDescription), the optimizer expects \(expected)")
      }
    }
    return result
  }
}

// MARK: - Restoring several components at once

extension Checkpoint {
  /// Restores several models and optimizers from their prefixes, all or nothing: every model and
  /// optimizer state is validated first, and if an optimizer still rejects its state, the
  /// optimizers already restored are put back as they were before the error is thrown.
  ///
  /// ```swift
  /// try checkpoint.restore(
  ///   models: [("generator.", generator), ("discriminator.", discriminator)],
  ///   optimizers: [("optimizer.generator.", gOptimizer), ("optimizer.discriminator.", dOptimizer)])
  /// ```
  public func restore(
    models: [(prefix: String, model: any Module)],
    optimizers: [(prefix: String, optimizer: any Optimizer)] = [],
    strict: Bool = true
  ) throws {
    let modelStates = try models.map { try stateDict(for: $0.model, prefix: $0.prefix, strict: strict) }
    let optimizerStates = try optimizers.map { try optimizerState(for: $0.optimizer, prefix: $0.prefix) }
    // Optimizers first: their own loadState may still reject a state (a fresh SGD has nothing to
    // validate against), and each one loaded is rolled back if a later one does.
    let previousOptimizers = optimizers.map(\.optimizer.state)
    for (index, item) in optimizers.enumerated() {
      do {
        try item.optimizer.loadState(optimizerStates[index])
      } catch {
        for earlier in 0..<index { try? optimizers[earlier].optimizer.loadState(previousOptimizers[earlier]) }
        throw self.error("optimizer state under '\(item.prefix)' rejected: \(error)")
      }
    }
    // Models cannot fail now: loadStateDict checks exactly what stateDict(for:) has checked.
    for (index, item) in models.enumerated() { try item.model.loadStateDict(modelStates[index]) }
  }
}

// MARK: - Random generators

extension Checkpoint {
  /// Stores a generator's four-word state as a `U64` tensor of shape `[4]` called `name`
  /// (e.g. `"rng.data"`), so a resumed run continues the exact random sequence.
  public mutating func setRandomGenerator(_ generator: SeededGenerator, named name: String) {
    self[name] = .uint64(shape: [4], scalars: generator.state)
  }

  /// The generator saved under `name` by ``setRandomGenerator(_:named:)``, continuing where it stopped.
  public func randomGenerator(named name: String) throws -> SeededGenerator {
    guard let stored = self[name] else { throw error(tensor: name, "missing (expected a U64 [4] generator state)") }
    guard case .uint64(let shape, let words) = stored, shape == [4] else {
      throw error(tensor: name, "is \(stored.dtype.rawValue) \(Tensor.describe(shape: stored.shape)), "
                  + "a generator state is U64 [4]")
    }
    guard words.contains(where: { $0 != 0 }) else { throw error(tensor: name, "generator state is all zero") }
    var generator = SeededGenerator(seed: 0)
    generator.state = words
    return generator
  }
}

// MARK: - Run metadata

extension Checkpoint {
  /// The epoch the run had completed, stored as metadata `"epoch"`; nil if absent or not an integer.
  public var epoch: Int? {
    get { metadata["epoch"].flatMap { Int($0) } }
    set { metadata["epoch"] = newValue.map(String.init) }
  }

  /// The number of training steps taken, stored as metadata `"step"`; nil if absent or not an integer.
  public var step: Int? {
    get { metadata["step"].flatMap { Int($0) } }
    set { metadata["step"] = newValue.map(String.init) }
  }

  /// Stores `value` as a JSON string (keys sorted) in the metadata under `key`: a model's or a
  /// run's configuration, readable by any safetensors tool.
  public mutating func setConfiguration<T: Encodable>(_ value: T, forKey key: String = "configuration") throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let data = try encoder.encode(value)
    metadata[key] = String(decoding: data, as: UTF8.self)
  }

  /// Decodes the JSON stored under `key` by ``setConfiguration(_:forKey:)``; the error names the
  /// file and the key.
  public func configuration<T: Decodable>(_ type: T.Type, forKey key: String = "configuration") throws -> T {
    guard let text = metadata[key] else { throw error("metadata has no key '\(key)'") }
    let value: T
    do {
      value = try JSONDecoder().decode(T.self, from: Data(text.utf8))
    } catch {
      throw self.error("metadata '\(key)' is not a valid \(T.self): \(error)")
    }
    // A configuration that describes the network is checked before anyone builds from it.
    if let checked = value as? CheckedConfiguration {
      do {
        try checked.check()
      } catch let GenerativeKitError.invalidArgument(reason) {
        throw self.error("metadata '\(key)': \(reason)")
      }
    }
    return value
  }
}
