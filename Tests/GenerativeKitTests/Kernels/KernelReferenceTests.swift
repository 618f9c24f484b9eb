import Foundation
import Testing

@_spi(Benchmarks) @testable import GenerativeKit

/// Every fast kernel against its naive reference (Reference.swift, beside this file).
@Suite("Kernels against references")
struct KernelReferenceTests {
  private static func random(_ count: Int, _ generator: inout SeededGenerator) -> [Float] {
    (0..<count).map { _ in generator.nextUniform() * 2 - 1 }
  }

  @Test("sgemm matches the reference for every transpose combination and odd sizes")
  func sgemm() {
    var generator = SeededGenerator(seed: 1)
    for (m, n, k) in [(1, 1, 1), (3, 5, 7), (17, 1, 9), (8, 13, 1), (33, 31, 29)] {
      for transposeA in [false, true] {
        for transposeB in [false, true] {
          let a = Self.random(m * k, &generator)
          let b = Self.random(k * n, &generator)
          var expected = Self.random(m * n, &generator)
          var actual = expected
          Reference.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.7,
                         a: a, b: b, beta: 0.3, c: &expected)
          a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
              actual.withUnsafeMutableBufferPointer { c in
                BLAS.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.7,
                           a: a.baseAddress!, b: b.baseAddress!, beta: 0.3, c: c.baseAddress!)
              }
            }
          }
          let worst = zip(expected, actual).map { abs($0 - $1) }.max()!
          #expect(worst < 1e-4, "sgemm m\(m) n\(n) k\(k) tA \(transposeA) tB \(transposeB): max diff \(worst)")
        }
      }
    }
  }

  @Test("BatchNorm's per-channel sums match straight sums, for planes with and without a vector remainder",
        arguments: [1, 8, 12, 49, 196])
  func channelSumsMatchStraightSums(plane: Int) {
    var generator = SeededGenerator(seed: 31)
    let (batch, channels) = (3, 5)
    let a = Self.random(batch * channels * plane, &generator)
    let b = Self.random(batch * channels * plane, &generator)
    let shifts: [Float] = [0.1, -0.2, 0.3, 0, 1]
    let scales: [Float] = [2, 0.5, 1, 3, 0.25]
    for normalize in [false, true] {
      let (sums, products) = shifts.withUnsafeBufferPointer { shift in
        scales.withUnsafeBufferPointer { scale in
          channelSums(a, b, batch: batch, channels: channels, plane: plane,
                      normalizing: normalize ? (shift.baseAddress!, scale.baseAddress!) : nil)
        }
      }
      for c in 0..<channels {
        var (total, product) = (0.0, 0.0)
        for n in 0..<batch {
          for i in 0..<plane {
            let index = (n * channels + c) * plane + i
            let other = normalize ? (b[index] + shifts[c]) * scales[c] : b[index]
            total += Double(a[index])
            product += Double(a[index]) * Double(other)
          }
        }
        #expect(abs(sums[c] - total) < 1e-9, "plane \(plane) channel \(c): \(sums[c]) vs \(total)")
        #expect(abs(products[c] - product) < 1e-9, "plane \(plane) channel \(c): \(products[c]) vs \(product)")
      }
    }
  }

  @Test("sgemm split over threads matches the reference, cut along rows or columns, with leading dimensions")
  func partitionedSgemm() {
    var generator = SeededGenerator(seed: 3)
    // Large enough to be split (GEMMPartition.minimumMultiplyAdds); the first cuts C's rows, the second its columns.
    for (m, n, k) in [(130, 90, 100), (40, 301, 90)] {
      #expect(GEMMPartition.parts(m: m, n: n, k: k, threads: 3) == 3)
      for transposeA in [false, true] {
        for transposeB in [false, true] {
          // Stored with one spare column each, so every leading dimension differs from the tight one.
          let (aRows, aColumns) = transposeA ? (k, m) : (m, k)
          let (bRows, bColumns) = transposeB ? (n, k) : (k, n)
          let a = Self.random(aRows * (aColumns + 1), &generator)
          let b = Self.random(bRows * (bColumns + 1), &generator)
          let c = Self.random(m * (n + 1), &generator)
          let tightA = (0..<aRows).flatMap { row in a[(row * (aColumns + 1))..<(row * (aColumns + 1) + aColumns)] }
          let tightB = (0..<bRows).flatMap { row in b[(row * (bColumns + 1))..<(row * (bColumns + 1) + bColumns)] }
          var expected = (0..<m).flatMap { row in c[(row * (n + 1))..<(row * (n + 1) + n)] }
          Reference.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.7,
                         a: tightA, b: tightB, beta: 0.3, c: &expected)
          for threads in [1, 2, 3] {
            var actual = c
            a.withUnsafeBufferPointer { a in
              b.withUnsafeBufferPointer { b in
                actual.withUnsafeMutableBufferPointer { out in
                  Threading.withThreadCount(threads) {
                    BLAS.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.7,
                               a: a.baseAddress!, lda: aColumns + 1, b: b.baseAddress!, ldb: bColumns + 1,
                               beta: 0.3, c: out.baseAddress!, ldc: n + 1)
                  }
                }
              }
            }
            var worst: Float = 0
            for row in 0..<m {
              for column in 0..<n { worst = max(worst, abs(actual[row * (n + 1) + column] - expected[row * n + column])) }
              // The spare column of C is outside the product and must be untouched.
              #expect(actual[row * (n + 1) + n] == c[row * (n + 1) + n])
            }
            #expect(worst < 1e-3, "sgemm m\(m) n\(n) k\(k) tA \(transposeA) tB \(transposeB), \(threads) threads: max diff \(worst)")
          }
        }
      }
    }
  }

  /// Tests run in parallel; a thread count or column budget set for one must not reach another.
  @Test("Thread-count and column-budget overrides hold for the calling thread only, nest, and end with their closure")
  func scopedOverrides() {
    let global = Threading.threadCount
    Threading.withThreadCount(global + 3) {
      #expect(Threading.threadCount == global + 3)
      Threading.withThreadCount(1) { #expect(Threading.threadCount == 1) }
      #expect(Threading.threadCount == global + 3)
      final class Seen: @unchecked Sendable { var count = 0 }
      let seen = Seen()
      let other = Thread { seen.count = Threading.threadCount }
      other.start()
      while !other.isFinished { usleep(1_000) }
      #expect(seen.count == global)
    }
    #expect(Threading.threadCount == global)
    let images = ConvolutionChunking.withMaximumColumnElements(100) {
      ConvolutionChunking.imagesPerChunk(batch: 64, rows: 10, columnsPerImage: 5)
    }
    #expect(images == 2)
    #expect(ConvolutionChunking.imagesPerChunk(batch: 64, rows: 10, columnsPerImage: 5) == 64)
  }

  /// The tap-by-tap kernels time their parts inside parallel loops; concurrent updates once
  /// crashed `gk-bench --profile`.
  @Test("KernelProfile accumulates times measured on several threads at once")
  func profileFromThreads() {
    KernelProfile.isEnabled = true
    defer { KernelProfile.isEnabled = false }
    let kind = "test-\(UInt64.random(in: 0..<UInt64.max))"
    DispatchQueue.concurrentPerform(iterations: 8) { _ in
      for _ in 0..<2_000 { _ = KernelProfile.measure(kind) { usleep(0) } }
    }
    // Every one of the 16,000 measurements is counted: none lost to a concurrent update.
    #expect(KernelProfile.calls[kind] == 16_000)
    #expect(KernelProfile.seconds[kind] != nil)
  }

  @Test("GEMM partitions are aligned, contiguous and cover every row", arguments: [1, 15, 16, 17, 100, 1000])
  func gemmPartitionRanges(extent: Int) {
    for parts in 1...4 {
      let ranges = (0..<parts).map { GEMMPartition.range($0, of: parts, extent: extent) }
      #expect(ranges.first!.lowerBound == 0 && ranges.last!.upperBound == extent)
      for (left, right) in zip(ranges, ranges.dropFirst()) { #expect(left.upperBound == right.lowerBound) }
      for range in ranges.dropLast() { #expect(range.upperBound % GEMMPartition.alignment == 0 || range.isEmpty) }
    }
    #expect(GEMMPartition.parts(m: 8, n: 8, k: 8, threads: 4) == 1, "small products stay on one thread")
  }

  static let geometries: [ConvGeometry] = [
    // channels, input height and width, kh, kw, strideY, strideX, padTop, padLeft, output height and width
    ConvGeometry(channels: 2, inputHeight: 5, inputWidth: 6, kernelHeight: 3, kernelWidth: 3, strideY: 1, strideX: 1,
                 padTop: 1, padLeft: 1, outputHeight: 5, outputWidth: 6),
    ConvGeometry(channels: 1, inputHeight: 7, inputWidth: 7, kernelHeight: 1, kernelWidth: 1, strideY: 1, strideX: 1,
                 padTop: 0, padLeft: 0, outputHeight: 7, outputWidth: 7),
    ConvGeometry(channels: 3, inputHeight: 9, inputWidth: 8, kernelHeight: 2, kernelWidth: 2, strideY: 3, strideX: 3,
                 padTop: 0, padLeft: 0, outputHeight: 3, outputWidth: 3),
    ConvGeometry(channels: 2, inputHeight: 8, inputWidth: 8, kernelHeight: 5, kernelWidth: 5, strideY: 2, strideX: 2,
                 padTop: 1, padLeft: 1, outputHeight: 4, outputWidth: 4),
    ConvGeometry(channels: 2, inputHeight: 6, inputWidth: 5, kernelHeight: 3, kernelWidth: 4, strideY: 2, strideX: 1,
                 padTop: 2, padLeft: 0, outputHeight: 4, outputWidth: 3),
    ConvGeometry(channels: 1, inputHeight: 3, inputWidth: 3, kernelHeight: 5, kernelWidth: 5, strideY: 1, strideX: 1,
                 padTop: 2, padLeft: 2, outputHeight: 3, outputWidth: 3),
  ]

  @Test("im2col and col2im match their definitions", arguments: geometries, [1, 3, 17])
  func im2colAndCol2im(geometry g: ConvGeometry, batch: Int) {
    var generator = SeededGenerator(seed: 2)
    let images = Self.random(batch * g.channels * g.inputPixels, &generator)
    let columns = Self.random(g.patchSize * batch * g.outputPixels, &generator)
    var fastColumns = [Float](repeating: .nan, count: columns.count)
    images.withUnsafeBufferPointer { src in
      fastColumns.withUnsafeMutableBufferPointer { im2col(src.baseAddress!, batch: batch, geometry: g, into: $0.baseAddress!) }
    }
    #expect(fastColumns == Reference.im2col(images, batch: batch, geometry: g))

    var fastImages = [Float](repeating: .nan, count: images.count)
    columns.withUnsafeBufferPointer { src in
      fastImages.withUnsafeMutableBufferPointer {
        col2im(src.baseAddress!, batch: batch, geometry: g, into: $0.baseAddress!, accumulate: false)
      }
    }
    let expected = Reference.col2im(columns, batch: batch, geometry: g)
    let worst = zip(fastImages, expected).map { abs($0 - $1) }.max()!
    #expect(worst < 1e-5, "col2im max diff \(worst)")
  }

  struct ConvCase: Sendable, CustomTestStringConvertible {
    var batch, inChannels, outChannels, kernel, stride, height, width: Int
    var padding: Padding
    var outputPadding = 0
    var testDescription: String {
      "N\(batch) \(inChannels)->\(outChannels) k\(kernel) s\(stride) \(height)x\(width) pad \(padding) op \(outputPadding)"
    }
  }

  static let convCases: [ConvCase] = [
    ConvCase(batch: 1, inChannels: 1, outChannels: 1, kernel: 1, stride: 1, height: 1, width: 1, padding: .valid),
    ConvCase(batch: 2, inChannels: 3, outChannels: 4, kernel: 3, stride: 1, height: 7, width: 5, padding: .same),
    ConvCase(batch: 3, inChannels: 2, outChannels: 5, kernel: 5, stride: 2, height: 9, width: 9, padding: .same),
    ConvCase(batch: 1, inChannels: 4, outChannels: 2, kernel: 2, stride: 3, height: 8, width: 7, padding: .valid),
    ConvCase(batch: 2, inChannels: 2, outChannels: 3, kernel: 1, stride: 2, height: 5, width: 6, padding: .valid),
    ConvCase(batch: 2, inChannels: 2, outChannels: 2, kernel: 5, stride: 2, height: 8, width: 8, padding: .tensorflowSame),
    ConvCase(batch: 2, inChannels: 2, outChannels: 2, kernel: 4, stride: 2, height: 6, width: 6, padding: .explicit(1),
             outputPadding: 1),
  ]

  @Test("Conv2D forward equals the direct convolution", arguments: convCases)
  func convolution(_ c: ConvCase) throws {
    var generator = SeededGenerator(seed: 3)
    let layer = Conv2D(inChannels: c.inChannels, outChannels: c.outChannels, kernelSize: c.kernel, stride: c.stride,
                       padding: c.padding, biasInitializer: .normal(std: 1), seed: 4)
    let input = Tensor.randomNormal(shape: [c.batch, c.inChannels, c.height, c.width], using: &generator)
    let output = try layer.forward(input)
    let g = try layer.geometry(inputHeight: c.height, inputWidth: c.width)
    let expected = Reference.conv2d(input: input, weight: layer.weight.value, bias: layer.bias?.value,
                                    stride: (c.stride, c.stride), padding: (g.padTop, g.padLeft),
                                    outputSize: (g.outputHeight, g.outputWidth))
    #expect(output.shape == expected.shape)
    #expect(output.maxAbsoluteDifference(to: expected) < 1e-4)
  }

  /// The GEMM forms of ConvTranspose2D (the tap-by-tap form is checked in ShiftedConvolutionTests).
  static let transposedForms: [TransposedConvolutionForm] = [
    .batchFolded, .perImage(columns: .pixelMajor), .perImage(columns: .channelMajor),
  ]

  @Test("ConvTranspose2D forward equals the direct scatter, batch-folded or image by image",
        arguments: convCases, transposedForms)
  func transposedConvolution(_ c: ConvCase, form: TransposedConvolutionForm) throws {
    var generator = SeededGenerator(seed: 5)
    let layer = ConvTranspose2D(inChannels: c.inChannels, outChannels: c.outChannels, kernelSize: c.kernel,
                                stride: c.stride, padding: c.padding, outputPadding: c.outputPadding,
                                biasInitializer: .normal(std: 1), seed: 6)
    layer.formOverride = form
    let input = Tensor.randomNormal(shape: [c.batch, c.inChannels, c.height, c.width], using: &generator)
    let output = try layer.forward(input)
    let g = try layer.geometry(inputHeight: c.height, inputWidth: c.width)
    let expected = Reference.convTranspose2d(input: input, weight: layer.weight.value, bias: layer.bias?.value,
                                             stride: (c.stride, c.stride), padding: (g.padTop, g.padLeft),
                                             outputSize: (g.outputHeight, g.outputWidth))
    #expect(output.shape == expected.shape)
    #expect(output.maxAbsoluteDifference(to: expected) < 1e-4)
  }

  /// The largest absolute difference over the reference's largest magnitude (at least 1): Float
  /// sums of many products against Double ones.
  static func scaledDifference(_ fast: Tensor, _ reference: Tensor) -> Float {
    let scale = max(1, reference.maxAbsoluteDifference(to: Tensor(shape: reference.shape)))
    return fast.maxAbsoluteDifference(to: reference) / scale
  }

  @Test("Conv2D backward equals the chain rule on the direct convolution", arguments: convCases)
  func convolutionBackward(_ c: ConvCase) throws {
    var generator = SeededGenerator(seed: 7)
    let layer = Conv2D(inChannels: c.inChannels, outChannels: c.outChannels, kernelSize: c.kernel, stride: c.stride,
                       padding: c.padding, biasInitializer: .normal(std: 1), seed: 8)
    let input = Tensor.randomNormal(shape: [c.batch, c.inChannels, c.height, c.width], using: &generator)
    let output = try layer.forward(input)
    let upstream = Tensor.randomNormal(shape: output.shape, using: &generator)
    let inputGradient = try layer.backward(upstream)
    let g = try layer.geometry(inputHeight: c.height, inputWidth: c.width)
    let expected = Reference.conv2dBackward(input: input, weight: layer.weight.value, outputGradient: upstream,
                                            stride: (c.stride, c.stride), padding: (g.padTop, g.padLeft))
    #expect(Self.scaledDifference(inputGradient, expected.input) < 1e-5, "input gradient")
    #expect(Self.scaledDifference(layer.weight.gradient, expected.weight) < 1e-5, "weight gradient")
    #expect(Self.scaledDifference(try #require(layer.bias).gradient, expected.bias) < 1e-5, "bias gradient")
  }

  @Test("ConvTranspose2D backward equals the chain rule on the direct scatter, batch-folded or image by image",
        arguments: convCases, transposedForms)
  func transposedConvolutionBackward(_ c: ConvCase, form: TransposedConvolutionForm) throws {
    var generator = SeededGenerator(seed: 9)
    let layer = ConvTranspose2D(inChannels: c.inChannels, outChannels: c.outChannels, kernelSize: c.kernel,
                                stride: c.stride, padding: c.padding, outputPadding: c.outputPadding,
                                biasInitializer: .normal(std: 1), seed: 10)
    layer.formOverride = form
    let input = Tensor.randomNormal(shape: [c.batch, c.inChannels, c.height, c.width], using: &generator)
    let output = try layer.forward(input)
    let upstream = Tensor.randomNormal(shape: output.shape, using: &generator)
    let inputGradient = try layer.backward(upstream)
    let g = try layer.geometry(inputHeight: c.height, inputWidth: c.width)
    let expected = Reference.convTranspose2dBackward(
      input: input, weight: layer.weight.value, outputGradient: upstream, stride: (c.stride, c.stride),
      padding: (g.padTop, g.padLeft))
    #expect(Self.scaledDifference(inputGradient, expected.input) < 1e-5, "input gradient")
    #expect(Self.scaledDifference(layer.weight.gradient, expected.weight) < 1e-5, "weight gradient")
    #expect(Self.scaledDifference(try #require(layer.bias).gradient, expected.bias) < 1e-5, "bias gradient")
  }

  @Test("Results do not depend on the thread count or on batch chunking")
  func threadAndChunkIndependence() throws {
    var generator = SeededGenerator(seed: 7)
    let input = Tensor.randomNormal(shape: [6, 3, 10, 10], using: &generator)
    func run() throws -> (Tensor, Tensor, Tensor) {
      let layer = Conv2D(inChannels: 3, outChannels: 8, kernelSize: 3, stride: 2, padding: .same, seed: 8)
      let y = try layer.forward(input)
      let dx = try layer.backward(y)
      return (y, dx, layer.weight.gradient)
    }
    let single = try Threading.withThreadCount(1) { try run() }
    let chunked = try Threading.withThreadCount(2) {
      try ConvolutionChunking.withMaximumColumnElements(27 * 25 * 2) { try run() }  // two images per chunk
    }
    #expect(single.0.maxAbsoluteDifference(to: chunked.0) < 1e-5)
    #expect(single.1.maxAbsoluteDifference(to: chunked.1) < 1e-5)
    #expect(single.2.maxAbsoluteDifference(to: chunked.2) < 1e-4)
  }
}
