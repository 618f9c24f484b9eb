import GenerativeKitTesting
import Testing

@testable import GenerativeKit

/// `Conditional`: the label join, its gradient, and its errors.
@Suite("Conditional networks")
struct ConditionalTests {
  @Test("One-hot columns beside feature vectors: gradients of input and body by finite differences")
  func columnsGradient() throws {
    let network = Conditional(classes: 3, body: Sequential {
      Dense(inFeatures: 4 + 3, outFeatures: 5, biasInitializer: .normal(std: 0.5), seed: 1)
      Tanh()
      Dense(inFeatures: 5, outFeatures: 2, seed: 2)
    })
    try GradCheck.checkLayer(WithLabels(network, [2, 0, 1]), input: GradientCheck.awayFromZero(shape: [3, 4], seed: 3))
    #expect(try network.outputShape(forInputShape: [3, 4]) == [3, 2])
  }

  @Test("Label planes beside images: gradients of input and body by finite differences")
  func planesGradient() throws {
    let network = Conditional(classes: 2, body: Sequential {
      Conv2D(inChannels: 1 + 2, outChannels: 2, kernelSize: 3, stride: 2, padding: .same, seed: 4)
      Tanh()
      Flatten()
      Dense(inFeatures: 2 * 3 * 3, outFeatures: 1, seed: 5)
    })
    try GradCheck.checkLayer(WithLabels(network, [1, 0]), input: GradientCheck.awayFromZero(shape: [2, 1, 6, 6], seed: 6))
  }

  @Test("The body sees exactly the input with the labels joined; without classes the input passes unchanged")
  func join() throws {
    let body = Dense(inFeatures: 2 + 3, outFeatures: 1, bias: false, seed: 7)
    let network = Conditional(classes: 3, body: body)
    let input = Tensor(shape: [1, 2], scalars: [0.5, -1])
    #expect(try network.join(input, labels: [2]) == Tensor(shape: [1, 5], scalars: [0.5, -1, 0, 0, 1]))
    let w = body.weight.value
    let expected = 0.5 * w[flat: 0] - w[flat: 1] + w[flat: 4]
    #expect(abs(try network.forward(input, labels: [2])[flat: 0] - expected) < 1e-6)
    let planes = try Conditional(classes: 2, body: Flatten()).join(Tensor(shape: [1, 1, 2, 2], repeating: 3), labels: [1])
    #expect(planes.scalars == [3, 3, 3, 3, 0, 0, 0, 0, 1, 1, 1, 1])
    let unconditional = Conditional(classes: nil, body: Flatten())
    #expect(try unconditional.join(input, labels: nil) == input)
    #expect(try unconditional.forward(input, labels: nil) == input)
  }

  @Test("Missing labels, wrong label counts, labels out of range, labels for no classes and other ranks are errors")
  func errors() throws {
    let network = Conditional(classes: 2, body: Dense(inFeatures: 3 + 2, outFeatures: 1, seed: 8))
    #expect(throws: GenerativeKitError.self) { try network.forward(Tensor(shape: [2, 3]), labels: nil) }
    #expect(throws: GenerativeKitError.self) { try network.forward(Tensor(shape: [3, 3]), labels: [0, 1]) }  // 2 labels, 3 rows
    #expect(throws: GenerativeKitError.self) { try network.forward(Tensor(shape: [2, 3]), labels: [0, 2]) }  // 2 is not a class
    #expect(throws: GenerativeKitError.self) { try network.forward(Tensor(shape: [3, 3, 1]), labels: [0, 1, 1]) }  // rank 3
    #expect(throws: GenerativeKitError.self) {
      try Conditional(classes: nil, body: Flatten()).forward(Tensor(shape: [1, 3]), labels: [0])
    }
    #expect(try network.forward(Tensor(shape: [3, 3]), labels: [0, 1, 1]).shape == [3, 1])
  }
}

/// A conditional network with fixed labels as a ``Layer``, for the gradient checker.
private final class WithLabels: Layer {
  let network: Conditional
  let labels: [Int]
  init(_ network: Conditional, _ labels: [Int]) { (self.network, self.labels) = (network, labels) }
  var isTraining: Bool {
    get { network.body.isTraining }
    set { network.body.isTraining = newValue }
  }
  var children: [(name: String, module: any Module)] { [("body", network.body)] }
  var description: String { network.description }
  func forward(_ input: Tensor) throws -> Tensor { try network.forward(input, labels: labels) }
  func backward(_ outputGradient: Tensor) throws -> Tensor { try network.backward(outputGradient) }
  func outputShape(forInputShape shape: [Int]) throws -> [Int] { try network.outputShape(forInputShape: shape) }
}
