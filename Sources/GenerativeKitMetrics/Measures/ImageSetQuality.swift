import GenerativeKit

/// How samples of a model trained on a small image set without labels (faces) compare with that
/// set: patch statistics (sliced Wasserstein distance) against a floor of the set's own halves,
/// and each of a few samples beside its nearest training image, the check for copies.
///
/// The set is split into alternate images, not its two halves: a video's halves (Frey faces)
/// differ in expression, and photos that come ten per person (Olivetti) keep every person in both
/// alternate halves. The even-numbered images are compared with the odd-numbered ones (the floor)
/// and with as many samples: sliced Wasserstein estimates fall as the sets grow, so the floor and
/// the model must be measured at equal sizes.
public struct ImageSetQuality: Sendable {
  /// The even-numbered images against the first `comparedCount` samples.
  public var slicedWasserstein: SlicedWassersteinDistance
  /// The even-numbered images against the odd-numbered ones.
  public var floor: SlicedWassersteinDistance
  /// Images on each side of both distances: the number of odd-numbered images.
  public var comparedCount: Int
  /// The nearest training image of each of the first `panelCount` samples.
  public var neighbors: NearestNeighbors
  /// The mean L2 distance of the first `panelCount` training images to their nearest other
  /// image (the rest of the set): the distance a model's samples would have if they were as far
  /// from the set as its own images are; near 0 would mean copies.
  public var realNearestDistance: Double
  /// Each panel sample beside its nearest training image, `[2 * panelCount, C, H, W]`, for an
  /// `ImageGrid` of two columns.
  public var panel: Tensor

  /// The mean L2 distance of the panel samples to their nearest training image.
  public var meanNearestDistance: Double {
    neighbors.distances.reduce(0, +) / Double(max(neighbors.distances.count, 1))
  }
}

/// Measures `samples` against the image set they were trained on.
///
/// - Parameters:
///   - samples: `[N, C, H, W]` with N at least the number of odd-numbered images (`M / 2`), in
///     the pixel range of `images`.
///   - images: the training set `[M, C, H, W]`, M at least `panelCount + 2`.
///   - panelCount: samples shown beside their nearest training image.
///   - settings: the sliced Wasserstein distance's patches, levels and seed.
/// - Throws: `GenerativeKitError/invalidArgument(_:)` naming what is missing when the shapes
///   differ or there are too few samples or images.
public func imageSetQuality(
  of samples: Tensor, against images: Tensor, panelCount: Int = 8, settings: SlicedWassersteinSettings
) throws -> ImageSetQuality {
  try imageSetQuality(of: [samples], against: images, panelCount: panelCount, settings: settings)[0]
}

/// Measures several models' samples against one image set (``imageSetQuality(of:against:panelCount:settings:)``
/// for each), computing the floor and the real images' nearest-neighbour distance once.
///
/// - Parameters:
///   - sampleSets: one `[N, C, H, W]` tensor per model, each with N at least `M / 2`.
///   - images: the training set `[M, C, H, W]`, M at least `panelCount + 2`.
///   - panelCount: samples shown beside their nearest training image.
///   - settings: the sliced Wasserstein distance's patches, levels and seed.
/// - Returns: one ``ImageSetQuality`` per sample set, in order.
/// - Throws: `GenerativeKitError/invalidArgument(_:)` naming what is missing when a shape
///   differs or there are too few samples or images.
public func imageSetQuality(
  of sampleSets: [Tensor], against images: Tensor, panelCount: Int = 8, settings: SlicedWassersteinSettings
) throws -> [ImageSetQuality] {
  let function = "imageSetQuality"
  for samples in sampleSets {
    guard samples.rank == 4, images.rank == 4, samples.shape.dropFirst() == images.shape.dropFirst() else {
      throw GenerativeKitError.invalidArgument(
        "\(function): samples \(samples.shapeDescription) and images \(images.shapeDescription) must be "
          + "[N, C, H, W] and [M, C, H, W] with the same image shape")
    }
  }
  let count = images.shape[0]
  guard panelCount >= 1, count >= panelCount + 2 else {
    throw GenerativeKitError.invalidArgument(
      "\(function): \(count) images are too few for a panel of \(panelCount) (needs at least \(panelCount + 2))")
  }
  let compared = count / 2
  for samples in sampleSets where samples.shape[0] < max(compared, panelCount) {
    throw GenerativeKitError.invalidArgument(
      "\(function): \(samples.shape[0]) samples; comparing with the \(count - compared) even-numbered of \(count) images "
        + "needs at least \(max(compared, panelCount))")
  }
  func alternate(from first: Int) -> Tensor {
    Tensor.concatenate(batches: stride(from: first, to: count, by: 2).map { images.slice(batch: $0..<($0 + 1)) })
  }
  let (even, odd) = (alternate(from: 0), alternate(from: 1))
  let floor = try slicedWassersteinDistance(even, odd, settings: settings)
  let real = try nearestNeighbors(of: images.slice(batch: 0..<panelCount), in: images.slice(batch: panelCount..<count))
  let realDistance = real.distances.reduce(0, +) / Double(panelCount)
  return try sampleSets.map { samples in
    let distance = try slicedWassersteinDistance(even, samples.slice(batch: 0..<compared), settings: settings)
    let shown = samples.slice(batch: 0..<panelCount)
    let neighbors = try nearestNeighbors(of: shown, in: images)
    let panel = try nearestNeighborPanel(samples: shown, training: images, neighbors: neighbors)
    return ImageSetQuality(
      slicedWasserstein: distance, floor: floor, comparedCount: compared, neighbors: neighbors,
      realNearestDistance: realDistance, panel: panel)
  }
}
