import GenerativeKitTesting
import Testing

@testable import GenerativeKit

/// The tap-by-tap form of convolutions on small planes (``ShiftedConvolution``) against the direct
/// reference kernels, the im2col form and finite differences.
@Suite("Convolutions tap by tap")
struct ShiftedConvolutionTests {
  struct Case: CustomTestStringConvertible, Sendable {
    var inChannels: Int
    var outChannels: Int
    var height: Int
    var width: Int
    var kernel: Int
    var stride = 1
    var padding: Padding
    var outputPadding = 0
    var testDescription: String {
      "\(inChannels)->\(outChannels) \(height)x\(width) k\(kernel) s\(stride) \(padding)"
        + (outputPadding > 0 ? " output padding \(outputPadding)" : "")
    }

    func convolution(seed: UInt64) -> Conv2D {
      Conv2D(inChannels: inChannels, outChannels: outChannels, kernelSize: kernel, stride: stride, padding: padding,
             biasInitializer: .normal(std: 0.5), seed: seed)
    }

    func transposed(seed: UInt64) -> ConvTranspose2D {
      ConvTranspose2D(inChannels: inChannels, outChannels: outChannels, kernelSize: kernel, stride: stride,
                      padding: padding, outputPadding: outputPadding, biasInitializer: .normal(std: 0.5), seed: seed)
    }
  }

  static let cases: [Case] = [
    Case(inChannels: 16, outChannels: 24, height: 7, width: 7, kernel: 5, padding: .same),
    Case(inChannels: 20, outChannels: 16, height: 6, width: 5, kernel: 3, padding: .same),
    Case(inChannels: 16, outChannels: 16, height: 5, width: 7, kernel: 3, padding: .valid),
    Case(inChannels: 16, outChannels: 17, height: 6, width: 6, kernel: 5, padding: .explicit(1)),
    Case(inChannels: 17, outChannels: 16, height: 7, width: 6, kernel: 4, padding: .tensorflowSame),
    // The report's stride-2 layers (DCGAN d_conv2 and g_convT2 shapes, VAE k = 3), DCGAN-64's k = 4.
    Case(inChannels: 16, outChannels: 24, height: 7, width: 7, kernel: 5, stride: 2, padding: .same),
    Case(inChannels: 24, outChannels: 16, height: 8, width: 6, kernel: 3, stride: 2, padding: .same),
    Case(inChannels: 16, outChannels: 16, height: 6, width: 6, kernel: 4, stride: 2, padding: .explicit(1)),
    Case(inChannels: 16, outChannels: 18, height: 9, width: 7, kernel: 3, stride: 3, padding: .valid),
    Case(inChannels: 16, outChannels: 16, height: 5, width: 6, kernel: 3, stride: 2, padding: .explicit(1),
         outputPadding: 1),
  ]

  /// The (tap, output pixel, input pixel) triples of all runs, in the layers' own pixel numbering.
  static func coveredProducts(_ plan: ShiftedConvolution) -> [[Int]] {
    func inverse(_ positions: [Int]?, _ count: Int) -> [Int] {
      var pixels = Array(0..<count)
      if let positions { for (pixel, position) in positions.enumerated() { pixels[position] = pixel } }
      return pixels
    }
    let sources = inverse(plan.sourcePositions, plan.sourcePixels)
    let targets = inverse(plan.targetPositions, plan.targetPixels)
    return plan.runs.flatMap { run in
      (0..<run.length).map { [run.tap, targets[run.target + $0], sources[run.source + $0]] }
    }.sorted { $0.lexicographicallyPrecedes($1) }
  }

