/// Named figures in a fixed order (`D loss`, `G loss`, ...), as a step or an epoch reports them.
public struct TrainingFigures: Sendable, Equatable, Sequence, CustomStringConvertible {
  /// The names, in the order they were first set.
  public private(set) var names: [String] = []
  /// The values, index-aligned with ``names``.
  public private(set) var values: [Float] = []

  /// No figures.
  public init() {}

  /// Figures from `(name, value)` pairs, in order.
  public init(_ pairs: KeyValuePairs<String, Float>) {
    for (name, value) in pairs { self[name] = value }
  }

  /// The value of `name`, or nil; setting a new name appends it.
  public subscript(name: String) -> Float? {
    get { names.firstIndex(of: name).map { values[$0] } }
    set {
      if let index = names.firstIndex(of: name) {
        if let newValue { values[index] = newValue } else {
          names.remove(at: index)
          values.remove(at: index)
        }
      } else if let newValue {
        names.append(name)
        values.append(newValue)
      }
    }
  }

  /// The first metric that is NaN or infinite.
  public var firstNonFinite: (name: String, value: Float)? {
    zip(names, values).first { !$0.1.isFinite }.map { ($0.0, $0.1) }
  }

  public func makeIterator() -> Zip2Sequence<[String], [Float]>.Iterator { zip(names, values).makeIterator() }

  public var description: String {
    zip(names, values).map { "\($0) \(formatMetric($1))" }.joined(separator: ", ")
  }
}

/// A compact, fixed-precision rendering of a metric value for logs.
package func formatMetric(_ value: Float) -> String {
  guard value.isFinite else { return "\(value)" }
  let magnitude = abs(value)
  let digits = magnitude >= 100 ? 2 : magnitude >= 1 ? 4 : 5
  return formatFixed(Double(value), digits: digits)
}

/// `value` with `digits` decimals, without Foundation.
package func formatFixed(_ value: Double, digits: Int) -> String {
  guard value.isFinite else { return "\(value)" }
  // Beyond 1e15 the digits after the point are noise, and Int cannot hold the whole part: the
  // shortest form that reads back to the same value.
  guard abs(value) < 1e15 else { return "\(value)" }
  var scale = 1.0
  for _ in 0..<digits { scale *= 10 }
  let rounded = (abs(value) * scale).rounded()
  let whole = Int(rounded / scale)
  let fraction = Int(rounded - Double(whole) * scale)
  var fractionText = String(fraction)
  while fractionText.count < digits { fractionText = "0" + fractionText }
  let sign = value < 0 && rounded != 0 ? "-" : ""
  return digits == 0 ? "\(sign)\(whole)" : "\(sign)\(whole).\(fractionText)"
}

/// Running means of metrics over an epoch, accumulated in Double.
package struct MetricsAverager {
  private var sums: [Double] = []
  private var names: [String] = []
  package private(set) var count = 0

  package init() {}

  package mutating func add(_ metrics: TrainingFigures) {
    if names.isEmpty {
      names = metrics.names
      sums = Array(repeating: 0, count: names.count)
    }
    for (index, value) in metrics.values.enumerated() where index < sums.count { sums[index] += Double(value) }
    count += 1
  }

  package var mean: TrainingFigures {
    var result = TrainingFigures()
    for (name, sum) in zip(names, sums) { result[name] = Float(sum / Double(max(count, 1))) }
    return result
  }
}
