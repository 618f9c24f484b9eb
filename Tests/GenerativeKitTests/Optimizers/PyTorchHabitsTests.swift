import Testing

@testable import GenerativeKit

/// PyTorch habits that compile and mean what they mean there.
@Suite("PyTorch habits")
struct PyTorchHabitsTests {
  @Test("Adam.pytorch(model:learningRate:beta1:) is torch.optim.Adam(lr, betas=(beta1, 0.999), eps=1e-8)")
  func adamForModel() {
    func model() -> Sequential { Sequential { Dense(inFeatures: 3, outFeatures: 2, seed: 4) } }
    let (a, b) = (model(), model())
    let short = Adam.pytorch(model: a, learningRate: 2e-4, beta1: 0.5)
    let long = Adam(model: b, learningRate: 2e-4, beta1: 0.5, beta2: 0.999, epsilon: 1e-8, epsilonPlacement: .pytorch)
    #expect(short.beta1 == 0.5 && short.epsilon == 1e-8 && short.epsilonPlacement == .pytorch)
    for (model, optimizer) in [(a, short), (b, long)] {
      for parameter in model.trainableParameters { parameter.gradient = parameter.value.map { $0 * 0.3 + 0.01 } }
      optimizer.step()
    }
    #expect(a.namedParameters.map(\.parameter.value) == b.namedParameters.map(\.parameter.value))
    let listed = Adam.pytorch(parameters: a.trainableParameters, learningRate: 2e-4, beta1: 0.5)
    #expect(listed.beta1 == 0.5 && listed.beta2 == 0.999)
  }

  @Test("padding: 1 is PyTorch's padding=1")
  func integerPadding() throws {
    let literal = Conv2D(inChannels: 1, outChannels: 2, kernelSize: 4, stride: 2, padding: 1, seed: 1)
    let spelled = Conv2D(inChannels: 1, outChannels: 2, kernelSize: 4, stride: 2, padding: .explicit(1), seed: 1)
    #expect(literal.padding == .explicit(1))
    #expect(try literal.outputShape(forInputShape: [1, 1, 28, 28]) == spelled.outputShape(forInputShape: [1, 1, 28, 28]))
    #expect(try literal.outputShape(forInputShape: [1, 1, 28, 28]) == [1, 2, 14, 14])
  }

  @Test("A loss of one's own is a LossResult")
  func ownLoss() {
    let result = LossResult(value: 1.5, gradient: Tensor(shape: [2], scalars: [0.5, -0.5]))
    #expect(result.value == 1.5 && result.gradient.scalars == [0.5, -0.5])
  }
}
