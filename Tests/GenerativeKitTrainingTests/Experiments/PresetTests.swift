import Foundation
import TestSupport
import Testing

@testable import GenerativeKit
@testable import GenerativeKitData
@testable import GenerativeKitMetrics
@testable import GenerativeKitTraining

@Suite("Presets and dynamic binarization")
struct PresetTests {
  @Test("The report presets are the defaults; the others change what they document")
  func presetValues() throws {
    #expect(GANOptions(preset: .tensorflowTutorial) == GANOptions())
    #expect(VAEOptions(preset: .meanSquaredError) == VAEOptions())
    let dcgan = GANOptions(preset: .dcgan)
    #expect(dcgan.batchSize == 64 && dcgan.learningRate == 2e-4 && dcgan.beta1 == 0.5 && dcgan.epochs == 20)
    #expect(dcgan.generatorAverageDecay == 0.999 && GANOptions().generatorAverageDecay == nil)
    #expect(dcgan.width == GANOptions().width)  // the same networks
    let bernoulli = VAEOptions(preset: .bernoulli)
    #expect(bernoulli.reconstructionLoss == .bernoulli && bernoulli.dynamicBinarization == true && bernoulli.latentDimension == 32)
    for options in [dcgan] { try options.check() }
    try bernoulli.check()
  }

  @Test("The faces presets: the report's networks at 2e-4, or the light ones with the fast step sizes and average")
  func facesPresetValues() throws {
    let report = GANOptions(facesPreset: .report, height: 28, width: 20)
    #expect(report.architecture == .tensorflowTutorial && report.learningRate == 2e-4 && report.generatorLearningRate == nil)
    #expect(report.beta1 == 0.5 && report.batchSize == 64 && report.epochs == 200 && report.generatorAverageDecay == nil)
    #expect(GANOptions(facesPreset: .report, height: 64, width: 64).architecture == .dcgan64)
    let fast = GANOptions(facesPreset: .fast, channels: 3, height: 64, width: 64)
    #expect(fast.architecture == .light && fast.learningRate == 4e-4 && fast.generatorLearningRate == 1.6e-3)
    #expect(fast.generatorAverageDecay == 0.99 && fast.channels == 3 && fast.imageHeight == 64 && fast.beta1 == 0.5)
    for options in [report, fast, GANOptions(facesPreset: .fast, height: 28, width: 20)] { try options.check() }
  }

  @Test("Configurations from before dynamic binarization and the generator average still load (the fields are optional)")
  func olderConfigurations() throws {
    var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(VAEOptions())) as! [String: Any]
    json.removeValue(forKey: "dynamicBinarization")
    let options = try JSONDecoder().decode(VAEOptions.self, from: JSONSerialization.data(withJSONObject: json))
    #expect(options.dynamicBinarization == nil && options == VAEOptions())
    var gan = try JSONSerialization.jsonObject(with: JSONEncoder().encode(GANOptions(preset: .dcgan))) as! [String: Any]
    gan.removeValue(forKey: "generatorAverageDecay")
    let older = try JSONDecoder().decode(GANOptions.self, from: JSONSerialization.data(withJSONObject: gan))
    #expect(older.generatorAverageDecay == nil && older.batchSize == 64)
  }

  @Test("Binarized training sees binary batches, measures binarized test digits, and resumes bit for bit")
  func binarizedRun() throws {
    var options = VAEExperimentTests.options(epochs: 3)
    options.reconstructionLoss = .bernoulli
    options.dynamicBinarization = true
    // Grey squares: binarization changes them.
    let grey = VAEExperimentTests.squares(count: 32, seed: 7).images.map { $0 * 0.6 }
    let train = ImageDataSet(name: "grey", images: grey, pixelRange: .unit)
    let test = ImageDataSet(name: "grey-test", images: grey.slice(batch: 0..<8), pixelRange: .unit)

    let straight = try VAEExperiment(
      options: options, dataSet: train, testSet: test, outputDirectory: try TestData.temporaryDirectory("binarized-straight"))
    let reports = try straight.run(progress: ProgressReporter(style: .silent, totalEpochs: 3))
    #expect(reports.count == 3 && reports.allSatisfy { $0.metrics.firstNonFinite == nil })

    var twoEpochs = options
    twoEpochs.epochs = 2
    let folder = try TestData.temporaryDirectory("binarized-resumed")
    try VAEExperiment(options: twoEpochs, dataSet: train, testSet: test, outputDirectory: folder)
      .run(progress: ProgressReporter(style: .silent, totalEpochs: 2))
    let resumed = try VAEExperiment(options: options, dataSet: train, testSet: test, outputDirectory: folder)
    try resumed.resume(from: folder.appendingPathComponent("checkpoints/latest.safetensors"))
    try resumed.run(progress: ProgressReporter(style: .silent, totalEpochs: 3))
    for (a, b) in zip(straight.model.stateDict, resumed.model.stateDict) {
      #expect(a.value == b.value, "\(a.name) differs after resuming a binarized run")
    }

    // Without binarization the same seed trains differently: the batches really were redrawn.
    var grey_ = options
    grey_.dynamicBinarization = false
    let plain = try VAEExperiment(
      options: grey_, dataSet: train, testSet: test, outputDirectory: try TestData.temporaryDirectory("binarized-off"))
    try plain.run(progress: ProgressReporter(style: .silent, totalEpochs: 3))
    #expect(plain.model.stateDict.first?.value != straight.model.stateDict.first?.value)
  }

  @Test("dynamicallyBinarized draws 0 or 1 with the pixel's probability")
  func binarization() throws {
    var random = SeededGenerator(seed: 9)
    let images = Tensor(shape: [4, 1, 50, 50], repeating: 0.3)
    let binary = dynamicallyBinarized(images, using: &random)
    #expect(binary.scalars.allSatisfy { $0 == 0 || $0 == 1 })
    let mean = binary.scalars.reduce(0, +) / Float(binary.count)
    #expect(abs(mean - 0.3) < 0.02)  // 10,000 draws: standard error 0.0046
  }
}
