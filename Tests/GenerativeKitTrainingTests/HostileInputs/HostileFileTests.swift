import Foundation
import TestSupport
import Testing

@testable import GenerativeKit
@testable import GenerativeKitData
@testable import GenerativeKitMetrics
@testable import GenerativeKitTraining

/// Files that lie: configurations asking for impossible or enormous networks, a `.npy` header
/// whose shape overflows, a FIFO where a checkpoint should be. Each gives an error naming the file
/// and what is wrong, without building, allocating or waiting.
@Suite("Hostile files")
struct HostileFileTests {
  /// A checkpoint whose `configuration` is `options` encoded, with `changes` written over its fields.
  static func checkpoint<Options: Encodable>(_ options: Options, _ changes: [String: Any]) throws -> Checkpoint {
    var fields = try JSONSerialization.jsonObject(with: JSONEncoder().encode(options)) as! [String: Any]
    for (key, value) in changes { fields[key] = value }
    let text = String(decoding: try JSONSerialization.data(withJSONObject: fields), as: UTF8.self)
    return Checkpoint(metadata: ["configuration": text])
  }

  static let ganChanges: [[String: Any]] = [
    ["imageHeight": 30], ["imageWidth": 0], ["imageWidth": -5], ["imageWidth": 1 << 40], ["imageWidth": 100_000],
    ["noiseDimension": 0], ["channels": 0], ["width": 0], ["width": 1_000_000],
    ["noiseDimension": 65_536, "width": 1_024, "imageHeight": 1_024, "imageWidth": 1_024],
    ["beta1": 2.5], ["learningRate": -1], ["batchSize": 0], ["architecture": "dcgan-64"],
  ]

  @Test("GAN configurations out of range are refused before a network is built")
  func ganConfigurations() throws {
    for changes in Self.ganChanges {
      let file = try Self.checkpoint(GANOptions(), changes)
      #expect(throws: GenerativeKitError.self, "\(changes)") { _ = try file.configuration(GANOptions.self) }
    }
    // The defaults and DCGAN-64 at its size pass.
    _ = try Self.checkpoint(GANOptions(), [:]).configuration(GANOptions.self)
    _ = try Self.checkpoint(GANOptions(), ["architecture": "dcgan-64", "imageHeight": 64, "imageWidth": 64])
      .configuration(GANOptions.self)
  }

  @Test("VAE configurations out of range are refused before a network is built")
  func vaeConfigurations() throws {
    for changes: [String: Any] in [["latentDimension": 0], ["latentDimension": -3], ["imageHeight": 30],
                                   ["imageHeight": 1 << 40], ["channels": 9], ["beta": -1]] {
      let file = try Self.checkpoint(VAEOptions(), changes)
      #expect(throws: GenerativeKitError.self, "\(changes)") { _ = try file.configuration(VAEOptions.self) }
    }
    _ = try Self.checkpoint(VAEOptions(), [:]).configuration(VAEOptions.self)
  }

  @Test("A .npy header whose shape overflows is refused")
  func npyOverflow() throws {
    var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2147483648, 2147483648), }"
    while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    let length = header.utf8.count
    let bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)]
      + Array(header.utf8) + [UInt8](repeating: 0, count: 64)
    do {
      _ = try NumPyArray.decode(bytes, source: "hostile.npy")
      Issue.record("a shape of 2^62 values was accepted")
    } catch {
      #expect("\(error)".contains("hostile.npy") && "\(error)".contains("data bytes"), "\(error)")
    }
  }

  @Test("A safetensors header of 100,000 empty tensors is refused by its value count")
  func manyEmptyTensors() throws {
    var json = "{"
    for index in 0..<100_000 {
      json += (index == 0 ? "" : ",") + "\"t\(index)\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}"
    }
    json += "}"
    var header = Array(json.utf8)
    header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8))
    let bytes = withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) } + header
    do {
      _ = try Checkpoint(safetensors: bytes, source: "many.safetensors")
      Issue.record("a header of 100,000 tensors was accepted")
    } catch {
      #expect("\(error)".contains("JSON values"), "\(error)")
    }
  }

  @Test("A gzip trailer that claims gigabytes does not size the first buffer")
  func lyingGzipTrailer() throws {
    var compressed = Gzip.compress([UInt8](repeating: 7, count: 4_096))
    let n = compressed.count
    for i in (n - 4)..<n { compressed[i] = 0xFF }  // ISIZE: 4 GiB - 1
    #expect(Gzip.initialCapacity(for: compressed, limit: Gzip.defaultSizeLimit) <= 8 * n + (1 << 16))
    #expect(throws: GenerativeKitError.self) { _ = try Gzip.decompress(compressed, source: "lying.gz") }
  }

  // A blocking open of a FIFO would never return, so the time limit is what fails then.
  @Test("An explicit data folder whose images file is a FIFO, a folder, /dev/zero or a dangling link is refused, with no fallback",
        .timeLimit(.minutes(1)))
  func hostileDataFiles() throws {
    for kind in ["fifo", "folder", "dev-zero", "dangling"] {
      let root = FileManager.default.temporaryDirectory.appendingPathComponent("gk-data-\(kind)-\(UUID().uuidString)")
      let folder = root.appendingPathComponent("mnist")
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      defer { try? FileManager.default.removeItem(at: root) }
      let images = folder.appendingPathComponent("t10k-images-idx3-ubyte.gz").path
      switch kind {
      case "fifo": try #require(mkfifo(images, 0o600) == 0)
      case "folder": try FileManager.default.createDirectory(atPath: images, withIntermediateDirectories: false)
      case "dev-zero": try FileManager.default.createSymbolicLink(atPath: images, withDestinationPath: "/dev/zero")
      default: try FileManager.default.createSymbolicLink(atPath: images, withDestinationPath: "/nonexistent/gk")
      }
      // GENERATIVEKIT_DATA points at the real data: an explicit folder must not fall back to it.
      // Refused as not found (DataSetError) or as a bad file (GenerativeKitError), never read.
      let error = #expect(throws: (any Error).self, "\(kind)") {
        _ = try ImageDataSet.load(.mnist, split: .test, directory: root.path,
                                  environment: ["GENERATIVEKIT_DATA": TestData.directory.path, "HOME": "/nonexistent"])
      }
      #expect(error is DataSetError || error is GenerativeKitError, "\(kind): \(String(describing: error))")
      let text = error.map { "\($0)" } ?? ""
      #expect(text.contains(root.path) && !text.contains(TestData.directory.path), "\(kind): \(text)")
    }
  }

  @Test("A FIFO named like a checkpoint is refused at once, not waited on", .timeLimit(.minutes(1)))
  func fifoCheckpoint() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gk-fifo-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let fifo = folder.appendingPathComponent("latest.safetensors")
    try #require(mkfifo(fifo.path, 0o600) == 0)
    // The file type is checked before anything is read: the refusal says what the file is not.
    let checkpointError = #expect(throws: GenerativeKitError.self) { _ = try Checkpoint(contentsOf: fifo) }
    let readError = #expect(throws: GenerativeKitError.self) { _ = try FileBytes.read(fifo.path) }
    for error in [checkpointError, readError] {
      #expect(error.map { "\($0)" }?.contains("not a regular file") == true, "\(String(describing: error))")
    }
  }
}
