import GenerativeKitTesting
import Testing

@testable import GenerativeKit

/// ConvTranspose2D's per-image path (large input planes) against finite differences and the
/// batch-folded path (its forward pass is checked against the direct reference in KernelReferenceTests).
@Suite("ConvTranspose2D image by image")
struct PerImageConvTransposeTests {
  @Test("Finite differences agree with the per-image backward", arguments: LayerGradientTests.transposeCases)
  func gradients(_ c: LayerGradientTests.ConvCase, outputPadding: Int) throws {
    let layer = ConvTranspose2D(
      inChannels: c.inChannels, outChannels: c.outChannels, kernelSize: c.kernel, stride: c.stride,
      padding: c.padding, outputPadding: outputPadding, biasInitializer: .normal(std: 0.5), seed: 7)
    // Both column layouts of the forward pass: channel-major (few output channels) and pixel-major.
    for columns in [TransposedConvolutionForm.ColumnLayout.channelMajor, .pixelMajor] {
      layer.formOverride = .perImage(columns: columns)
      try GradCheck.checkLayer(layer, input: GradientCheck.awayFromZero(shape: [c.batch, c.inChannels, c.height, c.width], seed: 8))
    }
  }

  /// Both paths on 19 images (three gradient blocks), through a fused ReLU, at 1 and 2 threads.
  @Test("Per-image and batch-folded passes agree; the per-image pass is the same at any thread count")
  func matchesFolded() throws {
    var random = SeededGenerator(seed: 9)
    let input = Tensor.randomNormal(shape: [19, 3, 6, 5], using: &random)
    let upstream = Tensor.randomNormal(shape: [19, 2, 12, 10], using: &random)
    func run(perImage: Bool, threads: Int, channelMajor: Bool = true) throws -> (Tensor, Tensor, Tensor, Tensor) {
      try Threading.withThreadCount(threads) {
        let layer = ConvTranspose2D(inChannels: 3, outChannels: 2, kernelSize: 3, stride: 2, padding: .same, seed: 10)
        layer.formOverride = perImage ? .perImage(columns: channelMajor ? .channelMajor : .pixelMajor) : .batchFolded
        let model = Sequential([ReLU(), layer])
        let y = try model.forward(input)
        let dx = try model.backward(upstream)
        return (y, dx, layer.weight.gradient, layer.bias!.gradient)
      }
    }
    let folded = try run(perImage: false, threads: 2)
    let one = try run(perImage: true, threads: 1)
    let two = try run(perImage: true, threads: 2)
    #expect(one.0 == two.0 && one.1 == two.1 && one.2 == two.2 && one.3 == two.3)
    #expect(one.0.maxAbsoluteDifference(to: folded.0) < 1e-5)
    #expect(one.1.maxAbsoluteDifference(to: folded.1) < 1e-5)
    #expect(one.2.maxAbsoluteDifference(to: folded.2) < 1e-3)
    #expect(one.3 == folded.3)
    let pixelMajor = try run(perImage: true, threads: 2, channelMajor: false)
    #expect(pixelMajor.0.maxAbsoluteDifference(to: folded.0) < 1e-5)
    #expect(pixelMajor.1 == two.1 && pixelMajor.2 == two.2)
  }
}
