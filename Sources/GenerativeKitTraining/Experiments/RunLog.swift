import Foundation
import GenerativeKit

/// The per-epoch record of a training run, kept as JSON lines (`log.jsonl`) and CSV (`log.csv`)
/// in the run's folder, one line per epoch, written as soon as the epoch ends.
///
/// On resume the lines of epochs after the checkpoint are dropped, so the log always describes
/// the weights on disk.
public final class RunLog {
  public let directory: URL
  public private(set) var epochs: [EpochReport] = []

  public var jsonLinesURL: URL { directory.appendingPathComponent("log.jsonl") }
  public var csvURL: URL { directory.appendingPathComponent("log.csv") }

  /// A log in `directory`; with `keepingEpochsThrough` the existing lines up to that epoch are
  /// read back (a resumed run), otherwise any old log is replaced.
  public init(directory: URL, keepingEpochsThrough lastEpoch: Int? = nil) throws {
    self.directory = directory
    if let lastEpoch, let text = try? String(contentsOf: jsonLinesURL, encoding: .utf8) {
      epochs = text.split(separator: "\n").compactMap { Self.parse(String($0)) }.filter { $0.epoch <= lastEpoch }
    }
    try rewrite()
  }

  /// Appends one epoch's figures to both files.
  public func append(_ report: EpochReport) throws {
    epochs.append(report)
    try rewrite()
  }

  /// The epochs and values of `metric`, for plots.
  public func series(_ metric: String) -> (x: [Double], y: [Double]) {
    let points = epochs.compactMap { report in report.metrics[metric].map { (Double(report.epoch), Double($0)) } }
    return (points.map(\.0), points.map(\.1))
  }

  private func rewrite() throws {
    var json = ""
    var csv = ""
    let names = epochs.first?.metrics.names ?? []
    csv += (["epoch"] + names + ["seconds", "images_per_second"]).joined(separator: ",") + "\n"
    for report in epochs {
      json += Self.jsonLine(report) + "\n"
      let values = names.map { report.metrics[$0].map(Self.number) ?? "" }
      csv += ([String(report.epoch)] + values + [Self.number(Float(report.seconds)), String(Int(report.imagesPerSecond))])
        .joined(separator: ",") + "\n"
    }
    try AtomicFile.write(to: jsonLinesURL) { try $0.write(Array(json.utf8)) }
    try AtomicFile.write(to: csvURL) { try $0.write(Array(csv.utf8)) }
  }

  /// One epoch's line of `log.jsonl` (without the newline).
  static func jsonLine(_ report: EpochReport) -> String {
    var fields = ["\"epoch\": \(report.epoch)"]
    for (name, value) in report.metrics { fields.append("\"\(name)\": \(Self.number(value))") }
    fields.append("\"seconds\": \(Self.number(Float(report.seconds)))")
    fields.append("\"images\": \(report.images)")
    return "{" + fields.joined(separator: ", ") + "}"
  }

  /// JSON has no NaN or infinity; they are written as null.
  private static func number(_ value: Float) -> String { value.isFinite ? "\(value)" : "null" }

  /// One line of `log.jsonl`, read with the library's strict JSON parser (key order kept, depth
  /// and size bounded); nil for a line that is not an epoch record. `null` reads back as NaN.
  static func parse(_ line: String) -> EpochReport? {
    let bytes = Array(line.utf8)
    guard let value = try? bytes.withUnsafeBytes({ try HeaderJSON.parse($0) }),
      case .object(let members) = value
    else { return nil }
    var epoch: Int?
    var seconds = 0.0
    var images = 0
    var metrics = TrainingFigures()
    for (key, value) in members {
      switch key {
      case "epoch": if case .integer(let number) = value { epoch = number }
      case "seconds": seconds = value.numberValue ?? 0
      case "images": if case .integer(let number) = value { images = number }
      default: metrics[key] = value.numberValue.map(Float.init) ?? .nan
      }
    }
    guard let epoch else { return nil }
    return EpochReport(epoch: epoch, metrics: metrics, seconds: seconds, images: images)
  }
}
