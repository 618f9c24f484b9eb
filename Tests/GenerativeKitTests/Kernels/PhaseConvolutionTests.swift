import GenerativeKitTesting
import Testing

@testable import GenerativeKit

/// Stride-2 ``Conv2D`` layers in the phase form: the input split into its four phases and
/// Winograd's F(4x4, R x R) on them, for the forward pass and the weight gradient.
@Suite("Conv2D in the phase form (stride 2, Winograd on the input's phases)")
struct PhaseConvolutionTests {
  struct Case: CustomTestStringConvertible, Sendable {
    var inChannels: Int
    var outChannels: Int
    var size: Int
    var kernel: Int
    var padding: Padding
    var testDescription: String { "\(inChannels)->\(outChannels) \(size)x\(size - 2) k\(kernel) \(padding)" }

    func layer(seed: UInt64, phase: Bool) -> Conv2D {
      let layer = Conv2D(inChannels: inChannels, outChannels: outChannels, kernelSize: kernel, stride: 2,
                         padding: padding, biasInitializer: .normal(std: 0.5), seed: seed)
      layer.formOverride = phase ? .phaseWinograd : .im2col
      return layer
    }
  }

  /// DCGAN-64's 4 x 4 kernels with padding 1; 3 x 3, 5 x 5 and 6 x 6 kernels (phase kernels of 2
  /// and 3); valid padding; channel counts that are not multiples of 8; non-square images and
  /// outputs that are not whole 4 x 4 tiles.
  static let cases = [
    Case(inChannels: 5, outChannels: 7, size: 16, kernel: 4, padding: .explicit(1)),
    Case(inChannels: 3, outChannels: 9, size: 9, kernel: 3, padding: .same),
    Case(inChannels: 4, outChannels: 6, size: 14, kernel: 5, padding: .same),
    Case(inChannels: 6, outChannels: 5, size: 12, kernel: 6, padding: .explicit(2)),
    Case(inChannels: 8, outChannels: 8, size: 11, kernel: 4, padding: .valid),
  ]

  @Test("Forward pass within 1e-5 of the direct reference's largest output; weight gradient within 1e-5 of the im2col form's largest entry; input and bias gradients those of the im2col form",
        arguments: cases)
  func matchesDirect(_ c: Case) throws {
    var random = SeededGenerator(seed: 31)
    let input = Tensor.randomNormal(shape: [3, c.inChannels, c.size, c.size - 2], using: &random)
    func run(phase: Bool) throws -> (layer: Conv2D, output: Tensor, inputGradient: Tensor) {
      let layer = c.layer(seed: 32, phase: phase)
      let output = try layer.forward(input)
      var upstreamRandom = SeededGenerator(seed: 33)
      let inputGradient = try layer.backward(Tensor.randomNormal(shape: output.shape, using: &upstreamRandom))
      return (layer, output, inputGradient)
    }
    let phase = try run(phase: true), im2col = try run(phase: false)
    let g = try phase.layer.geometry(inputHeight: c.size, inputWidth: c.size - 2)
    let expected = Reference.conv2d(
      input: input, weight: phase.layer.weight.value, bias: phase.layer.bias!.value, stride: (2, 2),
      padding: (g.padTop, g.padLeft), outputSize: (g.outputHeight, g.outputWidth))
    func relative(_ a: Tensor, _ b: Tensor) -> Double {
      Double(a.maxAbsoluteDifference(to: b)) / Double(b.scalars.map(abs).max() ?? 1)
    }
    #expect(phase.output.shape == expected.shape)
    #expect(relative(phase.output, expected) < 1e-5, "output: \(relative(phase.output, expected))")
    let weightGradient = relative(phase.layer.weight.gradient, im2col.layer.weight.gradient)
    #expect(weightGradient < 1e-5, "weight gradient: \(weightGradient)")
    #expect(phase.inputGradient == im2col.inputGradient)
    #expect(phase.layer.bias!.gradient == im2col.layer.bias!.gradient)
  }

  /// The layer is linear in its input, weights and bias, so central differences with a step of
  /// 0.1 have no truncation error and a tenth of the rounding of a 0.01 step.
  @Test("Finite differences agree for the input, weights and bias", arguments: [cases[0], cases[2]])
  func gradients(_ c: Case) throws {
    let layer = c.layer(seed: 34, phase: true)
    try GradCheck.checkLayer(layer, input: GradientCheck.awayFromZero(shape: [2, c.inChannels, c.size, c.size - 2], seed: 35),
                             step: 0.1)
  }

