// gk-distributed-check: data-parallel training over MPI against one process, for the tests.
//
//     mpirun -np 2 gk-distributed-check gan|vae|batchnorm [--steps K] [--global-batch G] [--output DIR]
//                                       [--width W] [--noise-dimension Z] [--leaky-slope S]
//                                       [--tolerance T] [--perturb-ulp] [--no-overlap] [--sgd] [--verbose]
//
// Every rank trains two copies of the same model from the same seed: one alone on every whole
// global batch (the single-process reference, no MPI), one data-parallel on its shard. At the end
// it compares them, weight by weight, prints the largest differences and the communication per
// step, and exits 1 when a difference passes the tolerance (default 1e-5). Rank 0 saves the
// data-parallel model in DIR (gan.safetensors or vae.safetensors) when --output is given. --sgd
// trains the GAN with plain SGD instead of Adam (weights then differ exactly as the gradients do);
// --verbose lists the eight tensors that differ most. A difference is the largest |a - b| of a
// tensor over its largest |a|.
//
// The GAN is the report's DCGAN (width W, default 8; noise Z, default 16). --leaky-slope 1 makes
// its LeakyReLUs the identity (and, for the VAE, replaces its ReLUs by the identity): without a kink, a last-bit difference in an activation stays a
// last-bit difference in the gradient, so the two runs stay equal over many Adam steps (see
// docs/DISTRIBUTED.md, "Equal to one process"). --perturb-ulp is the control experiment: it moves
// every trainable weight of the data-parallel copy by one unit in the last place after the
// broadcast, so that with -np 1 the report tells how far one process drifts from a last-bit change.
// --no-overlap waits for each gradient sum where it starts instead of during the backward pass.
import Foundation
import GenerativeKit
import GenerativeKitDistributed

@main
struct DistributedCheck {
  static func main() throws {
    var arguments = Array(CommandLine.arguments.dropFirst())
    guard let mode = arguments.first else { fail("usage: gk-distributed-check gan|vae|batchnorm [--steps K] [--global-batch G] [--output DIR]") }
    arguments.removeFirst()
    func option(_ name: String, default value: Int) -> Int {
      guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count, let number = Int(arguments[index + 1])
      else { return value }
      return number
    }
    let steps = option("--steps", default: 3)
    let globalBatch = option("--global-batch", default: 8)
    let output = arguments.firstIndex(of: "--output").map { arguments[$0 + 1] }
    func decimal(_ name: String, default value: Double) -> Double {
      guard let index = arguments.firstIndex(of: name) else { return value }
      guard index + 1 < arguments.count, let number = Double(arguments[index + 1]) else { fail("\(name) needs a number") }
      return number
    }
    let ganShape = GANShape(
      width: option("--width", default: 8), noiseDimension: option("--noise-dimension", default: 16),
      leakySlope: Float(decimal("--leaky-slope", default: 0.3)))
    let tolerance = decimal("--tolerance", default: 1e-5)
    let perturb = arguments.contains("--perturb-ulp")
    Threading.threadCount = 1
    let useSGD = arguments.contains("--sgd")
    let communicator = try MPICommunicator.world()
    defer { communicator.finalize() }
    let parallel = DataParallel(communicator: communicator)
    parallel.gradients.overlapsBackward = !arguments.contains("--no-overlap")
    let report: Report
    switch mode {
    case "gan":
      report = try gan(parallel, shape: ganShape, steps: steps, globalBatch: globalBatch, useSGD: useSGD, perturb: perturb, output: output)
    case "vae": report = try vae(
        parallel, steps: steps, globalBatch: globalBatch, smooth: ganShape.leakySlope == 1, perturb: perturb, output: output)
    case "batchnorm": report = try batchNorm(parallel, globalBatch: globalBatch)
    default: fail("unknown mode '\(mode)'")
    }
    if arguments.contains("--verbose") {
      for entry in report.all.sorted(by: { $0.relative > $1.relative }).prefix(8) { print("  \(entry.name): \(entry.relative)") }
    }
    let counters = communicator.statistics
    print(
      "rank \(communicator.rank)/\(communicator.size) \(mode): largest relative difference \(report.worst) (\(report.worstName)), "
        + "largest absolute \(report.worstAbsolute); \(counters.calls) collective calls, \(counters.bytes) bytes, "
        + "\(String(format: "%.4f", counters.seconds)) s" + (steps > 0 && mode != "batchnorm" ? " over \(steps) steps" : "")
        + (mode == "gan" && steps > 1 ? String(format: "; data-parallel steps 2-%d: %.1f ms each", steps, 1000 * distributedSeconds / Double(steps - 1)) : ""))
    guard report.worst <= tolerance else {
      fail("rank \(communicator.rank): \(report.worstName) differs by \(report.worst) (relative), more than \(tolerance)")
    }
  }

