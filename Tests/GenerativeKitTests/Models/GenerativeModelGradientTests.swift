import GenerativeKitTesting
import Testing

@testable import GenerativeKit

/// An optimizer that leaves parameters alone, so a trainer's gradients can be inspected after a step.
final class InspectingOptimizer: Optimizer {
  let parameters: [Parameter]
  let parameterNames: [String]
  var steps = 0
  init(_ module: any Module) {
    let (parameters, names) = trainableNamedParameters(of: module)
    self.parameters = parameters
    self.parameterNames = names
  }
  func step() { steps += 1 }
  var state: [String: Tensor] { [:] }
  func loadState(_ state: [String: Tensor]) throws {}
}

/// The trainers' gradients against finite differences of their objectives.
@Suite("GAN and VAE gradients")
struct GenerativeModelGradientTests {
  // Smooth activations (tanh) keep finite differences away from kinks; LeakyReLU and ReLU have
  // their own checks in LayerGradientTests.
  static func tinyGAN() -> (Sequential, Sequential) {
    let generator = Sequential {
      Dense(inFeatures: 3, outFeatures: 2 * 4 * 4, bias: false, seed: 1)
      BatchNorm(features: 2 * 4 * 4)
      Tanh()
      Reshape([2, 4, 4])
      ConvTranspose2D(inChannels: 2, outChannels: 1, kernelSize: 3, stride: 2, padding: .same, bias: false, seed: 2)
      Tanh()
    }
    let discriminator = Sequential {
      Conv2D(inChannels: 1, outChannels: 2, kernelSize: 3, stride: 2, padding: .same, seed: 3)
      Tanh()
      Dropout(rate: 0, seed: 4)
      Flatten()
      Dense(inFeatures: 2 * 4 * 4, outFeatures: 1, seed: 5)
    }
    return (generator, discriminator)
  }

  @Test("The GAN step's generator gradient is the gradient of the generator loss through D",
        arguments: GeneratorLoss.allCases.map { GANObjective(generator: $0) as any AdversarialLoss }
          + [GANObjective(discriminator: .hinge, generator: .nonSaturating), HingeLoss(), LeastSquaresLoss(), WassersteinLoss()])
  func ganHandOff(loss: any AdversarialLoss) throws {
    let (generator, discriminator) = Self.tinyGAN()
    let trainer = GANTrainer(
      model: try GAN(generator: generator, discriminator: discriminator, noiseDimension: 3),
      generatorOptimizer: InspectingOptimizer(generator), discriminatorOptimizer: InspectingOptimizer(discriminator),
      loss: loss, seed: 6)
    var random = SeededGenerator(seed: 7)
    let real = Tensor.randomUniform(shape: [4, 1, 8, 8], in: -1...1, using: &random)
    let noiseState = trainer.noiseGenerator
    let metrics = try trainer.step(realImages: real)
    #expect(metrics.isFinite)

    func generatorObjective() throws -> Double {
      var noise = noiseState
      let z = Tensor.randomNormal(shape: [4, 3], using: &noise)
      return Double(try loss.generatorLoss(fakeLogits: try discriminator.forward(try generator.forward(z))).value)
    }
    #expect(abs(try generatorObjective() - Double(metrics.generatorLoss)) < 1e-5)
    for named in generator.namedParameters where named.parameter.isTrainable {
      let p = named.parameter
      var g = SeededGenerator(seed: 8)
      let report = try GradientCheck.compare(
        name: "generator \(named.name)", values: p.value, analytic: p.gradient, step: 1e-2,
        set: { p.value = $0 }, loss: generatorObjective, generator: &g)
      #expect(report.worstRelativeError < 3e-2, "\(report)")
    }

    // D's gradient holds the discriminator loss only: the generator loss's pass left it alone.
    func discriminatorObjective() throws -> Double {
      var noise = noiseState
      let z = Tensor.randomNormal(shape: [4, 3], using: &noise)
      let fake = try generator.forward(z)
      let realLoss = try loss.discriminatorLoss(realLogits: try discriminator.forward(real)).value
      let fakeLoss = try loss.discriminatorLoss(fakeLogits: try discriminator.forward(fake)).value
      return Double(realLoss + fakeLoss)
    }
    #expect(abs(try discriminatorObjective() - Double(metrics.discriminatorLoss)) < 1e-5)
    for named in discriminator.namedParameters where named.parameter.isTrainable {
      let p = named.parameter
      var g = SeededGenerator(seed: 9)
      let report = try GradientCheck.compare(
        name: "discriminator \(named.name)", values: p.value, analytic: p.gradient, step: 1e-2,
        set: { p.value = $0 }, loss: discriminatorObjective, generator: &g)
      #expect(report.worstRelativeError < 3e-2, "\(report)")
    }
  }

