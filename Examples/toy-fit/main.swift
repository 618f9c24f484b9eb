import ArgumentParser
import Foundation
import GenerativeKit

/// The smallest end-to-end GenerativeKit program: an MLP learns to separate two interleaved
/// spirals, printing its loss and accuracy as it goes.
@main
struct ToyFit: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "toy-fit",
    abstract: "Train a small MLP on two spirals with GenerativeKit (a smoke test of the core).")

  @Option(parsing: .unconditional, help: "Training steps.") var steps = 600
  @Option(help: "Points per spiral.") var points = 256
  @Option(parsing: .unconditional, help: "Adam learning rate.") var learningRate: Float = 1e-2
  @Option(help: "Random seed (same seed, same run).") var seed: UInt64 = 1
  @Option(parsing: .unconditional, help: "Threads for the GEMMs and the parallel loops.") var threads = 2

  func validate() throws {
    guard steps > 0 else { throw ValidationError("--steps must be positive, got \(steps)") }
    guard points > 1 else { throw ValidationError("--points must be at least 2, got \(points)") }
    guard (1...256).contains(threads) else { throw ValidationError("--threads must be between 1 and 256, got \(threads)") }
    guard learningRate.isFinite, learningRate > 0, learningRate <= 10 else {
      throw ValidationError("--learning-rate must be a finite number above 0 and at most 10, got \(learningRate)")
    }
    guard points <= 1_000_000 else { throw ValidationError("--points must be at most 1000000, got \(points)") }
  }

  func run() throws {
    Threading.threadCount = threads
    print("blas: \(BLAS.configuration.summary)")
    GlobalRandom.seed(seed)
    var generator = SeededGenerator(seed: seed)
    let (inputs, labels) = makeSpirals(points: points, using: &generator)

    let model = Sequential {
      Dense(inFeatures: 2, outFeatures: 64)
      Tanh()
      Dense(inFeatures: 64, outFeatures: 64)
      Tanh()
      Dense(inFeatures: 64, outFeatures: 1)
    }
    let optimizer = Adam(model: model, learningRate: learningRate)
    print("toy-fit: \(model.parameterCount) parameters, \(2 * points) points, \(threads) threads")

    for step in 1...steps {
      model.zeroGradients()
      let logits = try model.forward(inputs)
      let loss = try binaryCrossEntropy(logits: logits, targets: labels)
      _ = try model.backward(loss.gradient)
      optimizer.step()
      if step % 100 == 0 || step == steps {
        let accuracy = zip(logits.scalars, labels.scalars).filter { ($0 > 0) == ($1 > 0.5) }.count
        print("step \(step): loss \(String(format: "%.4f", loss.value)), accuracy \(100 * accuracy / labels.count) %")
      }
    }
  }

  /// Two interleaved spirals, labels 0 and 1, with a little noise.
  func makeSpirals(points: Int, using generator: inout SeededGenerator) -> (Tensor, Tensor) {
    var coordinates: [Float] = []
    var labels: [Float] = []
    for arm in 0..<2 {
      for i in 0..<points {
        let r = Float(i) / Float(points) * 1.0 + 0.05
        let angle = Float(i) / Float(points) * 3 * .pi + Float(arm) * .pi
        let (nx, ny) = generator.nextNormalPair()
        coordinates += [r * cosf(angle) + 0.02 * nx, r * sinf(angle) + 0.02 * ny]
        labels.append(Float(arm))
      }
    }
    return (Tensor(shape: [2 * points, 2], scalars: coordinates), Tensor(shape: [2 * points, 1], scalars: labels))
  }
}

#if canImport(Glibc)
  import Glibc
#endif
