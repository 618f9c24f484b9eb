import Foundation
import GenerativeKit

/// An axis's extent and its "nice" tick marks (1, 2 or 5 times a power of ten), with labels.
///
/// The extent is the data's range widened by a small margin, so no point sits on the frame; the
/// ticks are the multiples of the step inside it. `AxisTicks(covering: 0.13, 2.7)` spans about
/// 0.05...2.78 with ticks 0.5, 1.0, ..., 2.5. Empty, single-valued and non-finite inputs still give
/// a usable axis.
struct AxisTicks: Equatable {
  /// The axis's extent.
  var lower: Double
  var upper: Double
  /// The distance between ticks.
  var step: Double
  /// The tick positions, ascending, all within `lower...upper`.
  var values: [Double]

  /// An axis for data spanning `low...high` (finite; `low <= high`) widened by `margin` of the span
  /// on each side, with about `target` ticks. With `integral`, steps are whole numbers (epochs).
  init(covering low: Double, _ high: Double, target: Int = 6, integral: Bool = false, margin: Double = 0.03) {
    var (low, high) = (low, high)
    if !(low.isFinite && high.isFinite) || low > high { (low, high) = (0, 1) }
    if low == high {
      // A constant series: centre it in a band around the value.
      let pad = low == 0 ? 1 : abs(low) * 0.1
      (low, high) = (low - pad, high + pad)
    }
    let span = high - low
    lower = low - margin * span
    upper = high + margin * span
    var step = Self.niceStep((upper - lower) / Double(max(target - 1, 1)))
    if integral { step = max(step, 1) }
    self.step = step
    // Integer multiples of the step (rather than repeated addition) keep 0.1-steps exact.
    let first = Int((lower / step - 1e-9).rounded(.up))
    let last = Int((upper / step + 1e-9).rounded(.down))
    values = first <= last ? (first...last).map { Double($0) * step } : []
  }

  /// 1, 2, 5 or 10 times a power of ten, whichever is nearest to `rough` (Heckbert's "nice
  /// numbers", Graphics Gems, 1990).
  static func niceStep(_ rough: Double) -> Double {
    guard rough > 0, rough.isFinite else { return 1 }
    let magnitude = pow(10, log10(rough).rounded(.down))
    let fraction = rough / magnitude
    let nice: Double = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10
    return nice * magnitude
  }

  /// `value` written with as many decimals as the step needs (`0.25` for step 0.05, `150` for
  /// step 50), or in scientific notation for very large or very small axes (`2.5e-06`).
  func label(_ value: Double) -> String {
    let value = abs(value) < step * 1e-6 ? 0 : value  // no "-0" or "1e-17" at zero
    let largest = max(abs(lower), abs(upper))
    if largest >= 1e6 || step < 1e-4 {
      let digits = max(0, Int((log10(largest)).rounded(.down) - (log10(step)).rounded(.down)))
      return String(format: "%.\(min(digits, 6))e", value)
    }
    let decimals = max(0, -Int((log10(step) + 1e-9).rounded(.down)))
    return String(format: "%.\(decimals)f", value)
  }
}
