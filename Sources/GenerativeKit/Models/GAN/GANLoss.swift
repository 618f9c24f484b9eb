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
