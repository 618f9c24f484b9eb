extension Tensor {
  /// Tensors joined along `axis`: every other dimension must agree. `[N, 3, H, W]` and
  /// `[N, 10, H, W]` along axis 1 give `[N, 13, H, W]` (an image with ten label planes);
  /// `[N, 100]` and `[N, 10]` along axis 1 give `[N, 110]` (noise with a one-hot label).
  ///
  /// - Throws: `GenerativeKitError.invalidArgument` naming the shapes when there is no tensor,
  ///   the ranks differ, `axis` is out of range, or another dimension differs.
  public static func concatenate(_ parts: [Tensor], axis: Int) throws -> Tensor {
    guard let first = parts.first else { throw GenerativeKitError.invalidArgument("Tensor.concatenate: no tensors given") }
    let rank = first.rank
    guard (0..<rank).contains(axis) else {
      throw GenerativeKitError.invalidArgument("Tensor.concatenate: axis \(axis) is out of range for rank \(rank)")
    }
    for part in parts {
      var (expected, actual) = (first.shape, part.shape)
      guard actual.count == rank else {
        throw GenerativeKitError.invalidArgument(
          "Tensor.concatenate: \(part.shapeDescription) and \(first.shapeDescription) have different ranks")
      }
      expected[axis] = 0
      actual[axis] = 0
      guard expected == actual else {
        throw GenerativeKitError.invalidArgument(
          "Tensor.concatenate: \(part.shapeDescription) and \(first.shapeDescription) differ outside axis \(axis)")
      }
    }
    var shape = first.shape
    shape[axis] = parts.reduce(0) { $0 + $1.shape[axis] }
    let result = Tensor(uninitializedShape: shape)
    // Each part is `outer` blocks of `shape[axis] * inner` values; the result interleaves them.
    let outer = first.shape[..<axis].reduce(1, *)
    let inner = first.shape[(axis + 1)...].reduce(1, *)
    let target = result.storage.pointer
    var offset = 0
    for part in parts {
      let block = part.shape[axis] * inner
      let source = part.pointer
      for o in 0..<outer { (target + o * shape[axis] * inner + offset).update(from: source + o * block, count: block) }
      offset += block
    }
    return result
  }

  /// The parts of this tensor along `axis`, of `sizes` rows each (the inverse of
  /// ``concatenate(_:axis:)``): `[N, 13, H, W]` split `[3, 10]` along axis 1 gives `[N, 3, H, W]` and
  /// `[N, 10, H, W]`.
  ///
  /// - Throws: `GenerativeKitError.invalidArgument` when `axis` is out of range or the sizes do
  ///   not add up to the dimension.
  public func split(sizes: [Int], axis: Int) throws -> [Tensor] {
    guard (0..<rank).contains(axis) else {
      throw GenerativeKitError.invalidArgument("Tensor.split: axis \(axis) is out of range for \(shapeDescription)")
    }
    guard sizes.allSatisfy({ $0 >= 0 }), sizes.reduce(0, +) == shape[axis] else {
      throw GenerativeKitError.invalidArgument(
        "Tensor.split: sizes \(sizes) do not add up to dimension \(axis) of \(shapeDescription)")
    }
    let outer = shape[..<axis].reduce(1, *)
    let inner = shape[(axis + 1)...].reduce(1, *)
    let source = pointer
    var offset = 0
    return sizes.map { size in
      var partShape = shape
      partShape[axis] = size
      let part = Tensor(uninitializedShape: partShape)
      let block = size * inner
      for o in 0..<outer { (part.storage.pointer + o * block).update(from: source + o * shape[axis] * inner + offset, count: block) }
      offset += block
      return part
    }
  }

  /// One-hot rows `[labels.count, classes]`: row `i` is 1 at column `labels[i]`, 0 elsewhere.
  ///
  /// - Throws: `GenerativeKitError.invalidArgument` naming the first label outside `0..<classes`.
  public static func oneHot(_ labels: [Int], classes: Int) throws -> Tensor {
    guard classes >= 1 else { throw GenerativeKitError.invalidArgument("Tensor.oneHot: classes must be at least 1, got \(classes)") }
    var result = Tensor(shape: [labels.count, classes])
    for (row, label) in labels.enumerated() {
      guard (0..<classes).contains(label) else {
        throw GenerativeKitError.invalidArgument("Tensor.oneHot: label \(label) at position \(row) is not in 0..<\(classes)")
      }
      result[flat: row * classes + label] = 1
    }
    return result
  }

  /// One-hot label planes `[labels.count, classes, height, width]`: plane `labels[i]` of image `i`
  /// is all ones, the others zero; to join to images along the channels (a conditional
  /// discriminator's or encoder's input).
  ///
  /// - Throws: `GenerativeKitError.invalidArgument` for a label outside `0..<classes` or a side below 1.
  public static func labelPlanes(_ labels: [Int], classes: Int, height: Int, width: Int) throws -> Tensor {
    guard height >= 1, width >= 1 else {
      throw GenerativeKitError.invalidArgument("Tensor.labelPlanes: sides must be at least 1, got \(height) x \(width)")
    }
    let rows = try oneHot(labels, classes: classes)
    let plane = height * width
    let result = Tensor(uninitializedShape: [labels.count, classes, height, width])
    let (source, target) = (rows.pointer, result.storage.pointer)
    for index in 0..<(labels.count * classes) { (target + index * plane).update(repeating: source[index], count: plane) }
    return result
  }
}
