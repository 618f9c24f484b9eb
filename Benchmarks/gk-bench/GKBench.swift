import ArgumentParser
import Foundation
@_spi(Benchmarks) import GenerativeKit

/// Headline performance figures in one table, in a release build, without package-benchmark's
/// machinery: the machine's FP32 FMA peak (the roofline) and sgemm ceiling, each convolution layer
/// of the report's models (forward pass, data gradient, weight gradient), and the full GAN and VAE
/// training steps, each as GFLOP/s and as a share of the peak. Run with `swift run -c release gk-bench`.
///
/// `--json` prints one JSON object on standard output (the table goes to standard error), for
/// scripts such as Benchmarks/reference/compare.sh; its fields are described in docs/PERFORMANCE.md.
@main
struct GKBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "gk-bench", abstract: "GenerativeKit's headline speed figures (release builds only).")

  @Option(help: "Threads for the GEMMs and the parallel loops.") var threads = 2
  @Option(help: "Timed repetitions per figure (the median is reported).") var repetitions = 5
  @Option(help: "Sections to run: any of peak (the FP32 FMA roofline), sgemm, layers, gan, vae, gan64 (DCGAN-64, Olivetti), light (the fast preset's GAN), frey-gan, frey-vae.")
  var sections = "peak,sgemm,layers,gan,vae"
  @Option(help: "Images per training step in the step sections and per layer in the layers section (default: each model's: gan 256, vae 128, gan64 64, light 64, frey-gan 64, frey-vae 64).")
  var batch: Int?
  @Flag(help: "Print where the time of each layer and training step goes.") var profile = false
  @Option(help: "Only the layers whose name contains this text (for example dcgan64 or vae.).") var layerFilter: String?
  @Option(help: "Largest im2col matrix per convolution chunk, in floats (default: the library's).")
  var columnBudget: Int?
  @Flag(help: "Print the figures as one JSON object on standard output (the table goes to standard error).")
  var json = false
  @Flag(inversion: .prefixedNo,
        help: "Run stride-1 5 x 5 transposed convolutions (64+ channels) with Winograd's minimal filtering (--winograd-tile), as the library does by default; --no-winograd runs them tap by tap.")
  var winograd = true
  @Option(help: "The Winograd form's output tile side: 2, 3 or 4 (F(4x4, 5x5) by default).") var winogradTile = 4

  /// Figures collected for `--json`.
  final class Report: Encodable {
    struct Sgemm: Encodable { var n: Int; var gflops: Double }
    struct LayerFigure: Encodable {
      var name: String
      /// The whole backward pass (data and weight gradients) in `backward_ms`; each part alone in
      /// `data_gradient_ms` and `weight_gradient_ms`.
      var forwardMs, forwardGflops, backwardMs, backwardGflops: Double
      var dataGradientMs, dataGradientGflops, weightGradientMs, weightGradientGflops: Double
      /// Each pass's GFLOP/s without the products of padding over the FP32 FMA peak (when the peak section ran).
      var forwardPeakShare, dataGradientPeakShare, weightGradientPeakShare: Double?
    }
    struct Step: Encodable {
      var batch: Int
      /// Every timed step, in seconds, in the order run (after one untimed warm-up step).
      var stepSeconds: [Double]
      var medianSeconds: Double
      var imagesPerSecond: Double
      /// The step's floating-point operations (2 per multiply-add of its dense and convolution
      /// passes, every tap of a direct convolution counted), and without the products of padding.
      var gflop: Double
      var usefulGflop: Double
      /// `gflop` per second.
      var gflopsPerSecond: Double
      /// `useful_gflop` per second over the FP32 FMA peak (when the peak section ran).
      var peakShare: Double?
    }
    var tool = "gk-bench"
    /// ``BLASConfiguration/summary``, and its parts.
    var blas = ""
    var blasCore = ""
    var blasVersion = ""
    var cpu = ""
    var threads = 0
    var repetitions = 0
    var sgemm: [Sgemm] = []
    var sgemmCeilingGflops: Double?
    /// The FP32 FMA peak of the benchmark's threads together, measured by independent FMA chains.
    var peakGflops: Double?
    /// The vector width the peak was measured with: 512 (AVX-512), 256 (AVX2 + FMA) or 128 (SSE).
    var peakVectorBits: Int?
    var layers: [LayerFigure] = []
    var steps: [String: Step] = [:]
    var peakRssMib = 0.0
    /// Whether the Winograd form ran (`--no-winograd` not given).
    var winograd = true
  }
  let report = Report()

  /// The human-readable table: standard output, or standard error under `--json`.
  func say(_ text: String) {
    if json {
      FileHandle.standardError.write(Data((text + "\n").utf8))
    } else {
      print(text)
    }
  }

  enum CodingKeys: CodingKey { case threads, repetitions, sections, batch, profile, layerFilter, columnBudget, json, winograd, winogradTile }

  func validate() throws {
    guard (1...256).contains(threads) else { throw ValidationError("--threads must be between 1 and 256, got \(threads)") }
    guard (1...1_000).contains(repetitions) else {
      throw ValidationError("--repetitions must be between 1 and 1000, got \(repetitions)")
    }
    if let batch, !(1...4096).contains(batch) { throw ValidationError("--batch must be 1...4096, got \(batch)") }
    let known: Set = ["peak", "sgemm", "layers", "gan", "vae", "gan64", "light", "frey-gan", "frey-vae"]
    for section in sections.split(separator: ",").map(String.init) where !known.contains(section) {
      throw ValidationError("--sections: unknown section '\(section)'; known: \(known.sorted().joined(separator: ", "))")
    }
  }

  func run() throws {
    #if DEBUG
      say("warning: gk-bench was built in debug mode; run `swift run -c release gk-bench` for real figures")
    #endif
    Threading.threadCount = threads
    if let columnBudget { ConvolutionChunking.maximumColumnElements = columnBudget }
    ConvolutionChunking.winogradEnabled = winograd
    ConvolutionChunking.winogradTile = winogradTile
    report.winograd = winograd
    report.threads = threads
    report.repetitions = repetitions
    let blas = BLAS.configuration
    (report.blas, report.blasCore, report.blasVersion, report.cpu) = (blas.summary, blas.core, blas.version, blas.cpu.description)
    say("gk-bench: \(threads) threads, median of \(repetitions) runs" + (winograd ? ", Winograd F(\(winogradTile)x\(winogradTile), 5x5) for stride-1 5 x 5 transposed convolutions" : ", no Winograd form"))
    say("blas: \(blas.summary)")
    if let warning = blas.warning { say(warning) }
    let wanted = Set(sections.split(separator: ",").map(String.init))
    if wanted.contains("peak") {
      let (gflops, bits) = Roofline.measurePeak(threads: threads)
      (report.peakGflops, report.peakVectorBits) = (gflops, bits)
      say(String(format: "\nFP32 FMA peak (the roofline): %.1f GFLOP/s on %d threads (%d-bit FMA chains; the shares below are of this)",
                 gflops, threads, bits))
    }
    var ceiling = 0.0
    if wanted.contains("sgemm") { ceiling = try sgemmCeiling() }
    if wanted.contains("layers") { try layerTable(ceiling: ceiling) }
    if wanted.contains("gan") {
      try ganStep(key: "dcgan", title: "DCGAN", batch: batch ?? 256,
                  generator: DCGAN.tutorialGenerator(seed: 1), discriminator: DCGAN.tutorialDiscriminator(seed: 2),
                  imageShape: [1, 28, 28])
    }
    if wanted.contains("vae") {
      try vaeStep(key: "vae", title: "VAE", batch: batch ?? 128, model: ConvolutionalVAE.make(latentDimension: 16, seed: 1),
                  imageShape: [1, 28, 28])
    }
    if wanted.contains("gan64") {
      try ganStep(key: "dcgan64", title: "DCGAN-64 (Olivetti)", batch: batch ?? 64,
                  generator: DCGAN.generator64(seed: 1), discriminator: DCGAN.discriminator64(seed: 2),
                  imageShape: [1, 64, 64])
    }
    if wanted.contains("light") {
      try ganStep(key: "light_gan", title: "Light DCGAN (mnist-gan --preset fast)", batch: batch ?? 64,
                  generator: DCGAN.lightGenerator(seed: 1), discriminator: DCGAN.lightDiscriminator(seed: 2),
                  imageShape: [1, 28, 28])
    }
    if wanted.contains("frey-gan") {
      try ganStep(key: "frey_gan", title: "Frey-faces GAN", batch: batch ?? 64,
                  generator: DCGAN.tutorialGenerator(imageHeight: 28, imageWidth: 20, seed: 1),
                  discriminator: DCGAN.tutorialDiscriminator(imageHeight: 28, imageWidth: 20, seed: 2),
                  imageShape: [1, 28, 20])
    }
    if wanted.contains("frey-vae") {
      try vaeStep(key: "frey_vae", title: "Frey-faces VAE", batch: batch ?? 64,
                  model: ConvolutionalVAE.make(latentDimension: 16, imageHeight: 28, imageWidth: 20, seed: 1),
                  imageShape: [1, 28, 20])
    }
    report.peakRssMib = peakResidentMiB()
    say(String(format: "peak resident memory: %.0f MiB", report.peakRssMib))
    if json {
      let encoder = JSONEncoder()
      encoder.keyEncodingStrategy = .convertToSnakeCase
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      print(String(decoding: try encoder.encode(report), as: UTF8.self))
    }
  }

  /// The median wall time of `body` in seconds after one warm-up run.
  func median(_ body: () throws -> Void) rethrows -> Double {
    try timings(body).median
  }

  /// The wall time of each of `repetitions` runs of `body` (seconds, in order) after one warm-up
  /// run, and their median.
  func timings(_ body: () throws -> Void) rethrows -> (all: [Double], median: Double) {
    try body()
    var times: [Double] = []
    for _ in 0..<max(repetitions, 1) {
      let start = DispatchTime.now().uptimeNanoseconds
      try body()
      times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return (times, times.sorted()[times.count / 2])
  }

  func sgemmCeiling() throws -> Double {
    var generator = SeededGenerator(seed: 1)
    var best = 0.0
    say("\nsgemm (square, C = A x B)")
    for size in [256, 512, 1024, 2048] {
      let a = Tensor.randomNormal(shape: [size, size], using: &generator)
      let b = Tensor.randomNormal(shape: [size, size], using: &generator)
      let seconds = median { _ = Tensor.matmul(a, b) }
      let gflops = 2 * pow(Double(size), 3) / seconds / 1e9
      best = max(best, gflops)
      report.sgemm.append(.init(n: size, gflops: gflops))
      say(String(format: "  %5d  %8.1f GFLOP/s", size, gflops))
    }
    report.sgemmCeilingGflops = best
    say(String(format: "  ceiling (best): %.1f GFLOP/s", best) + share(best))
    return best
  }

  struct LayerCase {
    var name: String
    var layer: any Layer
    var input: [Int]
    /// Multiply-accumulates of one forward pass for the whole batch: every tap at every pixel
    /// (as frameworks count), and without the products of padding (see `Roofline.forwardMACs`).
    var macs: Double
    var usefulMacs: Double

    init(name: String, layer: any Layer, input: [Int]) {
      (self.name, self.layer, self.input) = (name, layer, input)
      let counts = try? Roofline.forwardMACs(of: Sequential([layer]), input: input)[0]
      (macs, usefulMacs) = (counts?.nominal ?? .nan, counts?.useful ?? .nan)
    }
  }

  func layerCases() -> [LayerCase] {
    // DCGAN-64's layers: kernel 4, stride 2, padding 1 (the output is half or twice the input).
    let padding64 = Padding.explicit(1)
    func conv(_ name: String, _ cin: Int, _ cout: Int, _ k: Int, _ s: Int, _ h: Int, batch: Int,
              padding: Padding = .same) -> LayerCase {
      let batch = self.batch ?? batch
      let out = (h + s - 1) / s
      return LayerCase(name: name, layer: Conv2D(inChannels: cin, outChannels: cout, kernelSize: k, stride: s, padding: padding),
                       input: [batch, cin, h, h])
    }
    func convT(_ name: String, _ cin: Int, _ cout: Int, _ k: Int, _ s: Int, _ h: Int, batch: Int,
               padding: Padding = .same) -> LayerCase {
      let batch = self.batch ?? batch
      return LayerCase(name: name, layer: ConvTranspose2D(inChannels: cin, outChannels: cout, kernelSize: k, stride: s, padding: padding, bias: false),
                input: [batch, cin, h, h])
    }
    return [
      convT("dcgan.g_convT1", 256, 128, 5, 1, 7, batch: 256),
      convT("dcgan.g_convT2", 128, 64, 5, 2, 7, batch: 256),
      convT("dcgan.g_convT3", 64, 1, 5, 2, 14, batch: 256),
      conv("dcgan.d_conv1", 1, 64, 5, 2, 28, batch: 256),
      conv("dcgan.d_conv2", 64, 128, 5, 2, 14, batch: 256),
      conv("vae.e_conv1", 1, 32, 3, 2, 28, batch: 128),
      conv("vae.e_conv2", 32, 64, 3, 2, 14, batch: 128),
      conv("vae.e_conv3", 64, 128, 3, 1, 7, batch: 128),
      convT("vae.v_convT1", 64, 64, 3, 2, 7, batch: 128),
      convT("vae.v_convT2", 64, 32, 3, 2, 14, batch: 128),
      convT("vae.v_convT3", 32, 1, 3, 1, 28, batch: 128),
      convT("dcgan64.g_convT1", 512, 256, 4, 2, 4, batch: 64, padding: padding64),
      convT("dcgan64.g_convT2", 256, 128, 4, 2, 8, batch: 64, padding: padding64),
      convT("dcgan64.g_convT3", 128, 64, 4, 2, 16, batch: 64, padding: padding64),
      convT("dcgan64.g_convT4", 64, 1, 4, 2, 32, batch: 64, padding: padding64),
      conv("dcgan64.d_conv1", 1, 64, 4, 2, 64, batch: 64, padding: padding64),
      conv("dcgan64.d_conv2", 64, 128, 4, 2, 32, batch: 64, padding: padding64),
      conv("dcgan64.d_conv3", 128, 256, 4, 2, 16, batch: 64, padding: padding64),
      conv("dcgan64.d_conv4", 256, 512, 4, 2, 8, batch: 64, padding: padding64),
      // The fast preset's light DCGAN for digits (DCGAN.lightGenerator / lightDiscriminator).
      convT("light.g_convT1", 128, 64, 4, 2, 7, batch: 64, padding: padding64),
      convT("light.g_convT2", 64, 1, 4, 2, 14, batch: 64, padding: padding64),
      conv("light.d_conv1", 1, 64, 4, 2, 28, batch: 64, padding: padding64),
      conv("light.d_conv2", 64, 128, 4, 2, 14, batch: 64, padding: padding64),
      // Stride-1 layers of the kind users add to their own models (none of the report's models has
      // one on a plane of whole 4 x 4 tiles): where the library's Winograd form for Conv2D applies.
      conv("own.conv3_8", 128, 128, 3, 1, 8, batch: 64),
      conv("own.conv3_16", 128, 128, 3, 1, 16, batch: 64),
      conv("own.conv3_28", 64, 64, 3, 1, 28, batch: 64),
      conv("own.conv5_16", 64, 64, 5, 1, 16, batch: 64),
    ].filter { layerFilter == nil || $0.name.contains(layerFilter!) }
  }

  /// `gflops` as " = N % of peak" when the peak was measured, else nothing.
  func share(_ gflops: Double) -> String {
    report.peakGflops.map { String(format: " = %.0f %% of peak", 100 * gflops / $0) } ?? ""
  }

  func layerTable(ceiling: Double) throws {
    let peak = report.peakGflops
    say("\nconvolution layers: ms and GFLOP/s of the forward pass, the data gradient and the weight gradient"
        + (peak == nil ? "" : "; % of the FP32 FMA peak")
        + "\n(GFLOP/s count every tap of a direct convolution, as frameworks do; the % counts only the products"
        + "\n that do not multiply padding, which the tap-by-tap form skips, so it stays below 100 %)")
    say("  layer                  forward                data gradient          weight gradient")
    var generator = SeededGenerator(seed: 2)
    for c in layerCases() {
      let input = Tensor.randomNormal(shape: c.input, using: &generator)
      var output = try c.layer.forward(input)
      let forward = try median { output = try c.layer.forward(input) }
      let backward = try median { _ = try c.layer.backward(output) }
      let weightGradient = try median { try c.layer.backwardParametersOnly(output) }
      c.layer.setRequiresGradient(false)  // backward now computes the input gradient alone
      let dataGradient = try median { _ = try c.layer.backward(output) }
      c.layer.setRequiresGradient(true)
      let rate = { (seconds: Double) in 2 * c.macs / seconds / 1e9 }
      let usefulRate = { (seconds: Double) in 2 * c.usefulMacs / seconds / 1e9 }
      let percent = { (seconds: Double) in peak.map { String(format: "%3.0f%%", 100 * usefulRate(seconds) / $0) } ?? "   -" }
      let shareOfPeak = { (seconds: Double) in peak.map { usefulRate(seconds) / $0 } }
      let label = c.name.padding(toLength: 17, withPad: " ", startingAt: 0)
      report.layers.append(.init(
        name: c.name, forwardMs: forward * 1e3, forwardGflops: rate(forward),
        backwardMs: backward * 1e3, backwardGflops: 4 * c.macs / backward / 1e9,
        dataGradientMs: dataGradient * 1e3, dataGradientGflops: rate(dataGradient),
        weightGradientMs: weightGradient * 1e3, weightGradientGflops: rate(weightGradient),
        forwardPeakShare: shareOfPeak(forward), dataGradientPeakShare: shareOfPeak(dataGradient),
        weightGradientPeakShare: shareOfPeak(weightGradient)))
      var line = "  " + label
      for seconds in [forward, dataGradient, weightGradient] {
        line += String(format: " %7.2f %6.1f ", seconds * 1e3, rate(seconds)) + percent(seconds)
      }
      say(line)
      if profile {
        KernelProfile.reset()
        KernelProfile.isEnabled = true
        output = try c.layer.forward(input)
        _ = try c.layer.backward(output)
        KernelProfile.isEnabled = false
        let parts = KernelProfile.seconds.sorted { $0.key < $1.key }
          .map { String(format: "%@ %.1f ms", $0.key, $0.value * 1e3) }
        say("      fwd+bwd: " + parts.joined(separator: ", "))
      }
    }
    if ceiling > 0 { say(String(format: "  (sgemm ceiling %.1f GFLOP/s)", ceiling)) }
  }

  /// Records a step's figures and prints its line.
  func recordStep(key: String, title: String, batch: Int, timings: (all: [Double], median: Double),
                  flops: (nominal: Double, useful: Double)) {
    let seconds = timings.median
    let rate = flops.nominal / seconds / 1e9
    let usefulRate = flops.useful / seconds / 1e9
    report.steps[key] = .init(
      batch: batch, stepSeconds: timings.all, medianSeconds: seconds, imagesPerSecond: Double(batch) / seconds,
      gflop: flops.nominal / 1e9, usefulGflop: flops.useful / 1e9, gflopsPerSecond: rate,
      peakShare: report.peakGflops.map { usefulRate / $0 })
    say(String(format: "\n%@ training step, batch %d: %.1f ms = %.0f img/s; %.1f GFLOP per step = %.1f GFLOP/s "
               + "(%.1f GFLOP without products of padding = %.1f GFLOP/s)",
               title, batch, seconds * 1e3, Double(batch) / seconds, flops.nominal / 1e9, rate, flops.useful / 1e9, usefulRate)
        + share(usefulRate))
  }

  /// One `GANTrainer.step` (Adam 1e-4) on a batch of random images in [-1, 1].
  func ganStep(key: String, title: String, batch: Int, generator: Sequential, discriminator: Sequential,
               imageShape: [Int]) throws {
    let trainer = GANTrainer(
      model: try GAN(generator: generator, discriminator: discriminator, noiseDimension: 100),
      generatorOptimizer: Adam.keras(model: generator, learningRate: 1e-4),
      discriminatorOptimizer: Adam.keras(model: discriminator, learningRate: 1e-4), seed: 3)
    var random = SeededGenerator(seed: 4)
    let real = Tensor.randomUniform(shape: [batch] + imageShape, in: -1...1, using: &random)
    let flops = try Roofline.ganStepFLOPs(generator: generator, discriminator: discriminator, batch: batch, noise: 100, image: imageShape)
    recordStep(key: key, title: title, batch: batch, timings: try timings { try trainer.step(realImages: real) }, flops: flops)
    if profile {
      try profileSteps(models: [("G", generator), ("D", discriminator)]) { try trainer.step(realImages: real) }
    }
  }

  /// One `VAETrainer.step` (Adam 1e-4, MSE + KL) on a batch of random images in [0, 1].
  func vaeStep(key: String, title: String, batch: Int, model: VAE, imageShape: [Int]) throws {
    let trainer = VAETrainer(model: model, optimizer: Adam.keras(model: model, learningRate: 1e-4), seed: 3)
    var random = SeededGenerator(seed: 4)
    let images = Tensor.randomUniform(shape: [batch] + imageShape, in: 0...1, using: &random)
    let flops = try Roofline.vaeStepFLOPs(model: model, batch: batch, image: imageShape)
    recordStep(key: key, title: title, batch: batch, timings: try timings { try trainer.step(images: images) }, flops: flops)
    if profile {
      try profileSteps(models: [("E", model.encoder), ("V", model.decoder)]) { try trainer.step(images: images) }
    }
  }

  /// Where a training step's time goes, layer by layer, over three steps.
  func profileSteps(models: [(String, Sequential)], step: () throws -> Void) throws {
    for (_, model) in models {
      model.isProfiling = true
      model.resetProfile()
    }
    defer { for (_, model) in models { model.isProfiling = false } }
    let steps = 3
    let optimizerStart = DispatchTime.now().uptimeNanoseconds
    for _ in 0..<steps { try step() }
    let total = Double(DispatchTime.now().uptimeNanoseconds - optimizerStart) / 1e9 / Double(steps)
    var accounted = 0.0
    for (name, model) in models {
      for (index, layer) in model.layers.enumerated() {
        let f = model.forwardSeconds[index] / Double(steps) * 1e3
        let b = model.backwardSeconds[index] / Double(steps) * 1e3
        accounted += (f + b) / 1e3
        let label = "\(name)\(index) \(layer)".padding(toLength: 60, withPad: " ", startingAt: 0)
        say("  " + label + String(format: " fwd %6.1f ms  bwd %6.1f ms", f, b))
      }
    }
    say(String(format: "  layers %.0f ms of %.0f ms per step (rest: losses, noise, Adam)", accounted * 1e3, total * 1e3))
  }

  func peakResidentMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
  }
}
