import Foundation
import GenerativeKit

/// A line chart of training curves (losses per epoch, say), rendered as a standalone SVG file.
///
/// ```swift
/// var plot = LinePlot(title: "GAN on MNIST", xLabel: "epoch", yLabel: "loss")
/// plot.addSeries("D loss", values: discriminatorLosses)   // x = 1, 2, 3, ...
/// plot.addSeries("G loss", values: generatorLosses)
/// try plot.write(to: URL(fileURLWithPath: "runs/gan/losses.svg"))
/// ```
///
/// Axes get "nice" ticks (1, 2 or 5 times a power of ten) and cover every finite point unless
/// ``xRange`` or ``yRange`` is set. Non-finite values (a NaN loss) break a line instead of
/// spoiling the axes; empty, constant and all-NaN series still give a readable chart.
public struct LinePlot {
  /// One named curve.
  public struct Series {
    /// The name shown in the legend.
    public var name: String
    /// The points in drawing order.
    public var points: [(x: Double, y: Double)]
    /// An SVG colour (`"#1f77b4"`, `"crimson"`); nil picks the next colour of the palette.
    public var color: String?

    public init(name: String, points: [(x: Double, y: Double)], color: String? = nil) {
      self.name = name
      self.points = points
      self.color = color
    }
  }

  /// The title above the chart.
  public var title: String
  /// The horizontal axis's label.
  public var xLabel: String
  /// The vertical axis's label.
  public var yLabel: String
  /// The curves, drawn in order (later ones on top).
  public var series: [Series] = []
  /// The picture's size in pixels.
  public var width = 900
  public var height = 560
  /// Fixed axis ranges, used exactly; nil covers the data with a small margin. Points outside
  /// are clipped.
  public var xRange: ClosedRange<Double>?
  public var yRange: ClosedRange<Double>?

  /// An empty chart.
  public init(title: String, xLabel: String = "epoch", yLabel: String = "loss") {
    self.title = title
    self.xLabel = xLabel
    self.yLabel = yLabel
  }

  /// Adds a curve through `(x[i], y[i])`; `x` and `y` must have the same length.
  public mutating func addSeries(_ name: String, x: [Double], y: [Double], color: String? = nil) {
    enforce(x.count == y.count, "LinePlot.addSeries(\(name)): \(x.count) x values for \(y.count) y values")
    series.append(Series(name: name, points: Array(zip(x, y)).map { (x: $0.0, y: $0.1) }, color: color))
  }

  /// Adds a curve through `values` at x = 1, 2, 3, ... (one value per epoch).
  public mutating func addSeries(_ name: String, values: [Double], color: String? = nil) {
    addSeries(name, x: values.indices.map { Double($0 + 1) }, y: values, color: color)
  }

  /// Adds a curve through Float `values` at x = 1, 2, 3, ...
  public mutating func addSeries(_ name: String, values: [Float], color: String? = nil) {
    addSeries(name, values: values.map(Double.init), color: color)
  }

  /// Writes ``svg()`` to `url` atomically (a temporary file renamed into place).
  public func write(to url: URL) throws {
    let bytes = Array(svg().utf8)
    try AtomicFile.write(to: url) { try $0.write(bytes) }
  }

  /// The Tableau-10 palette: distinct hues that stay apart for common colour blindness.
  static let palette = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
  ]
}
