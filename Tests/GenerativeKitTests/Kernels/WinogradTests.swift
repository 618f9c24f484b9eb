import CKernels
import Foundation
import GenerativeKitTesting
import Testing

@testable import GenerativeKit

/// Winograd's F(m x m, 5x5) against the direct correlation it replaces.
/// Serialized: one test switches the C kernels to their portable versions for a moment, which
/// must not happen while another test of the suite compares results bit for bit.
@Suite("Winograd F(m x m, 5 x 5)", .serialized)
struct WinogradTests {
  /// The direct correlation in Double: `out[n, o, y, x] = sum in[n, i, y - pad + ky, x - pad + kx] w[o, i, ky, kx]`.
  static func direct(_ input: Tensor, _ weight: Tensor, padTop: Int, padLeft: Int, outputHeight: Int, outputWidth: Int) -> [Double] {
    let (n, c, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
    let o = weight.shape[0]
    let (x, k) = (input.scalars, weight.scalars)
    var out = [Double](repeating: 0, count: n * o * outputHeight * outputWidth)
    for image in 0..<n { for oc in 0..<o { for y in 0..<outputHeight { for xx in 0..<outputWidth {
      var s = 0.0
      for ic in 0..<c { for ky in 0..<5 { for kx in 0..<5 {
        let (iy, ix) = (y - padTop + ky, xx - padLeft + kx)
        guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
        s += Double(x[((image * c + ic) * h + iy) * w + ix]) * Double(k[((oc * c + ic) * 5 + ky) * 5 + kx])
      } } }
      out[((image * o + oc) * outputHeight + y) * outputWidth + xx] = s
    } } } }
    return out
  }

  static func winograd(_ plan: WinogradPlan, _ input: Tensor, _ weight: Tensor, padTop: Int, padLeft: Int, outputHeight: Int, outputWidth: Int) -> [Float] {
    let (n, c, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
    let o = weight.shape[0]
    let k = weight.scalars
    // Garbage in the buffer first: the transform must write every float the products read.
    var u = [Float](repeating: .nan, count: plan.transformedWeightCount(outChannels: o, inChannels: c))
    let output = Tensor(shape: [n, o, outputHeight, outputWidth])
    u.withUnsafeMutableBufferPointer { u in
      k.withUnsafeBufferPointer { k in
        plan.transformWeights(outChannels: o, inChannels: c, weight: k.baseAddress!, outStride: c * 25, inStride: 25,
                              flipped: false, into: u.baseAddress!)
      }
      plan.correlate(input.pointer, batch: n, inChannels: c, height: h, width: w, padTop: padTop, padLeft: padLeft,
                     transformedWeights: u.baseAddress!, outChannels: o, outputHeight: outputHeight,
                     outputWidth: outputWidth, into: output.storage.pointer)
    }
    return output.scalars
  }

  static let plans: [(String, WinogradPlan, Double)] = [("F(2x2)", .f2, 1e-5), ("F(3x3)", .f3, 1e-5), ("F(4x4)", .f4, 1e-4)]

  @Test("Equals the direct correlation to 1e-5 of the largest output (F(4x4): 1e-4), on odd and even sizes, every padding and channel counts that are not multiples of 8",
        arguments: [(7, 7, 2, 2, 7, 7), (5, 6, 2, 2, 5, 6), (8, 6, 2, 2, 8, 6), (9, 5, 0, 0, 5, 1), (6, 6, 4, 4, 10, 10), (14, 14, 2, 2, 14, 14), (5, 7, 1, 3, 4, 9)])
  func matchesDirect(h: Int, w: Int, padTop: Int, padLeft: Int, outputHeight: Int, outputWidth: Int) throws {
    var random = SeededGenerator(seed: 5)
    let input = Tensor.randomNormal(shape: [3, 7, h, w], using: &random)
    let weight = Tensor.randomNormal(shape: [5, 7, 5, 5], mean: 0, standardDeviation: 0.1, using: &random)
    let expected = Self.direct(input, weight, padTop: padTop, padLeft: padLeft, outputHeight: outputHeight, outputWidth: outputWidth)
    let scale = expected.map(abs).max()!
    for (name, plan, tolerance) in Self.plans {
      let actual = Self.winograd(plan, input, weight, padTop: padTop, padLeft: padLeft, outputHeight: outputHeight, outputWidth: outputWidth)
      let worst = zip(expected, actual).map { abs($0 - Double($1)) }.max()!
      #expect(worst / scale < tolerance, "\(name): worst relative error \(worst / scale)")
    }
  }

  /// CI machines all have AVX2, so the portable versions run only here.
  @Test("The portable tile transforms (no AVX2) equal the direct correlation within the same tolerance, and differ from the AVX2 ones only by rounding")
  func portableKernels() throws {
    var random = SeededGenerator(seed: 11)
    let input = Tensor.randomNormal(shape: [2, 20, 9, 8], using: &random)
    let weight = Tensor.randomNormal(shape: [12, 20, 5, 5], mean: 0, standardDeviation: 0.1, using: &random)
    let expected = Self.direct(input, weight, padTop: 2, padLeft: 3, outputHeight: 9, outputWidth: 10)
    let scale = expected.map(abs).max()!
    for (name, plan, tolerance) in Self.plans {
      let vector = Self.winograd(plan, input, weight, padTop: 2, padLeft: 3, outputHeight: 9, outputWidth: 10)
      gk_kernels_set_portable(1)
      let portable = Self.winograd(plan, input, weight, padTop: 2, padLeft: 3, outputHeight: 9, outputWidth: 10)
      gk_kernels_set_portable(0)
      let worst = zip(expected, portable).map { abs($0 - Double($1)) }.max()!
      #expect(worst / scale < tolerance, "\(name), portable: worst relative error \(worst / scale)")
      let apart = zip(vector, portable).map { abs(Double($0) - Double($1)) }.max()!
      #expect(apart / scale < tolerance, "\(name): AVX2 and portable results \(apart / scale) apart")
      if gk_kernels_use_avx2() != 0 {
        #expect(apart > 0, "\(name): the switch to the portable kernels changed nothing (fused against separate roundings)")
      }
    }
  }

  @Test("Channel counts of the DCGAN's first transposed convolution (256 -> 128 on 7 x 7): within the tolerance of the largest output, and the same with 1 and 2 threads")
  func dcganSized() throws {
    var random = SeededGenerator(seed: 6)
    let input = Tensor.randomNormal(shape: [2, 256, 7, 7], using: &random)
    let weight = Tensor.randomNormal(shape: [128, 256, 5, 5], mean: 0, standardDeviation: 0.02, using: &random)
    let expected = Self.direct(input, weight, padTop: 2, padLeft: 2, outputHeight: 7, outputWidth: 7)
    let scale = expected.map(abs).max()!
    for (name, plan, tolerance) in Self.plans {
      let two = try Threading.withThreadCount(2) { Self.winograd(plan, input, weight, padTop: 2, padLeft: 2, outputHeight: 7, outputWidth: 7) }
      let one = try Threading.withThreadCount(1) { Self.winograd(plan, input, weight, padTop: 2, padLeft: 2, outputHeight: 7, outputWidth: 7) }
      #expect(one == two, "\(name): the result depends on the thread count")
      let worst = zip(expected, two).map { abs($0 - Double($1)) }.max()!
      #expect(worst / scale < tolerance, "\(name): worst relative error \(worst / scale)")
    }
  }

  /// The layer is linear in its input, weights and bias, so central differences have no
  /// truncation error at any step; the larger tiles take a step of 0.1 instead of 0.01, which
  /// divides the forward pass's Float rounding (up to 8e-6 of the largest output for F(3x3) and
  /// F(4x4) against F(2x2)'s 2e-6) by ten in the differences. At 0.01 it put one small entry of
  /// 180 at 2.1-2.3e-2 relative, past the check's tolerance.
  @Test("ConvTranspose2D in the Winograd form: finite differences agree for the input, weights and bias (5 x 5, stride 1, padding 2 and 1; F(2x2), F(3x3), F(4x4))",
        arguments: [2, 1], [2, 3, 4])
  func layerGradients(padding: Int, tile: Int) throws {
    let layer = ConvTranspose2D(inChannels: 3, outChannels: 2, kernelSize: 5, stride: 1, padding: .explicit(padding),
                                biasInitializer: .normal(std: 0.5), seed: 7)
    layer.formOverride = .winograd
    layer.winogradPlanOverride = [2: .f2, 3: .f3, 4: .f4][tile]
    try GradCheck.checkLayer(layer, input: GradientCheck.awayFromZero(shape: [2, 3, 5, 6], seed: 8),
                             step: tile == 2 ? 1e-2 : 0.1)
  }

  /// The weight gradient in Double: `dK[o, i, ky, kx] = sum in[n, i, y - pad + ky, x - pad + kx] dOut[n, o, y, x]`.
  static func directWeightGradient(
    _ input: Tensor, _ outputGradient: Tensor, padTop: Int, padLeft: Int
  ) -> [Double] {
    let (n, c, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
    let (o, oh, ow) = (outputGradient.shape[1], outputGradient.shape[2], outputGradient.shape[3])
    let (x, dy) = (input.scalars, outputGradient.scalars)
    var dk = [Double](repeating: 0, count: o * c * 25)
    for image in 0..<n { for oc in 0..<o { for ic in 0..<c { for ky in 0..<5 { for kx in 0..<5 {
      var s = 0.0
      for y in 0..<oh { for xx in 0..<ow {
        let (iy, ix) = (y - padTop + ky, xx - padLeft + kx)
        guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
        s += Double(x[((image * c + ic) * h + iy) * w + ix]) * Double(dy[((image * o + oc) * oh + y) * ow + xx])
      } }
      dk[((oc * c + ic) * 5 + ky) * 5 + kx] += s
    } } } } }
    return dk
  }

  @Test("The weight gradient equals the direct sum to 1e-5 of its largest entry (F(4x4): 1e-4), added to what the gradient held, on odd and even sizes, every padding and channel counts that are not multiples of 8",
        arguments: [(7, 7, 2, 2, 7, 7), (5, 6, 2, 2, 5, 6), (9, 5, 0, 0, 5, 1), (6, 6, 4, 4, 10, 10), (5, 7, 1, 3, 4, 9)])
  func weightGradientMatchesDirect(h: Int, w: Int, padTop: Int, padLeft: Int, outputHeight: Int, outputWidth: Int) throws {
    var random = SeededGenerator(seed: 12)
    let input = Tensor.randomNormal(shape: [3, 7, h, w], using: &random)
    let outputGradient = Tensor.randomNormal(shape: [3, 10, outputHeight, outputWidth], using: &random)
    let expected = Self.directWeightGradient(input, outputGradient, padTop: padTop, padLeft: padLeft)
    let scale = expected.map(abs).max()!
    for (name, plan, tolerance) in Self.plans {
      // [o][i][25] as stored by Conv2D; starts at 1 to check that the gradient is added.
      var gradient = [Float](repeating: 1, count: expected.count)
      gradient.withUnsafeMutableBufferPointer { gradient in
        plan.correlationWeightGradient(
          input.pointer, batch: 3, inChannels: 7, height: h, width: w, padTop: padTop, padLeft: padLeft,
          outputGradient: outputGradient.pointer, outChannels: 10, outputHeight: outputHeight, outputWidth: outputWidth,
          into: gradient.baseAddress!, outStride: 7 * 25, inStride: 25, flipped: false)
      }
      let worst = zip(expected, gradient).map { abs($0 - (Double($1) - 1)) }.max()!
      #expect(worst / scale < tolerance, "\(name): worst relative error \(worst / scale)")
    }
  }

  /// The DCGAN's first transposed convolution (256 -> 128, 5 x 5 on 7 x 7) through a fused ReLU, on
  /// random weights and on weights grown large by repeated steps along their own gradient.
  @Test("ConvTranspose2D: the Winograd form's forward pass, data gradient and weight gradient within 1e-4 of the tap-by-tap form's; the same at 1 and 2 threads")
  func matchesTapByTap() throws {
    var random = SeededGenerator(seed: 9)
    let input = Tensor.randomNormal(shape: [4, 256, 7, 7], using: &random)
    let upstream = Tensor.randomNormal(shape: [4, 128, 7, 7], using: &random)
    func run(winograd: Bool, threads: Int, scale: Float) throws -> (Tensor, Tensor, Tensor) {
      try Threading.withThreadCount(threads) {
        let layer = ConvTranspose2D(inChannels: 256, outChannels: 128, kernelSize: 5, stride: 1, padding: .same,
                                    weightInitializer: .normal(std: 0.02), seed: 10)
        layer.weight.value = layer.weight.value * scale
        layer.formOverride = winograd ? .winograd : .tapByTap(imagesPerChunk: 2)
        let model = Sequential([ReLU(), layer])
        let y = try model.forward(input)
        let dx = try model.backward(upstream)
        return (y, dx, layer.weight.gradient)
      }
    }
    for scale: Float in [1, 25] {
      // The library's tile size (F(4x4) by default).
      let direct = try run(winograd: false, threads: 2, scale: scale)
      let one = try run(winograd: true, threads: 1, scale: scale)
      let two = try run(winograd: true, threads: 2, scale: scale)
      #expect(one.0 == two.0 && one.1 == two.1 && one.2 == two.2, "the Winograd form depends on the thread count")
      for (name, a, b) in [("output", two.0, direct.0), ("input gradient", two.1, direct.1), ("weight gradient", two.2, direct.2)] {
        let relative = a.maxAbsoluteDifference(to: b) / (b.scalars.map(abs).max() ?? 1)
        #expect(relative < 1e-4, "\(name), weights x \(scale): worst relative difference \(relative)")
      }
    }
  }

  /// Trained weights: a 64 -> 64 layer in the Winograd form F(4x4) fitted by Adam (learning rate
  /// 1e-2) for 40 steps to a target made by other weights, which moves some weights by more than
  /// a quarter of the largest initial one (measured 0.42). Forward pass, data and weight gradients are compared with the tap-by-tap
  /// form's on the same weights before and after, with one random upstream gradient (measured:
  /// output 4.3e-6 before, 3.9e-6 after; input gradient 4.4e-6 and 4.0e-6).
  @Test("Trained weights: the Winograd form stays within 1e-4 of the tap-by-tap form's largest value after 40 Adam steps, as before them")
  func trainedWeights() throws {
    var random = SeededGenerator(seed: 50)
    let input = Tensor.randomNormal(shape: [2, 64, 7, 7], using: &random)
    let teacher = ConvTranspose2D(inChannels: 64, outChannels: 64, kernelSize: 5, padding: .same, seed: 51)
    let target = try teacher.forward(input)
    // The comparison's upstream gradient stays the same: the residual shrinks as the layer fits.
    let upstream = Tensor.randomNormal(shape: target.shape, using: &random)
    let student = ConvTranspose2D(inChannels: 64, outChannels: 64, kernelSize: 5, padding: .same,
                                  weightInitializer: .normal(std: 0.02), seed: 52)
    student.formOverride = .winograd
    student.winogradPlanOverride = .f4
    /// The worst relative differences of the output, the input gradient and the weight gradient.
    func worst() throws -> [Double] {
      let reference = ConvTranspose2D(inChannels: 64, outChannels: 64, kernelSize: 5, padding: .same, seed: 53)
      reference.weight.value = student.weight.value
      reference.bias!.value = student.bias!.value
      reference.formOverride = .tapByTap(imagesPerChunk: 2)
      var results: [[Tensor]] = []
      for layer in [student, reference] {
        layer.zeroGradients()
        let output = try layer.forward(input)
        let inputGradient = try layer.backward(upstream)
        results.append([output, inputGradient, layer.weight.gradient])
      }
      student.zeroGradients()
      return zip(results[0], results[1]).map { a, b in
        Double(a.maxAbsoluteDifference(to: b)) / Double(b.scalars.map(abs).max() ?? 1)
      }
    }
    let before = try worst()
    let initial = student.weight.value
    let optimizer = Adam(parameters: student.trainableParameters, learningRate: 1e-2)
    var firstLoss = 0.0, lastLoss = 0.0
    for step in 0..<40 {
      let loss = try meanSquaredError(prediction: try student.forward(input), target: target)
      _ = try student.backward(loss.gradient)
      optimizer.step()
      student.zeroGradients()
      if step == 0 { firstLoss = Double(loss.value) }
      lastLoss = Double(loss.value)
    }
    let after = try worst()
    let moved = Double(student.weight.value.maxAbsoluteDifference(to: initial)) / Double(initial.scalars.map(abs).max()!)
    #expect(lastLoss < 0.5 * firstLoss, "training did not fit: loss \(firstLoss) -> \(lastLoss)")
    #expect(moved > 0.25, "the weights moved by \(moved) of their largest initial value")
    // The weight gradient depends on the input and the upstream gradient only; the output and the
    // input gradient are where trained weights could show.
    #expect(before.allSatisfy { $0 < 1e-4 } && after.allSatisfy { $0 < 1e-4 },
            "worst relative differences (output, input gradient, weight gradient) \(before) before training, \(after) after")
  }

  /// Stride-1 `Conv2D` layers in the Winograd form against the im2col form, through a fused ReLU:
  /// 3 x 3 (F(4x4, 3x3)) and 5 x 5 (F(4x4, 5x5)) kernels, same, valid, explicit and TensorFlow's
  /// asymmetric padding, channel counts that are not multiples of 8.
  @Test("Conv2D in the Winograd form: output, input and weight gradients within 1e-4 of the im2col form's largest entry (3 x 3 within 1e-5), bias gradient equal",
        arguments: [(3, Padding.same), (3, .valid), (5, .same), (5, .explicit(1)), (3, .tensorflowSame)])
  func convolution(kernel: Int, padding: Padding) throws {
    var random = SeededGenerator(seed: 60)
    let input = Tensor.randomNormal(shape: [3, 11, 9, 7], using: &random)
    func run(winograd: Bool) throws -> [Tensor] {
      let layer = Conv2D(inChannels: 11, outChannels: 13, kernelSize: kernel, padding: padding,
                         biasInitializer: .normal(std: 0.5), seed: 61)
      layer.formOverride = winograd ? .winograd : .im2col
      let model = Sequential([ReLU(), layer])
      let output = try model.forward(input)
      var upstreamRandom = SeededGenerator(seed: 62)
      let inputGradient = try model.backward(Tensor.randomNormal(shape: output.shape, using: &upstreamRandom))
      return [output, inputGradient, layer.weight.gradient, layer.bias!.gradient]
    }
    let fast = try run(winograd: true), direct = try run(winograd: false)
    let tolerance = kernel == 3 ? 1e-5 : 1e-4
    for (name, (a, b)) in zip(["output", "input gradient", "weight gradient"], zip(fast, direct)) {
      let relative = Double(a.maxAbsoluteDifference(to: b)) / Double(b.scalars.map(abs).max() ?? 1)
      #expect(a.shape == b.shape && relative < tolerance, "\(name): worst relative difference \(relative)")
    }
    #expect(fast[3] == direct[3])
  }

  @Test("Conv2D in the Winograd form: finite differences agree (3 x 3 and 5 x 5); 64+ channels on planes of whole tiles take the form (not the VAE encoder's 7 x 7), with the same results at 1 and 2 threads")
  func convolutionGradientsAndChoice() throws {
    for kernel in [3, 5] {
      let layer = Conv2D(inChannels: 3, outChannels: 4, kernelSize: kernel, padding: .same,
                         biasInitializer: .normal(std: 0.5), seed: 63)
      layer.formOverride = .winograd
      try GradCheck.checkLayer(layer, input: GradientCheck.awayFromZero(shape: [2, 3, 6, 5], seed: 64), step: 0.1)
    }
    let vae = ConvolutionalVAE.make(latentDimension: 16, channels: 1, imageHeight: 28, imageWidth: 28, seed: 65)
    let wide = vae.modules.compactMap { $0 as? Conv2D }.filter { $0.stride == 1 && $0.inChannels >= 64 }
    try #require(wide.count == 1, "the VAE's encoder has one stride-1 64 -> 128 layer")
    #expect(wide[0].form(for: try wide[0].geometry(inputHeight: 7, inputWidth: 7), batch: 128) != .winograd)
    #expect(wide[0].form(for: try wide[0].geometry(inputHeight: 16, inputWidth: 8), batch: 128) == .winograd)
    var random = SeededGenerator(seed: 66)
    let input = Tensor.randomNormal(shape: [4, 64, 8, 8], using: &random)
    func run(threads: Int) throws -> [Tensor] {
      try Threading.withThreadCount(threads) {
        let layer = Conv2D(inChannels: 64, outChannels: 128, kernelSize: 3, padding: .same, seed: 67)
        #expect(layer.form(for: try layer.geometry(inputHeight: 8, inputWidth: 8), batch: 4) == .winograd)
        let output = try layer.forward(input)
        let inputGradient = try layer.backward(output)
        return [output, inputGradient, layer.weight.gradient]
      }
    }
    #expect(try run(threads: 1) == run(threads: 2))
  }
}
