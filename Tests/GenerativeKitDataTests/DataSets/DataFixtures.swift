import TestSupport
import Foundation
@testable import GenerativeKit
@testable import GenerativeKitData

/// Data shared by the data-set tests, loaded at most once per test run.
enum DataFixtures {
  /// The shared data folder as a path.
  static var directory: String { TestData.directory.path }

  /// An environment without `GENERATIVEKIT_DATA` and with an empty home, so searches see only the
  /// folders a test names (and the system Fashion-MNIST folder).
  static func isolatedEnvironment(home: String = "/nonexistent-generativekit-home") -> [String: String] {
    ["HOME": home]
  }

  /// MNIST train in [0, 1], loaded (and its checksum verified) once.
  static let mnistTrain: Result<ImageDataSet, Error> = Result {
    try ImageDataSet.load(.mnist, split: .train, directory: directory, environment: isolatedEnvironment())
  }

  /// Whether Debian's `dataset-fashion-mnist` package is installed.
  static var hasSystemFashionMNIST: Bool {
    FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")
  }

  /// A small IDX images file `[count, height, width]` with seeded pseudo-random pixels.
  static func idxImages(count: Int, height: Int, width: Int, seed: UInt64 = 1) -> [UInt8] {
    var generator = SeededGenerator(seed: seed)
    let pixels = (0..<(count * height * width)).map { _ in UInt8(truncatingIfNeeded: generator.next() >> 56) }
    return IDX.encode(dimensions: [count, height, width], elements: pixels)
  }

  /// Writes `bytes` to `name` inside `folder` (created if needed) and returns the path.
  @discardableResult
  static func write(_ bytes: [UInt8], to name: String, in folder: URL) throws -> String {
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let url = folder.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url.path
  }

  /// The description of the error `body` throws, or nil if it does not throw.
  static func errorText(_ body: () throws -> Void) -> String? {
    do {
      try body()
      return nil
    } catch {
      return "\(error)"
    }
  }
}
