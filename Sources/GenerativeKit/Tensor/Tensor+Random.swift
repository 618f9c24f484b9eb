extension Tensor {
  /// Elements drawn uniformly from `range`.
  public static func randomUniform(
    shape: [Int], in range: ClosedRange<Float> = 0...1, using generator: inout SeededGenerator
  ) -> Tensor {
    let tensor = Tensor(uninitializedShape: shape)
    let width = range.upperBound - range.lowerBound
    let p = tensor.storage.pointer
    for i in 0..<tensor.count { p[i] = range.lowerBound + width * generator.nextUniform() }
    return tensor
  }

  /// Elements drawn from N(mean, standardDeviation^2).
  public static func randomNormal(
    shape: [Int], mean: Float = 0, standardDeviation: Float = 1, using generator: inout SeededGenerator
  ) -> Tensor {
    let tensor = Tensor(uninitializedShape: shape)
    let p = tensor.storage.pointer
    var i = 0
    while i < tensor.count {
      let (a, b) = generator.nextNormalPair()
      p[i] = mean + standardDeviation * a
      if i + 1 < tensor.count { p[i + 1] = mean + standardDeviation * b }
      i += 2
    }
    return tensor
  }
}
