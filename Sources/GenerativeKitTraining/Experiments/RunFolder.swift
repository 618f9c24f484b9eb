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

  /// Whether a run writes files named `name` into its folders: `latest.safetensors` and the
  /// numbered `epoch-NNNN.safetensors` / `epoch-NNNN.png`.
  static func isRunFile(_ name: String) -> Bool {
    if name == "latest.safetensors" { return true }
    guard name.hasPrefix("epoch-") else { return false }
    let rest = name.dropFirst("epoch-".count)
    let digits = rest.prefix { $0.isASCII && $0.isNumber }
    return digits.count >= 4 && [".safetensors", ".png"].contains(String(rest.dropFirst(digits.count)))
  }

  /// Whether a program writes `name` at the top of a run folder: the logs, the loss curves, the
  /// VAE's manifold and test-NLL records.
  static func isTopLevelRunFile(_ name: String) -> Bool {
    if ["log.jsonl", "log.csv", "losses.svg", "manifold.png"].contains(name) { return true }
    guard name.hasPrefix("test-nll-k"), name.hasSuffix(".csv") else { return false }
    let digits = name.dropFirst("test-nll-k".count).dropLast(".csv".count)
    return !digits.isEmpty && digits.allSatisfy { $0.isASCII && $0.isNumber }
  }

  /// Removes the files an earlier run wrote into `directory` (checkpoints, pictures, logs), for a
  /// run that replaces it: only files a run writes, by name, and never through a symbolic link
  /// (a linked subfolder is refused before anything is deleted). Other files stay.
  static func removeEarlierRun(in directory: URL, folders: [URL]) throws {
    let manager = FileManager.default
    for folder in folders where isSymbolicLink(folder) {
      throw GenerativeKitError.file(
        path: folder.path,
        reason: "is a symbolic link; --overwrite deletes the earlier run's files only inside the run folder itself, "
          + "never through a link: remove the link or choose another output folder")
    }
    var doomed: [URL] = []
    for folder in folders where manager.fileExists(atPath: folder.path) {
      for name in try manager.contentsOfDirectory(atPath: folder.path) where isRunFile(name) {
        doomed.append(folder.appendingPathComponent(name))
      }
    }
    for name in (try? manager.contentsOfDirectory(atPath: directory.path)) ?? [] where isTopLevelRunFile(name) {
      doomed.append(directory.appendingPathComponent(name))
    }
    // A link named like a run's file is removed itself; a folder of that name is left alone.
    for file in doomed where isSymbolicLink(file) || !isDirectory(file) { try manager.removeItem(at: file) }
  }

  /// Refuses to continue the run of `checkpoint` (at `epoch`) in `directory` when that folder holds
  /// another run, or holds this run at a later epoch: either would replace epochs the folder keeps.
  static func checkResume(of checkpoint: URL?, epoch: Int, into directory: URL) throws {
    let earlier = earlierRun(in: directory)
    guard earlier.epochs > 0 || earlier.latestCheckpoint else { return }
    let ownCheckpoints = directory.appendingPathComponent("checkpoints").resolvingSymlinksInPath().standardizedFileURL
    let parent = checkpoint?.deletingLastPathComponent().resolvingSymlinksInPath().standardizedFileURL
    guard let checkpoint, parent == ownCheckpoints else {
      throw GenerativeKitError.invalidArgument(
        "the output folder \(directory.path) holds another run (\(earlier.epochs) epochs in log.jsonl"
          + (earlier.latestCheckpoint ? ", checkpoints/latest.safetensors" : "") + "); continuing "
          + "\(checkpoint?.path ?? "a checkpoint") there would replace it: choose a new output folder, or resume "
          + "\(directory.path)/checkpoints/latest.safetensors to continue that run")
    }
    guard earlier.epochs <= epoch else {
      throw GenerativeKitError.invalidArgument(
        "the run in \(directory.path) has reached epoch \(earlier.epochs), and \(checkpoint.lastPathComponent) holds epoch "
          + "\(epoch): continuing it there would replace epochs \(epoch + 1)...\(earlier.epochs); resume it into a new output folder")
    }
  }

  private static func isSymbolicLink(_ url: URL) -> Bool {
    (try? FileManager.default.attributesOfItem(atPath: url.path)[.type] as? FileAttributeType) == .typeSymbolicLink
  }

  private static func isDirectory(_ url: URL) -> Bool {
    var directory: ObjCBool = false
    return FileManager.default.fileExists(atPath: url.path, isDirectory: &directory) && directory.boolValue
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
