import Testing

@testable import GenerativeKit

/// Whole networks: the report's DCGAN pair for one training step, a small fit, and determinism.
@Suite("End to end")
struct EndToEndTests {
  @Test("One forward/backward step of the report's DCGAN generator and discriminator")
  func dcganStep() throws {
    let generator = DCGAN.tutorialGenerator(seed: 1)
    let discriminator = DCGAN.tutorialDiscriminator(seed: 2)
    // The TensorFlow tutorial's summary: 2,305,472 trainable, 2,330,944 with BN's moving statistics.
    #expect(generator.parameterCount == 2_305_472)
    #expect(generator.namedParameters.reduce(0) { $0 + $1.parameter.value.count } == 2_330_944)
    #expect(discriminator.parameterCount == 212_865)
    var random = SeededGenerator(seed: 3)
    let noise = Tensor.randomNormal(shape: [4, 100], using: &random)
    let fakes = try generator.forward(noise)
    #expect(fakes.shape == [4, 1, 28, 28])
    #expect(fakes.max()! <= 1 && fakes.min()! >= -1)
    let logits = try discriminator.forward(fakes)
    #expect(logits.shape == [4, 1])

    // Generator step: D's input gradient is handed to G's backward.
    generator.zeroGradients()
    discriminator.zeroGradients()
    let loss = try binaryCrossEntropy(logits: logits, target: 1)
    let imageGradient = try discriminator.backward(loss.gradient)
    #expect(imageGradient.shape == [4, 1, 28, 28])
    let noiseGradient = try generator.backward(imageGradient)
    #expect(noiseGradient.shape == [4, 100])
    for named in generator.namedParameters where named.parameter.isTrainable {
      #expect(named.parameter.gradient.isFinite, "\(named.name)")
      #expect(named.parameter.gradient.max()! != 0 || named.parameter.gradient.min()! != 0, "\(named.name) has no gradient")
    }
    let optimizer = Adam.keras(model: generator, learningRate: 1e-4)
    let before = generator.layers[0].namedParameters[0].parameter.value
    optimizer.step()
    #expect(generator.layers[0].namedParameters[0].parameter.value != before)
  }

  @Test("The 64 x 64 DCGAN maps noise to 64 x 64 images and images to one logit")
  func dcgan64Shapes() throws {
    let generator = DCGAN.generator64(width: 4, seed: 1)
    let discriminator = DCGAN.discriminator64(width: 4, seed: 2)
    #expect(try generator.outputShape(forInputShape: [3, 100]) == [3, 1, 64, 64])
    #expect(try discriminator.outputShape(forInputShape: [3, 1, 64, 64]) == [3, 1])
    var random = SeededGenerator(seed: 3)
    let fakes = try generator.forward(Tensor.randomNormal(shape: [2, 100], using: &random))
    let logits = try discriminator.forward(fakes)
    #expect(logits.shape == [2, 1] && logits.isFinite)
    #expect(generator.namedParameters.map(\.name).prefix(3) == ["0.weight", "1.weight", "1.bias"])
  }

