import Foundation
import GenerativeKit
import GenerativeKitData
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
/// The record is a text file: a `#` line naming the protocol and the model (its name and the
/// SHA-256 of its weights, so that another model's evaluation never continues this one), then
/// `index,bound` lines (bounds in nats, written with full Double precision). It is read as a
/// stream: memory stays bounded whatever the file holds.
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

  /// The first line of a record for `images` images of the model called `model` whose weights
  /// hash to `weights`.
  func header(model: String, weights: String, images: Int) -> String {
    "# importance-weighted bound; samples \(samples); seed \(seed); images \(images); model \(model); weights sha256 \(weights)"
  }

  /// The SHA-256 of a model's parameter names and values (buffers included): what the record's
  /// header identifies the model by.
  static func weightsDigest(of model: any Module) -> String {
    var bytes: [UInt8] = []
    for entry in model.namedParameters {
      bytes += Array(entry.name.utf8) + [0]
      entry.parameter.value.withUnsafeBufferPointer { values in
        for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 } }
      }
    }
    return Checksum.sha256(bytes)
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
    let header = header(model: modelName, weights: Self.weightsDigest(of: model), images: total)
    let earlier = try record.map { try readRecord($0, header: header, total: total) }
    var bounds = earlier?.bounds ?? []
    let writer = try record.map { try RecordWriter(url: $0, header: header, keepingBytes: earlier?.completeLength ?? 0) }
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

  /// The bounds already in the record, in image order (empty when there is no record yet), and
  /// the bytes up to the end of its last complete line (0 when the record must be started anew).
  func readRecord(_ url: URL, header: String, total: Int) throws -> (bounds: [Double], completeLength: UInt64) {
    guard FileManager.default.fileExists(atPath: url.path) else { return ([], 0) }
    func fail(_ reason: String) -> GenerativeKitError { .file(path: url.path, reason: reason) }
    let reader = try RecordLineReader(url: url)
    var bounds: [Double] = []
    var lineNumber = 0
    // A line cut short by an interruption (no newline at its end) is evaluated again.
    while let line = try reader.nextCompleteLine() {
      lineNumber += 1
      guard let text = String(validating: line, as: UTF8.self) else {
        throw fail("line \(lineNumber) is not UTF-8 text; a record holds '#' header and 'index,bound' lines")
      }
      if lineNumber == 1 {
        guard text == header else {
          throw fail("this record was made for another evaluation (\(text.dropFirst(2).prefix(300))); expected \(header.dropFirst(2)). "
                       + "Delete it or choose another output folder")
        }
        continue
      }
      let fields = text.split(separator: ",", omittingEmptySubsequences: false)
      guard fields.count == 2, Int(fields[0]) == bounds.count, let bound = Double(fields[1]), bound.isFinite,
            bounds.count < total
      else {
        throw fail("line \(lineNumber) should be '\(bounds.count),<bound>', found '\(text.prefix(60))'")
      }
      // A log-probability of binary pixels is at most 0: a positive bound is a damaged record.
      guard observation != .bernoulli || bound <= 0 else {
        throw fail("line \(lineNumber) holds the bound \(bound), but a Bernoulli log-likelihood bound is at most 0")
      }
      bounds.append(bound)
    }
    return (bounds, lineNumber == 0 ? 0 : reader.completeLength)
  }
}

/// Reads a file's newline-terminated lines in 64 KiB chunks, so that memory stays bounded by the
/// longest line it accepts (1 MiB); the bytes after the last newline are never returned.
private final class RecordLineReader {
  static let longestLine = 1 << 20
  let url: URL
  private let handle: FileHandle
  private var buffer: [UInt8] = []
  private var start = 0
  private var finished = false
  /// The bytes up to and including the newline of the last line returned.
  private(set) var completeLength: UInt64 = 0

  init(url: URL) throws {
    self.url = url
    do {
      handle = try FileHandle(forReadingFrom: url)
    } catch {
      throw GenerativeKitError.file(path: url.path, reason: "cannot read the record: \(error.localizedDescription)")
    }
  }

  deinit { try? handle.close() }

  /// The next line without its newline, or nil at the end (a last line without newline is dropped).
  func nextCompleteLine() throws -> [UInt8]? {
    while true {
      if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
        let line = Array(buffer[start..<newline])
        completeLength += UInt64(newline - start + 1)
        start = newline + 1
        return line
      }
      guard buffer.count - start <= Self.longestLine else {
        throw GenerativeKitError.file(path: url.path, reason: "a line longer than \(Self.longestLine) bytes; this is not a test-NLL record")
      }
      guard !finished else { return nil }
      let chunk: Data
      do {
        chunk = try handle.read(upToCount: 1 << 16) ?? Data()
      } catch {
        throw GenerativeKitError.file(path: url.path, reason: "cannot read the record: \(error.localizedDescription)")
      }
      if chunk.isEmpty { finished = true }
      buffer.removeFirst(start)
      start = 0
      buffer += chunk
    }
  }
}

/// Appends lines to a record file: a new file starts with its header; an existing one is cut
/// after its last complete line (dropping a partial line left by an interruption).
private final class RecordWriter {
  let handle: FileHandle

  init(url: URL, header: String, keepingBytes kept: UInt64) throws {
    let manager = FileManager.default
    try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    if kept == 0 {
      guard manager.createFile(atPath: url.path, contents: Data((header + "\n").utf8)) else {
        throw GenerativeKitError.file(path: url.path, reason: "cannot create the record file")
      }
    }
    do {
      handle = try FileHandle(forWritingTo: url)
      if kept > 0 { try handle.truncate(atOffset: kept) }
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
