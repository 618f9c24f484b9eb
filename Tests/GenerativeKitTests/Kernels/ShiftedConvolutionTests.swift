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
    let g = try c.convolution(seed: 1).geometry(height: c.height, width: c.width)
    let reads = Self.windowPairs(from: (g.outHeight, g.outWidth), to: (c.height, c.width), kernel: c.kernel,
                                 stride: c.stride, pad: (g.padTop, g.padLeft))
    let plan = ShiftedConvolution.convolution(g, inChannels: 1, outChannels: 1)
    #expect(Self.coveredProducts(plan) == sorted(reads.map { [$0.tap, $0.a, $0.b] }))
    // ConvTranspose2D: input pixel a reaches output pixel b.
    let t = try c.transposed(seed: 1).geometry(height: c.height, width: c.width)
    let scatters = Self.windowPairs(from: (c.height, c.width), to: (t.height, t.width), kernel: c.kernel,
                                    stride: c.stride, pad: (t.padTop, t.padLeft))
    let transposedPlan = ShiftedConvolution.transposed(t, inChannels: 1, outChannels: 1)
    #expect(Self.coveredProducts(transposedPlan) == sorted(scatters.map { [$0.tap, $0.b, $0.a] }))
  }

  @Test("Whole rows of a tap merge into one run; padding is skipped")
  func runCounts() throws {
    let layer = ConvTranspose2D(inChannels: 16, outChannels: 16, kernelSize: 5, padding: .same)
    let plan = ShiftedConvolution.transposed(try layer.geometry(height: 7, width: 6), inChannels: 1, outChannels: 1)
    // 29 of the 35 (tap, pixel) pairs along the 7 rows are inside, 24 of 30 along the 6 columns.
    #expect(plan.multiplyAddsPerImage == 29 * 24)
    // The 5 taps with dx = 0: one run each; the other 20: one per row inside (5 + 6 + 7 + 6 + 5 per dx).
    #expect(plan.runs.count == 5 + 4 * 29)
  }

  @Test("Chunks follow the batch alone: two or more for two threads from 16 images, 32 at most")
  func chunkSizes() {
    for batch in [1, 7, 8, 15, 16, 31, 32, 48, 63, 64, 100, 128, 256, 1000] {
      let chunk = ShiftedConvolution.imagesPerChunk(batch: batch)
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
  func formChoice() {
    #expect(ShiftedConvolution.suits(inChannels: 256, outChannels: 128, pixels: 49))   // DCGAN g_convT1
    #expect(ShiftedConvolution.suits(inChannels: 32, outChannels: 64, pixels: 49))     // VAE e_conv2
    #expect(!ShiftedConvolution.suits(inChannels: 64, outChannels: 1, pixels: 196))    // one channel
    #expect(!ShiftedConvolution.suits(inChannels: 64, outChannels: 32, pixels: 196))   // VAE v_convT2
    #expect(ShiftedConvolution.suits(inChannels: 128, outChannels: 64, pixels: 256))   // DCGAN-64 g_convT3
    #expect(ShiftedConvolution.suits(inChannels: 64, outChannels: 128, pixels: 256))   // DCGAN-64 d_conv2
    #expect(!ShiftedConvolution.suits(inChannels: 128, outChannels: 128, pixels: 1024))
  }

  @Test("The automatic chunk gives the same outputs and gradients as the same chunk set by hand")
  func automaticChunk() throws {
    var random = SeededGenerator(seed: 21)
    let input = Tensor.randomNormal(shape: [40, 16, 7, 7], using: &random)
    var results: [[Tensor]] = []
    for setting in [ShiftedConvolution.automaticChunk, ShiftedConvolution.imagesPerChunk(batch: 40)] {
      let layer = ConvTranspose2D(inChannels: 16, outChannels: 16, kernelSize: 5, stride: 2, padding: .same, seed: 22)
      layer.tapByTapImagesPerChunk = setting
      let output = try layer.forward(input)
      let inputGradient = try layer.backward(output)
      results.append([output, inputGradient, layer.weight.gradient])
    }
    for (a, b) in zip(results[0], results[1]) { #expect(a.maxAbsoluteDifference(to: b) == 0) }
  }

  @Test("Conv2D forward matches the direct reference", arguments: cases)
  func convolutionForward(_ c: Case) throws {
    let layer = c.convolution(seed: 3)
    layer.tapByTapImagesPerChunk = 2
    var random = SeededGenerator(seed: 4)
    let input = Tensor.randomNormal(shape: [5, c.inChannels, c.height, c.width], using: &random)
    let output = try layer.forward(input)
    let g = try layer.geometry(height: c.height, width: c.width)
    let expected = Reference.conv2d(input: input, weight: layer.weight.value, bias: layer.bias!.value,
                                    stride: (c.stride, c.stride),
                                    padding: (g.padTop, g.padLeft), outputSize: (g.outHeight, g.outWidth))
    #expect(output.shape == expected.shape)
    #expect(output.maxAbsoluteDifference(to: expected) < 1e-4)
  }

  @Test("ConvTranspose2D forward matches the direct reference", arguments: cases)
  func transposedForward(_ c: Case) throws {
    let layer = c.transposed(seed: 5)
    layer.tapByTapImagesPerChunk = 2
    var random = SeededGenerator(seed: 6)
    let input = Tensor.randomNormal(shape: [5, c.inChannels, c.height, c.width], using: &random)
    let output = try layer.forward(input)
    let g = try layer.geometry(height: c.height, width: c.width)
    let expected = Reference.convTranspose2d(
      input: input, weight: layer.weight.value, bias: layer.bias!.value, stride: (c.stride, c.stride),
      padding: (g.padTop, g.padLeft), outputSize: (g.height, g.width))
    #expect(output.shape == expected.shape)
    #expect(output.maxAbsoluteDifference(to: expected) < 1e-4)
  }

  /// Both forms through a fused ReLU derivative, on 5 images in chunks of 2.
  @Test("Backward passes match the im2col form", arguments: cases)
  func backwardMatchesIm2col(_ c: Case) throws {
    var random = SeededGenerator(seed: 11)
    let input = Tensor.randomNormal(shape: [5, c.inChannels, c.height, c.width], using: &random)
    for transposed in [false, true] {
      func run(tapByTap: Bool) throws -> [Tensor] {
        let layer: any Layer
        if transposed {
          let convT = c.transposed(seed: 12)
          convT.tapByTapImagesPerChunk = tapByTap ? 2 : nil
          layer = convT
        } else {
          let conv = c.convolution(seed: 12)
          conv.tapByTapImagesPerChunk = tapByTap ? 2 : nil
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
      let g: ConvGeometry
      if transposed {
        let convT = c.transposed(seed: 15)
        convT.tapByTapImagesPerChunk = 2
        layer = convT
        weight = convT.weight
        bias = try #require(convT.bias)
        g = try convT.geometry(height: c.height, width: c.width)
      } else {
        let conv = c.convolution(seed: 15)
        conv.tapByTapImagesPerChunk = 2
        layer = conv
        weight = conv.weight
        bias = try #require(conv.bias)
        g = try conv.geometry(height: c.height, width: c.width)
      }
      let model = Sequential([ReLU(), layer])
      let output = try model.forward(input)
      let upstream = Tensor.randomNormal(shape: output.shape, using: &random)
      let inputGradient = try model.backward(upstream)
      let expected = transposed
        ? Reference.convTranspose2dBackward(input: activated, weight: weight.value, outputGradient: upstream,
                                           stride: (c.stride, c.stride), padding: (g.padTop, g.padLeft))
        : Reference.conv2dBackward(input: activated, weight: weight.value, outputGradient: upstream,
                                   stride: (c.stride, c.stride), padding: (g.padTop, g.padLeft))
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
    strided.tapByTapImagesPerChunk = 1
    try GradCheck.checkLayer(strided, input: GradientCheck.awayFromZero(shape: [2, 16, 5, 6], seed: 26))
    let stridedT = ConvTranspose2D(inChannels: 16, outChannels: 16, kernelSize: 5, stride: 2, padding: .same, seed: 27)
    stridedT.tapByTapImagesPerChunk = 1
    try GradCheck.checkLayer(stridedT, input: GradientCheck.awayFromZero(shape: [2, 16, 3, 4], seed: 28))
    let conv = Conv2D(inChannels: 16, outChannels: 16, kernelSize: 3, padding: .same,
                      biasInitializer: .normal(std: 0.5), seed: 21)
    conv.tapByTapImagesPerChunk = 1
    try GradCheck.checkLayer(conv, input: GradientCheck.awayFromZero(shape: [2, 16, 5, 4], seed: 22))
    let convT = ConvTranspose2D(inChannels: 16, outChannels: 16, kernelSize: 5, padding: .same,
                                biasInitializer: .normal(std: 0.5), seed: 23)
    convT.tapByTapImagesPerChunk = 1
    try GradCheck.checkLayer(convT, input: GradientCheck.awayFromZero(shape: [2, 16, 4, 5], seed: 24))
  }

  /// Whole networks whose layers take either form: DCGAN-64 (k = 4, stride 2, padding 1 on 4 x 4
  /// to 64 x 64 planes) at width 16, and the report's DCGAN at width 16.
  @Test("DCGAN-64 and the report's DCGAN give the same outputs and gradients in both forms")
  func wholeNetworks() throws {
    func run(_ build: () -> Sequential, input: Tensor, tapByTap: Bool) throws -> [Tensor] {
      let model = build()
      for layer in model.layers {
        (layer as? Conv2D)?.tapByTapImagesPerChunk = tapByTap ? 2 : nil
        (layer as? ConvTranspose2D)?.tapByTapImagesPerChunk = tapByTap ? 2 : nil
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
        layer.tapByTapImagesPerChunk = 1
        let output = try layer.forward(input)
        var upstreamRandom = SeededGenerator(seed: 33)
        let inputGradient = try layer.backward(Tensor.randomNormal(shape: output.shape, using: &upstreamRandom))
        return [output, inputGradient, layer.weight.gradient]
      }
    }
    #expect(try run(threads: 1) == run(threads: 2))
  }
}
