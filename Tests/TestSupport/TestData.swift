import Foundation

/// Where the shared data sets are for tests: `GENERATIVEKIT_DATA`, else `../shared/data` beside the
/// package root (the layout CI and developers' machines have).
public enum TestData {
  public static var directory: URL {
    if let path = ProcessInfo.processInfo.environment["GENERATIVEKIT_DATA"], !path.isEmpty {
      return URL(fileURLWithPath: path)
    }
    return packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data")
  }

  /// The package's root folder, found from this file's location.
  public static var packageRoot: URL {
    URL(fileURLWithPath: #filePath)
      .deletingLastPathComponent()  // TestSupport
      .deletingLastPathComponent()  // Tests
      .deletingLastPathComponent()
  }

  /// A fresh, empty temporary directory for one test.
  public static func temporaryDirectory(_ label: String = "test") throws -> URL {
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("generativekit-\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }
}
