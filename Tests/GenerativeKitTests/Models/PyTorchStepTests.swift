import Foundation
import TestSupport
import Testing

@testable import GenerativeKit

/// One training step of the report's GAN and VAE against PyTorch's, from the same weights and
/// inputs (noise, dropout masks, `eps`): Tests/Fixtures/pytorch-step holds what PyTorch computed
/// (`pytorch_step.py`, made by `make-fixtures.sh` from TestSupport's `StepFixture`).
///
/// Losses, Adam moments and batch-norm statistics agree within 1e-5 of each tensor's largest value
/// (measured: median 3.4e-7, moments at most 1.1e-6). Weights get 2e-5: Adam divides every
/// gradient element by its own magnitude (plus epsilon), so an element 500 times smaller than its
/// tensor's largest (a bias of the VAE decoder's first layer) carries its own last-bit rounding into
/// the update at full size; measured 1.34e-5 there, 6.7e-6 everywhere else.
@Suite("One training step equals PyTorch's")
struct PyTorchStepTests {
  static let folder = TestData.packageRoot.appendingPathComponent("Tests/Fixtures/pytorch-step")
  /// For weights after the Adam step (see above); everything else uses 1e-5.
  static let weightTolerance = 2e-5

  /// Each tensor's sampled entries within `tolerance` of PyTorch's, relative to the tensor's
  /// largest value.
  static func expectClose(
    _ name: String, _ tensor: Tensor, _ expected: Checkpoint, tolerance: Double = 1e-5,
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    guard case .float32(let reference)? = expected[name] else {
      Issue.record("the fixture has no tensor '\(name)'", sourceLocation: sourceLocation)
      return
    }
    let ours = StepFixture.sampledIndices(count: tensor.count).map { tensor[flat: $0] }
    try #require(ours.count == reference.count, "\(name): \(ours.count) sampled entries, the fixture has \(reference.count)")
    let scale = Double(reference.scalars.map(abs).max() ?? 0)
    let difference = Double(zip(ours, reference.scalars).map { abs($0 - $1) }.max() ?? 0)
    #expect(difference <= tolerance * max(scale, 1e-12),
            "\(name): differs by \(difference) from PyTorch (largest value \(scale))", sourceLocation: sourceLocation)
  }

  @Test("the GAN step: both networks' weights, batch-norm statistics and Adam moments, and both losses")
  func ganStep() throws {
    let expected = try Checkpoint(contentsOf: Self.folder.appendingPathComponent("gan-step.safetensors"))
    let trainer = StepFixture.ganTrainer()
    let (real, noise, masks) = StepFixture.ganInputs()
    trainer.injectedNoise = noise
    let dropouts = trainer.discriminator.allLayers.compactMap { $0 as? Dropout }
    try #require(dropouts.count == masks.count)
    for (layer, passes) in zip(dropouts, masks) { layer.injectedMasks = passes }
    let figures = try trainer.step(realImages: real)

    guard case .float32(let lossD)? = expected["loss.d"], case .float32(let lossG)? = expected["loss.g"] else {
      Issue.record("the fixture has no losses")
      return
    }
    #expect(abs(figures.discriminatorLoss - lossD[flat: 0]) <= 1e-5 * abs(lossD[flat: 0]))
    #expect(abs(figures.generatorLoss - lossG[flat: 0]) <= 1e-5 * abs(lossG[flat: 0]))
    for (prefix, model, optimizer) in [
      ("generator.", trainer.generator, trainer.generatorOptimizer),
      ("discriminator.", trainer.discriminator, trainer.discriminatorOptimizer),
    ] {
      for entry in model.namedParameters {
        try Self.expectClose(prefix + entry.name, entry.parameter.value, expected, tolerance: Self.weightTolerance)
      }
      for (name, tensor) in optimizer.state where name != "step" {
        try Self.expectClose("optimizer.\(prefix)\(name)", tensor, expected)
      }
    }
  }

  @Test("the VAE step: weights and Adam moments, and the loss")
  func vaeStep() throws {
    let expected = try Checkpoint(contentsOf: Self.folder.appendingPathComponent("vae-step.safetensors"))
    let trainer = StepFixture.vaeTrainer()
    let (images, epsilon) = StepFixture.vaeInputs()
    trainer.injectedEpsilon = epsilon
    let figures = try trainer.step(images: images)
    guard case .float32(let loss)? = expected["loss.total"] else {
      Issue.record("the fixture has no loss")
      return
    }
    #expect(abs(figures.loss - loss[flat: 0]) <= 1e-5 * abs(loss[flat: 0]))
    for entry in trainer.model.namedParameters {
      try Self.expectClose(entry.name, entry.parameter.value, expected, tolerance: Self.weightTolerance)
    }
    for (name, tensor) in trainer.optimizer.state where name != "step" {
      try Self.expectClose("optimizer.\(name)", tensor, expected)
    }
  }
}
