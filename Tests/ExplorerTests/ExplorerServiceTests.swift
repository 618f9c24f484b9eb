import Foundation
import TestSupport
import Testing

@testable import ExplorerSupport
@testable import GenerativeKit
@testable import GenerativeKitData
@testable import GenerativeKitTraining

/// The explorer's API without a server: pages, decoding, and every kind of malformed request.
@Suite("Latent explorer service")
struct ExplorerServiceTests {
  /// A small untrained model's checkpoint (conditional when `classes` is set).
  static func checkpoint(vae: Bool, classes: Int? = nil) throws -> URL {
    let folder = try TestData.temporaryDirectory("explorer-\(vae ? "vae" : "gan")-\(classes ?? 0)")
    let labels = classes.map { count in (0..<8).map { $0 % count } }
    if vae {
      var options = VAEOptions()
      options.latentDimension = 4
      options.classes = classes
      let data = ImageDataSet(name: "blank", images: Tensor(shape: [8, 1, 28, 28]), labels: labels, pixelRange: .unit)
      let experiment = try VAEExperiment(options: options, dataSet: data, outputDirectory: folder)
      let url = folder.appendingPathComponent("m.safetensors")
      try experiment.checkpoint().save(to: url)
      return url
    }
    var options = GANOptions()
    options.width = 4
    options.noiseDimension = 6
    options.classes = classes
    let data = ImageDataSet(name: "blank", images: Tensor(shape: [8, 1, 28, 28]), labels: labels, pixelRange: .symmetric)
    let experiment = try GANExperiment(options: options, dataSet: data, outputDirectory: folder)
    let url = folder.appendingPathComponent("m.safetensors")
    try experiment.checkpoint().save(to: url)
    return url
  }

