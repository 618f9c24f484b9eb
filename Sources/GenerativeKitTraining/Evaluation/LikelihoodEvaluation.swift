import Foundation
import GenerativeKit
import GenerativeKitMetrics

/// Burda et al.'s test log-likelihood protocol, run image by image so that hours of work survive
/// an interruption: the importance-weighted bound with ``samples`` draws for every image
/// (`VAE.importanceWeightedBound(images:samples:observation:batchSize:using:)`), each image's
/// bound appended to a record file as soon as it is known, and a later run that finds the record
/// continuing after its last image.
///
/// Image `i` draws its noise from a stream of its own (from ``seed`` and `i`), so its bound is
/// the same whether the images before it were evaluated in this run, an earlier one, or not at
/// all: a resumed evaluation gives the uninterrupted one's figures bit for bit.
///
/// The record is a text file: a `#` line naming the protocol and the model, then `index,bound`
/// lines (bounds in nats, written with full Double precision).
public struct LikelihoodEvaluation: Sendable {
  /// Importance samples per image (5,000 in Burda et al.'s test figures).
  public let samples: Int
  /// The seed of the images' noise streams.
  public let seed: UInt64
  /// The observation model of the decoder (Bernoulli for binarized MNIST).
  public let observation: ObservationModel

  /// Progress after each image: images done (including those of an earlier run), the total, the
  /// bounds so far, and the seconds this run has spent.
  public struct Progress: Sendable {
    /// Images with a bound, this run's and the record's.
    public var done: Int
    /// Images to evaluate in all.
    public var total: Int
    /// The bounds so far, in image order (nats).
    public var bounds: [Double]
    /// Seconds this run has spent.
    public var seconds: Double
    /// The images this run has evaluated (those read from the record excluded).
    public var evaluatedThisRun: Int
  }

  /// - Throws: `GenerativeKitError.invalidArgument` if `samples` is below 1.
  public init(samples: Int, seed: UInt64, observation: ObservationModel = .bernoulli) throws {
    guard samples >= 1 else {
      throw GenerativeKitError.invalidArgument("LikelihoodEvaluation: samples must be at least 1, got \(samples)")
    }
    self.samples = samples
    self.seed = seed
    self.observation = observation
  }

  /// The noise stream of image `index`.
  func noise(forImage index: Int) -> SeededGenerator {
    SeededGenerator(seed: seed ^ (UInt64(index) &+ 1) &* 0x9E37_79B9_7F4A_7C15)
  }

  /// The first line of a record for `images` images of the model called `model`.
  func header(model: String, images: Int) -> String {
    "# importance-weighted bound; samples \(samples); seed \(seed); images \(images); model \(model)"
  }

  /// Evaluates `model` on `images` `[N, C, H, W]`, continuing the record at `record` when it
  /// exists (nil: keep no record).
  ///
  /// - Parameters:
  ///   - model: the VAE, evaluated in inference mode.
  ///   - images: `[N, C, H, W]`, binary pixels for a Bernoulli decoder.
  ///   - modelName: identifies the model in the record (a checkpoint path and epoch), so that a
  ///     record of another model or protocol is refused instead of continued.
  ///   - record: the record file, created when missing.
  ///   - progress: called after every image.
  /// - Returns: the mean bound per image with its standard error (the test NLL is `-mean`).
  /// - Throws: `GenerativeKitError.file` naming the record when it belongs to
  ///   another model, protocol or image count, or a line of it is damaged.
  public func run(
    model: VAE, images: Tensor, modelName: String, record: URL?, progress: (Progress) -> Void = { _ in }
  ) throws -> LikelihoodBound {
    guard images.rank >= 2, images.shape[0] >= 1 else {
      throw GenerativeKitError.shapeMismatch(
        context: "LikelihoodEvaluation.run: images", expected: "[N, C, H, W] with N >= 1", actual: images.shape)
    }
    let total = images.shape[0]
    let header = header(model: modelName, images: total)
    var bounds = try record.map { try readRecord($0, header: header, total: total) } ?? []
    let writer = try record.map { try RecordWriter(url: $0, header: header, startsEmpty: bounds.isEmpty) }
    let start = monotonicSeconds()
    let resumedFrom = bounds.count
    for index in bounds.count..<total {
      var noise = noise(forImage: index)
      let bound = try model.importanceWeightedBound(
        images: images.slice(batch: index..<(index + 1)), samples: samples, observation: observation, batchSize: 1,
        using: &noise)
      bounds.append(bound.mean)
      try writer?.append("\(index),\(bound.mean)\n")
      progress(Progress(done: bounds.count, total: total, bounds: bounds, seconds: monotonicSeconds() - start,
                        evaluatedThisRun: bounds.count - resumedFrom))
    }
    return LikelihoodBound(perImage: bounds, samples: samples)
  }

  /// The bounds already in the record, in image order; empty when there is no record yet.
  func readRecord(_ url: URL, header: String, total: Int) throws -> [Double] {
    guard FileManager.default.fileExists(atPath: url.path) else { return [] }
    func fail(_ reason: String) -> GenerativeKitError { .file(path: url.path, reason: reason) }
    let text = try String(contentsOf: url, encoding: .utf8)
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if lines.last == "" { lines.removeLast() } else if !lines.isEmpty, !text.hasSuffix("\n") {
      lines.removeLast()  // a line cut short by an interruption: evaluated again
    }
    guard let first = lines.first else { return [] }
    guard first == header else {
      throw fail("this record was made for another evaluation (\(first.dropFirst(2))); expected \(header.dropFirst(2)). "
                   + "Delete it or choose another output folder")
    }
    var bounds: [Double] = []
    for (offset, line) in lines.dropFirst().enumerated() {
      let fields = line.split(separator: ",")
      guard fields.count == 2, Int(fields[0]) == bounds.count, let bound = Double(fields[1]), bound.isFinite,
            bounds.count < total
      else {
        throw fail("line \(offset + 2) should be '\(bounds.count),<bound>', found '\(line.prefix(60))'")
      }
      bounds.append(bound)
    }
    return bounds
  }
}

/// Appends lines to a record file, creating it with its header when it starts empty, and dropping
/// a partial last line left by an interruption.
private final class RecordWriter {
  let handle: FileHandle

  init(url: URL, header: String, startsEmpty: Bool) throws {
    let manager = FileManager.default
    try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    if startsEmpty || !manager.fileExists(atPath: url.path) {
      guard manager.createFile(atPath: url.path, contents: Data((header + "\n").utf8)) else {
        throw GenerativeKitError.file(path: url.path, reason: "cannot create the record file")
      }
    } else if let text = try? String(contentsOf: url, encoding: .utf8), !text.hasSuffix("\n"),
              let lastNewline = text.lastIndex(of: "\n") {
      try Data(text[...lastNewline].utf8).write(to: url, options: .atomic)
    }
    do {
      handle = try FileHandle(forWritingTo: url)
      try handle.seekToEnd()
    } catch {
      throw GenerativeKitError.file(path: url.path, reason: "cannot append to the record: \(error)")
    }
  }

  func append(_ line: String) throws {
    try handle.write(contentsOf: Data(line.utf8))
  }

  deinit { try? handle.close() }
}
