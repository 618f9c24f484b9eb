import Foundation
import GenerativeKit

extension LinePlot {
  /// The chart as a standalone SVG document: title, framed plot area with grid lines, tick labels,
  /// axis labels, one polyline per run of finite points in each series (with point markers when
  /// no series has more than 40 points), and a legend to the right.
  public func svg() -> String {
    let finite = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
    let integralX = finite.allSatisfy { $0.x == $0.x.rounded() }
    let xTicks = Self.ticks(xRange, finite.map(\.x), integral: integralX)
    let yTicks = Self.ticks(yRange, finite.map(\.y), integral: false)

    // Layout, with text widths estimated from character counts (about 0.6 em per character).
    let yLabelWidth = Double(yTicks.values.map { yTicks.label($0).count }.max() ?? 1) * 7.2
    let legendWidth = 44 + Double(series.map { legendName($0).count }.max() ?? 0) * 7.8
    let left = 44 + yLabelWidth
    let right = Double(width) - (series.isEmpty ? 24 : legendWidth + 24)
    let top = 56.0
    let bottom = Double(height) - 62
    func px(_ x: Double) -> Double { left + (x - xTicks.lower) / (xTicks.upper - xTicks.lower) * (right - left) }
    func py(_ y: Double) -> Double { bottom - (y - yTicks.lower) / (yTicks.upper - yTicks.lower) * (bottom - top) }

    var svg = SVGBuilder(width: width, height: height)
    svg.open("defs")
    svg.open("clipPath", ["id": "plot-area"])
    svg.element("rect", ["x": f(left - 4), "y": f(top - 4), "width": f(right - left + 8), "height": f(bottom - top + 8)])
    svg.close("clipPath")
    svg.close("defs")
    svg.element("rect", ["width": "100%", "height": "100%", "fill": "white"])
    svg.text(title, x: (left + right) / 2, y: 32, ["font-size": "18", "font-weight": "bold", "text-anchor": "middle"])

    // Grid, frame and ticks.
    svg.open("g", ["class": "grid", "stroke": "#e3e3e3", "stroke-width": "1"])
    for x in xTicks.values { svg.element("line", ["x1": f(px(x)), "y1": f(top), "x2": f(px(x)), "y2": f(bottom)]) }
    for y in yTicks.values { svg.element("line", ["x1": f(left), "y1": f(py(y)), "x2": f(right), "y2": f(py(y))]) }
    svg.close("g")
    svg.element("rect", ["x": f(left), "y": f(top), "width": f(right - left), "height": f(bottom - top),
                         "fill": "none", "stroke": "#444", "stroke-width": "1"])
    svg.open("g", ["class": "x-axis", "font-size": "12", "text-anchor": "middle", "fill": "#333"])
    for x in xTicks.values {
      svg.element("line", ["x1": f(px(x)), "y1": f(bottom), "x2": f(px(x)), "y2": f(bottom + 5), "stroke": "#444"])
      svg.text(xTicks.label(x), x: px(x), y: bottom + 20)
    }
    svg.close("g")
    svg.open("g", ["class": "y-axis", "font-size": "12", "text-anchor": "end", "fill": "#333"])
    for y in yTicks.values {
      svg.element("line", ["x1": f(left - 5), "y1": f(py(y)), "x2": f(left), "y2": f(py(y)), "stroke": "#444"])
      svg.text(yTicks.label(y), x: left - 9, y: py(y) + 4)
    }
    svg.close("g")
    svg.text(xLabel, x: (left + right) / 2, y: bottom + 46, ["font-size": "14", "text-anchor": "middle"])
    let yLabelX = 20.0, yLabelY = (top + bottom) / 2
    svg.text(yLabel, x: yLabelX, y: yLabelY, ["font-size": "14", "text-anchor": "middle",
                                              "transform": "rotate(-90 \(f(yLabelX)) \(f(yLabelY)))"])

    // Curves.
    let showMarkers = (series.map(\.points.count).max() ?? 0) <= 40
    for (index, item) in series.enumerated() {
      let color = item.color ?? Self.palette[index % Self.palette.count]
      svg.open("g", ["class": "series", "data-name": item.name, "clip-path": "url(#plot-area)"])
      for run in Self.finiteRuns(item.points) {
        let points = run.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
        svg.element("polyline", ["points": points, "fill": "none", "stroke": color, "stroke-width": "2",
                                 "stroke-linejoin": "round", "stroke-linecap": "round"])
        if showMarkers || run.count == 1 {
          for point in run { svg.element("circle", ["cx": f(px(point.x)), "cy": f(py(point.y)), "r": "3", "fill": color]) }
        }
      }
      svg.close("g")
    }

    // Legend.
    if !series.isEmpty {
      let x = right + 18
      svg.open("g", ["class": "legend", "font-size": "13"])
      for (index, item) in series.enumerated() {
        let color = item.color ?? Self.palette[index % Self.palette.count]
        let y = top + 10 + Double(index) * 22
        svg.element("line", ["x1": f(x), "y1": f(y), "x2": f(x + 24), "y2": f(y), "stroke": color, "stroke-width": "2"])
        svg.element("circle", ["cx": f(x + 12), "cy": f(y), "r": "3", "fill": color])
        svg.text(legendName(item), x: x + 32, y: y + 4)
      }
      svg.close("g")
    }
    return svg.finish()
  }

