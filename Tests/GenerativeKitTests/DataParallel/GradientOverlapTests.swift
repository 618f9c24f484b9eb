import Testing

@testable import GenerativeKit

/// The order in which a GAN step hands its gradients to a synchronizer that overlaps them with the
/// backward pass, checked with a one-process synchronizer that records its calls.
@Suite("Gradient averaging started during the backward pass")
struct GradientOverlapTests {
  /// Records what it is asked and when; averaging over one process is scaling by the weight.
  final class RecordingSynchronizer: GradientSynchronizer {
    enum Call: Equatable { case start([ObjectIdentifier]), progress, finish }
    var calls: [Call] = []

    func synchronize(_ parameters: [Parameter], weight: Float) throws {
      for parameter in parameters where parameter.isTrainable { parameter.gradient = parameter.gradient * weight }
    }

    func startSynchronizing(_ parameters: [Parameter], weight: Float) throws {
      calls.append(.start(parameters.map(ObjectIdentifier.init)))
      try synchronize(parameters, weight: weight)
    }

    func progressSynchronizing() throws { calls.append(.progress) }
    func finishSynchronizing() throws { calls.append(.finish) }
  }

  static func trainer(seed: UInt64) throws -> GANTrainer {
    let generator = DCGAN.tutorialGenerator(noiseDimension: 8, channels: 1, width: 16, seed: seed)
    let discriminator = DCGAN.tutorialDiscriminator(channels: 1, width: 4, seed: seed + 1)
    return GANTrainer(
      model: try GAN(generator: generator, discriminator: discriminator, noiseDimension: 8),
      generatorOptimizer: SGD(model: generator, learningRate: 0.01), discriminatorOptimizer: SGD(model: discriminator, learningRate: 0.01),
      seed: seed + 2)
  }

  @Test("Discriminator first, then the generator's layers from the last in buckets, every parameter once, then one wait")
  func order() throws {
    let trainer = try Self.trainer(seed: 3)
    let recorder = RecordingSynchronizer()
    trainer.gradientSynchronizer = recorder
    var random = SeededGenerator(seed: 9)
    try trainer.step(realImages: Tensor.randomUniform(shape: [4, 1, 28, 28], in: -1...1, using: &random))

    let starts = recorder.calls.compactMap { call -> [ObjectIdentifier]? in
      if case .start(let ids) = call { return ids }
      return nil
    }
    #expect(recorder.calls.last == .finish)
    #expect(recorder.calls.filter { $0 == .finish }.count == 1)
    let discriminator = Set(trainer.discriminatorOptimizer.parameters.map(ObjectIdentifier.init))
    #expect(Set(starts[0]) == discriminator, "the discriminator's gradients leave first, as one bucket")
    let all = starts.flatMap { $0 }
    let expected = (trainer.discriminatorOptimizer.parameters + trainer.generatorOptimizer.parameters).map(ObjectIdentifier.init)
    #expect(all.count == expected.count && Set(all) == Set(expected), "every trainable parameter exactly once")
    // The generator's buckets follow its layers from the last: the dense layer (layer 0) leaves last.
    let generator = trainer.generator
    let denseWeight = ObjectIdentifier(generator.layers[0].trainableParameters[0])
    let lastTransposed = ObjectIdentifier(generator.layers[10].trainableParameters[0])
    let position = { (id: ObjectIdentifier) in starts.firstIndex { $0.contains(id) }! }
    #expect(position(lastTransposed) < position(denseWeight))
    #expect(starts.count >= 3, "buckets started during the generator's backward pass: \(starts.count)")
    #expect(generator.layerBackwardFinished == nil, "the hook is removed after the step")
  }

  @Test("The weights after a step equal those of a step whose synchronizer averages everything at the end")
  func sameWeights() throws {
    final class AtTheEnd: GradientSynchronizer {
      func synchronize(_ parameters: [Parameter], weight: Float) throws {
        for parameter in parameters where parameter.isTrainable { parameter.gradient = parameter.gradient * weight }
      }
      // Starts do nothing; everything is averaged by the final call.
      var started: [Parameter] = []
      var weight: Float = 1
      func startSynchronizing(_ parameters: [Parameter], weight: Float) throws { started += parameters; self.weight = weight }
      func finishSynchronizing() throws { try synchronize(started, weight: weight); started = [] }
    }
    let (overlapped, atEnd) = (try Self.trainer(seed: 5), try Self.trainer(seed: 5))
    overlapped.gradientSynchronizer = RecordingSynchronizer()
    atEnd.gradientSynchronizer = AtTheEnd()
    var random = SeededGenerator(seed: 2)
    for _ in 0..<3 {
      let images = Tensor.randomUniform(shape: [4, 1, 28, 28], in: -1...1, using: &random)
      try overlapped.step(realImages: images)
      try atEnd.step(realImages: images)
    }
    for (a, b) in zip(overlapped.generator.namedParameters + overlapped.discriminator.namedParameters,
                      atEnd.generator.namedParameters + atEnd.discriminator.namedParameters) {
      #expect(a.parameter.value == b.parameter.value, "\(a.name)")
    }
  }
}
