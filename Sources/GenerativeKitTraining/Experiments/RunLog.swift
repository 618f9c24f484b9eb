import Foundation
import GenerativeKit
import GenerativeKitData
import GenerativeKitMetrics

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
      var fields = ["\"epoch\": \(report.epoch)"]
      for (name, value) in report.metrics { fields.append("\"\(name)\": \(Self.number(value))") }
      fields.append("\"seconds\": \(Self.number(Float(report.seconds)))")
      fields.append("\"images\": \(report.images)")
      json += "{" + fields.joined(separator: ", ") + "}\n"
      let values = names.map { report.metrics[$0].map(Self.number) ?? "" }
      csv += ([String(report.epoch)] + values + [Self.number(Float(report.seconds)), String(Int(report.imagesPerSecond))])
        .joined(separator: ",") + "\n"
    }
    try AtomicFile.write(to: jsonLinesURL) { try $0.write(Array(json.utf8)) }
    try AtomicFile.write(to: csvURL) { try $0.write(Array(csv.utf8)) }
  }

  /// JSON has no NaN or infinity; they are written as null.
  private static func number(_ value: Float) -> String { value.isFinite ? "\(value)" : "null" }

  private static func parse(_ line: String) -> EpochReport? {
    guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
      let epoch = object["epoch"] as? Int
    else { return nil }
    var metrics = TrainingFigures()
    // Keys come back unordered; keep the file's order by scanning the line for each key.
    let keys = object.keys.filter { !["epoch", "seconds", "images"].contains($0) }
      .sorted { (line.range(of: "\"\($0)\"")?.lowerBound ?? line.endIndex) < (line.range(of: "\"\($1)\"")?.lowerBound ?? line.endIndex) }
    for key in keys { metrics[key] = (object[key] as? NSNumber)?.floatValue ?? .nan }
    return EpochReport(
      epoch: epoch, metrics: metrics, seconds: (object["seconds"] as? NSNumber)?.doubleValue ?? 0,
      images: object["images"] as? Int ?? 0)
  }
}
