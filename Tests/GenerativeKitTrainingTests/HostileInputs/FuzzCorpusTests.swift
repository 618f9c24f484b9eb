import Foundation
import FuzzTargets
import GenerativeKit
import TestSupport
import Testing

/// The fuzzers' findings as regression tests: every seed, every kept corpus input and every
/// crasher `scripts/fuzz.sh` saved goes through its parser again, in the ordinary build.
@Suite("Fuzz corpus replay")
struct FuzzCorpusTests {
  @Test("every seed, corpus input and crasher is accepted or rejected, never a broken property",
        arguments: FuzzTarget.allCases)
  func replay(target: FuzzTarget) throws {
    let seeds = try target.seeds()
    #expect(seeds.count >= 3)
    for seed in seeds {
      #expect(target.run(seed.bytes) == .accepted, "the seed \(seed.name) must parse")
    }
    let fuzzFolder = TestData.packageRoot.appendingPathComponent("Fuzz")
    var paths: [String] = []
    for kind in ["corpus", "crashers"] {
      let folder = fuzzFolder.appendingPathComponent(kind).appendingPathComponent(target.rawValue).path
      if FileManager.default.fileExists(atPath: folder) { paths.append(folder) }
    }
    try #require(!paths.isEmpty, "Fuzz/corpus/\(target.rawValue) is missing: run scripts/fuzz.sh \(target.rawValue)")
    let (counts, violations) = try FuzzFiles.replay(target, paths: paths)
    #expect(violations.isEmpty, "\(violations)")
    #expect(counts.accepted + counts.rejected >= 1)
  }

  @Test("damaged seeds are rejected or accepted with their properties, never a trap",
        arguments: FuzzTarget.allCases)
  func damagedSeeds(target: FuzzTarget) throws {
    var random = SeededGenerator(seed: 99)
    for seed in try target.seeds() {
      for _ in 0..<40 {
        var bytes = seed.bytes
        guard !bytes.isEmpty else { continue }
        switch random.next() % 3 {
        case 0: bytes[Int(random.next() % UInt64(bytes.count))] ^= UInt8(truncatingIfNeeded: random.next() | 1)
        case 1: bytes.removeLast(Int(random.next() % UInt64(bytes.count)))
        default: bytes += (0..<Int(random.next() % 64)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        }
        let verdict = target.run(bytes)
        if case .violated(let reason) = verdict { Issue.record("\(seed.name) damaged: \(reason)") }
      }
    }
  }
}
