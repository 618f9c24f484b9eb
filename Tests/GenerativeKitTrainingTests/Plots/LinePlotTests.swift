import Foundation
import TestSupport
import Testing

@testable import GenerativeKit
@testable import GenerativeKitData
@testable import GenerativeKitMetrics
@testable import GenerativeKitTraining

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// What an SVG holds, read back with Foundation's XML parser.
final class SVGSummary: NSObject, XMLParserDelegate {
  var rootName: String?
  var texts: [String] = []
  /// Per series name, the number of points of each of its polylines.
  var polylines: [String: [Int]] = [:]
  var seriesOrder: [String] = []
  var circles = 0
  private var currentSeries: String?
  private var currentText: String?

  /// Parses `svg`; nil if it is not well-formed XML.
  static func parse(_ svg: String) -> SVGSummary? {
    let summary = SVGSummary()
    let parser = XMLParser(data: Data(svg.utf8))
    parser.delegate = summary
    return parser.parse() ? summary : nil
  }

  func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
              attributes: [String: String] = [:]) {
    if rootName == nil { rootName = name }
    switch name {
    case "g" where attributes["class"] == "series":
      let series = attributes["data-name"] ?? "?"
      currentSeries = series
      seriesOrder.append(series)
      polylines[series] = []
    case "polyline":
      let pairs = (attributes["points"] ?? "").split(separator: " ")
      let valid = pairs.allSatisfy { $0.split(separator: ",").compactMap { Double($0) }.count == 2 }
      polylines[currentSeries ?? "?", default: []].append(valid ? pairs.count : -1)
    case "circle": circles += 1
    case "text": currentText = ""
    default: break
    }
  }

  func parser(_ parser: XMLParser, foundCharacters string: String) { currentText? += string }

  func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
    if name == "text", let text = currentText { texts.append(text) }
    if name == "text" { currentText = nil }
    if name == "g" { currentSeries = nil }
  }
}

@Suite struct LinePlotTests {
  /// Plots are also written here when the variable is set, for looking at them.
  static let keepDirectory = ProcessInfo.processInfo.environment["GENERATIVEKIT_KEEP_PLOTS"]

  static func ganCurves(epochs: Int = 50) -> LinePlot {
    var plot = LinePlot(title: "GAN on MNIST: losses per epoch", xLabel: "epoch", yLabel: "loss")
    let d = (1...epochs).map { (epoch: Int) -> Double in
      let t = Double(epoch)
      return 1.35 - 0.4 * (1 - exp(-t / 8)) + 0.05 * sin(t)
    }
    let g = (1...epochs).map { (epoch: Int) -> Double in
      let t = Double(epoch)
      return 0.7 + 0.9 * (1 - exp(-t / 10)) + 0.08 * cos(1.7 * t)
    }
    plot.addSeries("D loss", values: d)
    plot.addSeries("G loss", values: g)
    return plot
  }

  func keep(_ plot: LinePlot, as name: String) throws {
    guard let directory = Self.keepDirectory else { return }
    try plot.write(to: URL(fileURLWithPath: directory).appendingPathComponent(name))
  }

  @Test func svgIsWellFormedWithTitleLabelsLegendAndEveryPoint() throws {
    let plot = Self.ganCurves()
    let summary = try #require(SVGSummary.parse(plot.svg()))
    #expect(summary.rootName == "svg")
    #expect(summary.seriesOrder == ["D loss", "G loss"])
    #expect(summary.polylines == ["D loss": [50], "G loss": [50]])
    #expect(summary.circles == 2)  // legend markers only: 50 points a series are too many for markers
    for text in ["GAN on MNIST: losses per epoch", "epoch", "loss", "D loss", "G loss", "0", "50"] {
      #expect(summary.texts.contains(text), "missing text \(text)")
    }
    try keep(plot, as: "gan-losses.svg")
  }

  @Test func nonFiniteValuesBreakLinesAndEmptySeriesStillShowInTheLegend() throws {
    var plot = LinePlot(title: "Broken <runs> & \"quotes\"", xLabel: "step", yLabel: "value")
    var values = (1...12).map { Double($0) }
    values[4] = .nan
    values[8] = .infinity
    plot.addSeries("with gaps", values: values)
    plot.addSeries("all NaN", values: [Double.nan, .nan])
    plot.addSeries("empty", values: [Double]())
    plot.addSeries("single", x: [3], y: [5], color: "crimson")
    let svg = plot.svg()
    let summary = try #require(SVGSummary.parse(svg))
    #expect(summary.polylines["with gaps"] == [4, 3, 3])
    #expect(summary.polylines["all NaN"] == [])
    #expect(summary.polylines["single"] == [1])
    #expect(summary.texts.contains("Broken <runs> & \"quotes\""))
    #expect(summary.texts.contains("all NaN (no data)") && summary.texts.contains("empty (no data)"))
    #expect(!svg.contains("nan") && !svg.contains("inf"))
    #expect(svg.contains("crimson"))
    try keep(plot, as: "gaps.svg")
  }