  @Test("A conditional GAN step's gradients are those of its losses through the label joins")
  func conditionalGAN() throws {
    let classes = 2
    let generator = Sequential {
      Dense(inFeatures: 3 + classes, outFeatures: 2 * 4 * 4, bias: false, seed: 21)
      BatchNorm(features: 2 * 4 * 4)
      Tanh()
      Reshape([2, 4, 4])
      ConvTranspose2D(inChannels: 2, outChannels: 1, kernelSize: 3, stride: 2, padding: .same, bias: false, seed: 22)
      Tanh()
    }
    let discriminator = Sequential {
      Conv2D(inChannels: 1 + classes, outChannels: 2, kernelSize: 3, stride: 2, padding: .same, seed: 23)
      Tanh()
      Flatten()
      Dense(inFeatures: 2 * 4 * 4, outFeatures: 1, seed: 24)
    }
    let trainer = GANTrainer(
      model: try GAN(generator: generator, discriminator: discriminator, noiseDimension: 3, classCount: classes),
      generatorOptimizer: InspectingOptimizer(generator), discriminatorOptimizer: InspectingOptimizer(discriminator), seed: 25)
    var random = SeededGenerator(seed: 26)
    let real = Tensor.randomUniform(shape: [4, 1, 8, 8], in: -1...1, using: &random)
    let labels = [1, 0, 1, 1]
    let noiseState = trainer.noiseGenerator
    #expect(throws: GenerativeKitError.self) { try trainer.step(realImages: real) }  // labels missing
    #expect(throws: GenerativeKitError.self) { try trainer.step(realImages: real, labels: [0, 1, 2, 0]) }  // 2 >= classes
    trainer.noiseGenerator = noiseState
    let metrics = try trainer.step(realImages: real, labels: labels)
    #expect(metrics.isFinite)

    // The same draws as the step: the noise, then one label per fake image.
    func fakeInputs() throws -> (generatorInput: Tensor, fakeLabels: [Int]) {
      var noise = noiseState
      let z = Tensor.randomNormal(shape: [4, 3], using: &noise)
      let fakeLabels = (0..<4).map { _ in Int(noise.next() % UInt64(classes)) }
      return (try Tensor.concatenate([z, Tensor.oneHot(fakeLabels, classes: classes)], axis: 1), fakeLabels)
    }
    func withPlanes(_ images: Tensor, _ labels: [Int]) throws -> Tensor {
      try Tensor.concatenate([images, Tensor.labelPlanes(labels, classes: classes, height: 8, width: 8)], axis: 1)
    }
    func generatorObjective() throws -> Double {
      let (input, fakeLabels) = try fakeInputs()
      let fake = try withPlanes(try generator.forward(input), fakeLabels)
      return Double(try GeneratorLoss.nonSaturating.evaluate(fakeLogits: try discriminator.forward(fake)).value)
    }
    func discriminatorObjective() throws -> Double {
      let (input, fakeLabels) = try fakeInputs()
      let fake = try withPlanes(try generator.forward(input), fakeLabels)
      let realLoss = try binaryCrossEntropy(logits: try discriminator.forward(try withPlanes(real, labels)), target: 1).value
      let fakeLoss = try binaryCrossEntropy(logits: try discriminator.forward(fake), target: 0).value
      return Double(realLoss + fakeLoss)
    }
    #expect(abs(try generatorObjective() - Double(metrics.generatorLoss)) < 1e-5)
    #expect(abs(try discriminatorObjective() - Double(metrics.discriminatorLoss)) < 1e-5)
    for (network, objective, seed) in [
      (generator, generatorObjective, UInt64(27)), (discriminator, discriminatorObjective, UInt64(28)),
    ] as [(Sequential, () throws -> Double, UInt64)] {
      for named in network.namedParameters where named.parameter.isTrainable {
        let p = named.parameter
        var g = SeededGenerator(seed: seed)
        let report = try GradientCheck.compare(
          name: named.name, values: p.value, analytic: p.gradient, step: 1e-2,
          set: { p.value = $0 }, loss: objective, generator: &g)
        #expect(report.worstRelativeError < 3e-2, "\(report)")
      }
    }
  }