  struct Report {
    var worst = 0.0
    var worstAbsolute = 0.0
    var worstName = "-"
    var all: [(name: String, relative: Double)] = []

    /// Compares tensors by their largest difference relative to the tensor's largest value.
    mutating func compare(_ name: String, _ a: Tensor, _ b: Tensor) {
      let scale = Double(a.scalars.map(abs).max() ?? 0)
      let difference = Double(zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0)
      let relative = difference / max(scale, 1e-12)
      worstAbsolute = max(worstAbsolute, difference)
      all.append((name, relative))
      if relative > worst { (worst, worstName) = (relative, name) }
    }
  }

  static func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(1)
  }

  /// Random images in [-1, 1] (the GAN's range) or [0, 1], the same on every rank.
  static func images(count: Int, channels: Int = 1, side: Int = 28, seed: UInt64, unit: Bool) -> Tensor {
    var random = SeededGenerator(seed: seed)
    let values = (0..<(count * channels * side * side)).map { _ in random.nextUniform() }
    return Tensor(shape: [count, channels, side, side], scalars: values.map { unit ? $0 : 2 * $0 - 1 })
  }

  /// Wall time of the data-parallel GAN steps after the first (for --no-overlap comparisons).
  nonisolated(unsafe) static var distributedSeconds = 0.0

  /// The report's DCGAN at a chosen size and LeakyReLU slope.
  struct GANShape {
    var width: Int
    var noiseDimension: Int
    var leakySlope: Float
  }

  static func ganTrainer(_ shape: GANShape, seed: UInt64, useSGD: Bool) throws -> GANTrainer {
    let generator = DCGAN.tutorialGenerator(
      noiseDimension: shape.noiseDimension, channels: 1, width: shape.width, imageHeight: 28, imageWidth: 28,
      leakySlope: shape.leakySlope, seed: seed)
    let discriminator = DCGAN.tutorialDiscriminator(
      channels: 1, width: shape.width, imageHeight: 28, imageWidth: 28, leakySlope: shape.leakySlope, seed: seed + 1)
    return GANTrainer(
      model: try GAN(generator: generator, discriminator: discriminator, noiseDimension: shape.noiseDimension),
      generatorOptimizer: useSGD ? SGD(model: generator, learningRate: 0.05) : Adam.keras(model: generator, learningRate: 2e-4, beta1: 0.5),
      discriminatorOptimizer: useSGD ? SGD(model: discriminator, learningRate: 0.05) : Adam.keras(model: discriminator, learningRate: 2e-4, beta1: 0.5),
      seed: seed + 2)
  }

  /// Moves every trainable weight by one unit in the last place, up or down at random (the control).
  static func perturbLastBit(_ models: [any Module]) {
    var random = SeededGenerator(seed: 77)
    for model in models {
      for parameter in model.trainableParameters {
        parameter.value = parameter.value.map { random.next() & 1 == 0 ? $0.nextUp : $0.nextDown }
      }
    }
  }

  static func gan(
    _ parallel: DataParallel, shape: GANShape, steps: Int, globalBatch: Int, useSGD: Bool, perturb: Bool, output: String?
  ) throws -> Report {
    let reference = try ganTrainer(shape, seed: 11, useSGD: useSGD)
    // The data-parallel copy starts elsewhere on other ranks: the broadcast must bring rank 0's weights.
    let distributed = try ganTrainer(shape, seed: parallel.communicator.rank == 0 ? 11 : 99, useSGD: useSGD)
    reference.noiseGenerator = SeededGenerator(seed: 13)
    distributed.noiseGenerator = SeededGenerator(seed: parallel.communicator.rank == 0 ? 13 : 97)
    try parallel.prepare(distributed)
    if perturb { perturbLastBit([distributed.generator, distributed.discriminator]) }
    for step in 0..<steps {
      let batch = images(count: globalBatch, seed: 1_000 + UInt64(step), unit: false)
      try reference.step(realImages: batch)
      let shard = try parallel.shard(globalCount: globalBatch)
      let start = monotonicSeconds()
      try distributed.step(realImages: batch.rows(of: shard), shard: shard)
      if step > 0 { distributedSeconds += monotonicSeconds() - start }  // the first step warms up
    }
    var report = Report()
    for (a, b) in zip(
      reference.generator.namedParameters + reference.discriminator.namedParameters,
      distributed.generator.namedParameters + distributed.discriminator.namedParameters)
    {
      report.compare(a.name, a.parameter.value, b.parameter.value)
    }
    if let output, parallel.communicator.isRoot {
      var checkpoint = Checkpoint(metadata: ["format": "gk-distributed-check"])
      checkpoint.add(model: distributed.generator, prefix: "generator.")
      checkpoint.add(model: distributed.discriminator, prefix: "discriminator.")
      try checkpoint.save(to: URL(fileURLWithPath: output).appendingPathComponent("gan.safetensors"))
    }
    return report
  }

  static func vae(
    _ parallel: DataParallel, steps: Int, globalBatch: Int, smooth: Bool, perturb: Bool, output: String?
  ) throws -> Report {
    func trainer(seed: UInt64) -> VAETrainer {
      var model = ConvolutionalVAE.make(latentDimension: 4, channels: 1, imageHeight: 28, imageWidth: 28, seed: seed)
      if smooth {
        // The same VAE with each ReLU made the identity (LeakyReLU of slope 1): no kink.
        func withoutKinks(_ network: Sequential) -> Sequential {
          Sequential(network.layers.map { $0 is ReLU ? LeakyReLU(slope: 1) : $0 })
        }
        model = VAE(encoder: withoutKinks(model.encoder), decoder: withoutKinks(model.decoder), latentDimension: 4)
      }
      return VAETrainer(model: model, optimizer: Adam.keras(model: model, learningRate: 1e-3), seed: 21)
    }
    let reference = trainer(seed: 17)
    let distributed = trainer(seed: parallel.communicator.rank == 0 ? 17 : 98)
    try parallel.prepare(distributed)
    if perturb { perturbLastBit([distributed.model]) }
    for step in 0..<steps {
      let batch = images(count: globalBatch, seed: 2_000 + UInt64(step), unit: true)
      try reference.step(images: batch)
      let shard = try parallel.shard(globalCount: globalBatch)
      try distributed.step(images: batch.rows(of: shard), shard: shard)
    }
    var report = Report()
    for (a, b) in zip(reference.model.namedParameters, distributed.model.namedParameters) {
      report.compare(a.name, a.parameter.value, b.parameter.value)
    }
    if let output, parallel.communicator.isRoot {
      var checkpoint = Checkpoint(metadata: ["format": "gk-distributed-check"])
      checkpoint.add(model: distributed.model)
      try checkpoint.save(to: URL(fileURLWithPath: output).appendingPathComponent("vae.safetensors"))
    }
    return report
  }

  /// Synchronised batch norm against one process on the global batch: the outputs and input
  /// gradients of this rank's rows, and the parameter gradients summed over ranks.
  static func batchNorm(_ parallel: DataParallel, globalBatch: Int) throws -> Report {
    var random = SeededGenerator(seed: 5)
    let input = Tensor.randomNormal(shape: [globalBatch, 3, 4, 5], using: &random).map { 2 * $0 + 0.5 }
    let outputGradient = Tensor.randomNormal(shape: input.shape, using: &random)
    func layer() -> BatchNorm {
      let norm = BatchNorm(features: 3)
      norm.weight.value = Tensor(shape: [3], scalars: [0.5, 1.5, -1.2])
      norm.bias.value = Tensor(shape: [3], scalars: [0.1, -0.3, 0.7])
      return norm
    }
    let single = layer()
    let singleOutput = try single.forward(input)
    let singleGradient = try single.backward(outputGradient)

    let shard = try parallel.shard(globalCount: globalBatch)
    let synced = layer()
    synced.statisticsReducer = parallel.statistics
    synced.shard = shard
    let output = try synced.forward(input.rows(of: shard))
    // dy of this rank's rows, scaled as a mean loss over the shard would scale it.
    let shardGradient = try outputGradient.rows(of: shard) * (1 / shard.fraction)
    let inputGradient = try synced.backward(shardGradient)
    // The parameter gradients of the shards' mean losses, weighted and summed: the global one's.
    try parallel.gradients.synchronize([synced.weight, synced.bias], weight: shard.fraction)

    var report = Report()
    report.compare("output rows", try singleOutput.rows(of: shard), output)
    report.compare("input gradient rows", try singleGradient.rows(of: shard), inputGradient * shard.fraction)
    report.compare("weight gradient", single.weight.gradient, synced.weight.gradient)
    report.compare("bias gradient", single.bias.gradient, synced.bias.gradient)
    report.compare("running mean", single.runningMean.value, synced.runningMean.value)
    report.compare("running variance", single.runningVariance.value, synced.runningVariance.value)
    return report
  }
}
