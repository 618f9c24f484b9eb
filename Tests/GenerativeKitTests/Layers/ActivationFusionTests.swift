import Foundation
import Testing

@_spi(Benchmarks) @testable import GenerativeKit

/// A Sequential applies ReLU's and LeakyReLU's derivative inside the following convolution's
/// backward pass; these tests hold it bit for bit to the unfused, layer-by-layer result, whose
/// every layer has its own finite-difference check (LayerGradientTests). A finite-difference check
/// of the stack itself is not used: with thousands of pre-activations, some always sit within a
/// step of a ReLU kink.
@Suite("Activations fused into the next convolution's backward")
struct ActivationFusionTests {
  static func model(seed: UInt64) -> Sequential {
    Sequential {
      Conv2D(inChannels: 2, outChannels: 4, kernelSize: 3, stride: 2, padding: .same, seed: seed)
      ReLU()
      Conv2D(inChannels: 4, outChannels: 3, kernelSize: 3, stride: 1, padding: .same, seed: seed + 1)
      LeakyReLU(slope: 0.2)
      ConvTranspose2D(inChannels: 3, outChannels: 2, kernelSize: 3, stride: 2, padding: .same, seed: seed + 2)
      LeakyReLU(slope: 0)  // slope 0 cannot be read off the output: not fused
      ConvTranspose2D(inChannels: 2, outChannels: 1, kernelSize: 3, stride: 1, padding: .same, seed: seed + 3)
    }
  }

  @Test("Sequential's fused backward equals the layer-by-layer backward bit for bit, across batch chunks")
  func equalsUnfused() throws {
    try ConvolutionChunking.withMaximumColumnElements(200) { try checkEqualsUnfused() }  // several chunks per layer
  }

  private func checkEqualsUnfused() throws {
    var random = SeededGenerator(seed: 5)
    let input = Tensor.randomNormal(shape: [5, 2, 8, 8], using: &random)
    let upstream = Tensor.randomNormal(shape: [5, 1, 8, 8], using: &random)

    let fused = Self.model(seed: 10)
    _ = try fused.forward(input)
    let fusedGradient = try fused.backward(upstream)

    let plain = Self.model(seed: 10)
    _ = try plain.forward(input)
    var gradient = upstream
    for layer in plain.layers.reversed() { gradient = try layer.backward(gradient) }

    #expect(fusedGradient.shape == gradient.shape)
    #expect(fusedGradient.maxAbsoluteDifference(to: gradient) == 0)
    for (a, b) in zip(fused.trainableParameters, plain.trainableParameters) {
      #expect(a.gradient.maxAbsoluteDifference(to: b.gradient) == 0)
    }
    #expect(ReLU().fusedDerivative == .relu)
    #expect(LeakyReLU(slope: 0.3).fusedDerivative == .leakyReLU(slope: 0.3))
    #expect(LeakyReLU(slope: 0).fusedDerivative == nil)
  }

  @Test("Parameter-only backward stops below a fused pair")
  func parametersOnly() throws {
    var random = SeededGenerator(seed: 6)
    let input = Tensor.randomNormal(shape: [3, 2, 8, 8], using: &random)
    let upstream = Tensor.randomNormal(shape: [3, 1, 8, 8], using: &random)
    let full = Self.model(seed: 30)
    _ = try full.forward(input)
    _ = try full.backward(upstream)
    let partial = Self.model(seed: 30)
    _ = try partial.forward(input)
    try partial.backwardParametersOnly(upstream)
    for (a, b) in zip(full.trainableParameters, partial.trainableParameters) {
      #expect(a.gradient.maxAbsoluteDifference(to: b.gradient) == 0)
    }
  }
}

/// `releaseBackwardState` lets the next forward pass reuse the activations' memory.
@Suite("Releasing backward state")
struct ReleaseBackwardStateTests {
  func step(_ model: Sequential, _ input: Tensor, _ upstream: Tensor, release: Bool) throws -> Int {
    try TensorAllocations.measure {
      _ = try model.forward(input)
      _ = try model.backward(upstream)
      if release { model.releaseBackwardState() }
    }.count
  }

  @Test("After a release, backward is an error until the next forward, and steady steps allocate nothing")
  func release() throws {
    var random = SeededGenerator(seed: 7)
    let input = Tensor.randomNormal(shape: [4, 2, 8, 8], using: &random)
    let upstream = Tensor.randomNormal(shape: [4, 1, 8, 8], using: &random)

    let model = ActivationFusionTests.model(seed: 40)
    _ = try step(model, input, upstream, release: true)
    #expect(try step(model, input, upstream, release: true) == 0, "the second step reuses the first one's buffers")
    #expect(throws: GenerativeKitError.self) { try model.backward(upstream) }

    // Without the release, every layer's previous output is still cached by its successor, so the
    // second step needs a second set of buffers.
    let keeping = ActivationFusionTests.model(seed: 40)
    _ = try step(keeping, input, upstream, release: false)
    #expect(try step(keeping, input, upstream, release: false) > 0)
    #expect(try step(keeping, input, upstream, release: false) == 0)
  }

  @Test("Convolution scratch is shared by layers on one thread and separate between threads")
  func scratchPerThread() throws {
    let here = ObjectIdentifier(ConvolutionScratch.current)
    #expect(ObjectIdentifier(ConvolutionScratch.current) == here)
    final class Box: @unchecked Sendable { var identifier: ObjectIdentifier? }
    let there = Box()
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
      there.identifier = ObjectIdentifier(ConvolutionScratch.current)
      done.signal()
    }
    thread.start()
    done.wait()
    #expect(there.identifier != nil && there.identifier != here)

    let model = ActivationFusionTests.model(seed: 50)
    _ = try model.forward(Tensor(shape: [3, 2, 8, 8]))
    // The largest column matrix among the four layers: the second's, 4 * 3 * 3 rows x 3 * 16 pixels.
    #expect(ConvolutionScratch.current.columns.capacity >= 4 * 9 * 3 * 16)
  }
}
