/// An exponential moving average of a module's weights, kept in a second module of the same
/// architecture: after every optimizer step, `average = decay * average + (1 - decay) * weights`
/// for every parameter and buffer (batch norm's running statistics included).
///
/// For a GAN's generator this is the averaging of Yazici et al. 2019 ("The Unusual Effectiveness
/// of Averaging in GAN Training") that ProGAN, StyleGAN and BigGAN sample from: the training
/// trajectory is unchanged, and the averaged generator draws smoother, less jittery images than
/// the last step's. With `decay` 0.999 the average spans about the last 1,000 steps.
///
/// An average that starts at the initial weights keeps much of them for its first thousand steps
/// and draws worse images than the trained weights early on. With `warmUp` the decay of update
/// `t` (counting from 0) is `min(decay, (1 + t) / (10 + t))`: 0.1 at first, so the average
/// follows the weights closely, reaching `decay` after about `9 / (1 - decay)` updates (9,000 for
/// 0.999), as TensorFlow's `ExponentialMovingAverage(num_updates:)` does.
///
/// ```swift
/// let average = try WeightAverage(of: gan.generator, into: DCGAN.tutorialGenerator(), decay: 0.999)
/// // after each training step:
/// average.update()
/// // sample from average.average
/// ```
public final class WeightAverage {
  /// The module whose weights are averaged.
  public let source: any Module
  /// The module holding the averages (same architecture as `source`).
  public let average: any Module
  /// The weight of the old average in each update, in [0, 1) (its ceiling with ``warmUp``).
  public let decay: Float
  /// Whether early updates use a smaller decay, `min(decay, (1 + t) / (10 + t))`.
  public let warmUp: Bool
  /// The updates made since the average was started or reset: `t` of the warm-up. Checkpoints
  /// save it so that a resumed run continues the same schedule.
  public var updateCount = 0
  private let pairs: [(average: Parameter, source: Parameter)]

  /// Starts the average at `source`'s current weights, copying them into `average`.
  ///
  /// - Parameters:
  ///   - source: the module whose weights are averaged.
  ///   - average: a module of the same architecture that holds the average.
  ///   - decay: the weight of the old average in each update (its ceiling with `warmUp`).
  ///   - warmUp: smaller decays for the first updates (off by default).
  /// - Throws: ``GenerativeKitError/invalidArgument(_:)`` if `decay` is not in [0, 1) or the two
  ///   modules' parameters differ in names or shapes (the first difference is named).
  public init(of source: any Module, into average: any Module, decay: Float, warmUp: Bool = false) throws {
    guard decay >= 0, decay < 1 else {
      throw GenerativeKitError.invalidArgument("WeightAverage: decay must be in [0, 1), got \(decay)")
    }
    let (from, to) = (source.namedParameters, average.namedParameters)
    guard from.count == to.count else {
      throw GenerativeKitError.invalidArgument(
        "WeightAverage: the average module has \(to.count) parameters and buffers, the source \(from.count)")
    }
    for (a, s) in zip(to, from) where a.name != s.name || a.parameter.shape != s.parameter.shape {
      throw GenerativeKitError.invalidArgument(
        "WeightAverage: the average's \(a.name) \(a.parameter.value.shapeDescription) does not match the source's "
          + "\(s.name) \(s.parameter.value.shapeDescription)")
    }
    self.source = source
    self.average = average
    self.decay = decay
    self.warmUp = warmUp
    pairs = zip(to, from).map { ($0.parameter, $1.parameter) }
    reset()
  }

  /// Sets the average to the source's current weights and restarts the warm-up.
  public func reset() {
    updateCount = 0
    for (average, source) in pairs {
      var value = source.value
      _ = value.mutablePointer()  // a copy of its own, not storage shared with the source
      average.value = value
    }
  }

  /// The decay the next update uses: ``decay``, or its warm-up value.
  public var currentDecay: Float {
    warmUp ? min(decay, Float(1 + updateCount) / Float(10 + updateCount)) : decay
  }

  /// Moves the average towards the source's current weights by `1 - currentDecay`.
  public func update() {
    let keep = currentDecay
    let take = 1 - keep
    updateCount += 1
    for (average, source) in pairs {
      let a = average.value.mutablePointer()
      let s = source.value.pointer
      for i in 0..<source.value.count { a[i] = keep * a[i] + take * s[i] }
    }
  }
}