  /// The legend text: the name, flagged when there is nothing to draw.
  private func legendName(_ series: Series) -> String {
    series.points.contains { $0.x.isFinite && $0.y.isFinite } ? series.name : series.name + " (no data)"
  }

  /// Ticks over a fixed range, or over the finite values.
  private static func ticks(_ fixed: ClosedRange<Double>?, _ values: [Double], integral: Bool) -> AxisTicks {
    if let fixed { return AxisTicks(covering: fixed.lowerBound, fixed.upperBound, integral: integral, margin: 0) }
    return AxisTicks(covering: values.min() ?? 0, values.max() ?? 1, integral: integral)
  }

  /// The maximal runs of consecutive points whose coordinates are both finite.
  static func finiteRuns(_ points: [(x: Double, y: Double)]) -> [[(x: Double, y: Double)]] {
    var runs: [[(x: Double, y: Double)]] = []
    var current: [(x: Double, y: Double)] = []
    for point in points {
      if point.x.isFinite && point.y.isFinite {
        current.append(point)
      } else if !current.isEmpty {
        runs.append(current)
        current = []
      }
    }
    if !current.isEmpty { runs.append(current) }
    return runs
  }
}

/// A coordinate with two decimals.
private func f(_ value: Double) -> String { String(format: "%.2f", value) }

/// Accumulates an SVG document, escaping text and attribute values.
struct SVGBuilder {
  private var text: String
  private var depth = 1

  init(width: Int, height: Int) {
    text = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      + "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" "
      + "viewBox=\"0 0 \(width) \(height)\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n"
  }

  /// Attributes in sorted order, so the same chart always gives the same bytes.
  private static func attributes(_ attributes: [String: String]) -> String {
    attributes.keys.sorted().map { " \($0)=\"\(escape(attributes[$0]!))\"" }.joined()
  }

  mutating func open(_ name: String, _ attributes: [String: String] = [:]) {
    text += String(repeating: "  ", count: depth) + "<\(name)\(Self.attributes(attributes))>\n"
    depth += 1
  }

  mutating func close(_ name: String) {
    depth -= 1
    text += String(repeating: "  ", count: depth) + "</\(name)>\n"
  }

  mutating func element(_ name: String, _ attributes: [String: String]) {
    text += String(repeating: "  ", count: depth) + "<\(name)\(Self.attributes(attributes))/>\n"
  }

  mutating func text(_ content: String, x: Double, y: Double, _ attributes: [String: String] = [:]) {
    var all = attributes
    all["x"] = f(x)
    all["y"] = f(y)
    text += String(repeating: "  ", count: depth) + "<text\(Self.attributes(all))>\(Self.escape(content))</text>\n"
  }

  func finish() -> String { text + "</svg>\n" }

  /// `value` with XML's special characters escaped; control characters XML cannot hold are dropped.
  static func escape(_ value: String) -> String {
    var result = ""
    for scalar in value.unicodeScalars {
      switch scalar {
      case "&": result += "&amp;"
      case "<": result += "&lt;"
      case ">": result += "&gt;"
      case "\"": result += "&quot;"
      case "'": result += "&apos;"
      case "\t", "\n", "\r": result.unicodeScalars.append(scalar)
      case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF: continue
      default: result.unicodeScalars.append(scalar)
      }
    }
    return result
  }
}
