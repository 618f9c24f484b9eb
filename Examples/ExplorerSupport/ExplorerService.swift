import Foundation
import GenerativeKit
import GenerativeKitData

/// One HTTP answer: status, content type and body.
public struct ExplorerResponse: Sendable {
  public var status: Int
  public var contentType: String
  public var body: [UInt8]
  /// Time spent in the model, for the `Server-Timing` header.
  public var modelMilliseconds: Double?
}

/// The explorer's API and pages, independent of the HTTP server: a request's method, path and
/// body in, a response out. Every malformed request gets a 4xx with a sentence saying what was
/// wrong; nothing a client sends can stop the process.
///
/// - `GET /`, `/app.js`, `/style.css`: the page (built into the program; no file is read).
/// - `GET /api/info`: the model (kind, latent length, classes, image shape, slider directions).
/// - `POST /api/grid` `{"count": 64, "seed": 1, "label": 3}`: random codes and their images.
/// - `POST /api/decode` `{"codes": [[...]], "labels": [3]}`: images for given codes.
/// - `POST /api/interpolate` `{"from": [...], "to": [...], "steps": 10, "label": 3}`: a strip.
/// - `POST /api/reconstruct` `{"testIndex": 7}` or `{"pixels": [...], "label": 3}`: a VAE's
///   reconstruction of a test image or of an uploaded one; a conditional VAE given no label uses
///   the test image's, or infers the upload's (the class of the lowest negative ELBO).
///
/// Images travel as `data:image/png;base64,...` strings.
public final class ExplorerService: Sendable {
  /// The largest request body accepted (a 64 x 64 RGB upload as JSON numbers fits).
  public static let maximumBodyBytes = 512 * 1024
  /// The most images one request may ask for.
  public static let maximumImages = 256
  /// Latent values beyond this size are refused: far outside any prior's mass, and a way to make NaNs.
  public static let maximumLatentMagnitude: Float = 100

  public let model: ExplorerModel

  public init(model: ExplorerModel) {
    self.model = model
  }

  /// Answers one request. `body` is the request's body (at most ``maximumBodyBytes``; the server
  /// answers 413 itself for longer ones).
  public func respond(method: String, path: String, body: [UInt8]) -> ExplorerResponse {
    let route = path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path
    do {
      switch (method, route) {
      case ("GET", "/"), ("GET", "/index.html"): return .text(ExplorerAssets.indexHTML, type: "text/html; charset=utf-8")
      case ("GET", "/app.js"): return .text(ExplorerAssets.script, type: "text/javascript; charset=utf-8")
      case ("GET", "/style.css"): return .text(ExplorerAssets.styleSheet, type: "text/css; charset=utf-8")
      case ("GET", "/api/info"): return try .json(info())
      case ("POST", "/api/grid"): return try timed { try grid(try decodeBody(GridRequest.self, body, route)) }
      case ("POST", "/api/decode"): return try timed { try decode(try decodeBody(DecodeRequest.self, body, route)) }
      case ("POST", "/api/interpolate"):
        return try timed { try interpolate(try decodeBody(InterpolateRequest.self, body, route)) }
      case ("POST", "/api/reconstruct"):
        return try timed { try reconstruct(try decodeBody(ReconstructRequest.self, body, route)) }
      case (_, "/"), (_, "/index.html"), (_, "/app.js"), (_, "/style.css"), (_, "/api/info"):
        return .error(405, "\(method) \(route): use GET")
      case (_, "/api/grid"), (_, "/api/decode"), (_, "/api/interpolate"), (_, "/api/reconstruct"):
        return .error(405, "\(method) \(route): use POST with a JSON body")
      default:
        return .error(404, "no such page or API: \(route.prefix(200))")
      }
    } catch let error as ExplorerRequestError {
      return .error(400, error.message)
    } catch {
      return .error(400, "\(route): \(error)")
    }
  }

  // MARK: - Endpoints

  func info() -> InfoResponse {
    InfoResponse(
      kind: model.kind, latentDimension: model.latentDimension, classCount: model.classCount,
      imageShape: model.imageShape, epoch: model.epoch, checkpoint: model.checkpointName,
      directions: (0..<model.directions.shape[0]).map { row in
        (0..<model.latentDimension).map { model.directions[row, $0] }
      },
      testImages: model.testSet?.count ?? 0)
  }

