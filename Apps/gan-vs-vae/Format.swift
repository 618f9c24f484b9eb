import Foundation

/// Number formatting for the report's tables.
enum Format {
  static func number(_ value: Double, digits: Int = 2) -> String {
    guard value.isFinite else { return "n/a" }
    return String(format: "%.\(digits)f", value)
  }

  static func plusMinus(_ value: Double, _ error: Double, digits: Int = 1) -> String {
    "\(number(value, digits: digits)) ± \(number(error, digits: digits))"
  }

  /// A share in [0, 1] as a percentage with one decimal.
  static func percent(_ share: Double) -> String { "\(number(100 * share, digits: 1)) %" }

  static func count(_ value: Int) -> String {
    let digits = String(value)
    var out = ""
    for (index, character) in digits.reversed().enumerated() {
      if index > 0 && index % 3 == 0 { out.append(",") }
      out.append(character)
    }
    return String(out.reversed())
  }

  static func duration(_ seconds: Double) -> String {
    if seconds < 120 { return "\(number(seconds, digits: 1)) s" }
    if seconds < 7200 { return "\(number(seconds / 60, digits: 1)) min" }
    return "\(number(seconds / 3600, digits: 2)) h"
  }
}
