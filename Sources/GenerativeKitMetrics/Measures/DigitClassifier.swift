import GenerativeKit
import GenerativeKitData

/// A LeNet-style MNIST classifier whose penultimate layer provides the feature space of the digit
/// metrics (classifier FID, precision and recall) and whose softmax gives the Inception Score and
/// the class histogram. MNIST has no Inception network of its own; this small CNN plays its part.
///
/// The network (PyTorch-style padding and names, so a checkpoint loads into the equivalent
/// `nn.Sequential`; batch norm has PyTorch's defaults, `BatchNorm.pytorch`: momentum 0.1 in
/// PyTorch's meaning, epsilon 1e-5, unbiased running variance):
///
/// | index | layer | output |
/// |---|---|---|
/// | 0, 1, 2 | Conv(1 -> 32, k3, s1, pad 1, no bias), BatchNorm, ReLU | 32 x 28 x 28 |
/// | 3, 4, 5 | Conv(32 -> 64, k3, s2, pad 1, no bias), BatchNorm, ReLU | 64 x 14 x 14 |
/// | 6, 7, 8 | Conv(64 -> 64, k3, s2, pad 1, no bias), BatchNorm, ReLU | 64 x 7 x 7 |
/// | 9 | Flatten | 3136 |
/// | 10 | Dense(3136 -> 128): the **features** | 128 |
/// | 11, 12 | ReLU, Dropout(0.5) | 128 |
/// | 13 | Dense(128 -> 10): logits | 10 |
///
/// Images are `[N, 1, 28, 28]` with pixels in [0, 1] (`PixelRange/unit`); convert a GAN's
/// [-1, 1] samples with `(x + 1) / 2` first. The features are the pre-activation outputs of layer 10,
/// which are dense and closer to Gaussian than the ReLU outputs that follow.
///
/// ```swift
/// let classifier = try DigitClassifier(contentsOf: URL(fileURLWithPath: "output/classifier/classifier.safetensors"))
/// let real = try classifier.features(mnistTest.images)        // [10000, 128]
/// let fake = try classifier.features(samples)                 // [N, 128]
/// let fid = try frechetDistance(real, fake)
/// let score = try inceptionScore(probabilities: classifier.probabilities(samples))
/// ```
public final class DigitClassifier: Model {
  /// The metadata value of `"model"` in the classifier's checkpoints.
  public static let modelIdentifier = "GenerativeKit.DigitClassifier"
  /// The metadata value of `"format"`; bumped if the architecture changes.
  public static let formatVersion = "1"

  /// The layers, in the order of the table above.
  public let network: Sequential
  /// `[1, 28, 28]`.
  public let imageShape = [1, 28, 28]
  /// 10 digits.
  public let classCount = 10
  /// The width of ``features(_:batchSize:)``: 128.
  public let featureCount = 128
  /// The index of the layer whose output is the feature vector.
  let featureLayer = 10

  public var isTraining: Bool {
    get { network.isTraining }
    set { network.isTraining = newValue }
  }

  /// The network's layers, named by their index as in ``network``, so parameter names read `0.weight`.
  public var children: [(name: String, module: any Module)] { network.children }

  /// A freshly initialised classifier (Glorot-uniform weights, zero biases), in training mode.
  ///
  /// - Parameter seed: seeds the weights and the dropout masks; without one they come from `GlobalRandom`.
  public init(seed: UInt64? = nil) {
    var seeds = SeedSequence(seed)
    network = Sequential {
      Conv2D(inChannels: 1, outChannels: 32, kernelSize: 3, stride: 1, padding: .same, bias: false, seed: seeds.next())
      BatchNorm.pytorch(features: 32)
      ReLU()
      Conv2D(inChannels: 32, outChannels: 64, kernelSize: 3, stride: 2, padding: .same, bias: false, seed: seeds.next())
      BatchNorm.pytorch(features: 64)
      ReLU()
      Conv2D(inChannels: 64, outChannels: 64, kernelSize: 3, stride: 2, padding: .same, bias: false, seed: seeds.next())
      BatchNorm.pytorch(features: 64)
      ReLU()
      Flatten()
      Dense(inFeatures: 64 * 7 * 7, outFeatures: 128, seed: seeds.next())
      ReLU()
      Dropout(rate: 0.5, seed: seeds.next())
      Dense(inFeatures: 128, outFeatures: 10, seed: seeds.next())
    }
  }

