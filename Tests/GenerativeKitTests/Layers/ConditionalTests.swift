import GenerativeKitTesting
import Testing

@testable import GenerativeKit

/// The `Conditional` wrapper: the label join, its gradient, and its errors.
@Suite("Conditional layer")
struct ConditionalTests {
  @Test("One-hot columns beside feature vectors: gradients of input and body by finite differences")
  func columnsGradient() throws {
    let layer = Conditional(classes: 3, body: Sequential {
      Dense(inFeatures: 4 + 3, outFeatures: 5, biasInitializer: .normal(std: 0.5), seed: 1)
      Tanh()
      Dense(inFeatures: 5, outFeatures: 2, seed: 2)
    })
    layer.labels = [2, 0, 1]
    try GradCheck.checkLayer(layer, input: GradientCheck.awayFromZero(shape: [3, 4], seed: 3))
    #expect(try layer.outputShape(forInputShape: [3, 4]) == [3, 2])
  }

  @Test("Label planes beside images: gradients of input and body by finite differences")
  func planesGradient() throws {
    let layer = Conditional(classes: 2, body: Sequential {
      Conv2D(inChannels: 1 + 2, outChannels: 2, kernelSize: 3, stride: 2, padding: .same, seed: 4)
      Tanh()
      Flatten()
      Dense(inFeatures: 2 * 3 * 3, outFeatures: 1, seed: 5)
    })
    layer.labels = [1, 0]
    try GradCheck.checkLayer(layer, input: GradientCheck.awayFromZero(shape: [2, 1, 6, 6], seed: 6))
  }

  @Test("The body sees exactly the input with the labels joined; its parameters keep their names")
  func joinAndNames() throws {
    let body = Dense(inFeatures: 2 + 3, outFeatures: 1, bias: false, seed: 7)
    let layer = Conditional(classes: 3, body: body)
    layer.labels = [2]
    let input = Tensor(shape: [1, 2], scalars: [0.5, -1])
    #expect(try layer.join(input) == Tensor(shape: [1, 5], scalars: [0.5, -1, 0, 0, 1]))
    let w = body.weight.value
    let expected = 0.5 * w[flat: 0] - w[flat: 1] + w[flat: 4]
    #expect(abs(try layer.forward(input)[flat: 0] - expected) < 1e-6)
    #expect(layer.namedParameters.map(\.name) == body.namedParameters.map(\.name))
    let planes = try Conditional(classes: 2, body: Flatten()).with(labels: [1]).join(Tensor(shape: [1, 1, 2, 2], repeating: 3))
    #expect(planes.scalars == [3, 3, 3, 3, 0, 0, 0, 0, 1, 1, 1, 1])
  }

  @Test("Wrong label counts, labels out of range, other ranks and backward before forward are errors")
  func errors() throws {
    let layer = Conditional(classes: 2, body: Dense(inFeatures: 3 + 2, outFeatures: 1, seed: 8))
    #expect(throws: GenerativeKitError.self) { try layer.backward(Tensor(shape: [1, 1])) }
    layer.labels = [0, 1]
    #expect(throws: GenerativeKitError.self) { try layer.forward(Tensor(shape: [3, 3])) }  // 2 labels, 3 rows
    layer.labels = [0, 2]
    #expect(throws: GenerativeKitError.self) { try layer.forward(Tensor(shape: [2, 3])) }  // 2 is not a class
    layer.labels = [0, 1, 1]
    #expect(throws: GenerativeKitError.self) { try layer.forward(Tensor(shape: [3, 3, 1])) }  // rank 3
    #expect(try layer.forward(Tensor(shape: [3, 3])).shape == [3, 1])
  }
}

extension Conditional {
  fileprivate func with(labels: [Int]) -> Conditional {
    self.labels = labels
    return self
  }
}
