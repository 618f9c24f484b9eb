import Foundation

#if canImport(Glibc)
  import Glibc
#endif
import GenerativeKit

/// One run's claim on its output folder: an `flock`ed `.generativekit-run.lock` file holding the
/// owner's process id. A second run on the same folder is refused with that id; the kernel
/// releases the lock when the owner exits or dies, so a crash never leaves the folder locked.
final class RunFolderLock {
  static let fileName = ".generativekit-run.lock"
  private let descriptor: Int32

  /// Takes the lock of `directory` (which must exist), or throws naming the process that holds it.
  init(directory: URL) throws {
    let path = directory.appendingPathComponent(Self.fileName).path
    let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0o644)
    guard descriptor >= 0 else {
      throw GenerativeKitError.file(path: path, reason: "cannot open the run folder's lock file: \(String(cString: strerror(errno)))")
    }
    guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
      var bytes = [UInt8](repeating: 0, count: 32)
      let count = pread(descriptor, &bytes, bytes.count, 0)
      close(descriptor)
      let owner = String(decoding: bytes.prefix(max(0, count)), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
      throw GenerativeKitError.invalidArgument(
        "the output folder \(directory.path) is in use by another run (process \(owner.isEmpty ? "unknown" : owner)); "
          + "wait for it to finish or choose another output folder")
    }
    let pid = Array("\(getpid())\n".utf8)
    _ = ftruncate(descriptor, 0)
    _ = pwrite(descriptor, pid, pid.count, 0)
    self.descriptor = descriptor
  }

  deinit { close(descriptor) }
}

/// What an output folder holds before a run starts, and the clean-up a run does when it owns it.
enum RunFolder {
  /// The epochs recorded in `directory`'s `log.jsonl` and whether `checkpoints/latest.safetensors`
  /// exists: a folder with either holds an earlier run.
  static func earlierRun(in directory: URL) -> (epochs: Int, latestCheckpoint: Bool) {
    let log = (try? String(contentsOf: directory.appendingPathComponent("log.jsonl"), encoding: .utf8)) ?? ""
    let epochs = log.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.count
    let latest = FileManager.default.fileExists(
      atPath: directory.appendingPathComponent("checkpoints/latest.safetensors").path)
    return (epochs, latest)
  }

  /// Removes the files an earlier run wrote into `directory` (checkpoints, pictures, logs), for a
  /// run that replaces it.
  static func removeEarlierRun(in directory: URL, folders: [URL]) throws {
    let manager = FileManager.default
    for folder in folders where manager.fileExists(atPath: folder.path) {
      for name in try manager.contentsOfDirectory(atPath: folder.path) {
        try manager.removeItem(at: folder.appendingPathComponent(name))
      }
    }
    for name in ["log.jsonl", "log.csv", "losses.svg"] {
      let file = directory.appendingPathComponent(name)
      if manager.fileExists(atPath: file.path) { try manager.removeItem(at: file) }
    }
  }

  /// Deletes the temporary files of saves that were interrupted (`.<name>.tmp-<pid>-<n>`) in the
  /// folders: with the folder's lock held, no other writer can still be using them.
  static func removeInterruptedSaves(in folders: [URL]) -> Int {
    var removed = 0
    for folder in folders {
      guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { continue }
      for name in names where name.hasPrefix(".") && name.contains(".tmp-") {
        if (try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))) != nil { removed += 1 }
      }
    }
    return removed
  }
}
