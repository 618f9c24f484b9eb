/// An exponential moving average of a module's weights, kept in a second module of the same
/// architecture: after every optimizer step, `average = decay * average + (1 - decay) * weights`
/// for every parameter and buffer (batch norm's running statistics included).
///
/// For a GAN's generator this is the averaging of Yazici et al. 2019 ("The Unusual Effectiveness
/// of Averaging in GAN Training") that ProGAN, StyleGAN and BigGAN sample from: the training
/// trajectory is unchanged, and the averaged generator draws smoother, less jittery images than
/// the last step's. With `decay` 0.999 the average spans about the last 1,000 steps.
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
  /// The weight of the old average in each update, in [0, 1).
  public let decay: Float
  private let pairs: [(average: Parameter, source: Parameter)]

  /// Starts the average at `source`'s current weights, copying them into `average`.
  ///
  /// - Throws: ``GenerativeKitError/invalidArgument(_:)`` if `decay` is not in [0, 1) or the two
  ///   modules' parameters differ in names or shapes (the first difference is named).
  public init(of source: any Module, into average: any Module, decay: Float) throws {
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
    pairs = zip(to, from).map { ($0.parameter, $1.parameter) }
    reset()
  }

  /// Sets the average to the source's current weights.
  public func reset() {
    for (average, source) in pairs {
      var value = source.value
      _ = value.mutablePointer()  // a copy of its own, not storage shared with the source
      average.value = value
    }
  }

  /// Moves the average towards the source's current weights by `1 - decay`.
  public func update() {
    let keep = decay
    let take = 1 - decay
    for (average, source) in pairs {
      let a = average.value.mutablePointer()
      let s = source.value.pointer
      for i in 0..<source.value.count { a[i] = keep * a[i] + take * s[i] }
    }
  }
}
