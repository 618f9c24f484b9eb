import Foundation
import TestSupport
import Testing

@testable import GenerativeKit
@testable import GenerativeKitMetrics
@testable import GenerativeKitTraining

@Suite("Likelihood evaluation")
struct LikelihoodEvaluationTests {
  static func model() -> VAE { ConvolutionalVAE.make(latentDimension: 3, seed: 4) }

  static func binaryDigits(_ count: Int) -> Tensor {
    var random = SeededGenerator(seed: 8)
    return Tensor.randomUniform(shape: [count, 1, 28, 28], in: 0...1, using: &random).map { $0 < 0.3 ? 1 : 0 }
  }

  @Test("Each image's bound is the importance-weighted bound with its own noise stream, recorded line by line")
  func boundsAndRecord() throws {
    let (model, images) = (Self.model(), Self.binaryDigits(4))
    let evaluation = try LikelihoodEvaluation(samples: 7, seed: 3)
    let record = try TestData.temporaryDirectory("nll").appendingPathComponent("record.csv")
    var calls: [Int] = []
    let bound = try evaluation.run(model: model, images: images, modelName: "tiny", record: record) { calls.append($0.done) }
    #expect(calls == [1, 2, 3, 4])
    for index in 0..<4 {
      var noise = evaluation.noise(forImage: index)
      let direct = try model.importanceWeightedBound(
        images: images.slice(batch: index..<(index + 1)), samples: 7, using: &noise)
      #expect(bound.perImage[index] == direct.mean)
    }
    let expectedMean = bound.perImage.reduce(0, +) / 4
    #expect(abs(bound.mean - expectedMean) < 1e-9 && bound.samples == 7)
    let lines = try String(contentsOf: record, encoding: .utf8).split(separator: "\n")
    #expect(lines.count == 5 && lines[0].hasPrefix("# importance-weighted bound; samples 7; seed 3; images 4; model tiny"))
    #expect(lines[2] == "1,\(bound.perImage[1])")
  }

  @Test("An interrupted evaluation continues from its record, a cut-off line included, and gives the same figures bit for bit")
  func resumes() throws {
    let (model, images) = (Self.model(), Self.binaryDigits(5))
    let evaluation = try LikelihoodEvaluation(samples: 5, seed: 9)
    let straight = try evaluation.run(model: model, images: images, modelName: "tiny", record: nil)

    let record = try TestData.temporaryDirectory("nll-resume").appendingPathComponent("record.csv")
    let header = evaluation.header(model: "tiny", weights: LikelihoodEvaluation.weightsDigest(of: model), images: 5)
    let partial = "\(header)\n0,\(straight.perImage[0])\n1,\(straight.perImage[1])\n2,-12"  // interrupted mid-line
    try partial.write(to: record, atomically: true, encoding: .utf8)
    var evaluated = 0
    let resumed = try evaluation.run(model: model, images: images, modelName: "tiny", record: record) {
      evaluated = $0.evaluatedThisRun
    }
    #expect(evaluated == 3)
    #expect(resumed.perImage == straight.perImage && resumed.mean == straight.mean)
    let lines = try String(contentsOf: record, encoding: .utf8).split(separator: "\n")
    #expect(lines.count == 6 && lines[3] == "2,\(straight.perImage[2])")
  }

  @Test("A record of another model, protocol or image count, or with a damaged line, is refused by name")
  func refusesForeignRecords() throws {
    let (model, images) = (Self.model(), Self.binaryDigits(2))
    let evaluation = try LikelihoodEvaluation(samples: 3, seed: 1)
    let folder = try TestData.temporaryDirectory("nll-foreign")
    let record = folder.appendingPathComponent("record.csv")
    _ = try evaluation.run(model: model, images: images, modelName: "first", record: record)
    for (name, evaluator) in [("second", evaluation), ("first", try LikelihoodEvaluation(samples: 4, seed: 1))] {
      let error = #expect(throws: GenerativeKitError.self) {
        try evaluator.run(model: model, images: images, modelName: name, record: record)
      }
      #expect("\(error!)".contains("record.csv") && "\(error!)".contains("another evaluation"))
    }
    let damaged = folder.appendingPathComponent("damaged.csv")
    try "\(evaluation.header(model: "first", weights: LikelihoodEvaluation.weightsDigest(of: model), images: 2))\n0,abc\n".write(to: damaged, atomically: true, encoding: .utf8)
    let error = #expect(throws: GenerativeKitError.self) {
      try evaluation.run(model: model, images: images, modelName: "first", record: damaged)
    }
    #expect("\(error!)".contains("line 2"))
    #expect(throws: GenerativeKitError.self) { try LikelihoodEvaluation(samples: 0, seed: 1) }
  }

  @Test("Another model under the same name does not continue the record: the header holds the weights' SHA-256")
  func identifiesModelByWeights() throws {
    let images = Self.binaryDigits(2)
    let evaluation = try LikelihoodEvaluation(samples: 3, seed: 1)
    let record = try TestData.temporaryDirectory("nll-weights").appendingPathComponent("record.csv")
    _ = try evaluation.run(model: Self.model(), images: images, modelName: "latest.safetensors epoch 1", record: record)
    let other = ConvolutionalVAE.make(latentDimension: 3, seed: 5)
    let error = #expect(throws: GenerativeKitError.self) {
      try evaluation.run(model: other, images: images, modelName: "latest.safetensors epoch 1", record: record)
    }
    #expect("\(error!)".contains("another evaluation") && "\(error!)".contains("record.csv"))
    #expect(LikelihoodEvaluation.weightsDigest(of: Self.model()) == LikelihoodEvaluation.weightsDigest(of: Self.model()))
    #expect(LikelihoodEvaluation.weightsDigest(of: Self.model()) != LikelihoodEvaluation.weightsDigest(of: other))
  }

  @Test("A record with a positive Bernoulli bound, a non-UTF-8 line or an endless line is refused by name")
  func refusesImpossibleRecords() throws {
    let (model, images) = (Self.model(), Self.binaryDigits(2))
    let evaluation = try LikelihoodEvaluation(samples: 3, seed: 1)
    let folder = try TestData.temporaryDirectory("nll-impossible")
    let header = evaluation.header(model: "m", weights: LikelihoodEvaluation.weightsDigest(of: model), images: 2)
    let cases: [(String, Data, String)] = [
      ("positive.csv", Data("\(header)\n0,5.0\n".utf8), "at most 0"),
      ("latin1.csv", Data("\(header)\n".utf8) + Data([0x30, 0x2C, 0xE9, 0x0A]), "not UTF-8"),
      ("endless.csv", Data(repeating: UInt8(ascii: "#"), count: 3 << 20), "longer than"),
    ]
    for (name, contents, reason) in cases {
      let record = folder.appendingPathComponent(name)
      try contents.write(to: record)
      let error = #expect(throws: GenerativeKitError.self) {
        try evaluation.run(model: model, images: images, modelName: "m", record: record)
      }
      #expect("\(error!)".contains(name) && "\(error!)".contains(reason), "\(error!)")
      #expect(try Data(contentsOf: record) == contents, "a refused record is left as it was")
    }
  }
}
