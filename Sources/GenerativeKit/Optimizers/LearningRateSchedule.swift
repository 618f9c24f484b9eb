/// How the learning rate changes over a run whose length is known in advance, as a multiplier of
/// the base rate at each point of training.
///
/// The position is the fraction of the planned training done, in [0, 1]: steps taken over steps
/// planned, or seconds trained over a time budget. Long runs often settle with a step size that
/// shrinks towards the end, as CycleGAN's linear decay over its last 100 epochs. In a GAN's first
/// minutes it costs more progress than it gains: on MNIST every decay measured was worse after 8
/// minutes than the constant rate (docs/RESULTS.md, "The fast preset per minute").
///
/// ```swift
/// let schedule = LearningRateSchedule.linearDecay(after: 0.5)
/// adam.learningRate = baseRate * schedule.multiplier(at: Double(step) / Double(totalSteps))
/// ```
public enum LearningRateSchedule: Codable, Sendable, Equatable {
  /// The base rate throughout.
  case constant
  /// The base rate until the fraction `after` of the training (in [0, 1)), then a straight line
  /// down to zero at its end: `after: 0` decays from the first step.
  case linearDecay(after: Double)

  /// The multiplier of the base learning rate at `fraction` of the planned training (clamped to
  /// [0, 1]): 1 for ``constant``, and for ``linearDecay(after:)`` 1 until `after`, then
  /// `(1 - fraction) / (1 - after)`.
  public func multiplier(at fraction: Double) -> Float {
    switch self {
    case .constant:
      return 1
    case .linearDecay(let after):
      let position = min(max(fraction, 0), 1)
      guard position > after else { return 1 }
      return Float((1 - position) / (1 - after))
    }
  }

  /// Checks the schedule's numbers.
  ///
  /// - Throws: ``GenerativeKitError/invalidArgument(_:)`` naming the bad value.
  public func validate() throws {
    if case .linearDecay(let after) = self, !(after >= 0 && after < 1) {
      throw GenerativeKitError.invalidArgument(
        "LearningRateSchedule.linearDecay: the decay must start at a fraction of training in [0, 1), got \(after)")
    }
  }
}
