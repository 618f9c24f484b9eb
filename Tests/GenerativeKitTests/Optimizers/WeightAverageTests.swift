import Testing

@testable import GenerativeKit

/// The moving average of weights against its definition, and GAN sampling with batch statistics.
@Suite("Weight average")
struct WeightAverageTests {
  static func tinyGenerator(seed: UInt64) -> Sequential {
    DCGAN.tutorialGenerator(noiseDimension: 4, width: 2, seed: seed)
  }

  @Test("Every parameter and buffer follows average = decay * average + (1 - decay) * weights, in Double")
  func followsDefinition() throws {
    let source = Self.tinyGenerator(seed: 1)
    let average = try WeightAverage(of: source, into: Self.tinyGenerator(seed: 2), decay: 0.9)
    // Starts at the source's weights, in storage of its own.
    for (a, s) in zip(average.average.namedParameters, source.namedParameters) {
      #expect(a.parameter.value == s.parameter.value, "\(a.name)")
    }
    var expected = source.namedParameters.map { $0.parameter.value.scalars.map(Double.init) }
    var random = SeededGenerator(seed: 3)
    for _ in 0..<3 {
      for entry in source.namedParameters {
        entry.parameter.value = Tensor.randomNormal(shape: entry.parameter.value.shape, using: &random)
      }
      average.update()
      for (index, entry) in source.namedParameters.enumerated() {
        expected[index] = zip(expected[index], entry.parameter.value.scalars).map { 0.9 * $0 + 0.1 * Double($1) }
      }
    }
    for (index, entry) in average.average.namedParameters.enumerated() {
      let error = zip(entry.parameter.value.scalars, expected[index]).map { abs(Double($0) - $1) }.max() ?? 0
      #expect(error < 1e-5, "\(entry.name): max error \(error)")
    }
    // Training the source after a reset leaves the average's storage alone.
    average.reset()
    let before = average.average.namedParameters[0].parameter.value
    source.namedParameters[0].parameter.value.withUnsafeMutableBufferPointer { $0[0] += 1 }
    #expect(average.average.namedParameters[0].parameter.value == before)
  }

  @Test("With warm-up, update t uses min(decay, (1 + t) / (10 + t)); a reset restarts it")
  func warmUp() throws {
    let source = Sequential { Dense(inFeatures: 1, outFeatures: 1, bias: false, seed: 1) }
    let weight = source.namedParameters[0].parameter
    weight.value = Tensor(shape: [1, 1], scalars: [0])
    let average = try WeightAverage(of: source, into: Sequential { Dense(inFeatures: 1, outFeatures: 1, bias: false) },
                                    decay: 0.5, warmUp: true)
    var expected = 0.0
    for t in 0..<12 {
      let decay = min(0.5, Double(1 + t) / Double(10 + t))
      #expect(abs(Double(average.currentDecay) - decay) < 1e-7, "update \(t)")
      weight.value = Tensor(shape: [1, 1], scalars: [Float(t + 1)])
      average.update()
      expected = decay * expected + (1 - decay) * Double(t + 1)
      #expect(abs(Double(average.average.namedParameters[0].parameter.value[flat: 0]) - expected) < 1e-5, "update \(t)")
    }
    #expect(average.updateCount == 12 && average.currentDecay == 0.5)  // (1 + 9) / (10 + 9) > 0.5 from t = 9 on
    average.reset()
    #expect(average.updateCount == 0 && abs(average.currentDecay - 0.1) < 1e-7)
    let constant = try WeightAverage(of: source, into: Sequential { Dense(inFeatures: 1, outFeatures: 1, bias: false) }, decay: 0.5)
    #expect(constant.currentDecay == 0.5)
  }

  @Test("Refuses a decay outside [0, 1) and a module of another shape, naming the parameter")
  func refusesMismatches() throws {
    let source = Self.tinyGenerator(seed: 1)
    for decay: Float in [1, -0.1, .nan] {
      #expect(throws: GenerativeKitError.self) { try WeightAverage(of: source, into: Self.tinyGenerator(seed: 2), decay: decay) }
    }
    let wider = DCGAN.tutorialGenerator(noiseDimension: 4, width: 3, seed: 1)
    let error = #expect(throws: GenerativeKitError.self) { try WeightAverage(of: source, into: wider, decay: 0.5) }
    #expect("\(error!)".contains("0.weight"))
  }

  @Test("Generating with batch statistics equals the training-mode forward pass and leaves the running statistics alone")
  func batchStatistics() throws {
    let generator = Self.tinyGenerator(seed: 4)
    let discriminator = DCGAN.tutorialDiscriminator(width: 2, seed: 5)
    let gan = try GAN(generator: generator, discriminator: discriminator, noiseDimension: 4)
    var random = SeededGenerator(seed: 6)
    let noise = Tensor.randomNormal(shape: [8, 4], using: &random)
    let runningBefore = generator.namedParameters.filter { $0.name.contains("running") }.map(\.parameter.value)

    let running = try gan.generate(noise)
    let batch = try gan.generate(noise, statistics: .batch)
    let runningAfter = generator.namedParameters.filter { $0.name.contains("running") }.map(\.parameter.value)
    #expect(!runningBefore.isEmpty && runningBefore == runningAfter)
    #expect(generator.isTraining)  // the mode the GAN was in
    #expect(running != batch)

    let copy = Self.tinyGenerator(seed: 4)
    copy.train()
    let reference = try copy.forward(noise).map { ($0 + 1) / 2 }
    #expect(batch == reference)
    generator.eval()
    #expect(try gan.generate(noise) == running)
    #expect(!generator.isTraining)
  }
}