  @Test("The VAE loss gradient reaches encoder and decoder exactly, both reconstruction losses", arguments: ReconstructionLoss.allCases)
  func vaeGradients(loss: ReconstructionLoss) throws {
    let encoder = Sequential {
      Conv2D(inChannels: 1, outChannels: 2, kernelSize: 3, stride: 2, padding: .same, seed: 10)
      Tanh()
      Flatten()
      Dense(inFeatures: 2 * 3 * 3, outFeatures: 4, seed: 11)
    }
    let decoder = Sequential {
      Dense(inFeatures: 2, outFeatures: 2 * 3 * 3, seed: 12)
      Tanh()
      Reshape([2, 3, 3])
      ConvTranspose2D(inChannels: 2, outChannels: 1, kernelSize: 3, stride: 2, padding: .same, seed: 13)
    }
    // Sizes: 6x6 images, 3x3 after the stride-2 convolution, 6x6 after the transposed one.
    let model = VAE(encoder: encoder, decoder: decoder, latentDimension: 2)
    let trainer = VAETrainer(model: model, optimizer: InspectingOptimizer(model), reconstructionLoss: loss, beta: 0.7, seed: 14)
    var random = SeededGenerator(seed: 15)
    let images = Tensor.randomUniform(shape: [3, 1, 6, 6], using: &random)
    let epsilon = Tensor.randomNormal(shape: [3, 2], using: &random)
    model.zeroGradients()
    trainer.injectedEpsilon = epsilon
    let metrics = try trainer.lossAndBackward(images: images)
    #expect(metrics.isFinite && metrics.kl > 0)

    // The objective written out, reconstruction + beta * KL with beta 0.7, as a user's own loop would.
    func objective() throws -> Double {
      let parts = try encoder.forward(images).split(sizes: [2, 2], axis: 1)
      let codes = parts[0] + parts[1].map { expf(0.5 * $0) } * epsilon
      let reconstruction = try loss.evaluate(logits: try decoder.forward(codes), targets: images).value
      return Double(reconstruction) + 0.7 * Double(try gaussianKLDivergence(mean: parts[0], logVariance: parts[1]).value)
    }
    #expect(abs(try objective() - Double(metrics.loss)) < 1e-4 * max(1, Double(metrics.loss)))
    var g = SeededGenerator(seed: 16)
    for named in model.namedParameters where named.parameter.isTrainable {
      let p = named.parameter
      let report = try GradientCheck.compare(
        name: "vae \(named.name)", values: p.value, analytic: p.gradient, step: 1e-2,
        set: { p.value = $0 }, loss: objective, generator: &g)
      #expect(report.worstRelativeError < 5e-2, "\(report)")
    }
    // No input-gradient check here: the images are also the reconstruction target, a path the
    // encoder's input gradient does not (and should not) include.
  }