  func grid(_ request: GridRequest) throws -> ImagesResponse {
    let count = request.count ?? 64
    try require(count, in: 1...Self.maximumImages, "count")
    let seed = request.seed ?? 1
    guard seed >= 0 else { throw ExplorerRequestError("seed must be a whole number from 0, got \(seed)") }
    var random = SeededGenerator(seed: UInt64(seed))
    let codes = Tensor.randomNormal(shape: [count, model.latentDimension], using: &random)
    let labels = try labels(request.label.map { [Int](repeating: $0, count: count) }, count: count, cycling: true)
    return try images(codes: codes, labels: labels)
  }

  func decode(_ request: DecodeRequest) throws -> ImagesResponse {
    let codes = try codeMatrix(request.codes, name: "codes")
    return try images(codes: codes, labels: try labels(request.labels, count: codes.shape[0], cycling: false))
  }

  func interpolate(_ request: InterpolateRequest) throws -> ImagesResponse {
    let steps = request.steps ?? 10
    try require(steps, in: 2...64, "steps")
    let ends = try codeMatrix([request.from, request.to], name: "from/to")
    let path = try Tensor.interpolation(
      from: ends.slice(batch: 0..<1).reshaped([model.latentDimension]),
      to: ends.slice(batch: 1..<2).reshaped([model.latentDimension]), steps: steps)
    return try images(codes: path, labels: try labels(request.label.map { [Int](repeating: $0, count: steps) }, count: steps, cycling: false))
  }

  func reconstruct(_ request: ReconstructRequest) throws -> ReconstructResponse {
    guard model.kind == .vae else { throw ExplorerRequestError("reconstruction needs a VAE; this checkpoint holds a GAN") }
    let shape = model.imageShape
    let original: Tensor
    var label = request.label
    switch (request.testIndex, request.pixels) {
    case (let index?, nil):
      guard let test = model.testSet else {
        throw ExplorerRequestError("no test images were loaded (start gk-explore with --data-dir); upload an image instead")
      }
      try require(index, in: 0...(test.count - 1), "testIndex")
      original = test.images(in: index..<(index + 1))
      if model.classCount != nil, label == nil { label = test.labels?[index] }
    case (nil, let pixels?):
      let expected = shape.reduce(1, *)
      guard pixels.count == expected else {
        throw ExplorerRequestError("pixels: expected \(expected) values (\(shape.map(String.init).joined(separator: " x "))), got \(pixels.count)")
      }
      guard pixels.allSatisfy({ $0.isFinite && $0 >= 0 && $0 <= 1 }) else {
        throw ExplorerRequestError("pixels: every value must be a number in [0, 1]")
      }
      original = Tensor(shape: [1] + shape, scalars: pixels)
    default:
      throw ExplorerRequestError("give either testIndex (a test image's number) or pixels (an image), not both or neither")
    }
    // A conditional VAE given no class takes the one under which the picture costs least.
    var inferred = false
    if model.classCount != nil, label == nil {
      label = try model.inferClass(of: original).label
      inferred = true
    }
    let labels = try self.labels(label.map { [$0] }, count: 1, cycling: false)
    let (rebuilt, codes) = try model.reconstruct(original, labels: labels)
    return ReconstructResponse(
      original: try dataURL(original), reconstruction: try dataURL(rebuilt), code: (0..<codes.count).map { codes[flat: $0] },
      label: labels?.first, labelInferred: inferred)
  }

  // MARK: - Checks and encoding

  private func images(codes: Tensor, labels: [Int]?) throws -> ImagesResponse {
    let decoded = try model.decode(codes, labels: labels)
    let rows = codes.shape[0]
    return ImagesResponse(
      images: try (0..<rows).map { try dataURL(decoded.slice(batch: $0..<($0 + 1))) },
      codes: (0..<rows).map { row in (0..<model.latentDimension).map { codes[row, $0] } },
      labels: labels)
  }

  private func codeMatrix(_ rows: [[Float]], name: String) throws -> Tensor {
    guard !rows.isEmpty, rows.count <= Self.maximumImages else {
      throw ExplorerRequestError("\(name): between 1 and \(Self.maximumImages) codes, got \(rows.count)")
    }
    for (index, row) in rows.enumerated() {
      guard row.count == model.latentDimension else {
        throw ExplorerRequestError(
          "\(name): each code must have \(model.latentDimension) numbers (the latent length), code \(index) has \(row.count)")
      }
      guard row.allSatisfy({ $0.isFinite && abs($0) <= Self.maximumLatentMagnitude }) else {
        throw ExplorerRequestError("\(name): code \(index) has a value beyond +-\(Int(Self.maximumLatentMagnitude))")
      }
    }
    return Tensor(shape: [rows.count, model.latentDimension], scalars: rows.flatMap { $0 })
  }

