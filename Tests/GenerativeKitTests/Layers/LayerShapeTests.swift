import Testing

@testable import GenerativeKit

/// Output-shape arithmetic against PyTorch's formulas, parameter naming, and the errors bad input gets.
@Suite("Layer shapes and errors")
struct LayerShapeTests {
  @Test("ConvTranspose2D output size follows PyTorch's formula for every stride, padding and output padding up to stride 3")
  func transposeShapeArithmetic() throws {
    for stride in 1...3 {
      for kernel in 1...5 {
        for padding in 0..<kernel {
          for outputPadding in 0..<stride {
            for input in 1...4 {
              let expected = (input - 1) * stride - 2 * padding + kernel + outputPadding
              guard expected > 0 else { continue }
              let layer = ConvTranspose2D(inChannels: 1, outChannels: 1, kernelSize: kernel, stride: stride,
                                          padding: .explicit(padding), outputPadding: outputPadding, seed: 1)
              let shape = try layer.outputShape(forInputShape: [2, 1, input, input + 1])
              let expectedWidth = input * stride - 2 * padding + kernel + outputPadding
              #expect(shape == [2, 1, expected, expectedWidth],
                      "k\(kernel) s\(stride) p\(padding) op\(outputPadding) in \(input)")
              let output = try layer.forward(Tensor(shape: [2, 1, input, input + 1], repeating: 1))
              #expect(output.shape == shape)
            }
          }
        }
      }
    }
  }

  @Test("'same' padding gives Keras's sizes: ceil(H / s) for convolutions, H * s for transposed ones")
  func samePadding() throws {
    for kernel in [1, 3, 5] {
      for stride in 1...3 {
        for input in [7, 14, 28, 5] {
          for padding in [Padding.same, .tensorflowSame] {
            let conv = Conv2D(inChannels: 1, outChannels: 1, kernelSize: kernel, stride: stride, padding: padding, seed: 1)
            let convShape = try conv.outputShape(forInputShape: [1, 1, input, input])
            #expect(convShape[2] == (input + stride - 1) / stride, "conv k\(kernel) s\(stride) \(padding) in \(input)")
            let transpose = ConvTranspose2D(inChannels: 1, outChannels: 1, kernelSize: kernel, stride: stride,
                                            padding: padding, seed: 1)
            let transposeShape = try transpose.outputShape(forInputShape: [1, 1, input, input])
            #expect(transposeShape[2] == input * stride, "convT k\(kernel) s\(stride) \(padding) in \(input)")
          }
        }
      }
    }
  }

  @Test("'same' transposed convolutions map to PyTorch's padding and output_padding")
  func pytorchEquivalentPadding() {
    let cases: [(kernel: Int, stride: Int, padding: Int, outputPadding: Int)] = [(5, 2, 2, 1), (3, 2, 1, 1), (5, 1, 2, 0), (4, 2, 1, 0)]
    for c in cases {
      let layer = ConvTranspose2D(inChannels: 1, outChannels: 1, kernelSize: c.kernel, stride: c.stride, padding: .same, seed: 1)
      let mapped = layer.pytorchPadding
      #expect(mapped?.padding == c.padding && mapped?.outputPadding == c.outputPadding, "k\(c.kernel) s\(c.stride)")
    }
  }

  @Test("Parameters are named as PyTorch's nn.Sequential state_dict")
  func parameterNames() {
    let model = Sequential {
      Dense(inFeatures: 4, outFeatures: 8, bias: false)
      BatchNorm(features: 8)
      LeakyReLU()
      Sequential {
        Dense(inFeatures: 8, outFeatures: 2)
      }
    }
    #expect(model.namedParameters.map(\.name) == [
      "0.weight", "1.weight", "1.bias", "1.running_mean", "1.running_var", "3.0.weight", "3.0.bias",
    ])
    #expect(model.trainableParameters.count == 5)
    #expect(model.parameterCount == 32 + 8 + 8 + 16 + 2)
  }

  @Test("A Conv2D fed the wrong channel count names itself and both shapes")
  func convWrongChannels() throws {
    let model = Sequential {
      Conv2D(inChannels: 1, outChannels: 4, kernelSize: 3, padding: .same)
      ReLU()
      Conv2D(inChannels: 3, outChannels: 4, kernelSize: 3, padding: .same)
    }
    let error = #expect(throws: GenerativeKitError.self) {
      try model.forward(Tensor(shape: [2, 1, 8, 8]))
    }
    let message = error.map { "\($0)" } ?? ""
    #expect(message.contains("layer 2"))
    #expect(message.contains("Conv2D(3 -> 4"))
    #expect(message.contains("[N, 3, N, N]") || message.contains("[N, 3"))
    #expect(message.contains("[2, 4, 8, 8]"))
  }

  @Test("A Dense fed the wrong width names itself and both shapes")
  func denseWrongWidth() throws {
    let layer = Dense(inFeatures: 6272, outFeatures: 1)
    let error = #expect(throws: GenerativeKitError.self) { try layer.forward(Tensor(shape: [4, 6000])) }
    let message = error.map { "\($0)" } ?? ""
    #expect(message.contains("Dense(6272 -> 1)") && message.contains("[N, 6272]") && message.contains("[4, 6000]"))
  }

  @Test("Backward before forward, a wrong gradient shape and a too-small image are errors, not crashes")
  func misuseErrors() throws {
    let conv = Conv2D(inChannels: 1, outChannels: 1, kernelSize: 5)
    #expect(throws: GenerativeKitError.backwardBeforeForward(layer: conv.description)) {
      try conv.backward(Tensor(shape: [1, 1, 1, 1]))
    }
    #expect(throws: GenerativeKitError.self) { try conv.forward(Tensor(shape: [1, 1, 3, 3])) }
    let output = try conv.forward(Tensor(shape: [1, 1, 6, 6]))
    #expect(output.shape == [1, 1, 2, 2])
    #expect(throws: GenerativeKitError.self) { try conv.backward(Tensor(shape: [1, 1, 3, 3])) }
    let reshape = Reshape([256, 7, 7])
    #expect(throws: GenerativeKitError.self) { try reshape.forward(Tensor(shape: [2, 100])) }
    let norm = BatchNorm(features: 3)
    #expect(throws: GenerativeKitError.self) { try norm.forward(Tensor(shape: [2, 4, 5, 5])) }
  }

  @Test("Inference mode uses running statistics, and dropout becomes the identity")
  func inferenceMode() throws {
    let norm = BatchNorm(features: 2, momentum: 1, epsilon: 1e-5, unbiasedRunningVariance: false)  // running = last batch
    let batch = Tensor(shape: [4, 2], scalars: [1, 10, 3, 20, 5, 30, 7, 40])
    _ = try norm.forward(batch)
    #expect(norm.runningMean.value.isApproximatelyEqual(to: Tensor(shape: [2], scalars: [4, 25])))
    #expect(norm.runningVariance.value.isApproximatelyEqual(to: Tensor(shape: [2], scalars: [5, 125])))
    norm.eval()
    let y = try norm.forward(Tensor(shape: [1, 2], scalars: [4, 25 + Float(125).squareRoot()]))
    #expect(y.isApproximatelyEqual(to: Tensor(shape: [1, 2], scalars: [0, 1]), absoluteTolerance: 1e-4))

    let pytorchStyle = BatchNorm.pytorch(features: 1)
    _ = try pytorchStyle.forward(Tensor(shape: [4, 1], scalars: [1, 3, 5, 7]))
    // running_var = 0.9 * 1 + 0.1 * unbiased variance (20 / 3)
    #expect(abs(pytorchStyle.runningVariance.value[0] - (0.9 + 0.1 * 20 / 3)) < 1e-5)
    #expect(BatchNorm(features: 1).momentum == pytorchStyle.momentum)

    // Keras's momentum weighs the old statistics: 0.9 * running + 0.1 * batch, biased variance (5).
    let kerasStyle = BatchNorm.keras(features: 1, momentum: 0.9)
    _ = try kerasStyle.forward(Tensor(shape: [4, 1], scalars: [1, 3, 5, 7]))
    #expect(abs(kerasStyle.runningMean.value[0] - 0.1 * 4) < 1e-6)
    #expect(abs(kerasStyle.runningVariance.value[0] - (0.9 + 0.1 * 5)) < 1e-6)

    let dropout = Dropout(rate: 0.5, seed: 1)
    dropout.eval()
    let x = Tensor(shape: [3, 3], repeating: 2)
    #expect(try dropout.forward(x) == x)
    dropout.train()
    let dropped = try dropout.forward(Tensor(shape: [1000], repeating: 1).reshaped([10, 100]))
    let zeros = dropped.scalars.filter { $0 == 0 }.count
    #expect((400...600).contains(zeros))
    #expect(dropped.scalars.allSatisfy { $0 == 0 || $0 == 2 })
  }
}
