/// A network that also sees a class label: the label is joined to the input as one-hot columns
/// (`[N, F]` -> `[N, F + classes]`: a generator's noise, a decoder's latent code) or as label planes
/// (`[N, C, H, W]` -> `[N, C + classes, H, W]`: a discriminator's or encoder's images), and the
/// joined tensor goes through `body`.
///
/// ```swift
/// let decoder = Conditional(classes: 10, body: Sequential {
///   Dense(inFeatures: 16 + 10, outFeatures: 64 * 7 * 7)   // latent code + one-hot label
///   ...
/// })
/// decoder.labels = batchLabels
/// let logits = try decoder.forward(codes)
/// ```
///
/// Set ``labels`` before each ``forward(_:)``: one per row of the input. ``backward(_:)`` returns
/// the gradient of the input alone; the label columns are data, their gradient stops here.
///
/// Why one-hot rather than a learned embedding: the first layer of `body` multiplies the one-hot
/// columns by its own weight columns, so `W [x; onehot(y)] = W_x x + W_y[:, y]`: a learned
/// per-class vector (an embedding of size the layer's width) added to the first layer's output,
/// trained with it. A separate `Embedding` layer would add a second, redundant matrix.
///
/// Parameters are `body`'s, under the same names, so a conditional model's checkpoint names read
/// like its unconditional twin's.
public final class Conditional: Layer {
  /// The network the joined input goes through.
  public let body: any Layer
  /// The number of classes; labels are in `0..<classes`.
  public let classes: Int
  /// The labels of the next forward pass, one per input row.
  public var labels: [Int] = []
  private var inputWidth: Int?

  /// - Parameters:
  ///   - classes: how many classes the labels come from (at least 1).
  ///   - body: takes the input with `classes` columns (rank 2) or channels (rank 4) appended.
  public init(classes: Int, body: any Layer) {
    enforce(classes >= 1, "Conditional: classes must be at least 1, got \(classes)")
    self.classes = classes
    self.body = body
  }

  public var description: String { "Conditional(\(classes) classes, \(body))" }

  public var isTraining: Bool {
    get { body.isTraining }
    set { body.isTraining = newValue }
  }

  public var namedParameters: [NamedParameter] { body.namedParameters }

  /// The shape `body` receives for an input shape: the label columns or planes appended.
  public func joinedShape(forInputShape shape: [Int]) throws -> [Int] {
    guard shape.count == 2 || shape.count == 4 else {
      throw GenerativeKitError.shapeMismatch(
        context: description, expected: "[N, F] (one-hot columns) or [N, C, H, W] (label planes)", actual: shape)
    }
    var joined = shape
    joined[1] += classes
    return joined
  }

  public func outputShape(forInputShape shape: [Int]) throws -> [Int] {
    try body.outputShape(forInputShape: joinedShape(forInputShape: shape))
  }

  /// The input with the labels joined: `[N, F + classes]` or `[N, C + classes, H, W]`.
  public func join(_ input: Tensor) throws -> Tensor {
    _ = try joinedShape(forInputShape: input.shape)
    guard labels.count == input.shape[0] else {
      throw GenerativeKitError.invalidArgument(
        "\(description): \(labels.count) labels for an input of \(input.shape[0]) rows \(input.shapeDescription)")
    }
    let encoded = input.rank == 2
      ? try Tensor.oneHot(labels, classes: classes)
      : try Tensor.labelPlanes(labels, classes: classes, height: input.shape[2], width: input.shape[3])
    return try Tensor.concatenate([input, encoded], axis: 1)
  }

  public func forward(_ input: Tensor) throws -> Tensor {
    let joined = try join(input)
    inputWidth = input.shape[1]
    return try body.forward(joined)
  }

  public func backward(_ outputGradient: Tensor) throws -> Tensor {
    guard let inputWidth else { throw GenerativeKitError.backwardBeforeForward(layer: description) }
    let joinedGradient = try body.backward(outputGradient)
    return try joinedGradient.split(sizes: [inputWidth, classes], axis: 1)[0]
  }

  public func backwardParametersOnly(_ outputGradient: Tensor) throws {
    try body.backwardParametersOnly(outputGradient)
  }

  public func releaseBackwardState() {
    body.releaseBackwardState()
  }
}
