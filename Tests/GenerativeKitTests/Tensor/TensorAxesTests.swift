import Testing

@testable import GenerativeKit

@Suite("Tensor: joining and splitting along an axis, one-hot labels")
struct TensorAxesTests {
  static func counting(_ shape: [Int], from start: Float = 0) -> Tensor {
    Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { start + Float($0) })
  }

  @Test("concatenate along every axis equals element-by-element placement, and split undoes it",
        arguments: [0, 1, 2, 3])
  func concatenateAndSplit(axis: Int) throws {
    var aShape = [2, 3, 4, 5]
    var bShape = aShape
    aShape[axis] = 2
    bShape[axis] = 3
    let (a, b) = (Self.counting(aShape), Self.counting(bShape, from: 1_000))
    let joined = try Tensor.concatenate([a, b], axis: axis)
    var expectedShape = aShape
    expectedShape[axis] = 5
    #expect(joined.shape == expectedShape)
    // Every element of the result, by its coordinates.
    for flat in 0..<joined.count {
      var rest = flat
      var index = [Int](repeating: 0, count: 4)
      for d in (0..<4).reversed() {
        index[d] = rest % expectedShape[d]
        rest /= expectedShape[d]
      }
      let fromA = index[axis] < 2
      var local = index
      if !fromA { local[axis] -= 2 }
      let source = fromA ? a : b
      let sourceShape = fromA ? aShape : bShape
      var position = 0
      for d in 0..<4 { position = position * sourceShape[d] + local[d] }
      #expect(joined[flat: flat] == source[flat: position], "axis \(axis) at \(index)")
    }
    let parts = try joined.split(sizes: [2, 3], axis: axis)
    #expect(parts[0] == a && parts[1] == b)
  }

  @Test("mismatched shapes, ranks, axes and sizes are refused with the shapes named")
  func refusals() {
    let a = Self.counting([2, 3])
    #expect(throws: GenerativeKitError.self) { try Tensor.concatenate([a, Self.counting([3, 3])], axis: 1) }
    #expect(throws: GenerativeKitError.self) { try Tensor.concatenate([a, Self.counting([2, 3, 1])], axis: 1) }
    #expect(throws: GenerativeKitError.self) { try Tensor.concatenate([a], axis: 2) }
    #expect(throws: GenerativeKitError.self) { try Tensor.concatenate([], axis: 0) }
    #expect(throws: GenerativeKitError.self) { try a.split(sizes: [1, 1], axis: 1) }
    #expect(throws: GenerativeKitError.self) { try Tensor.oneHot([0, 3], classes: 3) }
  }

  @Test("one-hot rows and label planes")
  func oneHotAndPlanes() throws {
    let rows = try Tensor.oneHot([2, 0, 1], classes: 3)
    #expect(rows.scalars == [0, 0, 1, 1, 0, 0, 0, 1, 0])
    let planes = try Tensor.labelPlanes([1, 0], classes: 2, height: 2, width: 3)
    #expect(planes.shape == [2, 2, 2, 3])
    #expect(planes.scalars == [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
  }
}
