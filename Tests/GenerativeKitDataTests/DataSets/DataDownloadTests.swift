import Foundation
import TestSupport
import Testing

@testable import GenerativeKit
@testable import GenerativeKitData

/// The downloader against a loopback HTTP server started by each test (no internet needed).
@Suite("Data set download")
struct DataDownloadTests {
  /// A small gzipped IDX file and the spec that accepts it.
  let idx = DataFixtures.idxImages(count: 60, height: 28, width: 28, seed: 99)
  var compressed: [UInt8] { Gzip.compress(idx) }
  var spec: DataFileSpec {
    DataFileSpec(fileName: "small-idx3-ubyte.gz", dimensions: [60, 28, 28], uncompressedSHA256: Checksum.sha256(idx))
  }

  func downloader(_ server: LoopbackHTTPServer, into folder: URL) -> DataSetDownloader {
    DataSetDownloader(directory: folder.path, baseURL: server.baseURL, attempts: 3, retryDelay: 0, timeout: 20)
  }

  @Test("A correct file is downloaded, verified and put in place")
  func correctFile() throws {
    let server = try LoopbackHTTPServer(files: ["/small-idx3-ubyte.gz": compressed])
    defer { server.stop() }
    let folder = try TestData.temporaryDirectory("download")
    defer { try? FileManager.default.removeItem(at: folder) }
    let target = folder.appendingPathComponent("sets/small-idx3-ubyte.gz").path
    try downloader(server, into: folder).downloadFile(from: server.baseURL + "small-idx3-ubyte.gz", to: target,
                                                      expecting: spec)
    #expect(try FileBytes.read(target) == compressed)
    #expect(!FileManager.default.fileExists(atPath: target + ".part"))
    #expect(server.requests == [.init(path: "/small-idx3-ubyte.gz", range: nil)])
    // Present and valid: not fetched again.
    try downloader(server, into: folder).downloadFile(from: server.baseURL + "small-idx3-ubyte.gz", to: target,
                                                      expecting: spec)
    #expect(server.requests.count == 1)
  }

  @Test("A dropped transfer is resumed with a Range request")
  func resumeAfterDrop() throws {
    let payload = compressed
    let cut = payload.count / 3
    let server = try LoopbackHTTPServer(files: ["/small-idx3-ubyte.gz": payload], cuts: [cut])
    defer { server.stop() }
    let folder = try TestData.temporaryDirectory("download-resume")
    defer { try? FileManager.default.removeItem(at: folder) }
    let target = folder.appendingPathComponent("small-idx3-ubyte.gz").path
    try downloader(server, into: folder).downloadFile(from: server.baseURL + "small-idx3-ubyte.gz", to: target,
                                                      expecting: spec)
    #expect(try FileBytes.read(target) == payload)
    let requests = server.requests
    try #require(requests.count == 2)
    #expect(requests[0].range == nil)
    #expect(requests[1].range == "bytes=\(cut)-")
    #expect(!FileManager.default.fileExists(atPath: target + ".part"))
  }

  @Test("A partial file left by an earlier run is resumed")
  func resumeEarlierPart() throws {
    let payload = compressed
    let server = try LoopbackHTTPServer(files: ["/small-idx3-ubyte.gz": payload])
    defer { server.stop() }
    let folder = try TestData.temporaryDirectory("download-part")
    defer { try? FileManager.default.removeItem(at: folder) }
    let target = folder.appendingPathComponent("small-idx3-ubyte.gz").path
    try DataFixtures.write(Array(payload.prefix(1000)), to: "small-idx3-ubyte.gz.part", in: folder)
    try downloader(server, into: folder).downloadFile(from: server.baseURL + "small-idx3-ubyte.gz", to: target,
                                                      expecting: spec)
    #expect(try FileBytes.read(target) == payload)
    #expect(server.requests == [.init(path: "/small-idx3-ubyte.gz", range: "bytes=1000-")])

    // A complete .part (the server answers 416) is verified and moved into place.
    let second = folder.appendingPathComponent("again/small-idx3-ubyte.gz").path
    try DataFixtures.write(payload, to: "small-idx3-ubyte.gz.part", in: folder.appendingPathComponent("again"))
    try downloader(server, into: folder).downloadFile(from: server.baseURL + "small-idx3-ubyte.gz", to: second,
                                                      expecting: spec)
    #expect(try FileBytes.read(second) == payload)
    #expect(server.requests.last == .init(path: "/small-idx3-ubyte.gz", range: "bytes=\(payload.count)-"))
  }

