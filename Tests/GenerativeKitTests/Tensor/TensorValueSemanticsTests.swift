import Testing

@testable import GenerativeKit

@Suite("Tensor: value semantics")
struct TensorValueSemanticsTests {
  @Test("a copy shares storage until one side is written; the other side keeps its values")
  func copyOnWrite() {
    let original = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
    var copy = original
    #expect(copy.storage === original.storage, "copies share their storage until written")
    copy[flat: 4] = -5
    #expect(copy.storage !== original.storage, "the write made copy's storage its own")
    #expect(original.scalars == [1, 2, 3, 4, 5, 6])
    #expect(copy.scalars == [1, 2, 3, 4, -5, 6])

    var reshaped = original.reshaped([3, 2])
    reshaped.withUnsafeMutableBufferPointer { $0[0] = 100 }
    #expect(original[flat: 0] == 1 && reshaped[0, 0] == 100)
  }

  @Test("a tensor written when it holds its storage alone is written in place")
  func uniqueWriteInPlace() {
    var tensor = Tensor(shape: [4], repeating: 0)
    let before = tensor.storage.pointer  // the address only: holding the storage would share it
    tensor[flat: 2] = 7
    #expect(tensor.storage.pointer == before)
    #expect(tensor.scalars == [0, 0, 7, 0])
  }

  @Test("a layer's pooled output that the caller still holds survives the next forward pass",
        arguments: ["Dense", "Conv2D", "ConvTranspose2D", "BatchNorm", "LeakyReLU"])
  func pooledOutputSurvives(layerName: String) throws {
    let layer: any Layer
    let shape: [Int]
    switch layerName {
    case "Dense": (layer, shape) = (Dense(inFeatures: 6, outFeatures: 4, seed: 1), [3, 6])
    case "Conv2D": (layer, shape) = (Conv2D(inChannels: 2, outChannels: 3, kernelSize: 3, stride: 1, padding: .same, seed: 2), [2, 2, 5, 5])
    case "ConvTranspose2D":
      (layer, shape) = (ConvTranspose2D(inChannels: 2, outChannels: 3, kernelSize: 4, stride: 2, padding: .same, seed: 3), [2, 2, 4, 4])
    case "BatchNorm": (layer, shape) = (BatchNorm(features: 2), [4, 2, 3, 3])
    default: (layer, shape) = (LeakyReLU(slope: 0.2), [2, 3, 4])
    }
    var generator = SeededGenerator(seed: 11)
    let first = Tensor.randomNormal(shape: shape, using: &generator)
    let second = Tensor.randomNormal(shape: shape, using: &generator)
    let kept = try layer.forward(first)
    let keptValues = kept.scalars
    let next = try layer.forward(second)
    #expect(kept.scalars == keptValues, "\(layer): the second forward pass wrote into the first output")
    #expect(next.storage !== kept.storage)
    // Once the caller lets go, the pool may reuse the buffer; the values must still be right.
    let third = try layer.forward(first)
    if layerName != "BatchNorm" {  // batch norm in training mode moves its running statistics, not its output
      #expect(third.scalars == keptValues, "\(layer): the same input gave another output")
    }
  }
}
