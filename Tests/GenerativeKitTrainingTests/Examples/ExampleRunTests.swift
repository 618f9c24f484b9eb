import Foundation
import TestSupport
import Testing

@testable import GenerativeKit
@testable import GenerativeKitData
@testable import GenerativeKitTraining

/// The example executables on small real runs: what a resume continues, and inputs that once
/// trapped or gave silently wrong files (each case a command that failed before its fix).
@Suite("Examples on small runs", .serialized)
struct ExampleRunTests {
  /// Runs an executable of this package with both outputs captured, for at most two minutes.
  static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, signalled: Bool, text: String) {
    let path = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(executable).path
    try #require(FileManager.default.isExecutableFile(atPath: path), "\(path) is missing: swift build --build-tests")
    let outcome = try ChildProcess.run(path, arguments, timeout: 120)
    if outcome.timedOut { Issue.record("\(executable) \(arguments.joined(separator: " ")) still ran after 120 s") }
    return (outcome.status, outcome.signalled, outcome.text)
  }

  static var mnist: String { TestData.directory.appendingPathComponent("mnist").path }

  /// A tiny GAN of the report's kind: the flags every run here shares.
  static let tinyGAN = ["--limit", "128", "--width", "4", "--noise-dimension", "8", "--threads", "1"]

  @Test("A resume without the preset continues the preset's recipe (batch, Adam, generator average); a contradicting flag is refused")
  func resumeKeepsThePreset() throws {
    let folder = try TestData.temporaryDirectory("example-resume-preset")
    let output = folder.appendingPathComponent("run").path
    let first = try Self.run("mnist-gan", ["--preset", "dcgan", "--epochs", "1", "--data-dir", Self.mnist, "--output", output] + Self.tinyGAN)
    try #require(first.status == 0, "\(first.text)")
    let latest = output + "/checkpoints/latest.safetensors"
    let before = try Data(contentsOf: URL(fileURLWithPath: latest))

    let contradicting = try Self.run(
      "mnist-gan", ["--resume", latest, "--epochs", "2", "--learning-rate", "1e-3", "--data-dir", Self.mnist, "--output", output] + Self.tinyGAN)
    #expect(contradicting.status != 0 && contradicting.text.contains("--learning-rate"), "\(contradicting.text)")
    #expect(try Data(contentsOf: URL(fileURLWithPath: latest)) == before, "a refused resume changed the checkpoint")

    let resumed = try Self.run("mnist-gan", ["--resume", latest, "--epochs", "2", "--data-dir", Self.mnist, "--output", output] + Self.tinyGAN)
    try #require(resumed.status == 0, "\(resumed.text)")
    let checkpoint = try Checkpoint(contentsOf: URL(fileURLWithPath: latest))
    let options = try checkpoint.configuration(GANOptions.self)
    #expect(checkpoint.epoch == 2)
    #expect(options.batchSize == 64 && options.learningRate == 2e-4 && options.beta1 == 0.5 && options.generatorAverageDecay == 0.999)
    #expect(!checkpoint.names(withPrefix: GANExperiment.averagePrefix).isEmpty, "the generator average was dropped")
  }

  @Test("A finite loss too large for an integer is printed, not trapped on")
  func hugeLossPrinted() throws {
    let output = try TestData.temporaryDirectory("example-huge-loss").appendingPathComponent("run").path
    let result = try Self.run(
      "mnist-vae", ["--limit", "64", "--epochs", "1", "--beta", "1e25", "--no-test", "--threads", "1", "--data-dir", Self.mnist, "--output", output])
    #expect(!result.signalled, "mnist-vae --beta 1e25 trapped: \(result.text.suffix(400))")
    #expect(result.status == 0 || result.text.contains("error:"), "\(result.text.suffix(400))")
  }

  @Test("sample refuses latent files with no rows or non-finite values, and checkpoints with non-finite weights, by name")
  func sampleRefusesNonFiniteInputs() throws {
    let folder = try TestData.temporaryDirectory("example-sample-inputs")
    let output = folder.appendingPathComponent("run").path
    let trained = try Self.run("mnist-gan", ["--epochs", "1", "--data-dir", Self.mnist, "--output", output] + Self.tinyGAN)
    try #require(trained.status == 0, "\(trained.text)")
    let latest = output + "/checkpoints/latest.safetensors"
    let samplesFolder = folder.appendingPathComponent("samples").path

    let empty = folder.appendingPathComponent("empty.npy")
    try NumPyArray.write(Tensor(shape: [0, 8]), to: empty)
    let notFinite = folder.appendingPathComponent("nan.npy")
    try NumPyArray.write(Tensor(shape: [2, 8], scalars: [Float](repeating: 0, count: 15) + [.nan]), to: notFinite)
    let fifo = folder.appendingPathComponent("fifo.npy")
    try #require(mkfifo(fifo.path, 0o600) == 0)
    for file in [empty, notFinite, fifo] {
      let result = try Self.run("sample", [latest, "--latents", file.path, "--output", samplesFolder, "--threads", "1"])
      #expect(!result.signalled && result.status != 0 && result.text.contains(file.lastPathComponent), "\(result.text.suffix(400))")
      #expect(!result.text.contains("permission"), "\(result.text.suffix(400))")
    }

    var checkpoint = try Checkpoint(contentsOf: URL(fileURLWithPath: latest))
    guard case .float32(let weight)? = checkpoint["generator.0.weight"] else {
      Issue.record("generator.0.weight missing")
      return
    }
    var values = weight.scalars
    values[3] = .nan
    checkpoint.set(Tensor(shape: weight.shape, scalars: values), named: "generator.0.weight")
    let poisoned = folder.appendingPathComponent("poisoned.safetensors")
    try checkpoint.save(to: poisoned)
    let result = try Self.run("sample", [poisoned.path, "--count", "16", "--output", samplesFolder, "--threads", "1"])
    #expect(result.status != 0 && result.text.contains("generator.0.weight") && result.text.contains("finite"), "\(result.text.suffix(400))")
    #expect(!FileManager.default.fileExists(atPath: samplesFolder + "/samples.npy"))

    // Finite but huge weights: the samples are not finite, and sample says so instead of writing them.
    checkpoint.set(Tensor(shape: weight.shape, repeating: 1e38), named: "generator.0.weight")
    let huge = folder.appendingPathComponent("huge.safetensors")
    try checkpoint.save(to: huge)
    let hugeResult = try Self.run("sample", [huge.path, "--count", "16", "--output", samplesFolder, "--threads", "1"])
    #expect(hugeResult.status != 0 && hugeResult.text.contains("too large"), "\(hugeResult.text.suffix(400))")
    #expect(!FileManager.default.fileExists(atPath: samplesFolder + "/samples.npy"))
  }

  @Test("A damaged MNIST test file is an error naming it, not 'MNIST not found'")
  func damagedTestFileNamed() throws {
    let folder = try TestData.temporaryDirectory("example-damaged-mnist")
    let output = folder.appendingPathComponent("run").path
    let trained = try Self.run(
      "mnist-vae", ["--limit", "64", "--epochs", "1", "--no-test", "--threads", "1", "--data-dir", Self.mnist, "--output", output])
    try #require(trained.status == 0, "\(trained.text)")
    let data = folder.appendingPathComponent("mnist")
    try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
    for name in ["t10k-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"] {
      try FileManager.default.copyItem(atPath: Self.mnist + "/" + name, toPath: data.appendingPathComponent(name).path)
    }
    try Data(repeating: 0x1F, count: 4_000).write(to: data.appendingPathComponent("t10k-images-idx3-ubyte.gz"))
    let result = try Self.run(
      "sample", [output + "/checkpoints/latest.safetensors", "--count", "16", "--data-dir", data.path,
                 "--output", folder.appendingPathComponent("samples").path, "--threads", "1"])
    #expect(!result.signalled && result.status != 0 && result.text.contains("t10k-images-idx3-ubyte.gz"), "\(result.text.suffix(600))")
    #expect(!result.text.contains("not found"), "\(result.text.suffix(600))")
  }

  @Test("sample refuses a .npy of samples with a NaN pixel, naming the file")
  func sampleRefusesNaNPixels() throws {
    let folder = try TestData.temporaryDirectory("example-sample-nan")
    var pixels = [Float](repeating: 0.5, count: 10 * 784)
    pixels[1_000] = .nan
    let file = folder.appendingPathComponent("with-nan.npy")
    try NumPyArray.write(Tensor(shape: [10, 1, 28, 28], scalars: pixels), to: file)
    let result = try Self.run("sample", [file.path, "--classifier", "unused.safetensors", "--output", folder.path])
    #expect(!result.signalled && result.status != 0 && result.text.contains("with-nan.npy") && result.text.contains("nan"),
            "\(result.text.suffix(400))")
  }

  @Test("custom-gan (the public API only, at most 80 lines) trains conditional with the hinge loss, and sample opens its checkpoint without options")
  func customGANThroughSample() throws {
    let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../Examples/custom-gan/main.swift")
    let lines = try String(contentsOf: source, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
    #expect(lines.count <= 81, "Examples/custom-gan/main.swift has \(lines.count - 1) lines; the article promises at most 80")
    #expect(!lines.contains { $0.contains("import ExampleSupport") || $0.contains("@testable") })

    let output = try TestData.temporaryDirectory("example-custom-gan").appendingPathComponent("run").path
    let trained = try Self.run("custom-gan", ["--limit", "128", "--epochs", "1", "--conditional", "--loss", "hinge",
                                              "--data-dir", Self.mnist, "--output", output])
    try #require(trained.status == 0, "\(trained.text.suffix(600))")
    let latest = output + "/checkpoints/latest.safetensors"
    let options = try Checkpoint(contentsOf: URL(fileURLWithPath: latest)).configuration(GANOptions.self)
    #expect(options.architecture == .custom && options.classes == 10 && options.discriminatorLoss == .hinge)
    let sampled = try Self.run("sample", [latest, "--count", "64", "--output", output + "/samples-out", "--threads", "1"])
    #expect(sampled.status == 0 && sampled.text.contains("GAN (custom, conditional on 10 classes"), "\(sampled.text.suffix(600))")
    #expect(FileManager.default.fileExists(atPath: output + "/samples-out/grid.png"))
    let refused = try Self.run("custom-gan", ["--limit", "128", "--epochs", "1", "--data-dir", Self.mnist, "--output", output])
    #expect(refused.status != 0 && refused.text.contains("--overwrite"), "\(refused.text.suffix(400))")
  }

  @Test("faces-gan --preset fast trains the light networks with their generator average; sample --faces refuses too few samples and other image shapes")
  func facesPresetThroughSample() throws {
    let data = TestData.directory.path
    let output = try TestData.temporaryDirectory("example-faces-fast").appendingPathComponent("run").path
    let trained = try Self.run("faces-gan", ["--preset", "fast", "--limit", "64", "--epochs", "1", "--width", "8", "--batch-size", "32",
                                             "--noise-dimension", "8", "--data-dir", data, "--output", output, "--threads", "1"])
    try #require(trained.status == 0, "\(trained.text.suffix(600))")
    #expect(trained.text.contains("faces-gan: dcgan-light") && trained.text.contains("generator average decay 0.99"), "\(trained.text.prefix(600))")
    let latest = output + "/checkpoints/latest.safetensors"
    let options = try Checkpoint(contentsOf: URL(fileURLWithPath: latest)).configuration(GANOptions.self)
    #expect(options == {
      var expected = GANOptions(facesPreset: .fast, height: 28, width: 20)
      (expected.epochs, expected.width, expected.batchSize, expected.noiseDimension) = (1, 8, 32, 8)
      return expected
    }())

    // The measuring itself runs in facesVAEThroughSample (once: it takes most of a minute in a debug build).
    let measured = output + "/measured"
    let tooFew = try Self.run("sample", [latest, "--faces", "frey-faces", "--count", "100", "--data-dir", data, "--output", measured])
    #expect(tooFew.status != 0 && tooFew.text.contains("--count 982"), "\(tooFew.text.suffix(400))")
    #expect(!FileManager.default.fileExists(atPath: measured + "/grid.png"))  // refused before any sampling
    let otherSet = try Self.run("sample", [latest, "--faces", "olivetti-faces", "--data-dir", data, "--output", measured])
    #expect(otherSet.status != 0 && otherSet.text.contains("[1, 64, 64]") && otherSet.text.contains("[1, 28, 20]"), "\(otherSet.text.suffix(400))")
    let resumed = try Self.run("faces-gan", ["--resume", latest, "--architecture", "report-dcgan", "--data-dir", data, "--output", output])
    #expect(resumed.status != 0 && resumed.text.contains("--architecture asks for architecture"), "\(resumed.text.suffix(400))")
  }

  @Test("sample opens a faces-vae checkpoint: a note instead of MNIST reconstructions (once a shape error); --faces measures the samples against the faces and reconstructs faces")
  func facesVAEThroughSample() throws {
    let data = TestData.directory.path
    let output = try TestData.temporaryDirectory("example-faces-vae").appendingPathComponent("run").path
    let trained = try Self.run("faces-vae", ["--limit", "64", "--epochs", "1", "--batch-size", "32", "--data-dir", data,
                                             "--output", output, "--threads", "1"])
    try #require(trained.status == 0, "\(trained.text.suffix(600))")
    let latest = output + "/checkpoints/latest.safetensors"
    let plain = try Self.run("sample", [latest, "--count", "16", "--data-dir", data, "--output", output + "/plain", "--threads", "1"])
    #expect(plain.status == 0 && plain.text.contains("[1, 28, 20] images, not MNIST digits"), "\(plain.text.suffix(600))")
    #expect(!FileManager.default.fileExists(atPath: output + "/plain/reconstructions.png"))
    let faces = try Self.run("sample", [latest, "--faces", "frey-faces", "--data-dir", data, "--output", output + "/faces", "--threads", "2"])
    try #require(faces.status == 0, "\(faces.text.suffix(600))")
    #expect(faces.text.contains("1965 samples") && faces.text.contains("sliced Wasserstein distance x 1000")
              && faces.text.contains("the 982 odd-numbered ones: 4.24"), "\(faces.text.suffix(800))")
    for file in ["reconstructions.png", "nearest.png", "grid.png", "samples.npy"] {
      #expect(FileManager.default.fileExists(atPath: output + "/faces/" + file), "\(file) missing")
    }
  }
}
