#if canImport(Glibc)
  import Glibc
#endif
import GenerativeKit

/// Shows training progress: a live progress bar on a terminal (epoch, batch, images/s, ETA,
/// current figures), plain log lines when the output is a file or a pipe (CI logs stay readable).
public final class ProgressReporter {
  /// Where lines go.
  public enum Style: Sendable {
    /// One line redrawn in place (`\r`) at most ten times a second, on standard error.
    case terminal
    /// A line every `linesPerEpoch`-th part of an epoch, on standard output.
    case log(linesPerEpoch: Int)
    /// Nothing (tests, library use).
    case silent
  }

  public let style: Style
  public let totalEpochs: Int
  /// What bounds a run that a time budget ends rather than its epochs ("10 minutes"): the
  /// lines then say "epoch 3 (training for 10 minutes)" instead of a count of epochs never reached.
  public let timeBudget: String?
  private var lastDraw = 0.0
  private var epochStart = 0.0
  private var lineOpen = false

  /// A terminal bar when standard error is a terminal, log lines otherwise.
  public static func automatic(totalEpochs: Int, timeBudget: String? = nil) -> ProgressReporter {
    ProgressReporter(style: isatty(2) != 0 ? .terminal : .log(linesPerEpoch: 4), totalEpochs: totalEpochs, timeBudget: timeBudget)
  }

  public init(style: Style, totalEpochs: Int, timeBudget: String? = nil) {
    self.style = style
    self.totalEpochs = totalEpochs
    self.timeBudget = timeBudget
  }

  /// "epoch 3/10", or "epoch 3 (training for 10 minutes)" with a time budget.
  func epochLabel(_ epoch: Int) -> String {
    timeBudget.map { "epoch \(epoch) (training for \($0))" } ?? "epoch \(epoch)/\(totalEpochs)"
  }

  /// Call at the start of every epoch (1-based).
  public func epochStarted(_ epoch: Int) {
    epochStart = monotonicSeconds()
    lastDraw = 0
  }

  /// Call after each batch with the batch's figures.
  public func batchFinished(epoch: Int, batch: Int, of batches: Int, imagesSoFar: Int, metrics: TrainingFigures) {
    let now = monotonicSeconds()
    let elapsed = max(now - epochStart, 1e-9)
    let rate = Double(imagesSoFar) / elapsed
    let remaining = elapsed / Double(batch) * Double(batches - batch)
    switch style {
    case .silent:
      return
    case .terminal:
      guard now - lastDraw >= 0.1 || batch == batches else { return }
      lastDraw = now
      let width = 24
      let filled = min(width, width * batch / max(batches, 1))
      let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
      let line = "\(epochLabel(epoch)) [\(bar)] \(batch)/\(batches) \(Int(rate)) img/s ETA \(clock(remaining)) | \(metrics)"
      write(2, "\r\u{1B}[K" + line)
      lineOpen = true
    case .log(let linesPerEpoch):
      let every = max(1, batches / max(linesPerEpoch, 1))
      guard batch % every == 0, batch != batches else { return }
      write(1, "\(epochLabel(epoch)) batch \(batch)/\(batches): \(Int(rate)) img/s, ETA \(clock(remaining)), \(metrics)\n")
    }
  }

  /// Call at the end of every epoch with the epoch's mean figures.
  public func epochFinished(epoch: Int, metrics: TrainingFigures, seconds: Double, images: Int) {
    let line = "\(epochLabel(epoch)): \(metrics) (\(formatFixed(seconds, digits: 1)) s, \(Int(Double(images) / max(seconds, 1e-9))) img/s)"
    switch style {
    case .silent: return
    case .terminal:
      write(2, "\r\u{1B}[K")
      lineOpen = false
      write(1, line + "\n")
    case .log:
      write(1, line + "\n")
    }
  }

  /// Prints a message on its own line (closing an open progress bar first).
  public func message(_ text: String) {
    if case .silent = style { return }
    if lineOpen {
      write(2, "\r\u{1B}[K")
      lineOpen = false
    }
    write(1, text + "\n")
  }

  /// Standard output goes through `print` (and is flushed) so it interleaves correctly with the
  /// program's own prints; the progress bar goes straight to standard error.
  private func write(_ descriptor: Int32, _ text: String) {
    if descriptor == 1 {
      print(text, terminator: "")
      fflush(nil)  // every output stream; `stdout` is a C global Swift 6 will not read
      return
    }
    var bytes = Array(text.utf8)
    _ = bytes.withUnsafeMutableBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
  }

  private func clock(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "--:--" }
    let total = Int(seconds.rounded())
    let (h, m, s) = (total / 3600, (total / 60) % 60, total % 60)
    let two = { (v: Int) in v < 10 ? "0\(v)" : "\(v)" }
    return h > 0 ? "\(h):\(two(m)):\(two(s))" : "\(m):\(two(s))"
  }
}
