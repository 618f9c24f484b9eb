import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The running `gk-explore` server against raw connections: incomplete requests are closed after
/// the idle timeout, foreign hosts and origins are refused, and a malformed chunked body is a 400.
@Suite("Latent explorer server", .serialized)
struct ExplorerServerTests {
  /// A started `gk-explore` on a free port and the port it printed.
  final class Server {
    let process = Process()
    let port: Int

    init(checkpoint: URL, idleTimeout: Int) throws {
      let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("gk-explore")
      try #require(FileManager.default.isExecutableFile(atPath: executable.path), "\(executable.path) is missing: swift build --build-tests")
      process.executableURL = executable
      process.arguments = [checkpoint.path, "--port", "0", "--idle-timeout", String(idleTimeout), "--threads", "1"]
      let output = Pipe()
      process.standardOutput = output
      process.standardError = output
      try process.run()
      // Read until the "serving http://127.0.0.1:PORT/" line.
      var text = ""
      let deadline = Date().addingTimeInterval(60)
      var found: Int?
      while found == nil, Date() < deadline, process.isRunning {
        let chunk = output.fileHandleForReading.availableData
        if chunk.isEmpty { usleep(20_000); continue }
        text += String(decoding: chunk, as: UTF8.self)
        if let range = text.range(of: "serving http://127.0.0.1:") {
          found = Int(text[range.upperBound...].prefix { $0.isNumber })
        }
      }
      port = try #require(found, "gk-explore printed no address: \(text)")
    }

    deinit { if process.isRunning { process.terminate(); process.waitUntilExit() } }

    /// Sends `request` on a new connection and returns what comes back before the server closes
    /// it (or `limit` seconds pass), and the seconds that took.
    func exchange(_ request: String, limit: Double = 15) throws -> (reply: String, seconds: Double) {
      let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
      try #require(socket >= 0)
      defer { close(socket) }
      var timeout = timeval(tv_sec: Int(limit), tv_usec: 0)
      setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
      var address = sockaddr_in()
      address.sin_family = sa_family_t(AF_INET)
      address.sin_port = in_port_t(UInt16(port).bigEndian)
      address.sin_addr.s_addr = inet_addr("127.0.0.1")
      let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
      }
      try #require(connected == 0, "cannot connect to port \(port)")
      _ = Array(request.utf8).withUnsafeBytes { send(socket, $0.baseAddress, $0.count, 0) }
      let start = Date()
      var reply = [UInt8]()
      var buffer = [UInt8](repeating: 0, count: 4096)
      while true {
        let count = recv(socket, &buffer, buffer.count, 0)
        if count <= 0 { break }  // closed by the server, or the receive timeout
        reply += buffer[0..<count]
        if String(decoding: reply, as: UTF8.self).contains("\r\n\r\n{") { break }  // a JSON error answer arrived
      }
      return (String(decoding: reply, as: UTF8.self), Date().timeIntervalSince(start))
    }
  }

  @Test("An incomplete request is closed after the idle timeout; foreign Host and Origin get 403; malformed chunking 400")
  func rawConnections() throws {
    let server = try Server(checkpoint: try ExplorerServiceTests.checkpoint(vae: false), idleTimeout: 1)

    let incomplete = try server.exchange("GET / HTTP/1.1\r\nHo")
    #expect(incomplete.seconds < 5, "an incomplete request held its connection for \(incomplete.seconds) s")

    // An oversized header: refused, and the connection (and its descriptor) released within seconds.
    let oversized = try server.exchange("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + String(repeating: "a", count: 200_000))
    #expect(oversized.seconds < 5, "an oversized header held its connection for \(oversized.seconds) s")

    let foreignHost = try server.exchange("GET / HTTP/1.1\r\nHost: attacker.example\r\n\r\n")
    #expect(foreignHost.reply.hasPrefix("HTTP/1.1 403"), "\(foreignHost.reply.prefix(200))")
    let foreignOrigin = try server.exchange("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://attacker.example\r\n\r\n")
    #expect(foreignOrigin.reply.hasPrefix("HTTP/1.1 403"), "\(foreignOrigin.reply.prefix(200))")
    let own = try server.exchange("GET / HTTP/1.1\r\nHost: 127.0.0.1:\(server.port)\r\nConnection: close\r\n\r\n")
    #expect(own.reply.hasPrefix("HTTP/1.1 200"), "\(own.reply.prefix(200))")

    let chunked = try server.exchange(
      "POST /api/samples HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nZZ\r\nhello\r\n0\r\n\r\n")
    #expect(chunked.reply.hasPrefix("HTTP/1.1 400"), "\(chunked.reply.prefix(200))")
  }
}
