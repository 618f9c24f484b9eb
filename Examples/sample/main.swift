import ArgumentParser
import ExampleSupport
import Foundation
import GenerativeKit
import GenerativeKitData
import GenerativeKitMetrics
import GenerativeKitTraining

/// Loads a GAN or VAE checkpoint written by the examples and writes what it generates.
@main
struct Sample: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sample",
    abstract: "Write samples, interpolations (and, for a VAE, reconstructions) from a checkpoint.",
    discussion: """
      Writes into the output folder: grid.png (the samples), interpolation.png (rows of linear \
      interpolations between random latent points), samples.npy (the samples as an N x C x H x W \
      float32 array in [0, 1], for numpy.load), and for a VAE reconstructions.png (test digits \
      above their reconstructions; needs the data) and, with a 2-D latent space, manifold.png. \
      A conditional model's samples are of class --label, or without it one row per class, and \
      labels.npy holds each sample's class. With --classifier the samples are measured against the \
      MNIST test digits (FID, KID, precision/recall, classes; per class for a conditional model); \
      given a .npy file of samples instead of a checkpoint (N x 1 x 28 x 28 in [0, 1], from any \
      framework), sample measures them and writes grid.png of them (the first 100 of more than 400).
      """)

  @Argument(help: "A GAN or VAE checkpoint (*.safetensors) of an experiment run: mnist-gan, mnist-vae, faces-gan, faces-vae, custom-gan, or your own networks in GANRecipe or VAERecipe, or samples to measure (*.npy, with --classifier).")
  var checkpoint: String
  @Option(help: "Folder for the pictures and samples.npy.") var output = "output/samples"
  @Option(parsing: .unconditional, help: "Number of samples (at most 100,000; default 64, with --faces the face set's size).")
  var count: Int?
  @Option(help: "Images per interpolation row.") var steps = 10
  @Option(help: "Seed for the latent points.") var seed: UInt64 = 1
  @Option(help: "Folder with the data sets, for VAE reconstructions.") var dataDir: String?
  @Option(help: "Decode these latent points (a .npy float32 array, count x latent dimension) instead of random ones.")
  var latents: String?
  @Option(parsing: .unconditional, help: "Threads for the GEMMs and the parallel loops.") var threads = 2
  @Option(parsing: .unconditional, help: "For a conditional model: the class of every sample (default: one row per class).")
  var label: Int?
  @Option(help: "A digit classifier (mnist-classifier's classifier.safetensors) to measure the samples with against the MNIST test digits: FID, KID, precision/recall and classes, and for a conditional model per class how many samples it labels as their class (needs the data).")
  var classifier: String?
  @Option(help: "For a GAN, the statistics batch norm normalises with: running (inference mode, the TensorFlow tutorial's way) or batch (every batch of the training batch size normalised by its own statistics, PyTorch's DCGAN example's way). Interpolations always use the running statistics.")
  var statistics = GenerationStatistics.running.rawValue
  @Option(name: .customLong("generator"), help: "For a GAN trained with a moving average of its generator (mnist-gan --preset dcgan): sample from the averaged weights or the trained (last step's) ones.")
  var generatorWeights = GeneratorWeights.averaged.rawValue
  @Flag(help: "Also estimate the Parzen-window log-likelihood of the MNIST test digits under the samples (Goodfellow et al. 2014's protocol: sigma chosen on training digits 50,000-59,999; at least 1,000 samples; with --classifier).")
  var parzen = false
  @Option(parsing: .unconditional, help: "For a Bernoulli VAE (mnist-vae --preset bernoulli): estimate the test negative log-likelihood with K importance samples per binarized test digit (K = 5,000 as Burda et al.). Each digit's bound goes to OUTPUT/test-nll-kK.csv as it is known; running the same command again continues from there.")
  var testNll: Int?
  @Option(parsing: .unconditional, help: "Test digits the --test-nll bound is taken on: N of them in a fixed random order (default all 10,000).")
  var testNllDigits: Int?
  @Option(help: "For a model of a face set (faces-gan, faces-vae): measure the samples against it: frey-faces, olivetti-faces or orl-faces. Prints the sliced Wasserstein distance of the even-numbered faces to as many samples beside its floor (the odd-numbered faces), and the mean distance of 8 samples to their nearest face; writes nearest.png (each sample beside that face). Needs at least half the set's size in samples; reconstructions.png then shows faces.")
  var faces: String?

  func validate() throws {
    if let count { try ArgumentChecks.check(count, "--count", in: 1...100_000) }
    try ArgumentChecks.check(steps, "--steps", in: 2...1_000)
    try ArgumentChecks.check(threads, "--threads", in: ArgumentChecks.threads)
    try ArgumentChecks.checkNotEmpty(output, "--output")
    if let dataDir { try ArgumentChecks.checkExistingFolder(dataDir, "--data-dir") }
    guard GenerationStatistics(rawValue: statistics) != nil else {
      throw ValidationError("--statistics must be \(GenerationStatistics.allCases.map(\.rawValue).joined(separator: " or ")), got \(statistics)")
    }
    if testNll == nil, testNllDigits != nil { throw ValidationError("--test-nll-digits goes with --test-nll K") }
    guard GeneratorWeights(rawValue: generatorWeights) != nil else {
      throw ValidationError("--generator must be \(GeneratorWeights.allCases.map(\.rawValue).joined(separator: " or ")), got \(generatorWeights)")
    }
    if let testNll { try ArgumentChecks.check(testNll, "--test-nll", in: 1...100_000) }
    if let testNllDigits { try ArgumentChecks.check(testNllDigits, "--test-nll-digits", in: 1...10_000) }
    if let faces {
      guard Self.faceSets.map(\.rawValue).contains(faces) else {
        throw ValidationError("--faces must be \(Self.faceSets.map(\.rawValue).joined(separator: ", ")), got \(faces)")
      }
      guard classifier == nil else { throw ValidationError("--faces and --classifier measure against different data: give one") }
    }
    if parzen {
      guard classifier != nil else { throw ValidationError("--parzen measures with the MNIST digits: give --classifier FILE as well") }
    }
  }

  func run() throws {
    try runReportingErrors {
      useThreads(threads)
      if checkpoint.hasSuffix(".npy") { return try measureSampleFile() }
      let url = URL(fileURLWithPath: checkpoint)
      let file = try Checkpoint(contentsOf: url)
      let folder = URL(fileURLWithPath: output)
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      var random = SeededGenerator(seed: seed)
      let faceSet = try loadFaces()
      let count = self.count ?? faceSet?.count ?? 64
      if let faceSet, latents == nil { try Self.checkSampleCount(count, for: faceSet) }  // before any work
      let samples: Tensor  // in [0, 1]
      var sampleLabels: [Int]?  // each sample's class, for a conditional model
      var likelihoodModel: VAE?  // a Bernoulli VAE, with --test-nll
      switch file.metadata["format"] {
      case GANExperiment.format:
        guard testNll == nil else { throw ValidationError("--test-nll measures a VAE's likelihood; a GAN has none") }
        let (gan, options, averaged) = try GANExperiment.loadModel(from: file, generator: GeneratorWeights(rawValue: generatorWeights)!)
        try Self.checkImageShape(of: faceSet, [options.channels, options.imageHeight, options.imageWidth], checkpoint: url)
        let noise = try latentPoints(count: count, dimension: options.noiseDimension, using: &random)
        sampleLabels = try labelsOfSamples(classes: options.classes, count: noise.shape[0])
        let normalization = GenerationStatistics(rawValue: statistics)!
        let batch = normalization == .batch ? options.batchSize : Self.decodingBatch
        samples = try Self.inBatches(noise, of: batch) { rows, points in
          try gan.generate(points, labels: sampleLabels.map { Array($0[rows]) }, statistics: normalization)
        }
        try writeInterpolations(dimension: options.noiseDimension, to: folder, using: &random) { points in
          try gan.generate(points, labels: sampleLabels.map { _ in [Int](repeating: label ?? 0, count: points.shape[0]) })
        }
        print("GAN (\(options.architecture.rawValue)\(options.classes.map { ", conditional on \($0) classes" } ?? ""), "
              + (file.metadata["snapshot_minutes"].map { "after \($0) minutes of training, step \(file.step ?? 0)" }
                  ?? "epoch \(file.epoch ?? 0)") + "): \(count) samples"
              + (averaged ? ", the generator's moving average (decay \(options.generatorAverageDecay ?? 0))" : "")
              + (normalization == .batch ? ", batch norm on the statistics of each batch of \(batch)" : ""))
      case VAEExperiment.format:
        guard statistics == GenerationStatistics.running.rawValue else {
          throw ValidationError("--statistics applies to GANs; a VAE's decoder has no batch norm")
        }
        let (model, options) = try VAEExperiment.loadModel(from: file)
        try Self.checkImageShape(of: faceSet, [options.channels, options.imageHeight, options.imageWidth], checkpoint: url)
        sampleLabels = try labelsOfSamples(classes: options.classes, count: count)
        if latents == nil {
          samples = try model.sample(count: count, labels: sampleLabels, using: &random, batchSize: Self.decodingBatch)
        } else {
          let points = try latentPoints(count: count, dimension: options.latentDimension, using: &random)
          samples = try Self.inBatches(points, of: Self.decodingBatch) { rows, codes in
            try model.decode(codes, labels: sampleLabels.map { Array($0[rows]) })
          }
        }
        try writeInterpolations(dimension: options.latentDimension, to: folder, using: &random) { points in
          try model.decode(points, labels: sampleLabels.map { _ in [Int](repeating: label ?? 0, count: points.shape[0]) })
        }
        try writeReconstructions(model, of: faceSet, imageShape: [options.channels, options.imageHeight, options.imageWidth],
                                 to: folder)
        if options.latentDimension == 2, options.classes == nil {
          try ImageGrid(columns: .fixed(20), padding: 0).write(try model.manifold(side: 20), range: .unit,
                                                                  to: folder.appendingPathComponent("manifold.png"))
        }
        print("VAE (latent \(options.latentDimension)\(options.classes.map { ", conditional on \($0) classes" } ?? ""), epoch \(file.epoch ?? 0)): \(count) samples")
        if testNll != nil {
          guard options.reconstructionLoss == .bernoulli, options.classes == nil else {
            throw ValidationError("--test-nll needs an unconditional VAE with the Bernoulli decoder (mnist-vae --preset bernoulli); \(url.lastPathComponent) is not one")
          }
          likelihoodModel = model
        }
      default:
        throw GenerativeKitError.file(
          path: url.path, reason: "not a GenerativeKit GAN or VAE checkpoint (metadata 'format' is "
            + "\(file.metadata["format"].map { "'\($0)'" } ?? "missing"); write one with mnist-gan or mnist-vae)")
      }
      if let sampleLabels {
        try NumPyArray.write(Tensor(shape: [sampleLabels.count], scalars: sampleLabels.map(Float.init)),
                             to: folder.appendingPathComponent("labels.npy"))
        if let classifier { try reportClassQuality(samples, labels: sampleLabels, classifier: URL(fileURLWithPath: classifier)) }
      } else if let classifier {
        try reportQuality(samples, classifier: URL(fileURLWithPath: classifier))
      }
      if let faceSet { try reportFaceQuality(samples, faces: faceSet, to: folder) }
      try writeGrid(samples, labels: sampleLabels, to: folder)
      try NumPyArray.write(samples, to: folder.appendingPathComponent("samples.npy"))
      print("wrote \(folder.path)/grid.png, interpolation.png, samples.npy")
      if let likelihoodModel, let testNll {
        try TestLikelihoodReport.run(
          model: likelihoodModel, modelName: "\(url.lastPathComponent) epoch \(file.epoch ?? 0) step \(file.step ?? 0)",
          test: try testDigits(), samples: testNll, digits: testNllDigits, seed: seed &+ 200,
          record: folder.appendingPathComponent("test-nll-k\(testNll).csv"))
      }
    }
  }

  /// Images decoded at once: memory for the activations of this many, whatever --count is.
  static let decodingBatch = 256

  /// `decode` applied to `batch` rows of `points` at a time, written into one tensor allocated for
  /// all the results: memory holds the samples and one batch's activations.
  static func inBatches(_ points: Tensor, of batch: Int, _ decode: (Range<Int>, Tensor) throws -> Tensor) throws -> Tensor {
    let total = points.shape[0]
    var result: Tensor?
    for start in stride(from: 0, to: total, by: batch) {
      let rows = start..<min(total, start + batch)
      let images = try decode(rows, points.slice(batch: rows))
      if let bad = images.withUnsafeBufferPointer({ $0.firstIndex { !$0.isFinite } }) {
        throw GenerativeKitError.invalidArgument(
          "the model produced \(images.scalars[bad]) for sample \(start + bad / max(1, images.count / rows.count)): "
            + "its weights are finite but too large for Float arithmetic; this checkpoint cannot be sampled")
      }
      let target = result ?? Tensor(shape: [total] + images.shape.dropFirst())
      target.storage.pointer.advanced(by: start * (images.count / rows.count)).update(from: images.pointer, count: images.count)
      result = target
    }
    return result ?? Tensor(shape: [0])
  }

  /// Writes grid.png: all samples up to 400, else the first 100 (a conditional model's first 10
  /// of each class); one row per class for a conditional model's samples of every class.
  func writeGrid(_ samples: Tensor, labels: [Int]?, to folder: URL) throws {
    let count = samples.shape[0]
    var shown = samples
    var rowLength: Int?
    if let labels, Set(labels).count > 1 {
      let perClass = Dictionary(grouping: labels.indices, by: { labels[$0] }).sorted { $0.key < $1.key }
        .map { count > 400 ? Array($0.value.prefix(10)) : $0.value }
      rowLength = perClass.map(\.count).max()
      if count > 400 { shown = Tensor.concatenate(batches: perClass.flatMap { $0 }.map { samples.slice(batch: $0..<($0 + 1)) }) }
    } else if count > 400 {
      shown = samples.slice(batch: 0..<100)
    }
    try ImageGrid(columns: rowLength.map { .fixed($0) } ?? .nearSquare, scale: 2)
      .write(shown, range: .unit, to: folder.appendingPathComponent("grid.png"))
    if count > 400 { print("grid.png shows \(shown.shape[0]) of the \(count) samples") }
  }

  /// The `--latents` file's points, or `count` draws from N(0, I).
  func latentPoints(count: Int, dimension: Int, using random: inout SeededGenerator) throws -> Tensor {
    guard let latents else { return Tensor.randomNormal(shape: [count, dimension], using: &random) }
    let points = try NumPyArray.read(URL(fileURLWithPath: latents))
    guard points.rank == 2, points.shape[1] == dimension, points.shape[0] >= 1 else {
      throw GenerativeKitError.file(
        path: latents, reason: "expected latent points of shape [N, \(dimension)] with N at least 1, found \(points.shapeDescription)")
    }
    if let bad = points.withUnsafeBufferPointer({ $0.firstIndex { !$0.isFinite } }) {
      throw GenerativeKitError.file(
        path: latents, reason: "latent point \(bad / dimension) holds \(points.scalars[bad]) (coordinate \(bad % dimension)); every value must be finite")
    }
    return points
  }

  /// Measures a `.npy` file of samples with `--classifier`.
  func measureSampleFile() throws {
    guard let classifier else { throw ValidationError("a .npy file of samples is measured with --classifier FILE; give one") }
    let samples = try NumPyArray.read(URL(fileURLWithPath: checkpoint))
    guard samples.rank == 4, Array(samples.shape.dropFirst()) == [1, 28, 28], samples.shape[0] >= 10 else {
      throw GenerativeKitError.file(path: checkpoint, reason: "expected at least 10 samples of shape [N, 1, 28, 28], found \(samples.shapeDescription)")
    }
    if let bad = samples.withUnsafeBufferPointer({ $0.firstIndex { !$0.isFinite } }) {
      throw GenerativeKitError.file(
        path: checkpoint, reason: "sample \(bad / 784) holds \(samples.scalars[bad]) (pixel \(bad % 784)); expected pixels in [0, 1] (MNIST's scale)")
    }
    guard let low = samples.min(), let high = samples.max(), low >= 0, high <= 1 else {
      throw GenerativeKitError.file(path: checkpoint, reason: "expected pixels in [0, 1] (MNIST's scale)")
    }
    print("\(samples.shape[0]) samples from \(checkpoint) (the Inception score's splits take the rows in order: shuffle samples stored class by class first)")
    try reportQuality(samples, classifier: URL(fileURLWithPath: classifier))
    let folder = URL(fileURLWithPath: output)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try writeGrid(samples, labels: nil, to: folder)
    print("wrote \(folder.path)/grid.png")
  }

  /// The MNIST test digits, for measuring samples.
  func testDigits() throws -> ImageDataSet {
    do {
      return try ImageDataSet.load(.mnist, split: .test, pixelRange: .unit, directory: dataDir)
    } catch {
      throw ValidationError("--classifier compares the samples with the MNIST test digits: \(error) (use --data-dir or GENERATIVEKIT_DATA)")
    }
  }

  /// Prints FID, KID, Inception score, precision/recall and the class histogram of `samples`
  /// against the MNIST test digits, on `classifier`'s features.
  func reportQuality(_ samples: Tensor, classifier url: URL) throws {
    let classifier = try DigitClassifier(contentsOf: url)
    let test = try testDigits()
    let quality = try classifier.sampleQuality(
      of: samples, against: test.images(in: 0..<test.count), parzenValidation: parzen ? try parzenValidationDigits() : nil)
    print("against the \(test.count) MNIST test digits (classifier features):\n\(quality)")
    if let estimate = quality.parzen {
      let scores = estimate.validationScores.map { String(format: "%.3f: %.1f", $0.sigma, $0.meanLogLikelihood) }
      print("Parzen validation mean log-likelihood by sigma: \(scores.joined(separator: ", "))")
    }
  }

  /// The digits that choose the Parzen bandwidth: the last 10,000 training digits, the validation
  /// set of Goodfellow et al.'s protocol.
  func parzenValidationDigits() throws -> Tensor {
    do {
      let train = try ImageDataSet.load(.mnist, split: .train, pixelRange: .unit, directory: dataDir)
      return ParzenProtocol.validationDigits(of: train)
    } catch {
      throw ValidationError("--parzen chooses its bandwidth on MNIST training digits: \(error) (use --data-dir or GENERATIVEKIT_DATA)")
    }
  }

  /// Prints, per class, the share of the class's samples that `classifier` labels as the class,
  /// and FID and precision/recall against the MNIST test digits of the class.
  func reportClassQuality(_ samples: Tensor, labels: [Int], classifier url: URL) throws {
    let classifier = try DigitClassifier(contentsOf: url)
    let test = try testDigits()
    let quality = try classifier.conditionalQuality(
      of: samples, labels: labels, against: test.images(in: 0..<test.count), realLabels: test.labels ?? [])
    print("per class, against the \(test.count) MNIST test digits (classifier features):\n\(quality)")
  }

  /// A conditional model's sample classes: all `--label`, or in rows of equal classes (the first
  /// `count / classes` samples class 0, and so on); nil for an unconditional model.
  func labelsOfSamples(classes: Int?, count: Int) throws -> [Int]? {
    guard let classes else {
      if label != nil { throw ValidationError("--label: this model is not conditional") }
      return nil
    }
    if let label {
      guard (0..<classes).contains(label) else { throw ValidationError("--label must be in 0..<\(classes), got \(label)") }
      return [Int](repeating: label, count: count)
    }
    return (0..<count).map { min(classes - 1, $0 * classes / count) }
  }

  /// Four rows, each decoding `steps` points on the segment between two random latent points.
  func writeInterpolations(
    dimension: Int, to folder: URL, using random: inout SeededGenerator, decode: (Tensor) throws -> Tensor
  ) throws {
    let rows = try LatentInterpolation.randomRows(dimension: dimension, rows: 4, steps: steps, using: &random, decode: decode)
    try ImageGrid(columns: .fixed(steps), scale: 2).write(rows, range: .unit,
                                                          to: folder.appendingPathComponent("interpolation.png"))
  }

  /// Writes reconstructions.png: 16 test digits (or with --faces 16 faces) above their reconstructions.
  func writeReconstructions(_ model: VAE, of faceSet: ImageDataSet?, imageShape: [Int], to folder: URL) throws {
    if let faceSet {
      let originals = faceSet.images(in: 0..<min(16, faceSet.count))
      try ImageGrid(columns: .fixed(8), scale: 2).write(
        Tensor.concatenate(batches: [originals, try model.reconstruct(originals)]), range: .unit,
        to: folder.appendingPathComponent("reconstructions.png"))
      return
    }
    guard imageShape == [1, 28, 28] else {
      print("note: this VAE makes \(Tensor.describe(shape: imageShape)) images, not MNIST digits; give its face set with --faces for reconstructions.png")
      return
    }
    let test: ImageDataSet
    do {
      test = try ImageDataSet.load(.mnist, split: .test, pixelRange: .unit, directory: dataDir)
    } catch DataSetError.notFound {
      // Absent files are a note; a file that exists and is broken is an error that names it.
      print("note: MNIST not found (use --data-dir or GENERATIVEKIT_DATA); skipping reconstructions.png")
      return
    }
    let originals = test.images(in: 0..<16)
    let rebuilt = try model.reconstruct(originals, labels: model.classCount == nil ? nil : test.labels.map { Array($0[0..<16]) })
    try ImageGrid(columns: .fixed(8), scale: 2).write(Tensor.concatenate(batches: [originals, rebuilt]), range: .unit,
                                                      to: folder.appendingPathComponent("reconstructions.png"))
  }

  /// The face sets `--faces` accepts.
  static let faceSets: [DataSetName] = [.freyFaces, .olivettiFaces, .orlFaces]

  /// The `--faces` set in [0, 1], or nil without the option.
  func loadFaces() throws -> ImageDataSet? {
    guard let faces else { return nil }
    do {
      return try ImageDataSet.load(DataSetName(rawValue: faces)!, split: .train, pixelRange: .unit, directory: dataDir)
    } catch {
      throw ValidationError("--faces \(faces): \(error) (use --data-dir or GENERATIVEKIT_DATA)")
    }
  }

  /// Refuses a checkpoint whose images are not those of the `--faces` set.
  static func checkImageShape(of faceSet: ImageDataSet?, _ shape: [Int], checkpoint: URL) throws {
    guard let faceSet, faceSet.imageShape != shape else { return }
    throw ValidationError(
      "--faces \(faceSet.name): its images are \(Tensor.describe(shape: faceSet.imageShape)), but \(checkpoint.lastPathComponent) "
        + "makes \(Tensor.describe(shape: shape)) images")
  }

  /// Refuses fewer samples than the `--faces` comparison needs (half the set, rounded down).
  static func checkSampleCount(_ count: Int, for faceSet: ImageDataSet) throws {
    let needed = faceSet.count / 2
    guard count < needed else { return }
    throw ValidationError(
      "--faces \(faceSet.name) compares the \(faceSet.count - needed) even-numbered faces with \(needed) samples: "
        + "give --count \(needed) or more (got \(count))")
  }

  /// Prints the samples' sliced Wasserstein distance to the face set beside its floor and the
  /// nearest-face distances, and writes nearest.png.
  func reportFaceQuality(_ samples: Tensor, faces faceSet: ImageDataSet, to folder: URL) throws {
    let images = faceSet.images
    try Self.checkSampleCount(samples.shape[0], for: faceSet)
    let quality = try imageSetQuality(
      of: samples, against: images, settings: SlicedWassersteinSettings(minimumResolution: 8, seed: seed))
    let levels = quality.slicedWasserstein.levels.map { String(format: "%dx%d %.2f", $0.height, $0.width, 1000 * $0.distance) }
    func figure(_ value: Double) -> String { String(format: "%.2f", value) }
    print("against the \(images.shape[0]) \(faceSet.name) faces: sliced Wasserstein distance x 1000 "
          + "\(figure(1000 * quality.slicedWasserstein.mean)) (floor, the even-numbered faces against the \(quality.comparedCount) "
          + "odd-numbered ones: \(figure(1000 * quality.floor.mean)); by level: \(levels.joined(separator: ", ")))\n"
          + "mean L2 distance of \(quality.neighbors.distances.count) samples to their nearest face \(figure(quality.meanNearestDistance)) "
          + "(real faces to their nearest other face: \(figure(quality.realNearestDistance)))")
    let scale = max(images.shape[2], images.shape[3]) >= 64 ? 1 : 3
    try ImageGrid(columns: .fixed(2), scale: scale).write(quality.panel, range: .unit, to: folder.appendingPathComponent("nearest.png"))
    print("wrote \(folder.path)/nearest.png (each sample beside its nearest face)")
  }
}
