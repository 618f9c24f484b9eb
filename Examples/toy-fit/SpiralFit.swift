import GenerativeKit

#if canImport(Glibc)
  import Glibc
#endif

/// The toy-fit model and its training: an MLP that learns to separate two interleaved spirals.
///
/// It imports the core product alone, and `scripts/check-core-alone.sh` builds this very file in
/// a fresh package that depends on `GenerativeKit` only, to show that the core trains a network
/// without the data, metrics or training products (or their zlib, libpng, libjpeg).
struct SpiralFit {
  var steps = 600
  var points = 256
  var learningRate: Float = 1e-2
  var seed: UInt64 = 1
  var threads = 2

  /// Trains from scratch and returns the last step's loss and accuracy (fraction of points on the
  /// right side); `report` receives a line every 100 steps and after the last.
  func run(report: (String) -> Void) throws -> (loss: Float, accuracy: Double) {
    Threading.threadCount = threads
    GlobalRandom.seed(seed)
    var generator = SeededGenerator(seed: seed)
    let (inputs, labels) = Self.makeSpirals(points: points, using: &generator)
    let model = Sequential {
      Dense(inFeatures: 2, outFeatures: 64)
      Tanh()
      Dense(inFeatures: 64, outFeatures: 64)
      Tanh()
      Dense(inFeatures: 64, outFeatures: 1)
    }
    let optimizer = Adam.keras(model: model, learningRate: learningRate)
    report("toy-fit: \(model.parameterCount) parameters, \(2 * points) points, \(threads) threads")

    var last: (loss: Float, accuracy: Double) = (.nan, 0)
    for step in 1...steps {
      model.zeroGradients()
      let logits = try model.forward(inputs)
      let loss = try binaryCrossEntropy(logits: logits, targets: labels)
      _ = try model.backward(loss.gradient)
      optimizer.step()
      if step % 100 == 0 || step == steps {
        let correct = zip(logits.scalars, labels.scalars).filter { ($0 > 0) == ($1 > 0.5) }.count
        last = (loss.value, Double(correct) / Double(labels.count))
        report("step \(step): loss \(Self.rounded(loss.value)), accuracy \(Int((100 * last.accuracy).rounded(.down))) %")
      }
    }
    return last
  }

  /// Two interleaved spirals `[2 * points, 2]`, labels 0 and 1 `[2 * points, 1]`, with a little noise.
  static func makeSpirals(points: Int, using generator: inout SeededGenerator) -> (Tensor, Tensor) {
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

  /// `value` with four decimals.
  static func rounded(_ value: Float) -> String {
    guard value.isFinite else { return "\(value)" }
    let scaled = Int((Double(value) * 10_000).rounded())
    let fraction = String(abs(scaled) % 10_000)
    return (scaled < 0 ? "-" : "") + "\(abs(scaled) / 10_000)." + String(repeating: "0", count: 4 - fraction.count) + fraction
  }
}
