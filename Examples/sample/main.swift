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
      above their reconstructions; needs the data) and, with a 2-D latent space, manifold.png.       A conditional GAN's samples are of class --label, or without it one row per class, and       labels.npy holds each sample's class.
      """)

  @Argument(help: "A checkpoint written by mnist-gan or mnist-vae (*.safetensors).") var checkpoint: String
  @Option(help: "Folder for the pictures and samples.npy.") var output = "output/samples"
  @Option(parsing: .unconditional, help: "Number of samples (at most 100,000).") var count = 64
  @Option(help: "Images per interpolation row.") var steps = 10
  @Option(help: "Seed for the latent points.") var seed: UInt64 = 1
  @Option(help: "Folder with the data sets, for VAE reconstructions.") var dataDir: String?
  @Option(help: "Decode these latent points (a .npy float32 array, count x latent dimension) instead of random ones.")
  var latents: String?
  @Option(parsing: .unconditional, help: "Threads for the GEMMs and the parallel loops.") var threads = 2
  @Option(parsing: .unconditional, help: "For a conditional GAN: the class of every sample (default: one row per class).")
  var label: Int?
  @Option(help: "For a conditional GAN on digits: a digit classifier (mnist-classifier's classifier.safetensors) that reports how many samples of each class it labels as that class.")
  var classifier: String?

  func validate() throws {
    try ArgumentChecks.check(count, "--count", in: 1...100_000)
    try ArgumentChecks.check(steps, "--steps", in: 2...1_000)
    try ArgumentChecks.check(threads, "--threads", in: ArgumentChecks.threads)
    try ArgumentChecks.checkNotEmpty(output, "--output")
    if let dataDir { try ArgumentChecks.checkExistingFolder(dataDir, "--data-dir") }
  }

  func run() throws {
    try runReportingErrors {
      useThreads(threads)
      let url = URL(fileURLWithPath: checkpoint)
      let file = try Checkpoint(contentsOf: url)
      let folder = URL(fileURLWithPath: output)
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      var random = SeededGenerator(seed: seed)
      let samples: Tensor  // in [0, 1]
      var gridColumns: Int?  // one row per class for a conditional GAN's grid
      switch file.metadata["format"] {
      case GANExperiment.format:
        let options = try file.configuration(GANOptions.self)
        let gan = try options.makeModel()
        try file.restore(model: gan, strict: false)  // the file also holds the optimizers' moments
        let noise = try latentPoints(dimension: options.noiseDimension, using: &random)
        let labels = try sampleLabels(classes: options.classes, count: noise.shape[0])
        samples = try gan.generate(noise, labels: labels)
        try writeInterpolations(dimension: options.noiseDimension, to: folder, using: &random) { points in
          try gan.generate(points, labels: labels.map { _ in [Int](repeating: label ?? 0, count: points.shape[0]) })
        }
        if let labels, let classifier {
          try reportAgreement(samples, labels: labels, classifier: URL(fileURLWithPath: classifier))
        }
        if let labels {
          try NumPyArray.write(Tensor(shape: [labels.count], scalars: labels.map(Float.init)),
                               to: folder.appendingPathComponent("labels.npy"))
          gridColumns = label == nil ? max(1, labels.count / (options.classes ?? 1)) : nil
        }
        print("GAN (\(options.architecture.rawValue)\(options.classes.map { ", conditional on \($0) classes" } ?? ""), "
              + "epoch \(file.epoch ?? 0)): \(count) samples")
      case VAEExperiment.format:
        let options = try file.configuration(VAEOptions.self)
        let model = options.makeModel()
        try file.restore(model: model, strict: false)
        model.eval()
        samples = latents == nil
          ? try model.sample(count: count, using: &random)
          : try model.decode(try latentPoints(dimension: options.latentDimension, using: &random))
        try writeInterpolations(dimension: options.latentDimension, to: folder, using: &random) { try model.decode($0) }
        try writeReconstructions(model, to: folder)
        if options.latentDimension == 2 {
          try ImageGrid(columns: .fixed(20), padding: 0).write(try model.manifold(side: 20), range: .unit,
                                                                  to: folder.appendingPathComponent("manifold.png"))
        }
        print("VAE (latent \(options.latentDimension), epoch \(file.epoch ?? 0)): \(count) samples")
      default:
        throw GenerativeKitError.file(
          path: url.path, reason: "not a GenerativeKit GAN or VAE checkpoint (metadata 'format' is "
            + "\(file.metadata["format"].map { "'\($0)'" } ?? "missing"); write one with mnist-gan or mnist-vae)")
      }
      try ImageGrid(columns: gridColumns.map { .fixed($0) } ?? .nearSquare, scale: 2)
        .write(samples, range: .unit, to: folder.appendingPathComponent("grid.png"))
      try NumPyArray.write(samples, to: folder.appendingPathComponent("samples.npy"))
      print("wrote \(folder.path)/grid.png, interpolation.png, samples.npy")
    }
  }

  /// The `--latents` file's points, or `count` draws from N(0, I).
  func latentPoints(dimension: Int, using random: inout SeededGenerator) throws -> Tensor {
    guard let latents else { return Tensor.randomNormal(shape: [count, dimension], using: &random) }
    let points = try NumPyArray.read(URL(fileURLWithPath: latents))
    guard points.rank == 2, points.shape[1] == dimension else {
      throw GenerativeKitError.file(
        path: latents, reason: "expected latent points of shape [N, \(dimension)], found \(points.shapeDescription)")
    }
    return points
  }

  /// Prints the share of samples of each class that `classifier` labels as that class, and overall.
  func reportAgreement(_ samples: Tensor, labels: [Int], classifier url: URL) throws {
    let classifier = try DigitClassifier(contentsOf: url)
    let probabilities = try classifier.probabilities(samples)
    let classes = probabilities.shape[1]
    var (hits, totals) = ([Int](repeating: 0, count: classes), [Int](repeating: 0, count: classes))
    for (row, label) in labels.enumerated() where label < classes {
      let scores = (0..<classes).map { probabilities[row, $0] }
      let predicted = scores.indices.max { scores[$0] < scores[$1] } ?? 0
      totals[label] += 1
      if predicted == label { hits[label] += 1 }
    }
    let perClass = (0..<classes).filter { totals[$0] > 0 }.map { "\($0): \(100 * hits[$0] / totals[$0]) %" }
    let overall = Double(hits.reduce(0, +)) / Double(max(1, totals.reduce(0, +)))
    print("classifier agreement (samples of class K labelled K): \(Int((100 * overall).rounded())) % overall; "
          + perClass.joined(separator: ", "))
  }

  /// A conditional GAN's sample classes: all `--label`, or in rows of equal classes (the first
  /// `count / classes` samples class 0, and so on); nil for an unconditional GAN.
  func sampleLabels(classes: Int?, count: Int) throws -> [Int]? {
    guard let classes else {
      if label != nil { throw ValidationError("--label: this GAN is not conditional") }
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

  func writeReconstructions(_ model: VAE, to folder: URL) throws {
    guard let test = try? ImageDataSet.load(.mnist, split: .test, pixelRange: .unit, directory: dataDir) else {
      print("note: MNIST not found (use --data-dir or GENERATIVEKIT_DATA); skipping reconstructions.png")
      return
    }
    let originals = test.images(in: 0..<16)
    let rebuilt = try model.reconstruct(originals)
    try ImageGrid(columns: .fixed(8), scale: 2).write(Tensor.concatenate(batches: [originals, rebuilt]), range: .unit,
                                                      to: folder.appendingPathComponent("reconstructions.png"))
  }
}