  /// `(tap, a, b)` for every pixel `a` of a `from` plane and tap `k` whose window position
  /// `b = a * stride - pad + k` lies inside the `to` plane (row-major pixel indices): the
  /// definition of both layers' products.
  static func windowPairs(
    from: (height: Int, width: Int), to: (height: Int, width: Int), kernel: Int, stride: Int, pad: (Int, Int)
  ) -> [(tap: Int, a: Int, b: Int)] {
    var pairs: [(tap: Int, a: Int, b: Int)] = []
    for ay in 0..<from.height {
      for ax in 0..<from.width {
        for ky in 0..<kernel {
          for kx in 0..<kernel {
            let (by, bx) = (ay * stride - pad.0 + ky, ax * stride - pad.1 + kx)
            if by >= 0 && by < to.height && bx >= 0 && bx < to.width {
              pairs.append((ky * kernel + kx, ay * from.width + ax, by * to.width + bx))
            }
          }
        }
      }
    }
    return pairs
  }

  /// Every product of two real pixels, from the definitions, against the runs.
  @Test("Runs cover exactly the products of real pixels, each once", arguments: cases)
  func runsCoverValidProducts(_ c: Case) throws {
    func sorted(_ triples: [[Int]]) -> [[Int]] { triples.sorted { $0.lexicographicallyPrecedes($1) } }
    // Conv2D: output pixel a reads input pixel b.
    let g = try c.convolution(seed: 1).geometry(inputHeight: c.height, inputWidth: c.width)
    let reads = Self.windowPairs(from: (g.outputHeight, g.outputWidth), to: (c.height, c.width), kernel: c.kernel,
                                 stride: c.stride, pad: (g.padTop, g.padLeft))
    let plan = ShiftedConvolution.convolution(g, inChannels: 1, outChannels: 1)
    #expect(Self.coveredProducts(plan) == sorted(reads.map { [$0.tap, $0.a, $0.b] }))
    // ConvTranspose2D: input pixel a reaches output pixel b.
    let t = try c.transposed(seed: 1).geometry(inputHeight: c.height, inputWidth: c.width)
    let scatters = Self.windowPairs(from: (c.height, c.width), to: (t.outputHeight, t.outputWidth), kernel: c.kernel,
                                    stride: c.stride, pad: (t.padTop, t.padLeft))
    let transposedPlan = ShiftedConvolution.transposed(t, inChannels: 1, outChannels: 1)
    #expect(Self.coveredProducts(transposedPlan) == sorted(scatters.map { [$0.tap, $0.b, $0.a] }))
  }

  @Test("Whole rows of a tap merge into one run; padding is skipped")
  func runCounts() throws {
    let layer = ConvTranspose2D(inChannels: 16, outChannels: 16, kernelSize: 5, padding: .same)
    let plan = ShiftedConvolution.transposed(try layer.geometry(inputHeight: 7, inputWidth: 6), inChannels: 1, outChannels: 1)
    // 29 of the 35 (tap, pixel) pairs along the 7 rows are inside, 24 of 30 along the 6 columns.
    #expect(plan.multiplyAddsPerImage == 29 * 24)
    // The 5 taps with dx = 0: one run each; the other 20: one per row inside (5 + 6 + 7 + 6 + 5 per dx).
    #expect(plan.runs.count == 5 + 4 * 29)
  }