  @Test("A wrong checksum is an error and leaves no file under the final name")
  func wrongChecksum() throws {
    let server = try LoopbackHTTPServer(files: ["/small-idx3-ubyte.gz": compressed])
    defer { server.stop() }
    let folder = try TestData.temporaryDirectory("download-bad")
    defer { try? FileManager.default.removeItem(at: folder) }
    let target = folder.appendingPathComponent("small-idx3-ubyte.gz").path
    var wrong = spec
    wrong.uncompressedSHA256 = String(repeating: "ab", count: 32)
    let text = DataFixtures.errorText {
      try downloader(server, into: folder).downloadFile(from: server.baseURL + "small-idx3-ubyte.gz", to: target,
                                                        expecting: wrong)
    }
    #expect(text?.contains("SHA-256") == true)
    #expect(text?.contains(String(repeating: "ab", count: 32)) == true)
    #expect(text?.contains(server.baseURL + "small-idx3-ubyte.gz") == true)
    #expect(!FileManager.default.fileExists(atPath: target))
    #expect(!FileManager.default.fileExists(atPath: target + ".part"))

    // A file of the wrong shape fails too, and an MD5 check applies to the compressed bytes.
    var shape = spec
    shape.dimensions = [61, 28, 28]
    #expect(throws: GenerativeKitError.self) {
      try downloader(server, into: folder).downloadFile(from: server.baseURL + "small-idx3-ubyte.gz", to: target,
                                                        expecting: shape)
    }
    var md5 = spec
    md5.compressedMD5 = String(repeating: "0", count: 32)
    let md5Text = DataFixtures.errorText {
      try downloader(server, into: folder).downloadFile(from: server.baseURL + "small-idx3-ubyte.gz", to: target,
                                                        expecting: md5)
    }
    #expect(md5Text?.contains("MD5") == true)
    md5.compressedMD5 = Checksum.md5(compressed)
    try downloader(server, into: folder).downloadFile(from: server.baseURL + "small-idx3-ubyte.gz", to: target,
                                                      expecting: md5)
    #expect(FileManager.default.fileExists(atPath: target))
  }

  @Test("A damaged file already under the final name is reported, not replaced or fetched")
  func damagedExistingFile() throws {
    let server = try LoopbackHTTPServer(files: ["/small-idx3-ubyte.gz": compressed])
    defer { server.stop() }
    let folder = try TestData.temporaryDirectory("download-existing")
    defer { try? FileManager.default.removeItem(at: folder) }
    let target = try DataFixtures.write(Array(compressed.dropLast(9)), to: "small-idx3-ubyte.gz", in: folder)
    let text = DataFixtures.errorText {
      try downloader(server, into: folder).downloadFile(from: server.baseURL + "small-idx3-ubyte.gz", to: target,
                                                        expecting: spec)
    }
    #expect(text?.hasPrefix(target + ": truncated gzip file") == true, "\(text ?? "no error")")
    #expect(text?.hasSuffix("delete it to download it again") == true)
    #expect(server.requests.isEmpty)
    #expect(try FileBytes.read(target).count == compressed.count - 9)
  }

  @Test("A missing file on the server is a clear HTTP error, not retried")
  func notOnServer() throws {
    let server = try LoopbackHTTPServer(files: [:])
    defer { server.stop() }
    let folder = try TestData.temporaryDirectory("download-404")
    defer { try? FileManager.default.removeItem(at: folder) }
    let text = DataFixtures.errorText {
      try downloader(server, into: folder).downloadFile(
        from: server.baseURL + "absent.gz", to: folder.appendingPathComponent("absent.gz").path, expecting: spec)
    }
    #expect(text?.contains("download of \(server.baseURL)absent.gz failed") == true)
    #expect(text?.contains("HTTP 404") == true)
    #expect(server.requests.count == 1)
  }

  @Test("A server that is down gives a clear error naming the URL")
  func serverDown() throws {
    let port = try LoopbackHTTPServer.unusedPort()
    let folder = try TestData.temporaryDirectory("download-down")
    defer { try? FileManager.default.removeItem(at: folder) }
    let url = "http://127.0.0.1:\(port)/small-idx3-ubyte.gz"
    let target = folder.appendingPathComponent("small-idx3-ubyte.gz").path
    let loader = DataSetDownloader(directory: folder.path, baseURL: "http://127.0.0.1:\(port)/", attempts: 2,
                                   retryDelay: 0, timeout: 10)
    var thrown: DataSetError?
    do {
      try loader.downloadFile(from: url, to: target, expecting: spec)
    } catch let error as DataSetError {
      thrown = error
    }
    let error = try #require(thrown)
    guard case .download(let failedURL, let reason) = error else {
      Issue.record("expected a download error, got \(error)")
      return
    }
    #expect(failedURL == url)
    #expect(reason.contains("after 2 attempts"))
    #expect(reason.contains("Check the network connection"))
    #expect(!FileManager.default.fileExists(atPath: target))
  }

  @Test("Whole sets are fetched from <base>/<file> into <directory>/<folder>")
  func wholeSetURLs() throws {
    let downloader = DataSetDownloader(directory: "/tmp/x")
    #expect(try downloader.url(for: .mnist, fileName: "t10k-labels-idx1-ubyte.gz")
            == "https://ossci-datasets.s3.amazonaws.com/mnist/t10k-labels-idx1-ubyte.gz")
    #expect(try downloader.url(for: .fashionMNIST, fileName: "train-images-idx3-ubyte.gz")
            == "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/train-images-idx3-ubyte.gz")
    let noDownload = DataFixtures.errorText { _ = try downloader.url(for: .freyFaces, fileName: "x") }
    #expect(noDownload?.contains("cannot be downloaded") == true)
    var mirrored = downloader
    mirrored.baseURL = "http://127.0.0.1:1/mirror"
    #expect(try mirrored.url(for: .mnist, fileName: "a.gz") == "http://127.0.0.1:1/mirror/a.gz")
  }

  @Test("Loading with a downloader fetches all four MNIST files from a mirror, once")
  func wholeMNISTFromMirror() throws {
    // Serve the real MNIST test files, and the train files as the shared data has them.
    let source = DataFixtures.directory + "/mnist/"
    var files: [String: [UInt8]] = [:]
    for file in DataSetName.mnist.spec.allFiles {
      files["/" + file.fileName] = try FileBytes.read(source + file.fileName)
    }
    let server = try LoopbackHTTPServer(files: files)
    defer { server.stop() }
    let cache = try TestData.temporaryDirectory("download-mnist")
    defer { try? FileManager.default.removeItem(at: cache) }
    let downloader = DataSetDownloader(directory: cache.path, baseURL: server.baseURL, retryDelay: 0)
    let test = try ImageDataSet.load(.mnist, split: .test, directory: cache.path, downloader: downloader,
                                     environment: DataFixtures.isolatedEnvironment())
    #expect(test.count == 10_000)
    #expect(test.labels?.count == 10_000)
    #expect(Set(server.requests.map(\.path)) == Set(files.keys))
    // Everything is in place now: neither loading nor downloading fetches anything again.
    let folder = try downloader.download(.mnist)
    #expect(folder == cache.path + "/mnist")
    _ = try ImageDataSet.load(.mnist, split: .test, directory: cache.path, downloader: downloader,
                              environment: DataFixtures.isolatedEnvironment())
    #expect(server.requests.count == 4)
    let entries = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
    #expect(entries == files.keys.map { String($0.dropFirst()) }.sorted())
    #expect(try FileBytes.read(folder + "/t10k-labels-idx1-ubyte.gz") == files["/t10k-labels-idx1-ubyte.gz"])
  }
}
