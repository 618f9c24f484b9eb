/// The generator's objective.
public enum GeneratorLoss: String, Sendable, CaseIterable, Codable {
  /// `-E[log D(G(z))]` = BCE(D(G(z)), 1): the report's L_G and Goodfellow et al.'s practical
  /// choice, with strong gradients early in training.
  case nonSaturating = "non-saturating"
  /// `E[log(1 - D(G(z)))]`, the minimax game's original form, which saturates when D wins.
  case minimax
  /// `-E[D(G(z))]` on the logits: the hinge GAN's (and WGAN's) generator loss; pair it with
  /// ``DiscriminatorLoss/hinge`` (``HingeLoss`` is the pair).
  case hinge
  /// `0.5 * E[(D(G(z)) - 1)^2]` on the logits: the least-squares GAN's; pair it with
  /// ``DiscriminatorLoss/leastSquares`` (``LeastSquaresLoss`` is the pair).
  case leastSquares = "least-squares"

  /// The generator's loss and its gradient with respect to the discriminator's logits on fakes.
  public func evaluate(fakeLogits: Tensor) throws -> LossResult {
    switch self {
    case .nonSaturating:
      return try binaryCrossEntropy(logits: fakeLogits, target: 1)
    case .minimax:
      // log(1 - sigmoid(z)) = -BCE(z, 0)
      let bce = try binaryCrossEntropy(logits: fakeLogits, target: 0)
      return LossResult(value: -bce.value, gradient: bce.gradient * -1)
    case .hinge:
      return try HingeLoss().generatorLoss(fakeLogits: fakeLogits)
    case .leastSquares:
      return try LeastSquaresLoss().generatorLoss(fakeLogits: fakeLogits)
    }
  }
}

/// The discriminator's objective.
public enum DiscriminatorLoss: String, Sendable, CaseIterable, Codable {
  /// `BCE(D(x), 1) + BCE(D(G(z)), 0)` on the logits: the report's, and Goodfellow et al.'s.
  case binaryCrossEntropy = "bce"
  /// `mean(max(0, 1 - D(x))) + mean(max(0, 1 + D(G(z))))` (see ``HingeLoss``).
  case hinge
  /// `0.5 * mean((D(x) - 1)^2) + 0.5 * mean(D(G(z))^2)` (see ``LeastSquaresLoss``).
  case leastSquares = "least-squares"
  /// The critic's `mean(D(G(z))) - mean(D(x))` (see ``WassersteinLoss``, which needs weight
  /// clipping); pair it with ``GeneratorLoss/hinge``, whose `-mean(D(G(z)))` is WGAN's generator loss.
  case wasserstein

  /// The loss on the logits of real images and its gradient.
  public func evaluate(realLogits: Tensor) throws -> LossResult {
    switch self {
    case .binaryCrossEntropy: return try GenerativeKit.binaryCrossEntropy(logits: realLogits, target: 1)
    case .hinge: return try HingeLoss().discriminatorLoss(realLogits: realLogits)
    case .leastSquares: return try LeastSquaresLoss().discriminatorLoss(realLogits: realLogits)
    case .wasserstein: return try WassersteinLoss().discriminatorLoss(realLogits: realLogits)
    }
  }

  /// The loss on the logits of generated images and its gradient.
  public func evaluate(fakeLogits: Tensor) throws -> LossResult {
    switch self {
    case .binaryCrossEntropy: return try GenerativeKit.binaryCrossEntropy(logits: fakeLogits, target: 0)
    case .hinge: return try HingeLoss().discriminatorLoss(fakeLogits: fakeLogits)
    case .leastSquares: return try LeastSquaresLoss().discriminatorLoss(fakeLogits: fakeLogits)
    case .wasserstein: return try WassersteinLoss().discriminatorLoss(fakeLogits: fakeLogits)
    }
  }
}

/// A GAN objective put together from a discriminator loss and a generator loss (the report's:
/// ``DiscriminatorLoss/binaryCrossEntropy`` with ``GeneratorLoss/nonSaturating``).
public struct GANObjective: AdversarialLoss, Equatable {
  /// The discriminator's loss on real and generated images.
  public var discriminator: DiscriminatorLoss
  /// The generator's loss.
  public var generator: GeneratorLoss

  /// The objective of `discriminator` and `generator` losses.
  public init(discriminator: DiscriminatorLoss = .binaryCrossEntropy, generator: GeneratorLoss = .nonSaturating) {
    self.discriminator = discriminator
    self.generator = generator
  }

  public func discriminatorLoss(realLogits: Tensor) throws -> LossResult { try discriminator.evaluate(realLogits: realLogits) }
  public func discriminatorLoss(fakeLogits: Tensor) throws -> LossResult { try discriminator.evaluate(fakeLogits: fakeLogits) }
  public func generatorLoss(fakeLogits: Tensor) throws -> LossResult { try generator.evaluate(fakeLogits: fakeLogits) }
}

/// What a GAN trains against: the discriminator's losses on a real and on a generated batch, and
/// the generator's loss, each from the discriminator's logits `[N, 1]` and each with its gradient
/// with respect to those logits (the trainer propagates it).
///
/// ``GANTrainer`` adds the two discriminator losses (their gradients reach D's parameters) and
/// back-propagates the generator's loss through D into G. The report's objective is
/// `GANObjective()` (BCE for D, the non-saturating loss for G); ``GANObjective`` combines the
/// built-in losses; ``HingeLoss``, ``LeastSquaresLoss`` and ``WassersteinLoss`` are whole
/// objectives; and a loss of your own is a value of a type conforming to this protocol (each
/// function returns the loss and its gradient with respect to the logits it was given).
public protocol AdversarialLoss: Sendable {
  /// The discriminator's loss on the logits of real images.
  func discriminatorLoss(realLogits: Tensor) throws -> LossResult
  /// The discriminator's loss on the logits of generated images.
  func discriminatorLoss(fakeLogits: Tensor) throws -> LossResult
  /// The generator's loss on the discriminator's logits of its images.
  func generatorLoss(fakeLogits: Tensor) throws -> LossResult
}
