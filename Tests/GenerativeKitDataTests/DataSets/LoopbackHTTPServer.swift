#if canImport(Glibc)
  import Glibc
#endif
import Foundation

/// A tiny HTTP/1.1 file server on 127.0.0.1 for the downloader's tests: GET only, one connection
/// at a time, `Connection: close`, and `Range: bytes=<start>-` answered with 206 (or 416 past the
/// end). It can cut responses short to simulate a dropped connection. Never touches the network
/// beyond loopback.
final class LoopbackHTTPServer: @unchecked Sendable {
  struct Request: Equatable {
    var path: String
    var range: String?
  }

  /// The port the server listens on.
  let port: UInt16
  private let listener: Int32
  private let lock = NSLock()
  private var files: [String: [UInt8]]
  private var cuts: [Int]
  private var log: [Request] = []
  private let stopped = DispatchSemaphore(value: 0)

  /// Serves `files` (URL path -> contents). `cuts` lists, for the first responses in order, how
  /// many body bytes to send before closing the connection early.
  init(files: [String: [UInt8]], cuts: [Int] = []) throws {
    self.files = files
    self.cuts = cuts
    let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socket >= 0 else { throw ServerError.setup("socket: \(String(cString: strerror(errno)))") }
    var yes: Int32 = 1
    setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0, listen(socket, 8) == 0 else {
      close(socket)
      throw ServerError.setup("bind/listen: \(String(cString: strerror(errno)))")
    }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
    }
    self.listener = socket
    self.port = UInt16(bigEndian: address.sin_port)
    let thread = Thread { [self] in serve() }
    thread.start()
  }

  enum ServerError: Error { case setup(String) }

  /// The base URL to pass to the downloader.
  var baseURL: String { "http://127.0.0.1:\(port)/" }

  /// The requests served so far, in order.
  var requests: [Request] {
    lock.lock()
    defer { lock.unlock() }
    return log
  }

  /// Stops accepting connections and waits for the serving thread to end.
  func stop() {
    shutdown(listener, Int32(SHUT_RDWR))
    close(listener)
    stopped.wait()
  }

  /// A port nobody listens on (bound, then released), for the "server down" case.
  static func unusedPort() throws -> UInt16 {
    let server = try LoopbackHTTPServer(files: [:])
    server.stop()
    return server.port
  }

  private func serve() {
    defer { stopped.signal() }
    while true {
      let connection = accept(listener, nil, nil)
      if connection < 0 {
        if errno == EINTR { continue }
        return
      }
      handle(connection)
      close(connection)
    }
  }

  private func handle(_ connection: Int32) {
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    let terminator: [UInt8] = Array("\r\n\r\n".utf8)
    while received.count < 65_536 {
      let got = buffer.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
      if got <= 0 { return }
      received += buffer[0..<got]
      let endOfHeaders = received.indices.dropLast(3).contains { received[$0..<($0 + 4)].elementsEqual(terminator) }
      if endOfHeaders { break }
    }
    let lines = String(decoding: received, as: UTF8.self).components(separatedBy: "\r\n")
    let requestLine = lines.first?.split(separator: " ") ?? []
    guard requestLine.count >= 2, requestLine[0] == "GET" else {
      send(connection, status: "405 Method Not Allowed", headers: [], body: [])
      return
    }
    let path = String(requestLine[1])
    var range: String?
    for line in lines.dropFirst() {
      if let colon = line.firstIndex(of: ":"), line[..<colon].lowercased() == "range" {
        range = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
      }
    }
    lock.lock()
    log.append(Request(path: path, range: range))
    let file = files[path]
    let cut = cuts.isEmpty ? nil : cuts.removeFirst()
    lock.unlock()

    guard let file else {
      send(connection, status: "404 Not Found", headers: [], body: Array("no such file".utf8))
      return
    }
    var start = 0
    if let range, range.hasPrefix("bytes="), range.hasSuffix("-"), let from = Int(range.dropFirst(6).dropLast()) {
      start = from
    }
    if start >= file.count && range != nil {
      send(connection, status: "416 Range Not Satisfiable", headers: ["Content-Range: bytes */\(file.count)"], body: [])
      return
    }
    let body = Array(file[start...])
    let status = range != nil ? "206 Partial Content" : "200 OK"
    var headers = ["Content-Type: application/octet-stream", "Accept-Ranges: bytes"]
    if range != nil { headers.append("Content-Range: bytes \(start)-\(file.count - 1)/\(file.count)") }
    send(connection, status: status, headers: headers, body: body, cutAfter: cut)
  }

  private func send(_ connection: Int32, status: String, headers: [String], body: [UInt8], cutAfter: Int? = nil) {
    let head = (["HTTP/1.1 \(status)", "Content-Length: \(body.count)", "Connection: close"] + headers)
      .joined(separator: "\r\n") + "\r\n\r\n"
    writeAll(connection, Array(head.utf8))
    writeAll(connection, cutAfter.map { Array(body.prefix($0)) } ?? body)
  }

  private func writeAll(_ connection: Int32, _ bytes: [UInt8]) {
    var sent = 0
    bytes.withUnsafeBytes { raw in
      while sent < raw.count {
        let n = Glibc.send(connection, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
        if n <= 0 { return }
        sent += n
      }
    }
  }
}
