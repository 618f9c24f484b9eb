import Testing

@testable import GenerativeKit

/// Optimizer steps against hand-computed updates.
@Suite("Optimizers")
struct OptimizerTests {
  /// One parameter [2] with a fixed gradient, stepped `steps` times.
  private func stepped(_ make: ([Parameter]) -> any Optimizer, gradients: [[Float]]) -> [Float] {
    let parameter = Parameter(Tensor(shape: [2], scalars: [1, -2]))
    let optimizer = make([parameter])
    for g in gradients {
      parameter.gradient = Tensor(shape: [2], scalars: g)
      optimizer.step()
    }
    return parameter.value.scalars
  }

  /// Adam by its definition, in Double.
  private func adamReference(
    _ gradients: [[Double]], lr: Double, b1: Double, b2: Double, eps: Double, pytorch: Bool
  ) -> [Double] {
    var p = [1.0, -2.0]
    var m = [0.0, 0.0]
    var v = [0.0, 0.0]
    for (t, g) in gradients.enumerated() {
      let step = Double(t + 1)
      for i in 0..<2 {
        m[i] = b1 * m[i] + (1 - b1) * g[i]
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
        let mHat = m[i] / (1 - pow(b1, step))
        if pytorch {
          p[i] -= lr * mHat / ((v[i] / (1 - pow(b2, step))).squareRoot() + eps)
        } else {
          p[i] -= lr * (1 - pow(b2, step)).squareRoot() / (1 - pow(b1, step)) * m[i] / (v[i].squareRoot() + eps)
        }
      }
    }
    return p
  }

  @Test("Adam's first step moves each weight by the learning rate against the gradient's sign")
  func adamFirstStep() {
    // Bias correction makes the first update lr * g / |g| (up to epsilon).
    let result = stepped({ Adam.keras(parameters: $0, learningRate: 0.1) }, gradients: [[0.5, -3]])
    #expect(abs(result[0] - 0.9) < 1e-6 && abs(result[1] - (-1.9)) < 1e-6)
  }

  @Test("Adam matches hand-computed bias-corrected steps, Keras and PyTorch conventions")
  func adamSequence() {
    let gradients: [[Float]] = [[0.5, -3], [0.1, 1], [-0.2, 0.5], [1e-4, 2], [0.3, -0.7]]
    let double = gradients.map { $0.map(Double.init) }
    let keras = stepped({ Adam.keras(parameters: $0, learningRate: 0.01, beta1: 0.8, beta2: 0.9, epsilon: 0.1) }, gradients: gradients)
    let kerasExpected = adamReference(double, lr: 0.01, b1: 0.8, b2: 0.9, eps: 0.1, pytorch: false)
    let torch = stepped({ Adam(parameters: $0, learningRate: 0.01, beta1: 0.8, beta2: 0.9, epsilon: 0.1,
                               epsilonPlacement: .pytorch) }, gradients: gradients)
    let torchExpected = adamReference(double, lr: 0.01, b1: 0.8, b2: 0.9, eps: 0.1, pytorch: true)
    for i in 0..<2 {
      #expect(abs(Double(keras[i]) - kerasExpected[i]) < 1e-6)
      #expect(abs(Double(torch[i]) - torchExpected[i]) < 1e-6)
    }
    // With this large epsilon the conventions differ measurably, so the test tells them apart.
    #expect(abs(kerasExpected[1] - torchExpected[1]) > 1e-4)
  }

  @Test("Adam's state round-trips, and a mismatched state is rejected without changes")
  func adamState() throws {
    let parameter = Parameter(Tensor(shape: [3], repeating: 1))
    let adam = Adam.keras(parameters: [parameter], names: ["0.weight"], learningRate: 0.1)
    parameter.gradient = Tensor(shape: [3], scalars: [1, 2, 3])
    adam.step()
    let saved = adam.state
    #expect(Set(saved.keys) == ["step", "exp_avg.0.weight", "exp_avg_sq.0.weight"])
    let other = Adam.keras(parameters: [Parameter(Tensor(shape: [3]))], names: ["0.weight"])
    try other.loadState(saved)
    #expect(other.stepCount == 1 && other.firstMoments == adam.firstMoments && other.secondMoments == adam.secondMoments)
    let wrong = Adam.keras(parameters: [Parameter(Tensor(shape: [4]))], names: ["0.weight"])
    #expect(throws: GenerativeKitError.self) { try wrong.loadState(saved) }
    #expect(wrong.stepCount == 0)
    for bad: Float in [.nan, -1, 1e30, 2.5] {
      var corrupt = saved
      corrupt["step"] = Tensor(shape: [1], scalars: [bad])
      #expect(throws: GenerativeKitError.self) { try other.loadState(corrupt) }
    }
  }

  @Test("SGD with momentum follows PyTorch's update")
  func sgdMomentum() {
    let result = stepped({ SGD(parameters: $0, learningRate: 0.1, momentum: 0.9) }, gradients: [[1, 0], [1, 2]])
    // step 1: buffer = g = (1, 0) -> p = (0.9, -2); step 2: buffer = 0.9 * (1, 0) + (1, 2) = (1.9, 2)
    #expect(abs(result[0] - 0.71) < 1e-6 && abs(result[1] - (-2.2)) < 1e-6)
    let plain = stepped({ SGD(parameters: $0, learningRate: 0.5) }, gradients: [[1, -1]])
    #expect(plain == [0.5, -1.5])
  }

  @Test("Initializers draw within their documented bounds, deterministically")
  func initializers() {
    var a = SeededGenerator(seed: 3)
    var b = SeededGenerator(seed: 3)
    let glorot = Initializer.glorotUniform.make(shape: [64, 100], fanIn: 100, fanOut: 64, using: &a)
    #expect(glorot == Initializer.glorotUniform.make(shape: [64, 100], fanIn: 100, fanOut: 64, using: &b))
    let limit = Float(6.0 / 164.0).squareRoot()
    #expect(glorot.max()! <= limit && glorot.min()! >= -limit && glorot.max()! > 0.9 * limit)
    let kaiming = Initializer.pytorchDefault.make(shape: [64, 100], fanIn: 100, fanOut: 64, using: &a)
    #expect(kaiming.max()! <= 0.1 && kaiming.min()! >= -0.1 && kaiming.max()! > 0.09)
    let normal = Initializer.normal(std: 0.02).make(shape: [100, 100], fanIn: 1, fanOut: 1, using: &a)
    let variance = normal.map { $0 * $0 }.mean()
    #expect(abs(variance.squareRoot() - 0.02) < 0.001)
  }
}

#if canImport(Glibc)
  import Glibc
#endif