  @Test func degenerateDataStillGivesAReadableChart() throws {
    var constant = LinePlot(title: "constant")
    constant.addSeries("flat", values: [Double](repeating: 0.693, count: 5))
    let nothing = LinePlot(title: "no series")
    var zero = LinePlot(title: "zero")
    zero.addSeries("zero", x: [0, 0], y: [0, 0])
    for plot in [constant, nothing, zero] {
      let svg = plot.svg()
      let summary = try #require(SVGSummary.parse(svg), "\(plot.title)")
      #expect(summary.texts.contains(plot.title))
      #expect(!svg.contains("nan") && !svg.contains("inf"), "\(plot.title)")
    }
    #expect(SVGSummary.parse(constant.svg())?.texts.contains("0.70") == true)
    try keep(constant, as: "constant.svg")
    try keep(nothing, as: "empty.svg")
  }

  @Test func fixedRangesClipAndLabelLargeAndSmallNumbers() throws {
    var plot = LinePlot(title: "spike", xLabel: "epoch", yLabel: "loss")
    plot.addSeries("loss", values: [1, 2, 1000, 1.5, 1.2])
    plot.yRange = 0...3
    let summary = try #require(SVGSummary.parse(plot.svg()))
    #expect(summary.texts.contains("3.0") && !summary.texts.contains("1000"))
    #expect(summary.polylines["loss"] == [5])

    var tiny = LinePlot(title: "tiny")
    tiny.addSeries("lr", x: [0, 1, 2], y: [1e-6, 2e-6, 3e-6])
    #expect(SVGSummary.parse(tiny.svg())?.texts.contains("2.0e-06") == true)
    try keep(plot, as: "clipped.svg")
    try keep(tiny, as: "tiny.svg")
  }

  @Test func writesTheFileAtomically() throws {
    let directory = try TestData.temporaryDirectory("plot")
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("losses.svg")
    let plot = Self.ganCurves(epochs: 10)
    try plot.write(to: url)
    try Self.ganCurves(epochs: 20).write(to: url)  // replaces it
    #expect(try String(contentsOf: url, encoding: .utf8) == Self.ganCurves(epochs: 20).svg())
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["losses.svg"])
    #expect(SVGSummary.parse(plot.svg())?.circles == 22)  // 20 point markers + 2 in the legend
  }

  @Test func axisTicksAreNiceNumbers() {
    let unit = AxisTicks(covering: 0.13, 2.7)
    #expect(unit.lower < 0.13 && unit.lower > 0 && unit.upper > 2.7 && unit.upper < 3 && unit.step == 0.5)
    #expect(unit.values.map(unit.label) == ["0.5", "1.0", "1.5", "2.0", "2.5"])
    let exact = AxisTicks(covering: 0, 3, margin: 0)
    #expect(exact.lower == 0 && exact.upper == 3 && exact.values == [0, 0.5, 1, 1.5, 2, 2.5, 3])
    let epochs = AxisTicks(covering: 1, 3, integral: true)
    #expect(epochs.values == [1, 2, 3])
    let negative = AxisTicks(covering: -0.3, 0.3)
    #expect(negative.values.map(negative.label) == ["-0.3", "-0.2", "-0.1", "0.0", "0.1", "0.2", "0.3"])
    let large = AxisTicks(covering: 0, 2_500_000)
    #expect(large.label(500_000) == "5e+05" || large.label(500_000) == "5.0e+05")
    let hundreds = AxisTicks(covering: 120, 980)
    #expect(hundreds.step == 200 && hundreds.values.map(hundreds.label) == ["200", "400", "600", "800", "1000"])
    let constant = AxisTicks(covering: 5, 5)
    #expect(constant.lower < 5 && constant.upper > 5)
    let invalid = AxisTicks(covering: .nan, .infinity)
    #expect(invalid.values.first == 0 && invalid.values.last == 1)
    #expect(AxisTicks.niceStep(0.4) == 0.5 && AxisTicks.niceStep(7) == 10 && AxisTicks.niceStep(2) == 2
            && AxisTicks.niceStep(0.12) == 0.1 && AxisTicks.niceStep(1600) == 2000)
  }
}