  // MARK: - Inference

  /// Class logits `[N, 10]` for images `[N, 1, 28, 28]`, in inference mode, `batchSize` images at a time.
  ///
  /// - Throws: `GenerativeKitError/shapeMismatch(context:expected:actual:)` for other image shapes.
  public func logits(_ images: Tensor, batchSize: Int = 500) throws -> Tensor {
    try run(images, through: network.layers.count - 1, batchSize: batchSize, function: "logits")
  }

  /// Class probabilities `[N, 10]` (softmax of the logits), rows summing to 1, in inference mode.
  public func probabilities(_ images: Tensor, batchSize: Int = 500) throws -> Tensor {
    try softmax(logits: logits(images, batchSize: batchSize))
  }

  /// The predicted digit of every image.
  public func predictions(_ images: Tensor, batchSize: Int = 500) throws -> [Int] {
    argmaxRows(try logits(images, batchSize: batchSize))
  }

  /// Penultimate-layer features `[N, 128]` (see the type's description), in inference mode,
  /// `batchSize` images at a time so that 10,000 images need only one batch's activations.
  public func features(_ images: Tensor, batchSize: Int = 500) throws -> Tensor {
    try run(images, through: featureLayer, batchSize: batchSize, function: "features")
  }

  /// The fraction of `images` whose predicted digit equals `labels`.
  ///
  /// - Throws: `GenerativeKitError/invalidArgument(_:)` if the label count differs from the image count.
  public func accuracy(images: Tensor, labels: [Int], batchSize: Int = 500) throws -> Double {
    guard images.rank >= 1, labels.count == images.shape[0] else {
      throw GenerativeKitError.invalidArgument(
        "DigitClassifier.accuracy: \(labels.count) labels for images \(images.shapeDescription)")
    }
    let predicted = try predictions(images, batchSize: batchSize)
    return Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(max(labels.count, 1))
  }

  /// The accuracy on a labelled data set (MNIST test: `ImageDataSet.load(.mnist, split: .test)`).
  public func accuracy(on dataSet: ImageDataSet, batchSize: Int = 500) throws -> Double {
    guard let labels = dataSet.labels else {
      throw GenerativeKitError.invalidArgument("DigitClassifier.accuracy: data set \(dataSet.name) has no labels")
    }
    guard dataSet.pixelRange == .unit else {
      throw GenerativeKitError.invalidArgument(
        "DigitClassifier.accuracy: data set \(dataSet.name) is scaled to \(dataSet.pixelRange); load it with pixelRange: .unit")
    }
    return try accuracy(images: dataSet.images, labels: labels, batchSize: batchSize)
  }

  /// The output of layer `last` for every image, in inference mode, a batch at a time.
  private func run(_ images: Tensor, through last: Int, batchSize: Int, function: String) throws -> Tensor {
    try Tensor.check(shape: images.shape, matches: [nil] + imageShape, context: "DigitClassifier.\(function): images")
    guard batchSize >= 1 else {
      throw GenerativeKitError.invalidArgument("DigitClassifier.\(function): batchSize must be at least 1, got \(batchSize)")
    }
    let wasTraining = isTraining
    defer { isTraining = wasTraining }
    isTraining = false
    let count = images.shape[0]
    let width = last == featureLayer ? featureCount : classCount
    var output = Tensor(shape: [count, width])
    let target = output.mutablePointer()
    var start = 0
    while start < count {
      let end = min(count, start + batchSize)
      var x = images.slice(batch: start..<end)
      for layer in network.layers[0...last] { x = try layer.forward(x) }
      (target + start * width).update(from: x.pointer, count: x.count)
      start = end
    }
    return output
  }
}
