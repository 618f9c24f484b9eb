import ArgumentParser
import Foundation

/// Range checks for the examples' `validate()`: each failure names the flag, the value given and
/// what is allowed, before any data is read or any model is built (so no argument reaches a
/// library precondition or a huge allocation).
public enum ArgumentChecks {
  /// Bounds that keep every example's allocations sane on the machines it targets.
  public static let threads = 1...256
  public static let batchSize = 1...65_536
  public static let epochs = 1...1_000_000
  public static let networkWidth = 1...1_024
  public static let latentDimension = 1...65_536

  /// `value` lies in `range`.
  public static func check(_ value: Int, _ flag: String, in range: ClosedRange<Int>) throws {
    guard range.contains(value) else {
      throw ValidationError("\(flag) must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
    }
  }

  /// A finite value above zero and at most `maximum` (learning rates and the like).
  public static func checkPositive(_ value: Float, _ flag: String, atMost maximum: Float = 1_000) throws {
    guard value.isFinite, value > 0, value <= maximum else {
      throw ValidationError("\(flag) must be a finite number above 0 and at most \(maximum), got \(value)")
    }
  }

  /// A finite value of at least zero (loss weights).
  public static func checkNonNegative(_ value: Float, _ flag: String) throws {
    guard value.isFinite, value >= 0 else {
      throw ValidationError("\(flag) must be a finite number of at least 0, got \(value)")
    }
  }

  /// A value in [0, 1) (Adam's decay rates).
  public static func checkDecayRate(_ value: Float, _ flag: String) throws {
    guard value.isFinite, value >= 0, value < 1 else {
      throw ValidationError("\(flag) must be at least 0 and below 1, got \(value)")
    }
  }

  /// A folder that exists (an explicit `--data-dir` is used or refused, never silently replaced).
  public static func checkExistingFolder(_ path: String, _ flag: String) throws {
    var isFolder: ObjCBool = false
    guard !path.isEmpty, FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else {
      throw ValidationError("\(flag): \(path.isEmpty ? "an empty path" : "\(path)") is not an existing folder")
    }
  }

  /// A path that is not empty (an empty `--output` would write into the current folder).
  public static func checkNotEmpty(_ path: String, _ flag: String) throws {
    guard !path.isEmpty else { throw ValidationError("\(flag) must not be empty") }
  }
}
