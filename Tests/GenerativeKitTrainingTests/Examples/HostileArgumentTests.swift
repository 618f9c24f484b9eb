import Foundation
import Testing

@testable import GenerativeKit
@testable import GenerativeKitData
@testable import GenerativeKitMetrics
@testable import GenerativeKitTraining

/// The example executables given arguments out of range: each must stop before any work with a
/// message naming the flag, and exit with a status (no trap, no hang, no huge allocation).
///
/// The executables are the ones `swift build` put beside this test bundle (`scripts/test.sh`
/// builds them with `swift build --build-tests`).
@Suite("Examples refuse hostile arguments")
struct HostileArgumentTests {
  struct Case: CustomTestStringConvertible, Sendable {
    var executable: String
    var arguments: [String]
    /// Text the error message must contain (the flag).
    var mentions: String
    var testDescription: String { ([executable] + arguments).joined(separator: " ") }
  }

  static let cases: [Case] = [
    Case(executable: "mnist-gan", arguments: ["--threads", "0"], mentions: "--threads"),
    Case(executable: "mnist-gan", arguments: ["--threads", "-3"], mentions: "--threads"),
    Case(executable: "mnist-gan", arguments: ["--beta1", "2"], mentions: "--beta1"),
    Case(executable: "mnist-gan", arguments: ["--beta1", "nan"], mentions: "--beta1"),
    Case(executable: "mnist-gan", arguments: ["--epochs", "-1"], mentions: "--epochs"),
    Case(executable: "mnist-gan", arguments: ["--learning-rate", "inf"], mentions: "--learning-rate"),
    Case(executable: "mnist-gan", arguments: ["--noise-dimension", "1000000000"], mentions: "--noise-dimension"),
    Case(executable: "mnist-gan", arguments: ["--data-dir", "/nonexistent/generativekit-data"], mentions: "--data-dir"),
    Case(executable: "mnist-gan", arguments: ["--output", ""], mentions: "--output"),
    Case(executable: "mnist-vae", arguments: ["--beta", "-1"], mentions: "--beta"),
    Case(executable: "mnist-vae", arguments: ["--latent-dimension", "0"], mentions: "--latent-dimension"),
    Case(executable: "mnist-gan", arguments: ["--preset", "fastest"], mentions: "--preset"),
    Case(executable: "mnist-gan", arguments: ["--minutes", "0"], mentions: "--minutes"),
    Case(executable: "mnist-gan", arguments: ["--snapshot-minutes", "2,x"], mentions: "--snapshot-minutes"),
    Case(executable: "mnist-gan", arguments: ["--learning-rate-decay-after", "1.5"], mentions: "--learning-rate-decay-after"),
    Case(executable: "mnist-gan", arguments: ["--learning-rate-decay-after", "nan"], mentions: "--learning-rate-decay-after"),
    Case(executable: "mnist-gan", arguments: ["--generator-learning-rate", "0"], mentions: "--generator-learning-rate"),
    Case(executable: "mnist-vae", arguments: ["--snapshot-minutes", "-1"], mentions: "--snapshot-minutes"),
    Case(executable: "mnist-gan", arguments: ["--update-order", "random"], mentions: "--update-order"),
    Case(executable: "mnist-gan", arguments: ["--discriminator", "spectral"], mentions: "--discriminator"),
    Case(executable: "mnist-vae", arguments: ["--preset", "iwae"], mentions: "--preset"),
    Case(executable: "mnist-vae", arguments: ["--test-nll", "10"], mentions: "--test-nll"),  // the report's MSE decoder
    Case(executable: "mnist-vae", arguments: ["--preset", "bernoulli", "--test-nll", "0"], mentions: "--test-nll"),
    Case(executable: "gk-explore", arguments: ["missing.safetensors", "--port", "70000"], mentions: "--port"),
    Case(executable: "gk-explore", arguments: ["missing.safetensors"], mentions: "missing.safetensors"),
    Case(executable: "sample", arguments: ["samples.npy"], mentions: "--classifier"),
    Case(executable: "faces-gan", arguments: ["--width", "5000"], mentions: "--width"),
    Case(executable: "faces-gan", arguments: ["--preset", "fastest"], mentions: "--preset"),
    Case(executable: "faces-gan", arguments: ["--architecture", "custom"], mentions: "--architecture"),
    Case(executable: "faces-gan", arguments: ["--generator-average", "1.5"], mentions: "--generator-average"),
    Case(executable: "faces-gan", arguments: ["--save-every", "0"], mentions: "--save-every"),
    Case(executable: "sample", arguments: ["missing.safetensors", "--faces", "celeba"], mentions: "--faces"),
    Case(executable: "sample", arguments: ["missing.safetensors", "--faces", "frey-faces", "--classifier", "c.safetensors"], mentions: "--faces"),
    Case(executable: "faces-gan", arguments: ["--images", "/tmp", "--image-size", "100000"], mentions: "--image-size"),
    Case(executable: "faces-vae", arguments: ["--batch-size", "100000000"], mentions: "--batch-size"),
    Case(executable: "sample", arguments: ["missing.safetensors", "--count", "1000000"], mentions: "--count"),
    Case(executable: "sample", arguments: ["missing.safetensors", "--threads", "0"], mentions: "--threads"),
    Case(executable: "sample", arguments: ["missing.safetensors", "--statistics", "moving"], mentions: "--statistics"),
    Case(executable: "sample", arguments: ["missing.safetensors", "--generator", "ema"], mentions: "--generator"),
    Case(executable: "sample", arguments: ["missing.safetensors", "--parzen"], mentions: "--classifier"),
    Case(executable: "sample", arguments: ["missing.safetensors", "--test-nll", "0"], mentions: "--test-nll"),
    Case(executable: "sample", arguments: ["missing.safetensors", "--test-nll-digits", "5"], mentions: "--test-nll"),
    Case(executable: "mnist-gan", arguments: ["--generator-average", "1"], mentions: "--generator-average"),
    Case(executable: "toy-fit", arguments: ["--learning-rate", "nan"], mentions: "--learning-rate"),
    Case(executable: "mnist-classifier", arguments: ["--max-shift", "100"], mentions: "--max-shift"),
    Case(executable: "gan-vs-vae", arguments: ["--threads", "0"], mentions: "--threads"),
    Case(executable: "gan-vs-vae", arguments: ["--seeds", "0"], mentions: "--seeds"),
    Case(executable: "gan-vs-vae", arguments: ["--quick", "--presets"], mentions: "--presets"),
    Case(executable: "gan-vs-vae", arguments: ["--data-dir", "/nonexistent/generativekit-data"], mentions: "--data-dir"),
    Case(executable: "gk-bench", arguments: ["--threads", "2147483648"], mentions: "--threads"),
    Case(executable: "faces-gan", arguments: ["--image-size", "32"], mentions: "--image-size"),
    Case(executable: "faces-vae", arguments: ["--color"], mentions: "--color"),
    Case(executable: "gk-bench", arguments: ["--threads", "100000"], mentions: "--threads"),
  ]

