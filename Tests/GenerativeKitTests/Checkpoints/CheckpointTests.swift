import Foundation
import TestSupport
import Testing

@testable import GenerativeKit

/// Saving and restoring models, optimizers, generators and run metadata.
@Suite struct CheckpointTests {
  /// Every parameter and buffer of a model, for before/after comparisons.
  func snapshot(_ model: any Model) -> [String: CheckpointTensor] {
    Dictionary(uniqueKeysWithValues: model.stateDict.map { ($0.name, CheckpointTensor.float32($0.value)) })
  }

  func snapshot(_ optimizer: any Optimizer) -> [String: CheckpointTensor] {
    optimizer.state.mapValues { CheckpointTensor.float32($0) }
  }

  @Test func roundTripsThroughAFileBitForBit() throws {
    let directory = try TestData.temporaryDirectory("checkpoint")
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("epoch-3.safetensors")
    let checkpoint = try CheckpointFixtures.checkpoint()
    try checkpoint.save(to: url)

    let loaded = try Checkpoint(contentsOf: url)
    #expect(loaded == checkpoint)
    #expect(loaded.path == url.path)
    #expect(loaded.names == checkpoint.names)
    #expect(loaded.metadata == ["run": "fixture", "epoch": "3", "step": "42"])
    #expect(loaded.names.prefix(4) == ["generator.0.weight", "generator.0.bias", "generator.1.weight", "generator.1.bias"])
    // PyTorch layouts: Conv2d [out, in, k, k], ConvTranspose2d [in, out, k, k], Linear [out, in].
    #expect(try loaded.tensor(named: "generator.0.weight").shape == [4, 1, 3, 3])
    #expect(try loaded.tensor(named: "generator.1.running_var").shape == [4])
    #expect(try loaded.tensor(named: "generator.3.weight").shape == [4, 2, 3, 3])
    #expect(try loaded.tensor(named: "generator.5.weight").shape == [3, 32])
    #expect(try loaded.tensor(named: "optimizer.generator.step") == Tensor(shape: [1], scalars: [3]))
    #expect(try loaded.safetensorsBytes() == checkpoint.safetensorsBytes())
    // Only the final file is left in the directory.
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["epoch-3.safetensors"])
  }

  @Test func freshModelAndOptimizerContinueExactly() throws {
    let (model, optimizer) = try CheckpointFixtures.trained(seed: 11)
    var checkpoint = Checkpoint()
    checkpoint.add(model: model, prefix: "g.")
    checkpoint.add(optimizer: optimizer, prefix: "opt.g.")
    let loaded = try Checkpoint(safetensors: checkpoint.safetensorsBytes())

    let fresh = CheckpointFixtures.model(seed: 99)
    let freshOptimizer = Adam.keras(model: fresh, learningRate: 1e-2)
    var random = SeededGenerator(seed: 5)
    let input = Tensor.randomNormal(shape: CheckpointFixtures.inputShape, using: &random)
    model.eval()
    fresh.eval()
    #expect(try model.forward(input) != fresh.forward(input))

    try loaded.restore(models: [("g.", fresh)], optimizers: [("opt.g.", freshOptimizer)])
    #expect(snapshot(fresh) == snapshot(model))
    #expect(snapshot(freshOptimizer) == snapshot(optimizer))
    #expect(CheckpointTensor.float32(try fresh.forward(input)) == .float32(try model.forward(input)))

    // One more training step on each gives identical parameters: the run resumes exactly.
    for (network, adam) in [(model, optimizer), (fresh, freshOptimizer)] {
      network.train()
      network.zeroGradients()
      let output = try network.forward(input)
      _ = try network.backward(output)
      adam.step()
    }
    #expect(snapshot(fresh) == snapshot(model))
    #expect(freshOptimizer.stepCount == 4)
  }

  @Test func wrongShapeIsReportedAndNothingIsLoaded() throws {
    let directory = try TestData.temporaryDirectory("checkpoint")
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("model.safetensors")
    try CheckpointFixtures.checkpoint().save(to: url)
    let loaded = try Checkpoint(contentsOf: url)

    // Same layers except the last Dense's width: the first five tensors would fit.
    let other = Sequential {
      Conv2D(inChannels: 1, outChannels: 4, kernelSize: 3, stride: 2, padding: .same, seed: 1)
      BatchNorm(features: 4)
      LeakyReLU()
      ConvTranspose2D(inChannels: 4, outChannels: 2, kernelSize: 3, stride: 1, padding: .same, seed: 2)
      Flatten()
      Dense(inFeatures: 32, outFeatures: 5, seed: 3)
    }
    let before = snapshot(other)
    let reason = expectCheckpointError(path: url.path, tensor: "generator.5.weight", "has shape [3, 32], the model expects [5, 32]") {
      try loaded.restore(model: other, prefix: "generator.")
    }
    #expect(reason != nil)
    #expect(snapshot(other) == before)
    expectCheckpointError(path: url.path, tensor: "generator.5.weight", "the model expects") {
      try loaded.validate(model: other, prefix: "generator.")
    }
  }

  @Test func missingWrongDtypeAndUnexpectedTensorsAreReported() throws {
    let full = try CheckpointFixtures.checkpoint()
    let model = CheckpointFixtures.model(seed: 3)
    let before = snapshot(model)

    var missing = full
    missing["generator.1.running_var"] = nil
    expectCheckpointError(path: "in-memory checkpoint", tensor: "generator.1.running_var", "missing (the model expects F32 [4])") {
      try missing.restore(model: model, prefix: "generator.")
    }
    var wrongType = full
    wrongType["generator.0.bias"] = .int64(shape: [4], scalars: [0, 0, 0, 0])
    expectCheckpointError(path: "in-memory checkpoint", tensor: "generator.0.bias", "has dtype I64") {
      try wrongType.restore(model: model, prefix: "generator.")
    }
    var extra = full
    extra.set(Tensor(shape: [1]), named: "generator.9.weight")
    expectCheckpointError(path: "in-memory checkpoint", tensor: "generator.9.weight", "not a parameter or buffer") {
      try extra.restore(model: model, prefix: "generator.")
    }
    // Without the prefix nothing matches: the first expected name is reported, with the
    // prefixes the file does hold, so a wrong prefix reads as one.
    let reason = expectCheckpointError(path: "in-memory checkpoint", tensor: "0.weight", "missing") {
      try full.restore(model: model)
    }
    #expect(reason?.contains("the file holds \(full.count) tensors under 'generator.'") == true, "\(reason ?? "")")
    #expect(snapshot(model) == before)
    try extra.restore(model: model, prefix: "generator.", strict: false)
    #expect(snapshot(model) != before)
  }

  @Test func optimizerMismatchIsReportedAndNothingIsLoaded() throws {
    let full = try CheckpointFixtures.checkpoint()
    let other = Sequential {
      Conv2D(inChannels: 1, outChannels: 4, kernelSize: 3, stride: 2, padding: .same, seed: 1)
      Flatten()
      Dense(inFeatures: 64, outFeatures: 3, seed: 3)
    }
    let adam = Adam.keras(model: other)
    let before = snapshot(adam)
    expectCheckpointError(path: "in-memory checkpoint", tensor: "optimizer.generator.exp_avg.2.bias", "missing") {
      try full.restore(optimizer: adam, prefix: "optimizer.generator.")
    }
    #expect(snapshot(adam) == before)
    expectCheckpointError(path: "in-memory checkpoint", tensor: "optimizer.discriminator.exp_avg.0.bias", "missing") {
      try full.restore(optimizer: adam, prefix: "optimizer.discriminator.")
    }
  }

  @Test func restoringSeveralComponentsIsAllOrNothing() throws {
    let (model, adam) = try CheckpointFixtures.trained(seed: 21)
    var checkpoint = Checkpoint()
    checkpoint.add(model: model, prefix: "generator.")
    checkpoint.add(optimizer: adam, prefix: "optimizer.generator.")
    // A momentum buffer of the wrong shape: a fresh SGD has no state to validate it against, so
    // only SGD.loadState rejects it, after Adam's state has already been restored.
    checkpoint.set(Tensor(shape: [7]), named: "optimizer.sgd.momentum_buffer.0.weight")

    let freshModel = CheckpointFixtures.model(seed: 22)
    let freshAdam = Adam.keras(model: freshModel)
    let sgd = SGD(model: CheckpointFixtures.model(seed: 23), learningRate: 0.1, momentum: 0.9)
    let (modelBefore, adamBefore) = (snapshot(freshModel), snapshot(freshAdam))
    let reason = expectCheckpointError(path: "in-memory checkpoint", tensor: nil, "optimizer state under 'optimizer.sgd.' rejected") {
      try checkpoint.restore(models: [("generator.", freshModel)],
                             optimizers: [("optimizer.generator.", freshAdam), ("optimizer.sgd.", sgd)])
    }
    #expect(reason?.contains("momentum_buffer.0.weight") == true)
    #expect(snapshot(freshModel) == modelBefore)
    #expect(snapshot(freshAdam) == adamBefore)
    #expect(freshAdam.stepCount == 0)

    // A second model that does not fit stops everything before the first is touched.
    let mismatched = Sequential { Dense(inFeatures: 2, outFeatures: 2, seed: 1) }
    checkpoint.add(model: Sequential { Dense(inFeatures: 3, outFeatures: 2, seed: 1) }, prefix: "discriminator.")
    expectCheckpointError(path: "in-memory checkpoint", tensor: "discriminator.0.weight", "has shape [2, 3]") {
      try checkpoint.restore(models: [("generator.", freshModel), ("discriminator.", mismatched)])
    }
    #expect(snapshot(freshModel) == modelBefore)
  }

  @Test func generatorsResumeTheirSequence() throws {
    var random = SeededGenerator(seed: 1234)
    for _ in 0..<17 { _ = random.next() }
    var checkpoint = Checkpoint()
    checkpoint.setRandomGenerator(random, named: "rng.data")
    #expect(checkpoint["rng.data"]?.dtype == .uint64)
    let loaded = try Checkpoint(safetensors: checkpoint.safetensorsBytes())
    var resumed = try loaded.randomGenerator(named: "rng.data")
    #expect((0..<100).map { _ in resumed.next() } == (0..<100).map { _ in random.next() })

    expectCheckpointError(path: "in-memory checkpoint", tensor: "rng.noise", "missing") {
      _ = try loaded.randomGenerator(named: "rng.noise")
    }
    checkpoint.set(Tensor(shape: [4]), named: "rng.float")
    checkpoint["rng.zero"] = .uint64(shape: [4], scalars: [0, 0, 0, 0])
    expectCheckpointError(path: "in-memory checkpoint", tensor: "rng.float", "a generator state is U64 [4]") {
      _ = try checkpoint.randomGenerator(named: "rng.float")
    }
    expectCheckpointError(path: "in-memory checkpoint", tensor: "rng.zero", "all zero") {
      _ = try checkpoint.randomGenerator(named: "rng.zero")
    }
  }

  struct Configuration: Codable, Equatable {
    var model: String
    var latentDimension: Int
    var widths: [Int]
    var learningRate: Double
  }

  @Test func runMetadataRoundTrips() throws {
    let configuration = Configuration(model: "dcgan", latentDimension: 100, widths: [256, 128, 64], learningRate: 1e-4)
    var checkpoint = Checkpoint()
    try checkpoint.setConfiguration(configuration)
    checkpoint.epoch = 20
    checkpoint.step = 4700
    checkpoint.metadata["dataset"] = "mnist/train"
    #expect(checkpoint.metadata["configuration"]
      == #"{"latentDimension":100,"learningRate":0.0001,"model":"dcgan","widths":[256,128,64]}"#)

    let loaded = try Checkpoint(safetensors: checkpoint.safetensorsBytes(), source: "run.safetensors")
    #expect(try loaded.configuration(Configuration.self) == configuration)
    #expect(loaded.epoch == 20 && loaded.step == 4700)
    #expect(loaded.metadata["dataset"] == "mnist/train")
    expectCheckpointError(path: "run.safetensors", tensor: nil, "metadata has no key 'model'") {
      _ = try loaded.configuration(Configuration.self, forKey: "model")
    }
    expectCheckpointError(path: "run.safetensors", tensor: nil, "is not a valid") {
      _ = try loaded.configuration([Int].self)
    }
    var cleared = loaded
    cleared.epoch = nil
    #expect(cleared.metadata["epoch"] == nil && cleared.epoch == nil)
  }
}
