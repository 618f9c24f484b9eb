import GenerativeKitTesting
import Testing

@testable import GenerativeKit

/// The library's gradient checks (``GradientCheck`` from GenerativeKitTesting) as test expectations.
enum GradCheck {
  /// Checks a layer's input gradient and every trainable parameter's gradient in training mode;
  /// each report that misses `tolerance` is a test failure naming the worst entry.
  static func checkLayer(
    _ layer: any Layer, input: Tensor, step: Float = 1e-2, tolerance: Double = 2e-2, seed: UInt64 = 7,
    prepare: () -> Void = {}, sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    let reports = try GradientCheck.layer(layer, input: input, step: step, seed: seed, prepare: prepare)
    #expect(reports.count == 1 + layer.trainableParameters.count, sourceLocation: sourceLocation)
    for report in reports {
      #expect(report.passes(tolerance: tolerance), "\(report)", sourceLocation: sourceLocation)
    }
  }
}
