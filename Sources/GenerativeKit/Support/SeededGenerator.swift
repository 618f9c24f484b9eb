/// A fast, seeded random number generator (xoshiro256**, seeded through SplitMix64).
///
/// The same seed gives the same sequence on every machine, which makes weights, data order,
/// dropout masks and noise reproducible bit for bit. The four-word ``state`` can be saved in a
/// checkpoint and restored to continue the exact sequence.
public struct SeededGenerator: RandomNumberGenerator, Equatable, Sendable {
  private var s0, s1, s2, s3: UInt64

  /// A generator whose sequence is determined by `seed`.
  public init(seed: UInt64) {
    var splitMix = seed
    func nextSplitMix() -> UInt64 {
      splitMix &+= 0x9E37_79B9_7F4A_7C15
      var z = splitMix
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    s0 = nextSplitMix()
    s1 = nextSplitMix()
    s2 = nextSplitMix()
    s3 = nextSplitMix()
  }

  /// The generator's internal state, four words; assign a saved state to resume a sequence.
  public var state: [UInt64] {
    get { [s0, s1, s2, s3] }
    set {
      enforce(newValue.count == 4, "SeededGenerator.state needs 4 words, got \(newValue.count)")
      enforce(newValue.contains { $0 != 0 }, "SeededGenerator.state must not be all zero")
      (s0, s1, s2, s3) = (newValue[0], newValue[1], newValue[2], newValue[3])
    }
  }

  public mutating func next() -> UInt64 {
    let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
    let t = s1 << 17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = (s3 << 45) | (s3 >> 19)
    return result
  }

  /// A uniform Float in [0, 1) with 24 random bits.
  public mutating func nextUniform() -> Float {
    Float(next() >> 40) * (1.0 / 16_777_216.0)
  }

  /// A pair of independent standard normal samples (Box-Muller, computed in Double).
  public mutating func nextNormalPair() -> (Float, Float) {
    // 1 - u keeps the logarithm's argument in (0, 1].
    let u1 = 1.0 - Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    let u2 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    let radius = (-2.0 * log(u1)).squareRoot()
    let angle = 2.0 * Double.pi * u2
    return (Float(radius * cos(angle)), Float(radius * sin(angle)))
  }

  /// `0..<count` in a random order: a Fisher-Yates shuffle from the last position down, each swap
  /// partner drawn as the high half of `(i + 1) * next()`, so the order is the same on every
  /// platform and Swift version for the same state (the standard library's `shuffled(using:)`
  /// does not promise that).
  public mutating func permutation(_ count: Int) -> [Int] {
    var order = Array(0..<max(count, 0))
    for i in stride(from: order.count - 1, to: 0, by: -1) {
      order.swapAt(i, Int(UInt64(i + 1).multipliedFullWidth(by: next()).high))
    }
    return order
  }

  /// A new generator seeded from this one, for giving a component its own stream.
  public mutating func split() -> SeededGenerator {
    SeededGenerator(seed: next())
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
