import ArgumentParser
import ExampleSupport
import ExplorerSupport
import Foundation
import GenerativeKit
import GenerativeKitData
import Hummingbird

/// Serves a page for exploring a trained model's latent space on this machine.
@main
struct Explore: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "gk-explore",
    abstract: "Explore a GAN's or VAE's latent space in the browser.",
    discussion: """
      Serves http://HOST:PORT/: a grid of samples; click one and move it along the latent \
      directions that change the images most (sliders); a class selector for conditional models; \
      interpolation between two picked samples; for a VAE, the reconstruction of a test digit or of \
      an uploaded picture. Images are decoded by the model on each request. Stop with Ctrl-C.
      """)

  @Argument(help: "A GAN or VAE checkpoint (*.safetensors) of an experiment run: mnist-gan, mnist-vae, faces-gan, faces-vae, custom-gan, or your own networks in GANRecipe or VAERecipe.")
  var checkpoint: String
  @Option(help: "Address to listen on. The default serves this machine only; another address shows the model to the network.")
  var host = "127.0.0.1"
  @Option(parsing: .unconditional, help: "Port to listen on (0: any free port; the URL is printed).")
  var port = 8080
  @Option(parsing: .unconditional, help: "Latent directions offered as sliders.")
  var directions = 8
  @Option(help: "Folder with MNIST, for a VAE's test-digit reconstructions (default: $GENERATIVEKIT_DATA, then ~/.cache/generativekit).")
  var dataDir: String?
  @Option(parsing: .unconditional, help: "Threads for the GEMMs.") var threads = 2
  @Option(parsing: .unconditional, help: "Seconds a connection may stay silent (an incomplete request, a client gone without closing) before it is closed.")
  var idleTimeout = 30

  func validate() throws {
    try ArgumentChecks.check(port, "--port", in: 0...65_535)
    try ArgumentChecks.check(directions, "--directions", in: 1...64)
    try ArgumentChecks.check(threads, "--threads", in: ArgumentChecks.threads)
    try ArgumentChecks.check(idleTimeout, "--idle-timeout", in: 1...3_600)
    try ArgumentChecks.checkNotEmpty(host, "--host")
    if let dataDir { try ArgumentChecks.checkExistingFolder(dataDir, "--data-dir") }
  }

  func run() async throws {
    useThreads(threads)
    let service: ExplorerService
    do {
      let url = URL(fileURLWithPath: checkpoint)
      // Test digits are optional: without them a VAE still reconstructs uploaded pictures.
      let test = try? ImageDataSet.load(.mnist, split: .test, pixelRange: .unit, directory: dataDir)
      service = ExplorerService(model: try ExplorerModel(checkpoint: url, directionCount: directions, testSet: test))
    } catch {
      FileHandle.standardError.write(Data("gk-explore: error: \(error)\n".utf8))
      throw ExitCode.failure
    }
    if !["127.0.0.1", "localhost", "::1"].contains(host) {
      print("warning: listening on \(host): anyone who can reach this machine on port \(port) can use the model")
    }
    let model = service.model
    print("gk-explore: \(model.kind.rawValue.uppercased()) \(model.checkpointName), epoch \(model.epoch), latent \(model.latentDimension)"
          + (model.classCount.map { ", \($0) classes" } ?? "") + ", \(model.directions.shape[0]) slider directions")

    let router = Router()
    router.add(middleware: ExplorerResponder(service: service, policy: LocalRequestPolicy(boundHost: host)))
    let host = self.host
    let app = Application(
      router: router,
      // A connection that sends nothing for a while (a request left incomplete, a client gone
      // without closing) is closed, so that idle connections cannot use up the descriptors.
      server: .http1(configuration: .init(idleTimeout: .seconds(Int64(idleTimeout)))),
      configuration: .init(address: .hostname(host, port: port), serverName: "gk-explore"),
      onServerRunning: { channel in
        let port = channel.localAddress?.port ?? 0
        print("serving http://\(host.contains(":") ? "[\(host)]" : host):\(port)/ (Ctrl-C stops)")
        fflush(stdout)
      })
    try await app.runService()
  }
}

/// Hands every request to the explorer's service: it answers pages, the API, and errors alike.
struct ExplorerResponder: RouterMiddleware {
  typealias Context = BasicRequestContext
  let service: ExplorerService
  let policy: LocalRequestPolicy

  func handle(_ input: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
    if let refusal = policy.refusal(host: input.head.authority, origin: input.headers[.origin]) {
      return Self.response(.error(403, refusal))
    }
    var request = input
    let body: ByteBuffer
    do {
      body = try await request.collectBody(upTo: ExplorerService.maximumBodyBytes)
    } catch let error as HTTPResponseError where error.status == .contentTooLarge {
      return Self.response(.error(413, "the request body is larger than \(ExplorerService.maximumBodyBytes) bytes"))
    } catch {
      return Self.response(.error(400, "the request body could not be read (malformed chunked encoding or a connection cut short)"))
    }
    let answer = await Task.detached {
      service.respond(method: request.method.rawValue, path: request.uri.path, body: Array(body.readableBytesView))
    }.value
    return Self.response(answer)
  }

  static func response(_ answer: ExplorerResponse) -> Response {
    var headers: HTTPFields = [.contentType: answer.contentType, .cacheControl: "no-store"]
    if let milliseconds = answer.modelMilliseconds {
      headers[.init("Server-Timing")!] = "model;dur=\(String(format: "%.2f", milliseconds))"
    }
    return Response(
      status: HTTPResponse.Status(code: answer.status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
  }
}
