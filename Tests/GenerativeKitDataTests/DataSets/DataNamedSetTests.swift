import Foundation
import TestSupport
import Testing

@testable import GenerativeKit
@testable import GenerativeKitData

@Suite("Named data sets")
struct DataNamedSetTests {
  let environment = DataFixtures.isolatedEnvironment()

  @Test("MNIST train: 60,000 images [1, 28, 28], labels 0-9, pixel mean 0.1307")
  func mnistTrain() throws {
    let set = try DataFixtures.mnistTrain.get()
    #expect(set.name == "mnist/train")
    #expect(set.images.shape == [60_000, 1, 28, 28])
    #expect(set.pixelRange == .unit)
    let labels = try #require(set.labels)
    #expect(labels.count == 60_000)
    #expect(Array(labels.prefix(8)) == [5, 0, 4, 1, 9, 2, 1, 3])
    #expect(Set(labels) == Set(0..<10))
    let (mean, minimum, maximum) = set.images.withUnsafeBufferPointer { pixels -> (Double, Float, Float) in
      var sum = 0.0
      var (low, high) = (Float.infinity, -Float.infinity)
      for value in pixels {
        sum += Double(value)
        low = min(low, value)
        high = max(high, value)
      }
      return (sum / Double(pixels.count), low, high)
    }
    #expect(abs(mean - 0.1307) <= 0.0001, "mean \(mean)")
    #expect(minimum == 0 && maximum == 1)
  }

  @Test("MNIST test: 10,000 images, labels 0-9, symmetric range [-1, 1]")
  func mnistTestSymmetric() throws {
    let set = try ImageDataSet.load(.mnist, split: .test, pixelRange: .symmetric, directory: DataFixtures.directory,
                                    environment: environment)
    #expect(set.name == "mnist/test")
    // The files actually read are named, and subsets keep them.
    #expect(set.sourceFiles.count == 2 && set.sourceFiles.allSatisfy { FileManager.default.fileExists(atPath: $0) })
    #expect(set.sourceFiles.first?.contains("t10k-images") == true)
    #expect(set.prefix(10).sourceFiles == set.sourceFiles && set.rescaled(to: .unit).sourceFiles == set.sourceFiles)
    #expect(set.images.shape == [10_000, 1, 28, 28])
    #expect(set.labels?.count == 10_000)
    #expect(Array(set.labels?.prefix(5) ?? []) == [7, 2, 1, 0, 4])
    #expect(set.pixelRange == .symmetric)
    let first = set.images.slice(batch: 0..<1).scalars
    #expect(first.min() == -1 && first.max() == 1)
    // Pixel 0 of every MNIST image is background.
    #expect(set.images[0, 0, 0, 0] == -1)
  }

  @Test("Frey faces: 1,965 images [1, 28, 20], no labels, only a train split")
  func freyFaces() throws {
    let set = try ImageDataSet.load(.freyFaces, directory: DataFixtures.directory, environment: environment)
    #expect(set.images.shape == [1965, 1, 28, 20])
    #expect(set.labels == nil)
    let scalars = set.images.scalars
    // The README gives the pixel range as 8..238.
    #expect(scalars.min() == PixelRange.unit.scale(8))
    #expect(scalars.max() == PixelRange.unit.scale(238))
    let text = DataFixtures.errorText {
      _ = try ImageDataSet.load(.freyFaces, split: .test, directory: DataFixtures.directory, environment: environment)
    }
    #expect(text?.contains("has no \"test\" split") == true)
    #expect(text?.contains("\"train\"") == true)
  }

  @Test("Olivetti faces: 400 images [1, 64, 64], image i shows subject i / 10")
  func olivettiFaces() throws {
    let set = try ImageDataSet.load(.olivettiFaces, directory: DataFixtures.directory, environment: environment)
    #expect(set.images.shape == [400, 1, 64, 64])
    #expect(set.labels == (0..<400).map { $0 / 10 })
  }

