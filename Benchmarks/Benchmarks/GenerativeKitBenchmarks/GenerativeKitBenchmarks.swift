import Benchmark
@_spi(Benchmarks) import GenerativeKit

// GenerativeKit's package-benchmark suite (issue 6). Names are dotted so `--filter` takes simple
// regular expressions:
//
//   sgemm.n<size>              square C = A x B through Tensor.matmul: the machine's GEMM ceiling
//   layer.<model>.<layer>.fwd  one convolution layer, forward, at the model's training batch
//   layer.<model>.<layer>.bwd  the same layer, backward (input and weight gradients)
//   step.dcgan.b256            the full GAN training step (D on a real and a fake batch, G through D,
//                              both Adam updates)
//   step.vae.b128              the full VAE training step (encoder, reparameterisation, decoder,
//                              loss, backward, Adam)
//
// Besides wall clock, each benchmark reports custom metrics computed from its own timing of the
// measured call: GFLOP/s (2 x multiply-accumulates / seconds) or img/s (batch / seconds), plus
// package-benchmark's malloc counts and peak resident memory, and for training steps the tensor
// storages the step allocates on the calling thread (TensorAllocations; 0 once buffers recycle).

enum GKMetric {
  static let gflops = BenchmarkMetric.custom("GFLOP/s", polarity: .prefersLarger, useScalingFactor: false)
  static let imagesPerSecond = BenchmarkMetric.custom("img/s", polarity: .prefersLarger, useScalingFactor: false)
  static let tensorAllocations = BenchmarkMetric.custom("tensor allocs", polarity: .prefersSmaller, useScalingFactor: false)
  static let tensorKiB = BenchmarkMetric.custom("tensor KiB", polarity: .prefersSmaller, useScalingFactor: false)
}

/// Builds its value on first use, so a filtered run builds only the models it measures.
final class Lazy<Value> {
  private let make: () throws -> Value
  private var cached: Value?
  init(_ make: @escaping () throws -> Value) { self.make = make }
  func get() throws -> Value {
    if let cached { return cached }
    let value = try make()
    cached = value
    return value
  }
}

let benchmarks: @Sendable () -> Void = {
  // The figures we compare against (DESIGN.md section 6) use 2 threads; set it explicitly rather
  // than take the machine's processor count.
  Threading.threadCount = 2

  let memory: [BenchmarkMetric] = [.mallocCountTotal, .peakMemoryResident]

  // MARK: sgemm ceiling

  let sgemmConfiguration = Benchmark.Configuration(
    metrics: [.wallClock, GKMetric.gflops], timeUnits: .automatic, warmupIterations: 2,
    maxDuration: .seconds(2), maxIterations: 30)
  for size in [256, 512, 1024, 2048] {
    let operands = Lazy { () -> (Tensor, Tensor) in
      var random = SeededGenerator(seed: 1)
      return (Tensor.randomNormal(shape: [size, size], using: &random),
              Tensor.randomNormal(shape: [size, size], using: &random))
    }
    Benchmark("sgemm.n\(size)", configuration: sgemmConfiguration) { benchmark in
      let (a, b) = try operands.get()
      benchmark.startMeasurement()
      var product: Tensor?
      let time = seconds { product = Tensor.matmul(a, b) }
      benchmark.stopMeasurement()
      blackHole(product)
      benchmark.measurement(GKMetric.gflops, Int((2 * Double(size * size * size) / time / 1e9).rounded()))
    }
  }

  // MARK: convolution layers

  let layerConfiguration = Benchmark.Configuration(
    metrics: [.wallClock, GKMetric.gflops] + memory, timeUnits: .automatic, warmupIterations: 1,
    maxDuration: .seconds(3), maxIterations: 10)
  for layerCase in LayerCase.all {
    let state = Lazy { try LayerState(layerCase) }
    Benchmark("layer.\(layerCase.name).fwd", configuration: layerConfiguration) { benchmark in
      let s = try state.get()
      benchmark.startMeasurement()
      let time = try seconds { s.output = try s.layer.forward(s.input) }
      benchmark.stopMeasurement()
      benchmark.measurement(GKMetric.gflops, Int((2 * layerCase.macs / time / 1e9).rounded()))
    }
    // Each iteration runs a forward pass first (not measured) so the backward pass reads fresh caches.
    Benchmark("layer.\(layerCase.name).bwd", configuration: layerConfiguration) { benchmark in
      let s = try state.get()
      s.output = try s.layer.forward(s.input)
      benchmark.startMeasurement()
      var gradient: Tensor?
      let time = try seconds { gradient = try s.layer.backward(s.output) }
      benchmark.stopMeasurement()
      blackHole(gradient)
      benchmark.measurement(GKMetric.gflops, Int((4 * layerCase.macs / time / 1e9).rounded()))
    }
  }

  // MARK: training steps

  let stepConfiguration = Benchmark.Configuration(
    metrics: [.wallClock, GKMetric.imagesPerSecond, GKMetric.tensorAllocations, GKMetric.tensorKiB] + memory,
    timeUnits: .milliseconds, warmupIterations: 2, maxDuration: .seconds(20), maxIterations: 10)

  /// Registers a training-step benchmark: img/s from the step's wall time, tensor allocations
  /// from TensorAllocations (calling thread only).
  func stepBenchmark(_ name: String, batch: Int, step: @escaping () throws -> Void) {
    Benchmark(name, configuration: stepConfiguration) { benchmark in
      var time = 0.0
      let allocated = try TensorAllocations.measure { time = try seconds(step) }
      benchmark.measurement(GKMetric.imagesPerSecond, Int((Double(batch) / time).rounded()))
      benchmark.measurement(GKMetric.tensorAllocations, allocated.count)
      benchmark.measurement(GKMetric.tensorKiB, allocated.bytes / 1024)
    }
  }

  let gan = Lazy { GANStepState() }
  stepBenchmark("step.dcgan.b256", batch: GANStepState.batch) { try gan.get().step() }
  let vae = Lazy { VAEStepState() }
  stepBenchmark("step.vae.b128", batch: VAEStepState.batch) { try vae.get().step() }
}
