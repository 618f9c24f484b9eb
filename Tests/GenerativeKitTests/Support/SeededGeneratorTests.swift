import Testing

@testable import GenerativeKit

@Suite("Seeded generator")
struct SeededGeneratorTests {
  @Test("A permutation holds every index once, depends only on the state, and moves the state on")
  func permutation() {
    var a = SeededGenerator(seed: 7)
    var b = SeededGenerator(seed: 7)
    let first = a.permutation(1_000)
    #expect(first.sorted() == Array(0..<1_000))
    #expect(first == b.permutation(1_000))
    #expect(first != Array(0..<1_000))
    #expect(a.permutation(1_000) != first)  // the generator moved on
    var c = SeededGenerator(seed: 8)
    #expect(c.permutation(1_000) != first)
    // Every position is reachable: over many draws of a short permutation, each index lands everywhere.
    var seen = Set<[Int]>()
    for _ in 0..<400 { seen.insert(a.permutation(3)) }
    #expect(seen.count == 6)
    #expect(a.permutation(0).isEmpty && a.permutation(1) == [0])
  }
}