  @Test("ORL faces: 400 images [1, 112, 92], subjects 0-39")
  func orlFaces() throws {
    let set = try ImageDataSet.load(named: "orl-faces", directory: DataFixtures.directory)
    #expect(set.images.shape == [400, 1, 112, 92])
    #expect(set.labels == (0..<400).map { $0 / 10 })
    #expect(set.name == "orl-faces/train")
  }

  @Test("Fashion-MNIST loads from Debian's dataset-fashion-mnist package",
        .enabled(if: DataFixtures.hasSystemFashionMNIST, "apt-get install dataset-fashion-mnist"))
  func fashionMNIST() throws {
    let test = try ImageDataSet.load(.fashionMNIST, split: .test, environment: environment)
    #expect(test.images.shape == [10_000, 1, 28, 28])
    #expect(test.labels?.count == 10_000)
    #expect(Set(test.labels ?? []) == Set(0..<10))
    // Ten balanced classes.
    #expect((0..<10).allSatisfy { label in test.labels?.filter { $0 == label }.count == 1000 })
    let train = try ImageDataSet.load(.fashionMNIST, split: .train, pixelRange: .symmetric, environment: environment)
    #expect(train.images.shape == [60_000, 1, 28, 28])
    #expect(train.labels?.count == 60_000)
    #expect((0..<10).allSatisfy { label in train.labels?.filter { $0 == label }.count == 6000 })
  }

  @Test("Names and splits are parsed from strings; unknown ones list the choices")
  func stringNames() throws {
    #expect(DataSetName(rawValue: "fashion-mnist") == .fashionMNIST)
    #expect(DataSetName.allCases.map(\.rawValue) == ["mnist", "fashion-mnist", "frey-faces", "olivetti-faces", "orl-faces"])
    let unknown = DataFixtures.errorText { _ = try ImageDataSet.load(named: "cifar-10") }
    #expect(unknown?.contains("Unknown data set \"cifar-10\"") == true)
    #expect(unknown?.contains("\"olivetti-faces\"") == true)
    let badSplit = DataFixtures.errorText { _ = try ImageDataSet.load(named: "mnist", split: "validation") }
    #expect(badSplit?.contains("Unknown split \"validation\"") == true)
  }

