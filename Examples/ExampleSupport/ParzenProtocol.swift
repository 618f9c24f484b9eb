import GenerativeKit
import GenerativeKitData

/// Goodfellow et al.'s (2014) Parzen-window protocol on MNIST, shared by `sample --parzen` and
/// `gan-vs-vae` so that their figures can stand side by side: the bandwidth is chosen on the last
/// 10,000 training digits (their validation split, digits 50,000-59,999), the estimate is taken on
/// the test digits.
public enum ParzenProtocol {
  /// The validation digits of `training` (MNIST's training split): its last 10,000 images `[N, 1, 28, 28]`,
  /// or all of them when it has fewer.
  public static func validationDigits(of training: ImageDataSet) -> Tensor {
    training.images(in: max(0, training.count - 10_000)..<training.count)
  }
}
