import ArgumentParser
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
    print("blas: \(BLAS.configuration.summary)")
    let fit = SpiralFit(steps: steps, points: points, learningRate: learningRate, seed: seed, threads: threads)
    _ = try fit.run { print($0) }
  }
}
