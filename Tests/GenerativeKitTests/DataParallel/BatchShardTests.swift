import Testing

@testable import GenerativeKit

@Suite("Data parallelism: shards, dropout masks and noise without MPI")
struct BatchShardTests {
  @Test("shards cover the global batch once, in order, sizes within one of each other")
  func shardsCoverTheBatch() throws {
    for processes in 1...5 {
      for global in processes...13 {
        let shards = try (0..<processes).map { try BatchShard.of(globalCount: global, rank: $0, processes: processes) }
        #expect(shards.map(\.offset) == shards.indices.map { global * $0 / processes })
        #expect(shards.map(\.count).reduce(0, +) == global)
        #expect((shards.map(\.count).max() ?? 0) - (shards.map(\.count).min() ?? 0) <= 1)
        #expect(abs(shards.map(\.fraction).reduce(0, +) - 1) < 1e-6)
      }
    }
    #expect(throws: GenerativeKitError.self) { try BatchShard.of(globalCount: 1, rank: 0, processes: 2) }
    #expect(throws: GenerativeKitError.self) { try BatchShard.of(globalCount: 4, rank: 2, processes: 2) }
  }

  @Test("a sharded dropout layer draws the global batch's masks for its rows", arguments: [1, 2, 3])
  func dropoutMasksDoNotDependOnShards(processes: Int) throws {
    var random = SeededGenerator(seed: 3)
    // 9 items of 5,000 values: several blocks of the mask streams, borders inside items.
    let input = Tensor.randomNormal(shape: [9, 5_000], using: &random)
    let whole = try Dropout(rate: 0.3, seed: 8).forward(input)
    for rank in 0..<processes {
      let shard = try BatchShard.of(globalCount: 9, rank: rank, processes: processes)
      let layer = Dropout(rate: 0.3, seed: 8)
      layer.shard = shard
      let part = try layer.forward(input.rows(of: shard))
      #expect(part == (try whole.rows(of: shard)), "rank \(rank) of \(processes)")
    }
  }
}
