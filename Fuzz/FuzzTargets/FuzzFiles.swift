import Foundation

/// Seeds written to and inputs read from folders, for `gk-fuzz` and the corpus tests.
public enum FuzzFiles {
  /// An error with a message for the command line.
  public struct Failure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
  }

  /// Writes every target's seeds into `folder/<target>/`.
  public static func writeSeeds(into folder: String) throws {
    for target in FuzzTarget.allCases {
      let directory = URL(fileURLWithPath: folder).appendingPathComponent(target.rawValue)
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
      for seed in try target.seeds() {
        try Data(seed.bytes).write(to: directory.appendingPathComponent(seed.name))
      }
    }
  }

  /// The regular files at `paths`, folders expanded one level, sorted by path.
  public static func inputs(at paths: [String]) throws -> [String] {
    var files: [String] = []
    for path in paths {
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw Failure("\(path): no such file or folder") }
      if isDirectory.boolValue {
        files += try FileManager.default.contentsOfDirectory(atPath: path).filter { !$0.hasPrefix(".") }.map { path + "/" + $0 }
      } else {
        files.append(path)
      }
    }
    return files.sorted()
  }

  /// Runs every input through `target`: how many were accepted and rejected, and the violations.
  public static func replay(_ target: FuzzTarget, paths: [String]) throws
    -> (counts: (accepted: Int, rejected: Int), violations: [String])
  {
    var accepted = 0
    var rejected = 0
    var violations: [String] = []
    for file in try inputs(at: paths) {
      switch target.run(Array(try Data(contentsOf: URL(fileURLWithPath: file)))) {
      case .accepted: accepted += 1
      case .rejected: rejected += 1
      case .violated(let reason): violations.append("\(file): \(reason)")
      }
    }
    return ((accepted, rejected), violations)
  }
}
