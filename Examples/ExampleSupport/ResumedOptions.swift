import ArgumentParser
import Foundation
import GenerativeKit
import GenerativeKitTraining

/// A resumed run's options: the checkpoint's, with what the command line may change on a resume
/// (epochs, reporting) taken from the flags, and every flag given that contradicts the checkpoint
/// refused by name. So `mnist-gan --resume RUN/checkpoints/latest.safetensors` continues a
/// `--preset dcgan` run with the preset's batch, learning rate and generator average without
/// repeating them.
public struct ResumedOptions<Options: Decodable> {
  /// One field of the options and the flags that set it.
  public struct Field {
    let name: String
    let flags: [String]
    let mayChange: Bool
    let differs: (Options, Options) -> (stored: String, given: String)?
    let take: (inout Options, Options) -> Void

    /// `keyPath` (called `name` in messages), set by any of `flags`; `mayChange` for fields a
    /// resume may change (epochs, reporting), otherwise a given flag must agree with the checkpoint.
    public static func field<Value: Equatable>(
      _ keyPath: WritableKeyPath<Options, Value>, _ name: String, flags: [String], mayChange: Bool = false
    ) -> Field {
      Field(
        name: name, flags: flags, mayChange: mayChange,
        differs: { stored, given in
          stored[keyPath: keyPath] == given[keyPath: keyPath]
            ? nil : (describeOptionField(stored[keyPath: keyPath]), describeOptionField(given[keyPath: keyPath]))
        },
        take: { result, given in result[keyPath: keyPath] = given[keyPath: keyPath] })
    }
  }

  /// The options the run continues with.
  public let options: Options

  /// Merges the checkpoint's options (`stored`) with `fromFlags` (the options the command line
  /// builds, defaults included): a field whose flag appears in `arguments` is taken from the
  /// flags when it may change, and must otherwise equal the checkpoint's.
  ///
  /// - Throws: `ValidationError` naming every flag that contradicts the checkpoint.
  public init(
    stored: Options, fromFlags: Options, fields: [Field], checkpoint: String,
    arguments: [String] = Array(CommandLine.arguments.dropFirst())
  ) throws {
    var result = stored
    var conflicts: [String] = []
    for field in fields {
      guard let flag = field.flags.first(where: { Self.isGiven($0, in: arguments) }) else { continue }
      if field.mayChange {
        field.take(&result, fromFlags)
      } else if let (storedValue, givenValue) = field.differs(stored, fromFlags) {
        conflicts.append("\(flag) asks for \(field.name) \(givenValue), the run was trained with \(storedValue)")
      }
    }
    guard conflicts.isEmpty else {
      throw ValidationError(
        "--resume \(checkpoint) continues the run as its checkpoint describes: " + conflicts.joined(separator: "; ")
          + ". Leave these flags out to continue it, or start a new run in another --output folder")
    }
    options = result
  }

  /// The options stored in the checkpoint at `path`, which a run of kind `format` must have written.
  public static func stored(in path: String, format: String) throws -> Options {
    let checkpoint = try Checkpoint(contentsOf: URL(fileURLWithPath: path))
    guard checkpoint.metadata["format"] == format else {
      throw GenerativeKitError.file(
        path: path, reason: "not a checkpoint of this kind of run (metadata format is "
          + "\(checkpoint.metadata["format"].map { "'\($0)'" } ?? "missing"), expected '\(format)')")
    }
    return try checkpoint.configuration(Options.self)
  }

  /// Whether `flag` (a long option) is among `arguments`, as `--flag value` or `--flag=value`.
  static func isGiven(_ flag: String, in arguments: [String]) -> Bool {
    arguments.contains { $0 == flag || $0.hasPrefix(flag + "=") }
  }
}