  @Test("The batch-norm discriminator maps images of any side that is a multiple of 4 to one logit, trainable through every layer",
        arguments: [(28, 28), (28, 20), (12, 8)])
  func batchNormDiscriminatorShapes(height: Int, width: Int) throws {
    let discriminator = DCGAN.batchNormDiscriminator(channels: 2, width: 3, imageHeight: height, imageWidth: width, seed: 4)
    #expect(try discriminator.outputShape(forInputShape: [3, 2, height, width]) == [3, 1])
    var random = SeededGenerator(seed: 5)
    let images = Tensor.randomUniform(shape: [3, 2, height, width], in: -1...1, using: &random)
    let logits = try discriminator.forward(images)
    #expect(logits.shape == [3, 1] && logits.isFinite)
    _ = try discriminator.backward(Tensor(shape: [3, 1], repeating: 1))
    for named in discriminator.namedParameters where named.parameter.isTrainable {
      #expect(named.parameter.gradient.maxAbsoluteDifference(to: Tensor(shape: named.parameter.gradient.shape)) > 0,
              "\(named.name) gets a gradient")
    }
    #expect(discriminator.layers.contains { $0 is BatchNorm } && !discriminator.layers.contains { $0 is Dropout })
  }

  @Test("A small CNN separates two blob classes in a few hundred seeded steps")
  func smallFit() throws {
    var random = SeededGenerator(seed: 4)
    // Class 0: bright top half; class 1: bright bottom half; plus noise.
    let count = 64
    var images = Tensor.randomNormal(shape: [count, 1, 6, 6], standardDeviation: 0.3, using: &random)
    var labels = Tensor(shape: [count, 1])
    for n in 0..<count {
      let label = n % 2
      labels[n, 0] = Float(label)
      for y in (label == 0 ? 0..<3 : 3..<6) { for x in 0..<6 { images[n, 0, y, x] += 1 } }
    }
    let model = Sequential {
      Conv2D(inChannels: 1, outChannels: 4, kernelSize: 3, stride: 2, padding: .same, seed: 5)
      ReLU()
      Flatten()
      Dense(inFeatures: 4 * 3 * 3, outFeatures: 1, seed: 6)
    }
    let optimizer = Adam.keras(model: model, learningRate: 1e-2)
    var firstLoss: Float = 0
    var lastLoss: Float = 0
    for step in 0..<200 {
      model.zeroGradients()
      let loss = try binaryCrossEntropy(logits: try model.forward(images), targets: labels)
      _ = try model.backward(loss.gradient)
      optimizer.step()
      if step == 0 { firstLoss = loss.value }
      lastLoss = loss.value
    }
    #expect(firstLoss > 0.5)
    #expect(lastLoss < 0.05)
    model.eval()
    let logits = try model.forward(images)
    let correct = (0..<count).filter { (logits[$0, 0] > 0) == (labels[$0, 0] == 1) }.count
    #expect(correct == count)
  }

  @Test("The same seed gives the same weights and the same training run, bit for bit")
  func determinism() throws {
    func train() throws -> [Tensor] {
      let model = DCGAN.tutorialDiscriminator(width: 8, seed: 7)
      let optimizer = Adam.keras(model: model, learningRate: 1e-3)
      var random = SeededGenerator(seed: 8)
      for _ in 0..<3 {
        model.zeroGradients()
        let images = Tensor.randomUniform(shape: [5, 1, 28, 28], in: -1...1, using: &random)
        let loss = try binaryCrossEntropy(logits: try model.forward(images), target: 1)
        _ = try model.backward(loss.gradient)
        optimizer.step()
      }
      return model.stateDict.map(\.value)
    }
    let first = try train()
    let second = try train()
    #expect(first == second)
    let other = DCGAN.tutorialDiscriminator(width: 8, seed: 9).stateDict.map(\.value)
    #expect(other != DCGAN.tutorialDiscriminator(width: 8, seed: 7).stateDict.map(\.value))
  }

  @Test("loadStateDict restores a model and changes nothing when a tensor is missing or misshaped")
  func stateDictRoundTrip() throws {
    let source = DCGAN.tutorialGenerator(width: 4, seed: 10)
    let target = DCGAN.tutorialGenerator(width: 4, seed: 11)
    let original = target.stateDict.map(\.value)
    var tensors = Dictionary(uniqueKeysWithValues: source.stateDict.map { ($0.name, $0.value) })
    tensors["4.weight"] = Tensor(shape: [1, 2, 3, 4])
    #expect(throws: GenerativeKitError.self) { try target.loadStateDict(tensors) }
    #expect(target.stateDict.map(\.value) == original)
    tensors["4.weight"] = nil
    #expect(throws: GenerativeKitError.self) { try target.loadStateDict(tensors) }
    tensors = Dictionary(uniqueKeysWithValues: source.stateDict.map { ($0.name, $0.value) })
    try target.loadStateDict(tensors)
    #expect(target.stateDict.map(\.value) == source.stateDict.map(\.value))
  }
}