  @Test("DCGAN-64's discriminator layers take the phase form, whose output and weight gradient are the same at 1 and 2 threads; 7 x 7 outputs and thin layers do not")
  func choice() throws {
    let layer = Conv2D(inChannels: 64, outChannels: 128, kernelSize: 4, stride: 2, padding: .explicit(1), bias: false, seed: 36)
    #expect(layer.form(for: try layer.geometry(inputHeight: 32, inputWidth: 32), batch: 4) == .phaseWinograd)
    #expect(layer.form(for: try layer.geometry(inputHeight: 14, inputWidth: 14), batch: 4) != .phaseWinograd)
    let thin = Conv2D(inChannels: 1, outChannels: 64, kernelSize: 4, stride: 2, padding: .explicit(1), seed: 37)
    #expect(thin.form(for: try thin.geometry(inputHeight: 32, inputWidth: 32), batch: 4) != .phaseWinograd)
    var random = SeededGenerator(seed: 38)
    let input = Tensor.randomNormal(shape: [3, 64, 16, 16], using: &random)
    func run(threads: Int) throws -> [Tensor] {
      try Threading.withThreadCount(threads) {
        let layer = Conv2D(inChannels: 64, outChannels: 128, kernelSize: 4, stride: 2, padding: .explicit(1), bias: false, seed: 39)
        let output = try layer.forward(input)
        let inputGradient = try layer.backward(output)
        return [output, inputGradient, layer.weight.gradient]
      }
    }
    // The input gradient is the tap-by-tap form's, whose one chunk at this batch runs its GEMMs on
    // OpenBLAS's own threads; the phase form's passes run every GEMM whole on one thread.
    let (one, two) = (try run(threads: 1), try run(threads: 2))
    for (name, (a, b)) in zip(["output", "weight gradient"], zip([one[0], one[2]], [two[0], two[2]])) {
      #expect(a == b, "\(name) differs between 1 and 2 threads by \(a.maxAbsoluteDifference(to: b))")
    }
  }

  /// DCGAN-64's generator (4 x 4 kernels, stride 2, padding 1) at 64 channels: the adjoint
  /// convolution's phase form computes the data and weight gradients of inputs of 8 x 8 and more.
  @Test("ConvTranspose2D: data and weight gradients in the phase form within 1e-5 of the layer's own form's largest entry; the forward pass the same; taken from 8 x 8 inputs of 64 channels")
  func transposed() throws {
    var random = SeededGenerator(seed: 40)
    let input = Tensor.randomNormal(shape: [3, 64, 8, 8], using: &random)
    func run(phase: Bool) throws -> (layer: ConvTranspose2D, output: Tensor, inputGradient: Tensor) {
      let layer = ConvTranspose2D(inChannels: 64, outChannels: 72, kernelSize: 4, stride: 2, padding: .explicit(1),
                                  biasInitializer: .normal(std: 0.5), seed: 41)
      let g = try layer.geometry(inputHeight: 8, inputWidth: 8)
      if phase {
        #expect(layer.phaseGradients(for: g) != nil, "a 64 -> 72 layer on 8 x 8 inputs takes the phase form")
      } else {
        layer.formOverride = layer.form(for: g, batch: 3)  // the form the phase layer's forward pass takes
        #expect(layer.phaseGradients(for: g) == nil)
      }
      let model = Sequential([ReLU(), layer])
      let output = try model.forward(input)
      var upstreamRandom = SeededGenerator(seed: 42)
      let inputGradient = try model.backward(Tensor.randomNormal(shape: output.shape, using: &upstreamRandom))
      return (layer, output, inputGradient)
    }
    let phase = try run(phase: true), direct = try run(phase: false)
    func relative(_ a: Tensor, _ b: Tensor) -> Double {
      Double(a.maxAbsoluteDifference(to: b)) / Double(b.scalars.map(abs).max() ?? 1)
    }
    #expect(phase.output == direct.output)
    #expect(relative(phase.inputGradient, direct.inputGradient) < 1e-5, "input gradient: \(relative(phase.inputGradient, direct.inputGradient))")
    let weightGradient = relative(phase.layer.weight.gradient, direct.layer.weight.gradient)
    #expect(weightGradient < 1e-5, "weight gradient: \(weightGradient)")
    #expect(relative(phase.layer.bias!.gradient, direct.layer.bias!.gradient) < 1e-6)
    let small = ConvTranspose2D(inChannels: 64, outChannels: 64, kernelSize: 4, stride: 2, padding: .explicit(1), seed: 43)
    #expect(small.phaseGradients(for: try small.geometry(inputHeight: 4, inputWidth: 4)) == nil, "4 x 4 inputs are one tile")
    #expect(small.phaseGradients(for: try small.geometry(inputHeight: 7, inputWidth: 7)) == nil, "7 x 7 inputs are not whole tiles")
  }

  @Test("ConvTranspose2D in the phase form: finite differences agree for the input, weights and bias")
  func transposedGradients() throws {
    let layer = ConvTranspose2D(inChannels: 64, outChannels: 64, kernelSize: 4, stride: 2, padding: .explicit(1),
                                biasInitializer: .normal(std: 0.5), seed: 44)
    #expect(layer.phaseGradients(for: try layer.geometry(inputHeight: 8, inputWidth: 8)) != nil)
    try GradCheck.checkLayer(layer, input: GradientCheck.awayFromZero(shape: [1, 64, 8, 8], seed: 45), step: 0.1)
  }
}