  @Test("A clear error and an exit status", arguments: cases)
  func refuses(_ c: Case) throws {
    try Self.expectRefusal(c)
  }

  /// `sample` given a checkpoint whose configuration asks for an impossible generator, and a FIFO
  /// where the checkpoint should be.
  @Test("sample refuses a hostile checkpoint and a FIFO")
  func hostileCheckpoints() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gk-hostile-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    var options = GANOptions()
    options.imageHeight = 30
    var checkpoint = Checkpoint(metadata: ["format": GANExperiment.format])
    try checkpoint.setConfiguration(options)
    let hostile = folder.appendingPathComponent("hostile.safetensors")
    try checkpoint.save(to: hostile)
    let fifo = folder.appendingPathComponent("fifo.safetensors")
    try #require(mkfifo(fifo.path, 0o600) == 0)
    let output = folder.appendingPathComponent("out").path
    try Self.expectRefusal(Case(executable: "sample", arguments: [hostile.path, "--output", output], mentions: "imageHeight"))
    try Self.expectRefusal(Case(executable: "sample", arguments: [fifo.path, "--output", output], mentions: "regular file"))
  }

  static func expectRefusal(_ c: Case) throws {
    let folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let executable = folder.appendingPathComponent(c.executable)
    try #require(FileManager.default.isExecutableFile(atPath: executable.path),
                 "\(executable.path) is missing: build the examples first (swift build --build-tests)")
    let process = Process()
    process.executableURL = executable
    process.arguments = c.arguments
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let deadline = Date().addingTimeInterval(60)
    while process.isRunning && Date() < deadline { usleep(20_000) }
    if process.isRunning {
      process.terminate()
      Issue.record("\(c.testDescription) still ran after 60 s")
      return
    }
    let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    #expect(process.terminationReason == .exit, "\(c.testDescription) ended by a signal: \(message)")
    #expect((1...127).contains(process.terminationStatus), "\(c.testDescription) exited \(process.terminationStatus)")
    #expect(message.contains(c.mentions), "\(c.testDescription) said: \(message)")
  }
}