  @Test("Chunks follow the batch alone: two or more for two threads from 16 images, 32 at most")
  func chunkSizes() {
    for batch in [1, 7, 8, 15, 16, 31, 32, 48, 63, 64, 100, 128, 256, 1000] {
      let chunk = ConvolutionFormThresholds.tapByTapImagesPerChunk(batch: batch)
      #expect((8...32).contains(chunk))
      if batch >= 16 { #expect((batch + chunk - 1) / chunk >= 2, "batch \(batch) in chunks of \(chunk)") }
    }
  }

  @Test("Layout copies by 4 x 4 blocks equal element-by-element copies, edges included",
        arguments: [(1, 1), (3, 5), (4, 4), (16, 49), (17, 42), (33, 7), (64, 196)])
  func layoutTransposes(channels: Int, plane: Int) {
    var random = SeededGenerator(seed: UInt64(channels * 1000 + plane))
    let planes = (0..<(channels * plane)).map { _ in random.nextUniform() }
    // Rows of `channels` floats with a gap of 3 between them, so row addressing is exercised too.
    let stride = channels + 3
    var rows = [Float](repeating: -1, count: plane * stride)
    planes.withUnsafeBufferPointer { source in
      rows.withUnsafeMutableBufferPointer { target in
        transposePlanesToRows(source.baseAddress!, channels: channels, plane: plane) { target.baseAddress! + $0 * stride }
      }
    }
    for p in 0..<plane {
      for c in 0..<channels { #expect(rows[p * stride + c] == planes[c * plane + p]) }
      for gap in channels..<stride { #expect(rows[p * stride + gap] == -1, "wrote past row \(p)") }
    }
    var back = [Float](repeating: 0, count: channels * plane)
    rows.withUnsafeBufferPointer { source in
      back.withUnsafeMutableBufferPointer { target in
        transposeRowsToPlanes(target.baseAddress!, channels: channels, plane: plane) { source.baseAddress! + $0 * stride }
      }
    }
    #expect(back == planes)
  }

  @Test("Which layers run tap by tap: small planes from 16 channels, 16 x 16 planes from 64")
  func tapByTapThresholds() {
    func tapByTap(_ inChannels: Int, _ outChannels: Int, pixels: Int) -> Bool {
      ConvolutionFormThresholds.tapByTap(inChannels: inChannels, outChannels: outChannels, smallerPlanePixels: pixels)
    }
    #expect(tapByTap(256, 128, pixels: 49))   // DCGAN g_convT1
    #expect(tapByTap(32, 64, pixels: 49))     // VAE e_conv2
    #expect(!tapByTap(64, 1, pixels: 196))    // one channel
    #expect(!tapByTap(64, 32, pixels: 196))   // VAE v_convT2
    #expect(tapByTap(128, 64, pixels: 256))   // DCGAN-64 g_convT3
    #expect(tapByTap(64, 128, pixels: 256))   // DCGAN-64 d_conv2
    #expect(!tapByTap(128, 128, pixels: 1024))
  }

  /// The report's layers at their own batch sizes: DCGAN at 256 and VAE at 128.
  @Test("Each layer's form: tap by tap, image by image (with its column layout) or batch-folded")
  func formChoice() {
    // Conv2D: DCGAN d_conv1 (1 -> 64, 14 x 14 output), d_conv2 (64 -> 128, 7 x 7).
    #expect(ConvolutionForm.choose(inChannels: 1, outChannels: 64, outputPixels: 196, batch: 256) == .im2col)
    #expect(ConvolutionForm.choose(inChannels: 64, outChannels: 128, outputPixels: 49, batch: 256)
      == .tapByTap(imagesPerChunk: 32))
    // ConvTranspose2D: DCGAN g_convT1 (7 x 7 input), g_convT3 (64 -> 1 on 14 x 14); VAE v_convT1
    // (64 -> 64 on 7 x 7 at batch 16), v_convT2 (64 -> 32 on 14 x 14), v_convT3 (32 -> 1 on 28 x 28).
    #expect(TransposedConvolutionForm.choose(inChannels: 256, outChannels: 128, inputPixels: 49, batch: 256)
      == .tapByTap(imagesPerChunk: 32))
    #expect(TransposedConvolutionForm.choose(inChannels: 64, outChannels: 1, inputPixels: 196, batch: 256)
      == .perImage(columns: .channelMajor))
    #expect(TransposedConvolutionForm.choose(inChannels: 64, outChannels: 64, inputPixels: 49, batch: 16)
      == .tapByTap(imagesPerChunk: 8))
    #expect(TransposedConvolutionForm.choose(inChannels: 64, outChannels: 32, inputPixels: 196, batch: 128)
      == .perImage(columns: .pixelMajor))
    #expect(TransposedConvolutionForm.choose(inChannels: 32, outChannels: 1, inputPixels: 784, batch: 128)
      == .perImage(columns: .channelMajor))
    // Few channels on a small plane: the batch folded into the GEMM.
    #expect(TransposedConvolutionForm.choose(inChannels: 8, outChannels: 8, inputPixels: 49, batch: 128)
      == .batchFolded)
  }

  @Test("The automatic chunk gives the same outputs and gradients as the same chunk set by hand")
  func automaticChunk() throws {
    var random = SeededGenerator(seed: 21)
    let input = Tensor.randomNormal(shape: [40, 16, 7, 7], using: &random)
    var results: [[Tensor]] = []
    let byHand = TransposedConvolutionForm.tapByTap(
      imagesPerChunk: ConvolutionFormThresholds.tapByTapImagesPerChunk(batch: 40))
    for override in [nil, byHand] {
      let layer = ConvTranspose2D(inChannels: 16, outChannels: 16, kernelSize: 5, stride: 2, padding: .same, seed: 22)
      layer.formOverride = override
      #expect(layer.form(for: try layer.geometry(inputHeight: 7, inputWidth: 7), batch: 40) == byHand)
      let output = try layer.forward(input)
      let inputGradient = try layer.backward(output)
      results.append([output, inputGradient, layer.weight.gradient])
    }
    for (a, b) in zip(results[0], results[1]) { #expect(a.maxAbsoluteDifference(to: b) == 0) }
  }

  @Test("Conv2D forward matches the direct reference", arguments: cases)
  func convolutionForward(_ c: Case) throws {
    let layer = c.convolution(seed: 3)
    layer.formOverride = .tapByTap(imagesPerChunk: 2)
    var random = SeededGenerator(seed: 4)
    let input = Tensor.randomNormal(shape: [5, c.inChannels, c.height, c.width], using: &random)
    let output = try layer.forward(input)
    let g = try layer.geometry(inputHeight: c.height, inputWidth: c.width)
    let expected = Reference.conv2d(input: input, weight: layer.weight.value, bias: layer.bias!.value,
                                    stride: (c.stride, c.stride),
                                    padding: (g.padTop, g.padLeft), outputSize: (g.outputHeight, g.outputWidth))
    #expect(output.shape == expected.shape)
    #expect(output.maxAbsoluteDifference(to: expected) < 1e-4)
  }

  @Test("ConvTranspose2D forward matches the direct reference", arguments: cases)
  func transposedForward(_ c: Case) throws {
    let layer = c.transposed(seed: 5)
    layer.formOverride = .tapByTap(imagesPerChunk: 2)
    var random = SeededGenerator(seed: 6)
    let input = Tensor.randomNormal(shape: [5, c.inChannels, c.height, c.width], using: &random)
    let output = try layer.forward(input)
    let g = try layer.geometry(inputHeight: c.height, inputWidth: c.width)
    let expected = Reference.convTranspose2d(
      input: input, weight: layer.weight.value, bias: layer.bias!.value, stride: (c.stride, c.stride),
      padding: (g.padTop, g.padLeft), outputSize: (g.outputHeight, g.outputWidth))
    #expect(output.shape == expected.shape)
    #expect(output.maxAbsoluteDifference(to: expected) < 1e-4)
  }

  /// Both forms through a fused ReLU derivative, on 5 images in chunks of 2 (the other form is
  /// im2col for Conv2D and batch-folded for ConvTranspose2D, as these planes are small).
  @Test("Backward passes match the im2col form", arguments: cases)
  func backwardMatchesIm2col(_ c: Case) throws {
    var random = SeededGenerator(seed: 11)
    let input = Tensor.randomNormal(shape: [5, c.inChannels, c.height, c.width], using: &random)
    for transposed in [false, true] {
      func run(tapByTap: Bool) throws -> [Tensor] {
        let layer: any Layer
        if transposed {
          let convT = c.transposed(seed: 12)
          convT.formOverride = tapByTap ? .tapByTap(imagesPerChunk: 2) : .batchFolded
          layer = convT
        } else {
          let conv = c.convolution(seed: 12)
          conv.formOverride = tapByTap ? .tapByTap(imagesPerChunk: 2) : .im2col
          layer = conv
        }
        let model = Sequential([ReLU(), layer])
        let output = try model.forward(input)
        var upstreamRandom = SeededGenerator(seed: 13)
        let upstream = Tensor.randomNormal(shape: output.shape, using: &upstreamRandom)
        let inputGradient = try model.backward(upstream)
        return [output, inputGradient] + layer.trainableParameters.map(\.gradient)
      }
      let fast = try run(tapByTap: true)
      let folded = try run(tapByTap: false)
      for (name, (a, b)) in zip(["output", "input gradient", "weight gradient", "bias gradient"], zip(fast, folded)) {
        #expect(a.maxAbsoluteDifference(to: b) < 2e-4, "\(transposed ? "ConvTranspose2D" : "Conv2D") \(name)")
      }
    }
  }

  /// Through a ReLU whose derivative the layer applies while writing its input gradient, on 5
  /// images in chunks of 2.
  @Test("Tap-by-tap backward passes equal the chain rule on the direct definitions", arguments: cases)
  func backwardMatchesReference(_ c: Case) throws {
    var random = SeededGenerator(seed: 14)
    let input = Tensor.randomNormal(shape: [5, c.inChannels, c.height, c.width], using: &random)
    let activated = input.map { max($0, 0) }
    for transposed in [false, true] {
      let name = transposed ? "ConvTranspose2D" : "Conv2D"
      let layer: any Layer
      let weight: Parameter, bias: Parameter
      let padding: (top: Int, left: Int)
      if transposed {
        let convT = c.transposed(seed: 15)
        convT.formOverride = .tapByTap(imagesPerChunk: 2)
        layer = convT
        weight = convT.weight
        bias = try #require(convT.bias)
        let g = try convT.geometry(inputHeight: c.height, inputWidth: c.width)
        padding = (g.padTop, g.padLeft)
      } else {
        let conv = c.convolution(seed: 15)
        conv.formOverride = .tapByTap(imagesPerChunk: 2)
        layer = conv
        weight = conv.weight
        bias = try #require(conv.bias)
        let g = try conv.geometry(inputHeight: c.height, inputWidth: c.width)
        padding = (g.padTop, g.padLeft)
      }
      let model = Sequential([ReLU(), layer])
      let output = try model.forward(input)
      let upstream = Tensor.randomNormal(shape: output.shape, using: &random)
      let inputGradient = try model.backward(upstream)
      let expected = transposed
        ? Reference.convTranspose2dBackward(input: activated, weight: weight.value, outputGradient: upstream,
                                           stride: (c.stride, c.stride), padding: padding)
        : Reference.conv2dBackward(input: activated, weight: weight.value, outputGradient: upstream,
                                   stride: (c.stride, c.stride), padding: padding)
      // ReLU's derivative: the gradient passes where the input was positive.
      var expectedInput = expected.input
      for i in 0..<input.count where input[flat: i] <= 0 { expectedInput[flat: i] = 0 }
      #expect(KernelReferenceTests.scaledDifference(inputGradient, expectedInput) < 1e-5, "\(name) input gradient")
      #expect(KernelReferenceTests.scaledDifference(weight.gradient, expected.weight) < 1e-5, "\(name) weight gradient")
      #expect(KernelReferenceTests.scaledDifference(bias.gradient, expected.bias) < 1e-5, "\(name) bias gradient")
    }
  }

  @Test("Finite differences agree with the tap-by-tap backward")
  func gradients() throws {
    let strided = Conv2D(inChannels: 16, outChannels: 16, kernelSize: 3, stride: 2, padding: .same, seed: 25)
    strided.formOverride = .tapByTap(imagesPerChunk: 1)
    try GradCheck.checkLayer(strided, input: GradientCheck.awayFromZero(shape: [2, 16, 5, 6], seed: 26))
    let stridedT = ConvTranspose2D(inChannels: 16, outChannels: 16, kernelSize: 5, stride: 2, padding: .same, seed: 27)
    stridedT.formOverride = .tapByTap(imagesPerChunk: 1)
    try GradCheck.checkLayer(stridedT, input: GradientCheck.awayFromZero(shape: [2, 16, 3, 4], seed: 28))
    let conv = Conv2D(inChannels: 16, outChannels: 16, kernelSize: 3, padding: .same,
                      biasInitializer: .normal(std: 0.5), seed: 21)
    conv.formOverride = .tapByTap(imagesPerChunk: 1)
    try GradCheck.checkLayer(conv, input: GradientCheck.awayFromZero(shape: [2, 16, 5, 4], seed: 22))
    let convT = ConvTranspose2D(inChannels: 16, outChannels: 16, kernelSize: 5, padding: .same,
                                biasInitializer: .normal(std: 0.5), seed: 23)
    convT.formOverride = .tapByTap(imagesPerChunk: 1)
    try GradCheck.checkLayer(convT, input: GradientCheck.awayFromZero(shape: [2, 16, 4, 5], seed: 24))
  }

  /// Whole networks whose convolutions all run tap by tap (in chunks of 2) or all in the GEMM
  /// forms with the batch folded: DCGAN-64 (k = 4, stride 2, padding 1 on 4 x 4 to 64 x 64
  /// planes) at width 16, and the report's DCGAN at width 16.
  @Test("DCGAN-64 and the report's DCGAN give the same outputs and gradients in both forms")
  func wholeNetworks() throws {
    func run(_ build: () -> Sequential, input: Tensor, tapByTap: Bool) throws -> [Tensor] {
      let model = build()
      for layer in model.layers {
        (layer as? Conv2D)?.formOverride = tapByTap ? .tapByTap(imagesPerChunk: 2) : .im2col
        (layer as? ConvTranspose2D)?.formOverride = tapByTap ? .tapByTap(imagesPerChunk: 2) : .batchFolded
      }
      let output = try model.forward(input)
      var random = SeededGenerator(seed: 41)
      let inputGradient = try model.backward(Tensor.randomNormal(shape: output.shape, using: &random))
      return [output, inputGradient] + model.trainableParameters.map(\.gradient)
    }
    var random = SeededGenerator(seed: 42)
    let noise = Tensor.randomNormal(shape: [3, 100], using: &random)
    let images = Tensor.randomNormal(shape: [3, 1, 64, 64], using: &random)
    let digits = Tensor.randomNormal(shape: [3, 1, 28, 28], using: &random)
    let networks: [(String, () -> Sequential, Tensor)] = [
      ("DCGAN-64 generator", { DCGAN.generator64(width: 16, seed: 43) }, noise),
      ("DCGAN-64 discriminator", { DCGAN.discriminator64(width: 16, seed: 44) }, images),
      ("DCGAN generator", { DCGAN.tutorialGenerator(width: 16, seed: 45) }, noise),
      ("DCGAN discriminator", { DCGAN.tutorialDiscriminator(width: 16, seed: 46) }, digits),
    ]
    for (name, build, input) in networks {
      let fast = try run(build, input: input, tapByTap: true)
      let folded = try run(build, input: input, tapByTap: false)
      for (index, (a, b)) in zip(fast, folded).enumerated() {
        let scale = max(1, b.map { abs($0) }.scalars.max() ?? 0)
        #expect(a.maxAbsoluteDifference(to: b) <= 1e-4 * scale, "\(name): tensor \(index) of output, input gradient, parameter gradients")
      }
    }
  }

  /// Groups of chunks are processed in parallel and their weight-gradient partials added in order,
  /// so one and two threads give identical numbers (7 chunks of one image in 4 groups).
  @Test("The same numbers at one and two threads")
  func threadCountIndependent() throws {
    var random = SeededGenerator(seed: 31)
    let input = Tensor.randomNormal(shape: [7, 16, 7, 7], using: &random)
    func run(threads: Int) throws -> [Tensor] {
      try Threading.withThreadCount(threads) {
        let layer = ConvTranspose2D(inChannels: 16, outChannels: 24, kernelSize: 5, padding: .same, seed: 32)
        layer.formOverride = .tapByTap(imagesPerChunk: 1)
        let output = try layer.forward(input)
        var upstreamRandom = SeededGenerator(seed: 33)
        let inputGradient = try layer.backward(Tensor.randomNormal(shape: output.shape, using: &upstreamRandom))
        return [output, inputGradient, layer.weight.gradient]
      }
    }
    #expect(try run(threads: 1) == run(threads: 2))
  }
}