  @Test("The search order: an explicit directory alone, otherwise GENERATIVEKIT_DATA, cache, system folders")
  func searchOrder() {
    let env = ["GENERATIVEKIT_DATA": "/env/data", "HOME": "/home/someone"]
    #expect(DataDirectories.searchList(for: .mnist, directory: "/explicit", environment: env) == ["/explicit"])
    #expect(DataDirectories.searchList(for: .mnist, environment: env)
            == ["/env/data", "/home/someone/.cache/generativekit"])
    #expect(DataDirectories.searchList(for: .fashionMNIST, environment: env)
            == ["/env/data", "/home/someone/.cache/generativekit", "/usr/share/datasets"])
    #expect(DataDirectories.cacheDirectory(environment: ["XDG_CACHE_HOME": "/xdg", "HOME": "/h"]) == "/xdg/generativekit")
    #expect(DataDirectories.cacheDirectory(environment: ["XDG_CACHE_HOME": "relative", "HOME": "/h"])
            == "/h/.cache/generativekit")
    #expect(DataDirectories.searchList(for: .mnist, directory: "", environment: ["GENERATIVEKIT_DATA": "", "HOME": "/h"])
            == ["/h/.cache/generativekit"])
  }

  @Test("Files are found nested (<dir>/faces/<file>) or flat (<dir>/<file>), gzipped or not")
  func layouts() throws {
    let root = try TestData.temporaryDirectory("layouts")
    defer { try? FileManager.default.removeItem(at: root) }
    let source = DataFixtures.directory + "/faces/"
    let images = try Gzip.readFile(source + "olivetti-64-idx3-ubyte.gz")
    let labels = try Gzip.readFile(source + "olivetti-64-labels-idx1-ubyte.gz")

    // Flat and uncompressed, found through GENERATIVEKIT_DATA.
    let flat = root.appendingPathComponent("flat")
    try DataFixtures.write(images, to: "olivetti-64-idx3-ubyte", in: flat)
    try DataFixtures.write(labels, to: "olivetti-64-labels-idx1-ubyte", in: flat)
    let fromEnvironment = try ImageDataSet.load(
      .olivettiFaces, environment: ["GENERATIVEKIT_DATA": flat.path, "HOME": "/nonexistent"])
    #expect(fromEnvironment.images.shape == [400, 1, 64, 64])

    // Nested in the cache folder, found through XDG_CACHE_HOME.
    let cache = root.appendingPathComponent("xdg/generativekit/faces")
    try DataFixtures.write(Gzip.compress(images), to: "olivetti-64-idx3-ubyte.gz", in: cache)
    try DataFixtures.write(Gzip.compress(labels), to: "olivetti-64-labels-idx1-ubyte.gz", in: cache)
    let fromCache = try ImageDataSet.load(
      .olivettiFaces, environment: ["XDG_CACHE_HOME": root.appendingPathComponent("xdg").path])
    #expect(fromCache.images == fromEnvironment.images)
    #expect(fromCache.labels == fromEnvironment.labels)
  }

  @Test("Fashion-MNIST is not taken from a flat MNIST folder")
  func fashionNeedsItsFolder() throws {
    let spec = DataSetName.fashionMNIST.spec
    #expect(DataDirectories.candidateFolders(for: spec, root: "/data") == ["/data/fashion-mnist"])
    #expect(DataDirectories.candidateFolders(for: spec, root: "/x/fashion-mnist/")
            == ["/x/fashion-mnist/fashion-mnist", "/x/fashion-mnist/"])
    #expect(DataDirectories.candidateFolders(for: DataSetName.mnist.spec, root: "/data") == ["/data/mnist", "/data"])
  }

  @Test("A missing set gives one paragraph naming every folder searched and how to get the files")
  func notFound() throws {
    let empty = try TestData.temporaryDirectory("empty")
    defer { try? FileManager.default.removeItem(at: empty) }
    var thrown: DataSetError?
    do {
      _ = try ImageDataSet.load(.mnist, directory: empty.path,
                                environment: ["GENERATIVEKIT_DATA": "/env/data", "HOME": "/home/nobody"])
    } catch let error as DataSetError {
      thrown = error
    }
    let error = try #require(thrown)
    guard case .notFound(let name, let message) = error else {
      Issue.record("expected notFound, got \(error)")
      return
    }
    #expect(name == "mnist")
    #expect(!message.contains("\n"))
    // An explicit directory is the only place searched: the run never falls back to another folder.
    for folder in [empty.path + "/mnist", empty.path] {
      #expect(message.contains(folder), "\(folder) missing from: \(message)")
    }
    #expect(!message.contains("/env/data"), "an explicit directory fell back to GENERATIVEKIT_DATA: \(message)")
    #expect(message.contains("train-images-idx3-ubyte.gz"))
    #expect(message.contains("DataSetDownloader().download(.mnist)"))
    #expect(message.contains("GENERATIVEKIT_DATA"))

    let faces = DataFixtures.errorText {
      _ = try ImageDataSet.load(.orlFaces, environment: ["HOME": "/home/nobody"])
    }
    #expect(faces?.contains("the face sets have no download") == true)
    #expect(faces?.contains("/home/nobody/.cache/generativekit/faces") == true)
    let fashion = DataFixtures.errorText {
      _ = try ImageDataSet.load(.fashionMNIST, environment: ["HOME": "/home/nobody"])
    }
    #expect(fashion?.contains("apt-get install dataset-fashion-mnist") == true || DataFixtures.hasSystemFashionMNIST)
  }

  @Test("Images without their labels file are reported by the missing file's path")
  func missingLabels() throws {
    let folder = try TestData.temporaryDirectory("labels")
    defer { try? FileManager.default.removeItem(at: folder) }
    let images = try Gzip.readFile(DataFixtures.directory + "/faces/olivetti-64-idx3-ubyte.gz")
    try DataFixtures.write(images, to: "olivetti-64-idx3-ubyte", in: folder)
    let text = DataFixtures.errorText {
      _ = try ImageDataSet.load(.olivettiFaces, directory: folder.path, environment: environment)
    }
    #expect(text?.contains(folder.path + "/olivetti-64-labels-idx1-ubyte.gz: missing") == true)
  }

  @Test("A checksum mismatch names the file; shape and label-range errors too")
  func damagedFiles() throws {
    let folder = try TestData.temporaryDirectory("damaged")
    defer { try? FileManager.default.removeItem(at: folder) }
    // Right shape, wrong content.
    let fake = IDX.encode(dimensions: [1965, 28, 20], elements: [UInt8](repeating: 9, count: 1965 * 28 * 20))
    let fakePath = try DataFixtures.write(Gzip.compress(fake), to: "frey-faces-idx3-ubyte.gz", in: folder)
    let mismatch = DataFixtures.errorText {
      _ = try ImageDataSet.load(.freyFaces, directory: folder.path, environment: environment)
    }
    #expect(mismatch?.hasPrefix(fakePath + ": SHA-256") == true, "\(mismatch ?? "no error")")
    #expect(mismatch?.contains("c943677a3bcb83ed2de1207d4355c360cabfee597a538f9735ec3254886c365f") == true)
    // Without verification the same file loads.
    let unverified = try ImageDataSet.load(.freyFaces, directory: folder.path, verifyChecksums: false,
                                           environment: environment)
    #expect(unverified.count == 1965)

    // Wrong shape.
    let wrongShape = folder.appendingPathComponent("shape")
    let shapePath = try DataFixtures.write(DataFixtures.idxImages(count: 2, height: 28, width: 20),
                                           to: "frey-faces-idx3-ubyte", in: wrongShape)
    let shape = DataFixtures.errorText {
      _ = try ImageDataSet.load(.freyFaces, directory: wrongShape.path, verifyChecksums: false, environment: environment)
    }
    #expect(shape?.hasPrefix(shapePath + ": expected IDX dimensions [1965, 28, 20]") == true, "\(shape ?? "no error")")

    // A label outside the class range (Fashion-MNIST has no checksums, so only the range catches it).
    let fashion = folder.appendingPathComponent("fashion-mnist")
    try DataFixtures.write(IDX.encode(dimensions: [10_000, 28, 28], elements: [UInt8](repeating: 0, count: 7_840_000)),
                           to: "t10k-images-idx3-ubyte", in: fashion)
    let labelsPath = try DataFixtures.write(
      IDX.encode(dimensions: [10_000], elements: (0..<10_000).map { $0 == 17 ? 10 : UInt8($0 % 10) }),
      to: "t10k-labels-idx1-ubyte", in: fashion)
    let range = DataFixtures.errorText {
      _ = try ImageDataSet.load(.fashionMNIST, split: .test, directory: folder.path, environment: environment)
    }
    #expect(range == labelsPath + ": label 10 at index 17 is outside 0..<10")
  }

  @Test("A verified file is not hashed again while unchanged")
  func checksumCache() throws {
    let folder = try TestData.temporaryDirectory("cache")
    defer { try? FileManager.default.removeItem(at: folder) }
    let bytes = Array("verified once".utf8)
    let path = try DataFixtures.write(bytes, to: "file", in: folder)
    let sum = Checksum.sha256(bytes)
    #expect(!ChecksumCache.isVerified(path, sha256: sum))
    try ChecksumCache.verify(bytes, from: path, expected: sum)
    #expect(ChecksumCache.isVerified(path, sha256: sum))
    #expect(!ChecksumCache.isVerified(path, sha256: String(repeating: "0", count: 64)))
    // A changed file (other size) must be hashed again.
    try DataFixtures.write(bytes + [1], to: "file", in: folder)
    #expect(!ChecksumCache.isVerified(path, sha256: sum))
  }
}
