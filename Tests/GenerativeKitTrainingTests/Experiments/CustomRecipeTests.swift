import Foundation
import GenerativeKit
import GenerativeKitData
import GenerativeKitTraining
import TestSupport
import Testing

/// A recipe written outside the library (HingeGANRecipe.swift, public API only) gets everything
/// the library's experiments get: the run folder, checkpoints, the log, exact resume and refusals.
@Suite("Your own recipe")
struct CustomRecipeTests {
  static func data() -> ImageDataSet {
    var random = SeededGenerator(seed: 21)
    let images = Tensor.randomUniform(shape: [48, 1, 8, 8], in: -1...1, using: &random)
    return ImageDataSet(name: "noise squares", images: images, pixelRange: .symmetric)
  }

  static func experiment(_ options: HingeGANOptions, in folder: URL) throws -> Experiment<HingeGANRecipe> {
    Experiment(recipe: try HingeGANRecipe(options: options), dataSet: data(), outputDirectory: folder)
  }

  static let silent = ProgressReporter(style: .silent, totalEpochs: 3)

  @Test("Trains in a run folder: checkpoints every epoch, the log, grids; resumed at epoch 1 it ends bit for bit where a straight run ends")
  func runAndResume() throws {
    var options = HingeGANOptions()
    options.epochs = 3
    let straightFolder = try TestData.temporaryDirectory("hinge-straight")
    let straight = try Self.experiment(options, in: straightFolder)
    let reports = try straight.run(progress: Self.silent)
    #expect(reports.map(\.epoch) == [1, 2, 3])
    #expect(reports.allSatisfy { $0.metrics["d_loss"].map(\.isFinite) == true })
    for file in ["checkpoints/latest.safetensors", "checkpoints/epoch-0001.safetensors", "checkpoints/epoch-0003.safetensors",
                 "samples/epoch-0003.png", "log.jsonl", "log.csv"] {
      #expect(FileManager.default.fileExists(atPath: straightFolder.appendingPathComponent(file).path), "\(file)")
    }
    let saved = try Checkpoint(contentsOf: straight.latestCheckpointURL)
    #expect(saved.metadata["format"] == HingeGANRecipe.format)
    #expect(saved.epoch == 3)

    // Stop after one epoch, then continue in the same folder to three.
    let folder = try TestData.temporaryDirectory("hinge-resumed")
    var short = options
    short.epochs = 1
    try Self.experiment(short, in: folder).run(progress: Self.silent)
    let resumed = try Self.experiment(options, in: folder)
    try resumed.resume(from: folder.appendingPathComponent("checkpoints/latest.safetensors"))
    #expect(resumed.epoch == 1)
    try resumed.run(progress: Self.silent)
    for (a, b) in zip(straight.model.namedParameters, resumed.model.namedParameters) {
      #expect(a.parameter.value == b.parameter.value, "\(a.name) differs after the resume")
    }
    #expect(try String(contentsOf: folder.appendingPathComponent("log.jsonl"), encoding: .utf8)
      .split(separator: "\n").count == 3)
  }

  @Test("A fresh run will not overwrite the folder; another network or recipe is refused on resume, by field")
  func refusals() throws {
    let folder = try TestData.temporaryDirectory("hinge-refusals")
    var options = HingeGANOptions()
    options.epochs = 1
    try Self.experiment(options, in: folder).run(progress: Self.silent)
    let latest = folder.appendingPathComponent("checkpoints/latest.safetensors")

    #expect { try Self.experiment(options, in: folder).run(progress: Self.silent) } throws: { error in
      "\(error)".contains("already holds a run")
    }
    var wider = options
    wider.width = 6
    #expect { try Self.experiment(wider, in: folder).resume(from: latest) } throws: { error in
      "\(error)".contains("width 4 vs 6")
    }
    var faster = options
    faster.learningRate = 1e-3
    #expect { try Self.experiment(faster, in: folder).resume(from: latest) } throws: { error in
      "\(error)".contains("learningRate")
    }
    // A checkpoint of the library's GAN is another format.
    var gan = GANOptions()
    gan.width = 4
    gan.noiseDimension = 8
    gan.imageHeight = 8
    gan.imageWidth = 8
    gan.epochs = 1
    let ganFolder = try TestData.temporaryDirectory("hinge-other-format")
    try GANExperiment(options: gan, dataSet: Self.data(), outputDirectory: ganFolder).run(progress: Self.silent)
    #expect {
      try Self.experiment(options, in: folder).resume(from: ganFolder.appendingPathComponent("checkpoints/latest.safetensors"))
    } throws: { error in
      "\(error)".contains("expected '\(HingeGANRecipe.format)'")
    }
  }
}
