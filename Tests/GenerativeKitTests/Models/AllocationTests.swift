import Testing

@_spi(Benchmarks) @testable import GenerativeKit

/// Steady-state training must reuse its buffers: what a step allocates may not grow with the batch.
@Suite("Allocations")
struct AllocationTests {
  /// Bytes of tensor memory allocated by the fourth GAN step (after three warm-up steps).
  private func steadyStepBytes(batch: Int) throws -> Int {
    let generator = DCGAN.tutorialGenerator(noiseDimension: 8, width: 4, seed: 1)
    let discriminator = DCGAN.tutorialDiscriminator(width: 4, seed: 2)
    let trainer = GANTrainer(
      model: try GAN(generator: generator, discriminator: discriminator, noiseDimension: 8),
      generatorOptimizer: Adam.keras(model: generator), discriminatorOptimizer: Adam.keras(model: discriminator), seed: 3)
    var random = SeededGenerator(seed: 4)
    let real = Tensor.randomUniform(shape: [batch, 1, 28, 28], in: -1...1, using: &random)
    for _ in 0..<3 { try trainer.step(realImages: real) }
    return try TensorAllocations.measure { try trainer.step(realImages: real) }.bytes
  }

  @Test("A steady GAN step allocates only small, batch-independent tensors")
  func ganStepReusesBuffers() throws {
    let small = try steadyStepBytes(batch: 8)
    let large = try steadyStepBytes(batch: 64)
    // Per-image activations here are tens of kilobytes; only per-sample scalars (losses, logits,
    // noise) may remain, a few hundred bytes per image at most.
    #expect(large - small < 400 * (64 - 8), "steady step allocated \(small) bytes at batch 8, \(large) at batch 64")
  }
}

extension AllocationTests {
  /// Bytes of tensor memory allocated by the fourth VAE step.
  private func steadyVAEStepBytes(batch: Int) throws -> Int {
    let model = ConvolutionalVAE.make(latentDimension: 4, seed: 5)
    let trainer = VAETrainer(model: model, optimizer: Adam.keras(model: model), seed: 6)
    var random = SeededGenerator(seed: 7)
    let images = Tensor.randomUniform(shape: [batch, 1, 28, 28], using: &random)
    for _ in 0..<3 { try trainer.step(images: images) }
    return try TensorAllocations.measure { try trainer.step(images: images) }.bytes
  }

  @Test("A steady VAE step allocates only small, batch-independent tensors")
  func vaeStepReusesBuffers() throws {
    let small = try steadyVAEStepBytes(batch: 4)
    let large = try steadyVAEStepBytes(batch: 16)
    #expect(large - small < 400 * (16 - 4), "steady step allocated \(small) bytes at batch 4, \(large) at batch 16")
  }
}
