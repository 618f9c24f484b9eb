/// The generator's objective.
public enum GeneratorLoss: String, Sendable, CaseIterable, Codable {
  /// `-E[log D(G(z))]` = BCE(D(G(z)), 1): the report's L_G and Goodfellow et al.'s practical
  /// choice, with strong gradients early in training.
  case nonSaturating = "non-saturating"
  /// `E[log(1 - D(G(z)))]`, the minimax game's original form, which saturates when D wins.
  case minimax

  /// The generator's loss and its gradient with respect to the discriminator's logits on fakes.
  public func evaluate(fakeLogits: Tensor) throws -> LossResult {
    switch self {
    case .nonSaturating:
      return try binaryCrossEntropy(logits: fakeLogits, target: 1)
    case .minimax:
      // log(1 - sigmoid(z)) = -BCE(z, 0)
      let bce = try binaryCrossEntropy(logits: fakeLogits, target: 0)
      return LossResult(value: -bce.value, gradient: bce.gradient * -1)
    }
  }
}

/// What a GAN trains against: the discriminator's losses on a real and on a generated batch, and
/// the generator's loss, each from the discriminator's logits `[N, 1]` and each with its gradient
/// with respect to those logits (the trainer propagates it).
///
/// ``GANTrainer`` adds the two discriminator losses (their gradients reach D's parameters) and
/// back-propagates the generator's loss through D into G. The report's objective is
/// ``GeneratorLoss/nonSaturating``; ``HingeLoss`` is the hinge objective; a loss of your own is a
/// value of a type conforming to this protocol.
public protocol AdversarialLoss: Sendable {
  /// The discriminator's loss on the logits of real images.
  func discriminatorLoss(realLogits: Tensor) throws -> LossResult
  /// The discriminator's loss on the logits of generated images.
  func discriminatorLoss(fakeLogits: Tensor) throws -> LossResult
  /// The generator's loss on the discriminator's logits of its images.
  func generatorLoss(fakeLogits: Tensor) throws -> LossResult
}

/// Binary cross-entropy for the discriminator (`BCE(D(x), 1) + BCE(D(G(z)), 0)`), this case's
/// objective for the generator.
extension GeneratorLoss: AdversarialLoss {
  public func discriminatorLoss(realLogits: Tensor) throws -> LossResult {
    try binaryCrossEntropy(logits: realLogits, target: 1)
  }

  public func discriminatorLoss(fakeLogits: Tensor) throws -> LossResult {
    try binaryCrossEntropy(logits: fakeLogits, target: 0)
  }

  public func generatorLoss(fakeLogits: Tensor) throws -> LossResult {
    try evaluate(fakeLogits: fakeLogits)
  }
}
