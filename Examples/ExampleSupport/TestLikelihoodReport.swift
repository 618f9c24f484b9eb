import Foundation
import GenerativeKit
import GenerativeKitData
import GenerativeKitMetrics
import GenerativeKitTraining

/// The test negative log-likelihood of a Bernoulli VAE as Burda et al. measure it, for
/// `mnist-vae --test-nll` and `sample --test-nll`: the importance-weighted bound on the test digits
/// binarized once (``testSetBinarizationSeed``), one digit at a time, each digit's bound recorded
/// in `record` so that an interrupted evaluation continues where it stopped. The digits are taken
/// in a fixed random order, so a partial evaluation, or `digits` of them, is an unbiased estimate
/// of the whole test set's figure.
public enum TestLikelihoodReport {
  /// Evaluates `model` on `digits` test images (all when nil) in the fixed order, printing progress about
  /// once a minute, and prints the result.
  ///
  /// - Parameters:
  ///   - modelName: identifies the model in the record (checkpoint path and epoch).
  ///   - seed: the seed of the digits' noise streams.
  /// - Returns: the bound (the NLL is `-mean`).
  @discardableResult
  public static func run(
    model: VAE, modelName: String, test: ImageDataSet, samples: Int, digits: Int?, seed: UInt64, record: URL
  ) throws -> LikelihoodBound {
    var binarizer = SeededGenerator(seed: testSetBinarizationSeed)
    let count = min(digits ?? test.count, test.count)
    let binary = dynamicallyBinarized(test.images(in: 0..<test.count), using: &binarizer)
    // A fixed random order: the mean so far (and a --test-nll-digits subset) estimates the whole
    // test set's without the bias of its writer-ordered halves.
    var shuffler = SeededGenerator(seed: testSetBinarizationSeed &+ 1)
    let order = shuffler.permutation(test.count).prefix(count)
    let images = Tensor.concatenate(batches: order.map { binary.slice(batch: $0..<($0 + 1)) })
    let evaluation = try LikelihoodEvaluation(samples: samples, seed: seed)
    print("test NLL: importance-weighted bound with \(samples) samples on \(count) binarized test digits in a fixed random order; "
          + "each digit's bound is appended to \(record.path), and a rerun continues from it")
    fflush(nil)
    var lastReport = -Double.infinity
    let bound = try evaluation.run(model: model, images: images, modelName: modelName, record: record) { progress in
      if progress.evaluatedThisRun == 0 { return }
      guard progress.seconds - lastReport >= 60 || progress.done == progress.total else { return }
      lastReport = progress.seconds
      let soFar = LikelihoodBound(perImage: progress.bounds, samples: samples)
      let perDigit = progress.seconds / Double(progress.evaluatedThisRun)
      print("test NLL: \(progress.done)/\(progress.total) digits, NLL so far \(formatFixed(-soFar.mean, digits: 2)) "
            + "+- \(formatFixed(soFar.standardError, digits: 2)) nats, \(formatFixed(perDigit, digits: 2)) s per digit, "
            + "ETA \(durationText(perDigit * Double(progress.total - progress.done)))")
      fflush(nil)  // a log file sees each line when it is written, not when the buffer fills
    }
    print("test NLL: \(formatFixed(-bound.mean, digits: 2)) +- \(formatFixed(bound.standardError, digits: 2)) nats per digit "
          + "(\(count) digits, k = \(samples))")
    return bound
  }

  static func durationText(_ seconds: Double) -> String {
    let total = Int(seconds.rounded())
    let (h, m, s) = (total / 3600, (total / 60) % 60, total % 60)
    return h > 0 ? "\(h) h \(m) min" : m > 0 ? "\(m) min \(s) s" : "\(s) s"
  }
}
