/// A network run with class labels: the labels are joined to the input as one-hot columns
/// (`[N, F]` -> `[N, F + classes]`: a generator's noise, a decoder's latent code) or as label planes
/// (`[N, C, H, W]` -> `[N, C + classes, H, W]`: a discriminator's or encoder's images), and the
/// joined tensor goes through `body`. With `classes` nil the network is unconditional and the
/// input goes through unchanged.
///
/// ```swift
/// let decoder = Conditional(classes: 10, body: Sequential {
///   Dense(inFeatures: 16 + 10, outFeatures: 64 * 7 * 7)   // latent code + one-hot label
///   ...
/// })
/// let logits = try decoder.forward(codes, labels: batchLabels)
/// ```
///
/// The labels are an argument of every ``forward(_:labels:)``, one per input row; nothing is set
/// beforehand. ``backward(_:)`` returns the gradient of the input alone: the label columns are
/// data, their gradient stops here. `Conditional` is a value that holds no state of its own (the
/// body keeps what its backward pass needs), so wrapping a network costs nothing and its
/// parameters stay the body's, under the body's names.
///
/// Why one-hot rather than a learned embedding: the first layer of `body` multiplies the one-hot
/// columns by its own weight columns, so `W [x; onehot(y)] = W_x x + W_y[:, y]`: a learned
/// per-class vector (an embedding of size the layer's width) added to the first layer's output,
/// trained with it. A separate `Embedding` layer would add a second, redundant matrix.
public struct Conditional: CustomStringConvertible {
  /// The network the joined input goes through.
  public let body: any Layer
  /// The number of classes (labels are in `0..<classes`); nil for an unconditional network.
  public let classes: Int?

  /// - Parameters:
  ///   - classes: how many classes the labels come from (at least 1); nil: no labels.
  ///   - body: takes the input with `classes` columns (rank 2) or channels (rank 4) appended.
  public init(classes: Int?, body: any Layer) {
    enforce(classes.map { $0 >= 1 } ?? true, "Conditional: classes must be at least 1, got \(classes ?? 0)")
    self.classes = classes
    self.body = body
  }

  public var description: String {
    classes.map { "Conditional(\($0) classes, \(body))" } ?? body.description
  }

  /// The shape `body` receives for an input shape: the label columns or planes appended.
  public func joinedShape(forInputShape shape: [Int]) throws -> [Int] {
    guard let classes else { return shape }
    guard shape.count == 2 || shape.count == 4 else {
      throw GenerativeKitError.shapeMismatch(
        context: description, expected: "[N, F] (one-hot columns) or [N, C, H, W] (label planes)", actual: shape)
    }
    var joined = shape
    joined[1] += classes
    return joined
  }

  /// The output shape for an input shape.
  public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
    try body.outputShape(forInputShape: joinedShape(forInputShape: shape))
  }

  /// The input with the labels joined: `[N, F + classes]` or `[N, C + classes, H, W]`.
  ///
  /// - Throws: ``GenerativeKitError/invalidArgument(_:)`` when a conditional network gets no
  ///   labels, a label per row is missing or out of range, or an unconditional one gets labels.
  public func join(_ input: Tensor, labels: [Int]?) throws -> Tensor {
    _ = try joinedShape(forInputShape: input.shape)
    try checkLabels(labels, rows: input.shape.first ?? 0)
    guard let classes, let labels else { return input }
    let encoded = input.rank == 2
      ? try Tensor.oneHot(labels, classes: classes)
      : try Tensor.labelPlanes(labels, classes: classes, height: input.shape[2], width: input.shape[3])
    return try Tensor.concatenate([input, encoded], axis: 1)
  }

  /// Checks that `labels` fit a batch of `rows`: one label in `0..<classes` per row for a
  /// conditional network, none for an unconditional one.
  ///
  /// - Throws: ``GenerativeKitError/invalidArgument(_:)`` naming the network and what is wrong.
  public func checkLabels(_ labels: [Int]?, rows: Int) throws {
    guard let classes else {
      if labels != nil {
        throw GenerativeKitError.invalidArgument("\(description): labels given to an unconditional network")
      }
      return
    }
    guard let labels, labels.count == rows else {
      throw GenerativeKitError.invalidArgument(
        "Conditional(\(classes) classes): needs one label per input row, got \(labels.map { "\($0.count)" } ?? "none") for \(rows) rows")
    }
    if let wrong = labels.first(where: { !(0..<classes).contains($0) }) {
      throw GenerativeKitError.invalidArgument("Conditional(\(classes) classes): label \(wrong) is not one of the \(classes) classes")
    }
  }

  /// `body`'s output for the input with `labels` joined (one per row; nil for an unconditional
  /// network).
  public func forward(_ input: Tensor, labels: [Int]?) throws -> Tensor {
    try body.forward(join(input, labels: labels))
  }

  /// Back-propagates through `body` and returns the gradient of the input without the label
  /// columns or planes.
  public func backward(_ outputGradient: Tensor) throws -> Tensor {
    let joinedGradient = try body.backward(outputGradient)
    guard let classes else { return joinedGradient }
    return try joinedGradient.split(sizes: [joinedGradient.shape[1] - classes, classes], axis: 1)[0]
  }

  /// Back-propagates into `body`'s parameter gradients only.
  public func backwardParametersOnly(_ outputGradient: Tensor) throws {
    try body.backwardParametersOnly(outputGradient)
  }
}
