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

  /// What `pytorch_step.py` wrote: every tensor's sampled entries by name.
  struct Fixture: Decodable {
    var generator: String
    var tensors: [String: [Float]]

    init(named name: String) throws {
      self = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: folder.appendingPathComponent(name)))
    }

    subscript(name: String) -> [Float]? { tensors[name] }
  }

  /// Each tensor's sampled entries within `tolerance` of PyTorch's, relative to the tensor's
  /// largest value.
  static func expectClose(
    _ name: String, _ tensor: Tensor, _ expected: Fixture, tolerance: Double = 1e-5,
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    guard let reference = expected[name] else {
      Issue.record("the fixture has no tensor '\(name)'", sourceLocation: sourceLocation)
      return
    }
    let ours = StepFixture.sampledIndices(count: tensor.count).map { tensor[flat: $0] }
    try #require(ours.count == reference.count, "\(name): \(ours.count) sampled entries, the fixture has \(reference.count)")
    let scale = Double(reference.map(abs).max() ?? 0)
    let difference = Double(zip(ours, reference).map { abs($0 - $1) }.max() ?? 0)
    #expect(difference <= tolerance * max(scale, 1e-12),
            "\(name): differs by \(difference) from PyTorch (largest value \(scale))", sourceLocation: sourceLocation)
  }

  /// With `winograd`, the generator's stride-1 5 x 5 layer runs all three passes in the Winograd
  /// form F(4x4, 5x5), as the library runs it at 64 channels or more (the fixture's width-4 layer
  /// would run tap by tap otherwise).
  @Test("the GAN step: both networks' weights, batch-norm statistics and Adam moments, and both losses (direct and Winograd forms)",
        arguments: [false, true])
  func ganStep(winograd: Bool) throws {
    let expected = try Fixture(named: "gan-step.json")
    let trainer = try StepFixture.ganTrainer()
    let strideOne = trainer.generator.modules.compactMap { $0 as? ConvTranspose2D }.filter { $0.stride == 1 && $0.kernelSize == 5 }
    try #require(strideOne.count == 1, "the fixture's generator has one stride-1 5 x 5 layer")
    if winograd {
      strideOne[0].formOverride = .winograd
      strideOne[0].winogradPlanOverride = .f4
    }
    let (real, noise, masks) = StepFixture.ganInputs()
    trainer.injectedNoise = noise
    let dropouts = trainer.discriminator.modules.compactMap { $0 as? Dropout }
    try #require(dropouts.count == masks.count)
    for (layer, passes) in zip(dropouts, masks) { layer.injectedMasks = passes }
    let figures = try trainer.step(realImages: real)

    let lossD = try #require(expected["loss.d"]?.first, "the fixture has no D loss")
    let lossG = try #require(expected["loss.g"]?.first, "the fixture has no G loss")
    #expect(abs(figures.discriminatorLoss - lossD) <= 1e-5 * abs(lossD))
    #expect(abs(figures.generatorLoss - lossG) <= 1e-5 * abs(lossG))
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
    let expected = try Fixture(named: "vae-step.json")
    let trainer = StepFixture.vaeTrainer()
    let (images, epsilon) = StepFixture.vaeInputs()
    trainer.injectedEpsilon = epsilon
    let figures = try trainer.step(images: images)
    let loss = try #require(expected["loss.total"]?.first, "the fixture has no loss")
    #expect(abs(figures.loss - loss) <= 1e-5 * abs(loss))
    for entry in trainer.model.namedParameters {
      try Self.expectClose(entry.name, entry.parameter.value, expected, tolerance: Self.weightTolerance)
    }
    for (name, tensor) in trainer.optimizer.state where name != "step" {
      try Self.expectClose("optimizer.\(name)", tensor, expected)
    }
  }
}