  static func json(_ response: ExplorerResponse) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
  }

  static func post(_ service: ExplorerService, _ path: String, _ body: String) -> ExplorerResponse {
    service.respond(method: "POST", path: path, body: Array(body.utf8))
  }

  @Test("Pages and info are served; the grid and a decode give PNG images; only the page's own assets exist")
  func pagesAndImages() throws {
    let service = ExplorerService(model: try ExplorerModel(checkpoint: try Self.checkpoint(vae: false), directionCount: 3))
    let page = service.respond(method: "GET", path: "/", body: [])
    #expect(page.status == 200 && page.contentType.hasPrefix("text/html"))
    #expect(String(decoding: page.body, as: UTF8.self).contains("<script src=\"/app.js\">"))
    #expect(service.respond(method: "GET", path: "/app.js", body: []).status == 200)
    #expect(service.respond(method: "GET", path: "/style.css?v=1", body: []).status == 200)
    for path in ["/../../etc/passwd", "/Package.swift", "/api", "/%2e%2e/etc/passwd", "/app.js/x"] {
      #expect(service.respond(method: "GET", path: path, body: []).status == 404, "\(path)")
    }
    let info = try Self.json(service.respond(method: "GET", path: "/api/info", body: []))
    #expect(info["kind"] as? String == "gan" && info["latentDimension"] as? Int == 6)
    #expect((info["directions"] as? [[Double]])?.count == 3)

    let grid = Self.post(service, "/api/grid", #"{"count": 64, "seed": 5}"#)
    #expect(grid.status == 200 && grid.modelMilliseconds != nil)
    let answer = try Self.json(grid)
    let images = try #require(answer["images"] as? [String])
    #expect(images.count == 64 && images.allSatisfy { $0.hasPrefix("data:image/png;base64,") })
    let png = try #require(Data(base64Encoded: String(images[0].dropFirst("data:image/png;base64,".count))))
    #expect(try PNG.decode(Array(png)).width == 28)
    // Decoding the grid's first code gives the grid's first image.
    let codes = try #require(answer["codes"] as? [[Double]])
    let code = codes[0].map { String(Float($0)) }.joined(separator: ",")
    let single = try Self.json(Self.post(service, "/api/decode", #"{"codes": [[\#(code)]]}"#))
    #expect((single["images"] as? [String])?.first == images[0])
    let strip = try Self.json(Self.post(service, "/api/interpolate", #"{"from": [\#(code)], "to": [0,0,0,0,0,0], "steps": 5}"#))
    #expect((strip["images"] as? [String])?.count == 5)
  }

  @Test("Malformed requests get a 4xx with a sentence naming what is wrong")
  func malformedRequests() throws {
    let service = ExplorerService(model: try ExplorerModel(checkpoint: try Self.checkpoint(vae: false), directionCount: 2))
    let cases: [(String, String, Int, String)] = [
      ("/api/decode", #"{"codes": [[1, 2, "abc", 4, 5, 6]]}"#, 400, "codes[0][2]: expected a number"),
      ("/api/decode", #"{"codes": [[1, 2, 3]]}"#, 400, "each code must have 6 numbers"),
      ("/api/decode", #"{"codes": [[1e30, 0, 0, 0, 0, 0]]}"#, 400, "beyond"),
      ("/api/decode", #"{"codes": []}"#, 400, "between 1 and 256 codes"),
      ("/api/decode", #"{"codes": [[0,0,0,0,0,0]], "labels": [1]}"#, 400, "not conditional"),
      ("/api/decode", #"{"codes": "#, 400, "not valid JSON"),
      ("/api/decode", #"{}"#, 400, "'codes' is missing"),
      ("/api/grid", #"{"count": 1000000}"#, 400, "count must be between 1 and 256"),
      ("/api/grid", #"{"count": -3}"#, 400, "count must be between"),
      ("/api/grid", #"{"seed": -1}"#, 400, "-1"),
      ("/api/interpolate", #"{"from": [0,0,0,0,0,0], "to": [0,0,0,0,0,0], "steps": 100000}"#, 400, "steps must be between 2 and 64"),
      ("/api/reconstruct", #"{"testIndex": 0}"#, 400, "needs a VAE"),
      ("/api/unknown", #"{}"#, 404, "no such page"),
    ]
    for (path, body, status, message) in cases {
      let response = Self.post(service, path, body)
      let text = (try? Self.json(response))?["error"] as? String ?? ""
      #expect(response.status == status && text.contains(message), "\(path) \(body): \(response.status) \(text)")
    }
    #expect(service.respond(method: "GET", path: "/api/decode", body: []).status == 405)
    #expect(service.respond(method: "DELETE", path: "/", body: []).status == 405)
    let huge = [UInt8](repeating: 0x20, count: ExplorerService.maximumBodyBytes + 1)
    #expect(service.respond(method: "POST", path: "/api/decode", body: huge).status == 400)
  }

  @Test("A conditional model takes labels in range; a VAE reconstructs uploads and test images")
  func conditionalAndReconstruction() throws {
    let gan = ExplorerService(model: try ExplorerModel(checkpoint: try Self.checkpoint(vae: false, classes: 3), directionCount: 2))
    let grid = try Self.json(Self.post(gan, "/api/grid", #"{"count": 6, "label": 2}"#))
    #expect(grid["labels"] as? [Int] == [2, 2, 2, 2, 2, 2])
    #expect(try Self.json(Self.post(gan, "/api/grid", #"{"count": 4}"#))["labels"] as? [Int] == [0, 1, 2, 0])
    #expect(Self.post(gan, "/api/grid", #"{"label": 3}"#).status == 400)
    #expect(Self.post(gan, "/api/decode", #"{"codes": [[0,0,0,0,0,0]]}"#).status == 400)  // labels missing
    #expect(Self.post(gan, "/api/decode", #"{"codes": [[0,0,0,0,0,0]], "labels": [1]}"#).status == 200)

    let test = ImageDataSet(name: "test", images: Tensor(shape: [3, 1, 28, 28], repeating: 0.5), labels: [0, 1, 2], pixelRange: .unit)
    let vae = ExplorerService(model: try ExplorerModel(
      checkpoint: try Self.checkpoint(vae: true, classes: 3), directionCount: 2, testSet: test))
    let fromTest = try Self.json(Self.post(vae, "/api/reconstruct", #"{"testIndex": 2}"#))
    #expect(fromTest["label"] as? Int == 2 && (fromTest["code"] as? [Double])?.count == 4)
    let pixels = [String](repeating: "0.25", count: 784).joined(separator: ",")
    #expect(Self.post(vae, "/api/reconstruct", #"{"pixels": [\#(pixels)], "label": 1}"#).status == 200)
    // No label: the class with the lowest cost is chosen, and said to be inferred.
    let inferred = try Self.json(Self.post(vae, "/api/reconstruct", #"{"pixels": [\#(pixels)]}"#))
    let (best, costs) = try vae.model.inferClass(of: Tensor(shape: [1, 1, 28, 28], repeating: 0.25))
    #expect(inferred["label"] as? Int == best && inferred["labelInferred"] as? Bool == true)
    #expect(costs.count == 3 && costs.allSatisfy(\.isFinite) && costs[best] == costs.min())
    #expect(Self.post(vae, "/api/reconstruct", #"{"pixels": [0.5, 0.5], "label": 1}"#).status == 400)
    #expect(Self.post(vae, "/api/reconstruct", #"{"testIndex": 3}"#).status == 400)
    #expect(Self.post(vae, "/api/reconstruct", #"{"pixels": [\#(pixels.replacingOccurrences(of: "0.25", with: "7"))], "label": 1}"#).status == 400)
  }

  @Test("A GAN of networks the explorer never built (architecture custom) opens from its checkpoint's description")
  func customNetworks() throws {
    let generator = Sequential {
      Dense(inFeatures: 5 + 2, outFeatures: 4 * 7 * 7, seed: 1)
      LeakyReLU(slope: 0.1)
      Reshape([4, 7, 7])
      ConvTranspose2D(inChannels: 4, outChannels: 1, kernelSize: 4, stride: 4, padding: 0, seed: 2)
      Tanh()
    }
    let discriminator = Sequential { Flatten(); Dense(inFeatures: 3 * 28 * 28, outFeatures: 1, seed: 3) }
    var options = GANOptions()
    options.architecture = .custom
    options.noiseDimension = 5
    options.classes = 2
    let data = ImageDataSet(name: "blank", images: Tensor(shape: [8, 1, 28, 28]), labels: (0..<8).map { $0 % 2 }, pixelRange: .symmetric)
    let model = try GAN(generator: generator, discriminator: discriminator, noiseDimension: 5, classCount: 2)
    let folder = try TestData.temporaryDirectory("explorer-custom")
    let experiment = GANExperiment(recipe: try GANRecipe(options: options, model: model, dataSet: data), dataSet: data, outputDirectory: folder)
    let url = folder.appendingPathComponent("m.safetensors")
    try experiment.checkpoint().save(to: url)

    let service = ExplorerService(model: try ExplorerModel(checkpoint: url, directionCount: 2))
    let info = try Self.json(service.respond(method: "GET", path: "/api/info", body: []))
    #expect(info["kind"] as? String == "gan" && info["latentDimension"] as? Int == 5 && info["classCount"] as? Int == 2)
    let answer = try Self.json(Self.post(service, "/api/decode", #"{"codes": [[0.5, -1, 0, 2, 0.25]], "labels": [1]}"#))
    let image = try #require((answer["images"] as? [String])?.first)
    let png = try #require(Data(base64Encoded: String(image.dropFirst("data:image/png;base64,".count))))
    #expect(try PNG.decode(Array(png)).width == 28)
  }

  @Test("A file that is not a model checkpoint stops the explorer with the file named")
  func foreignCheckpoint() throws {
    let folder = try TestData.temporaryDirectory("explorer-foreign")
    let garbage = folder.appendingPathComponent("garbage.safetensors")
    try Data("not a checkpoint at all".utf8).write(to: garbage)
    var foreign = Checkpoint()
    foreign.metadata["format"] = "someone-else"
    let other = folder.appendingPathComponent("other.safetensors")
    try foreign.save(to: other)
    for url in [garbage, other, folder.appendingPathComponent("missing.safetensors")] {
      #expect {
        try ExplorerModel(checkpoint: url)
      } throws: { error in
        "\(error)".contains(url.lastPathComponent)
      }
    }
  }
}

/// DNS rebinding: a loopback-bound explorer answers requests addressed to loopback names, from
/// loopback pages only.
@Suite("Latent explorer request policy")
struct LocalRequestPolicyTests {
  @Test("Host and Origin must be loopback names when the server is bound to loopback")
  func loopbackOnly() {
    let policy = LocalRequestPolicy(boundHost: "127.0.0.1")
    for host in ["127.0.0.1:8080", "localhost:8080", "LOCALHOST", "[::1]:8080", "127.0.0.1"] {
      #expect(policy.refusal(host: host, origin: nil) == nil, "\(host)")
    }
    #expect(policy.refusal(host: "127.0.0.1:8080", origin: "http://localhost:8080") == nil)
    #expect(policy.refusal(host: "127.0.0.1:8080", origin: "null") == nil)
    for host in ["attacker.example:8080", "127.0.0.1.attacker.example", nil] {
      #expect(policy.refusal(host: host, origin: nil) != nil, "\(host ?? "nil")")
    }
    #expect(policy.refusal(host: "127.0.0.1:8080", origin: "http://attacker.example") != nil)
    #expect(policy.refusal(host: "localhost:8080", origin: "not a url") != nil)
    #expect(LocalRequestPolicy(boundHost: "::1").checksRequests)
    let open = LocalRequestPolicy(boundHost: "0.0.0.0")
    #expect(!open.checksRequests && open.refusal(host: "attacker.example", origin: "http://attacker.example") == nil)
  }
}
