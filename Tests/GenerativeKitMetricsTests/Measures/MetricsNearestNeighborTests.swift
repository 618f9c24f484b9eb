import Foundation
import Testing

@testable import GenerativeKit
@testable import GenerativeKitData
@testable import GenerativeKitMetrics

/// Nearest training images of generated samples, and the side-by-side panel.
@Suite("Metrics: nearest neighbours")
struct MetricsNearestNeighborTests {
  static func training(seed: UInt64 = 1) -> Tensor {
    var random = SeededGenerator(seed: seed)
    return Tensor.randomUniform(shape: [60, 1, 6, 5], using: &random)
  }

  @Test("Copies of training images are found exactly, at distance 0")
  func copies() throws {
    let training = Self.training()
    let picks = [7, 3, 59, 0, 3]
    let samples = Tensor.concatenate(batches: picks.map { training.slice(batch: $0..<($0 + 1)) })
    let result = try nearestNeighbors(of: samples, in: training)
    #expect(result.indices == picks)
    #expect(result.distances == [0, 0, 0, 0, 0])
  }

  @Test("Perturbed samples find the brute-force nearest image and its L2 distance")
  func bruteForce() throws {
    let training = Self.training(seed: 2)
    var random = SeededGenerator(seed: 3)
    let samples = Tensor.randomUniform(shape: [9, 1, 6, 5], using: &random)
    let flatTraining = training.reshaped([60, 30])
    let flatSamples = samples.reshaped([9, 30])
    let result = try nearestNeighbors(of: samples, in: training)
    for i in 0..<9 {
      let distances = (0..<60).map { FeatureMatrix.exactSquaredDistance(flatSamples, i, flatTraining, $0) }
      let best = distances.indices.min { distances[$0] < distances[$1] }!
      #expect(result.indices[i] == best)
      #expect(abs(result.distances[i] - distances[best].squareRoot()) < 1e-12)
    }
  }

  @Test("The panel interleaves each sample with its neighbour: [2N, C, H, W]")
  func panel() throws {
    let training = Self.training()
    var random = SeededGenerator(seed: 4)
    let samples = Tensor.randomUniform(shape: [3, 1, 6, 5], using: &random)
    let neighbours = try nearestNeighbors(of: samples, in: training)
    let panel = try nearestNeighborPanel(samples: samples, training: training, neighbors: neighbours)
    #expect(panel.shape == [6, 1, 6, 5])
    for i in 0..<3 {
      #expect(panel.slice(batch: (2 * i)..<(2 * i + 1)) == samples.slice(batch: i..<(i + 1)))
      let j = neighbours.indices[i]
      #expect(panel.slice(batch: (2 * i + 1)..<(2 * i + 2)) == training.slice(batch: j..<(j + 1)))
    }
  }

  @Test("Different image shapes and bad neighbour lists are rejected")
  func errors() throws {
    let training = Self.training()
    #expect(throws: GenerativeKitError.self) { try nearestNeighbors(of: Tensor(shape: [2, 1, 5, 6]), in: training) }
    let bad = NearestNeighbors(indices: [60], distances: [0])
    #expect(throws: GenerativeKitError.self) {
      try nearestNeighborPanel(samples: Tensor(shape: [1, 1, 6, 5]), training: training, neighbors: bad)
    }
  }
}