  /// The labels a request's images need: given ones checked, or for a conditional model without
  /// any, the classes in turn (`cycling`) or an error.
  private func labels(_ given: [Int]?, count: Int, cycling: Bool) throws -> [Int]? {
    guard let classes = model.classCount else {
      if given != nil { throw ExplorerRequestError("labels: this model is not conditional") }
      return nil
    }
    guard let given else {
      if cycling { return (0..<count).map { $0 % classes } }
      throw ExplorerRequestError("labels: this model is conditional on \(classes) classes; give one label per image")
    }
    guard given.count == count else { throw ExplorerRequestError("labels: \(given.count) labels for \(count) images") }
    if let wrong = given.first(where: { !(0..<classes).contains($0) }) {
      throw ExplorerRequestError("labels: \(wrong) is not a class (0 to \(classes - 1))")
    }
    return given
  }

  private func require(_ value: Int, in range: ClosedRange<Int>, _ name: String) throws {
    guard range.contains(value) else {
      throw ExplorerRequestError("\(name) must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
    }
  }

  private func decodeBody<T: Decodable>(_ type: T.Type, _ body: [UInt8], _ route: String) throws -> T {
    guard body.count <= Self.maximumBodyBytes else {
      throw ExplorerRequestError("\(route): the body has \(body.count) bytes, more than \(Self.maximumBodyBytes)")
    }
    do {
      return try JSONDecoder().decode(T.self, from: Data(body.isEmpty ? Array("{}".utf8) : body))
    } catch let error as DecodingError {
      throw ExplorerRequestError("\(route): \(describe(error))")
    } catch {
      throw ExplorerRequestError("\(route): the body is not JSON")
    }
  }

  private func dataURL(_ image: Tensor) throws -> String {
    let pixels = try PixelImage(tensor: image.reshaped(Array(image.shape.dropFirst())), range: .unit)
    return "data:image/png;base64," + Data(try PNG.encode(pixels)).base64EncodedString()
  }

  private func timed<T: Encodable>(_ work: () throws -> T) throws -> ExplorerResponse {
    let start = DispatchTime.now().uptimeNanoseconds
    let value = try work()
    var response = try ExplorerResponse.json(value)
    response.modelMilliseconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
    return response
  }
}

/// A request the explorer refuses, with the sentence the client sees.
struct ExplorerRequestError: Error {
  let message: String
  init(_ message: String) { self.message = message }
}

/// A decoding error as one sentence naming the field (`codes[0][3]: expected a number`).
func describe(_ error: DecodingError) -> String {
  func path(_ keys: [any CodingKey]) -> String {
    keys.reduce("") { text, key in key.intValue.map { text + "[\($0)]" } ?? (text.isEmpty ? key.stringValue : text + "." + key.stringValue) }
  }
  switch error {
  case .typeMismatch(let type, let context):
    return "\(path(context.codingPath).isEmpty ? "the body" : path(context.codingPath)): expected \(type == Float.self || type == Int.self ? "a number" : "\(type)")"
  case .valueNotFound(_, let context): return "\(path(context.codingPath)): a value is missing"
  case .keyNotFound(let key, _): return "the field '\(key.stringValue)' is missing"
  case .dataCorrupted(let context):
    let field = context.codingPath.isEmpty ? "the body" : path(context.codingPath)
    return "\(field) is not valid JSON for this request (\(context.debugDescription.prefix(160)))"
  @unknown default: return "the body does not have the expected fields"
  }
}

extension ExplorerResponse {
  static func text(_ text: String, type: String) -> ExplorerResponse {
    ExplorerResponse(status: 200, contentType: type, body: Array(text.utf8))
  }

  static func json<T: Encodable>(_ value: T, status: Int = 200) throws -> ExplorerResponse {
    ExplorerResponse(status: status, contentType: "application/json", body: Array(try JSONEncoder().encode(value)))
  }

  /// A JSON error answer `{"error": message}`.
  public static func error(_ status: Int, _ message: String) -> ExplorerResponse {
    (try? json(["error": message], status: status)) ?? ExplorerResponse(status: status, contentType: "text/plain", body: Array(message.utf8))
  }
}