  @Test("A conditional VAE step's loss and gradients are those of its objective through the label joins")
  func conditionalVAE() throws {
    let classes = 3
    let encoder = Sequential {
      Conv2D(inChannels: 1 + classes, outChannels: 2, kernelSize: 3, stride: 2, padding: .same, seed: 40)
      Tanh()
      Flatten()
      Dense(inFeatures: 2 * 3 * 3, outFeatures: 4, seed: 41)
    }
    let decoder = Sequential {
      Dense(inFeatures: 2 + classes, outFeatures: 2 * 3 * 3, seed: 42)
      Tanh()
      Reshape([2, 3, 3])
      ConvTranspose2D(inChannels: 2, outChannels: 1, kernelSize: 3, stride: 2, padding: .same, seed: 43)
    }
    let model = VAE(encoder: encoder, decoder: decoder, latentDimension: 2, classCount: classes)
    let trainer = VAETrainer(model: model, optimizer: InspectingOptimizer(model), reconstructionLoss: .bernoulli, seed: 44)
    var random = SeededGenerator(seed: 45)
    let images = Tensor.randomUniform(shape: [3, 1, 6, 6], using: &random)
    let labels = [2, 0, 2]
    #expect(throws: GenerativeKitError.self) { try trainer.lossAndBackward(images: images) }  // labels missing
    #expect(throws: GenerativeKitError.self) { try trainer.lossAndBackward(images: images, labels: [0, 1, 3]) }
    let epsilon = Tensor.randomNormal(shape: [3, 2], using: &random)
    model.zeroGradients()
    trainer.injectedEpsilon = epsilon
    let metrics = try trainer.lossAndBackward(images: images, labels: labels)

    // The objective written out with explicit joins, as a user's own loop would.
    func objective() throws -> Double {
      let planes = try Tensor.labelPlanes(labels, classes: classes, height: 6, width: 6)
      let statistics = try encoder.forward(Tensor.concatenate([images, planes], axis: 1))
      let parts = try statistics.split(sizes: [2, 2], axis: 1)
      let codes = parts[0] + parts[1].map { expf(0.5 * $0) } * epsilon
      let logits = try decoder.forward(Tensor.concatenate([codes, Tensor.oneHot(labels, classes: classes)], axis: 1))
      let reconstruction = try ReconstructionLoss.bernoulli.evaluate(logits: logits, targets: images).value
      return Double(reconstruction + (try gaussianKLDivergence(mean: parts[0], logVariance: parts[1]).value))
    }
    #expect(abs(try objective() - Double(metrics.loss)) < 1e-4 * max(1, Double(metrics.loss)))
    var g = SeededGenerator(seed: 46)
    for named in model.namedParameters where named.parameter.isTrainable {
      let p = named.parameter
      let report = try GradientCheck.compare(
        name: "conditional vae \(named.name)", values: p.value, analytic: p.gradient, step: 1e-2,
        set: { p.value = $0 }, loss: objective, generator: &g)
      #expect(report.worstRelativeError < 5e-2, "\(report)")
    }
    var sampler = SeededGenerator(seed: 47)
    #expect(try model.sample(count: 4, labels: [0, 1, 2, 1], using: &sampler).shape == [4, 1, 6, 6])
    #expect(try model.reconstruct(images, labels: labels).shape == images.shape)
    #expect(throws: GenerativeKitError.self) { try model.decode(Tensor(shape: [1, 2])) }
    let unconditional = VAE(encoder: Sequential { Flatten() }, decoder: Sequential { Flatten() }, latentDimension: 1)
    #expect(throws: GenerativeKitError.self) { try unconditional.decode(Tensor(shape: [1, 1]), labels: [0]) }
  }

  @Test("Reconstruction losses: values by their definitions")
  func reconstructionValues() throws {
    let logits = Tensor(shape: [2, 1, 1, 2], scalars: [0, 1, -2, 3])
    let targets = Tensor(shape: [2, 1, 1, 2], scalars: [0, 1, 0.5, 1])
    func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
    var mse = 0.0
    var bce = 0.0
    for i in 0..<4 {
      let p = sigmoid(Double(logits[flat: i]))
      let t = Double(targets[flat: i])
      mse += (p - t) * (p - t)
      bce -= t * log(p) + (1 - t) * log(1 - p)
    }
    #expect(abs(Double(try ReconstructionLoss.meanSquaredError.evaluate(logits: logits, targets: targets).value) - mse / 2) < 1e-6)
    #expect(abs(Double(try ReconstructionLoss.bernoulli.evaluate(logits: logits, targets: targets).value) - bce / 2) < 1e-5)
  }

  @Test("The report's VAE trains: loss falls over a few steps on a fixed batch")
  func vaeSmoke() throws {
    let model = ConvolutionalVAE.make(latentDimension: 4, seed: 17)
    let trainer = VAETrainer(model: model, optimizer: Adam.keras(model: model, learningRate: 1e-3), seed: 18)
    var random = SeededGenerator(seed: 19)
    // Eight images, each a bright 10 x 10 square at a random place.
    var images = Tensor(shape: [8, 1, 28, 28])
    for n in 0..<8 {
      let (top, left) = (Int(random.next() % 18), Int(random.next() % 18))
      for y in top..<(top + 10) { for x in left..<(left + 10) { images[n, 0, y, x] = 1 } }
    }
    let first = try trainer.step(images: images)
    var last = first
    for _ in 0..<30 { last = try trainer.step(images: images) }
    #expect(last.loss < 0.8 * first.loss, "first \(first), last \(last)")
    var sampler = SeededGenerator(seed: 20)
    let samples = try model.sample(count: 3, using: &sampler)
    #expect(samples.shape == [3, 1, 28, 28] && samples.min()! >= 0 && samples.max()! <= 1)
    #expect(model.namedParameters.first?.name == "encoder.0.weight")
    #expect(try model.reconstruct(images).shape == images.shape)
  }
}

#if canImport(Glibc)
  import Glibc
#endif
