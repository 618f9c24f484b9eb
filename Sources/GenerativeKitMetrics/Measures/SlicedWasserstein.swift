import GenerativeKit

/// The settings of the sliced Wasserstein distance between Laplacian-pyramid patch distributions.
///
/// The defaults are Karras et al. 2018's (ProGAN, appendix D and `metrics/sliced_wasserstein.py`):
/// 7 x 7 patches, 128 per image and level, pyramid levels down to 16 pixels, 4 repeats of 128
/// random directions. They compared 16,384 images per set; a few hundred faces work for
/// Olivetti-sized sets but the figure is noisier.
public struct SlicedWassersteinSettings: Sendable, Equatable {
  /// The side of the square patches (descriptors have `C * patchSize^2` entries).
  public var patchSize: Int = 7
  /// Patches drawn per image and pyramid level.
  public var patchesPerImage: Int = 128
  /// Pyramid levels are kept while both sides are at least this (at least one level is always
  /// used): 64 x 64 gives 64, 32 and 16; 28 x 28 only the image itself (use 8 for 28 and 14).
  public var minimumResolution: Int = 16
  /// Independent sets of random directions.
  public var projectionRepeats: Int = 4
  /// Random unit directions per set.
  public var projectionsPerRepeat: Int = 128
  /// Seeds the patch positions and the directions.
  public var seed: UInt64 = 0

  public init(
    patchSize: Int = 7, patchesPerImage: Int = 128, minimumResolution: Int = 16,
    projectionRepeats: Int = 4, projectionsPerRepeat: Int = 128, seed: UInt64 = 0
  ) {
    self.patchSize = patchSize
    self.patchesPerImage = patchesPerImage
    self.minimumResolution = minimumResolution
    self.projectionRepeats = projectionRepeats
    self.projectionsPerRepeat = projectionsPerRepeat
    self.seed = seed
  }

  /// The image sizes of the pyramid levels used for `height x width` images, finest first.
  public func levelSizes(height: Int, width: Int) -> [(height: Int, width: Int)] {
    var sizes = [(height, width)]
    var (h, w) = ((height + 1) / 2, (width + 1) / 2)
    while min(h, w) >= max(minimumResolution, patchSize) {
      sizes.append((h, w))
      (h, w) = ((h + 1) / 2, (w + 1) / 2)
    }
    return sizes.map { (height: $0.0, width: $0.1) }
  }
}

/// The sliced Wasserstein distance per pyramid level, and their mean.
public struct SlicedWassersteinDistance: Sendable, Equatable {
  /// One pyramid level's image size and distance.
  public struct Level: Sendable, Equatable {
    public var height: Int
    public var width: Int
    /// The distance between the normalised patch distributions. Karras et al. print it times 1,000.
    public var distance: Double
  }

  /// The levels, finest (full resolution) first.
  public var levels: [Level]
  /// The mean distance over the levels (Karras et al.'s "SWD avg").
  public var mean: Double { levels.map(\.distance).reduce(0, +) / Double(max(levels.count, 1)) }
}

/// The sliced Wasserstein distance between the patch distributions of two image sets (Karras et
/// al. 2018, "Progressive Growing of GANs", section 5 and appendix D), for the faces experiments.
///
/// For each level of a `LaplacianPyramid` of each set:
/// 1. `patchesPerImage` patches of `patchSize x patchSize` pixels (all channels) are cut at random
///    positions. Image `i` of both sets gets the same positions (common random numbers), so equal
///    sets give exactly 0.
/// 2. Descriptors are normalised per set and per channel by the mean and standard deviation over
///    all patches and pixels of the level (a channel with zero spread is only centred).
/// 3. For every repeat, `projectionsPerRepeat` random unit directions (shared by both sets) project
///    the descriptors to 1-D; the 1-D Wasserstein-1 distance between the two sorted projections
///    (exactly, from the quantile functions, so the sets may differ in size) is averaged over
///    directions and repeats.
///
/// - Parameters:
///   - first: `[N, C, H, W]`, e.g. real faces.
///   - second: `[M, C, H, W]`, same C, H, W, e.g. generated faces, in the same pixel range.
///   - settings: patch size and count, the coarsest pyramid level, the random directions and their seed.
/// - Throws: `GenerativeKitError/invalidArgument(_:)` if the image shapes differ, are smaller
///   than a patch, or a setting is out of range.
public func slicedWassersteinDistance(
  _ first: Tensor, _ second: Tensor, settings: SlicedWassersteinSettings = SlicedWassersteinSettings()
) throws -> SlicedWassersteinDistance {
  let function = "slicedWassersteinDistance"
  guard first.rank == 4, second.rank == 4, first.shape.dropFirst() == second.shape.dropFirst(),
        first.shape[0] > 0, second.shape[0] > 0
  else {
    throw GenerativeKitError.invalidArgument(
      "\(function): sets \(first.shapeDescription) and \(second.shapeDescription) must be non-empty "
        + "[N, C, H, W] and [M, C, H, W] with the same C, H, W")
  }
  let (height, width) = (first.shape[2], first.shape[3])
  guard settings.patchSize >= 1, settings.patchesPerImage >= 1, settings.projectionRepeats >= 1,
        settings.projectionsPerRepeat >= 1
  else {
    throw GenerativeKitError.invalidArgument("\(function): every setting must be positive, got \(settings)")
  }
  guard min(height, width) >= settings.patchSize else {
    throw GenerativeKitError.invalidArgument(
      "\(function): images \(first.shapeDescription) are smaller than a \(settings.patchSize) x \(settings.patchSize) patch")
  }
  let sizes = settings.levelSizes(height: height, width: width)
  let firstPyramid = LaplacianPyramid.build(first, levels: sizes.count)
  let secondPyramid = LaplacianPyramid.build(second, levels: sizes.count)
  var seeds = SeededGenerator(seed: settings.seed)
  var levels: [SlicedWassersteinDistance.Level] = []
  for (level, size) in sizes.enumerated() {
    let positionSeed = seeds.next()
    var directionGenerator = seeds.split()
    let a = patchDescriptors(firstPyramid[level], settings: settings, seed: positionSeed)
    let b = patchDescriptors(secondPyramid[level], settings: settings, seed: positionSeed)
    var total = 0.0
    for _ in 0..<settings.projectionRepeats {
      let directions = randomUnitDirections(
        count: settings.projectionsPerRepeat, dimension: a.shape[1], using: &directionGenerator)
      total += meanProjectedWasserstein(a, b, directions: directions)
    }
    levels.append(.init(height: size.height, width: size.width, distance: total / Double(settings.projectionRepeats)))
  }
  return SlicedWassersteinDistance(levels: levels)
}

/// Random patches of one pyramid level `[N, C, h, w]` as normalised descriptors `[N * P, C * p * p]`.
func patchDescriptors(_ level: Tensor, settings: SlicedWassersteinSettings, seed: UInt64) -> Tensor {
  let (n, c, h, w) = (level.shape[0], level.shape[1], level.shape[2], level.shape[3])
  let (p, perImage) = (settings.patchSize, settings.patchesPerImage)
  let width = c * p * p
  var descriptors = Tensor(shape: [n * perImage, width])
  var generator = SeededGenerator(seed: seed)
  let (x, d) = (level.pointer, descriptors.mutablePointer())
  for image in 0..<n {
    for patch in 0..<perImage {
      let top = Int(generator.next() % UInt64(h - p + 1))
      let left = Int(generator.next() % UInt64(w - p + 1))
      var target = d + (image * perImage + patch) * width
      for channel in 0..<c {
        for row in 0..<p {
          target.update(from: x + ((image * c + channel) * h + top + row) * w + left, count: p)
          target += p
        }
      }
    }
  }
  // Per channel: subtract the mean and divide by the standard deviation over all patches and pixels.
  let rows = n * perImage
  let area = p * p
  for channel in 0..<c {
    var sum = 0.0, squares = 0.0
    for row in 0..<rows {
      let base = d + row * width + channel * area
      for t in 0..<area {
        sum += Double(base[t])
        squares += Double(base[t]) * Double(base[t])
      }
    }
    let count = Double(rows * area)
    let mean = sum / count
    let deviation = max(squares / count - mean * mean, 0).squareRoot()
    let scale = deviation > 1e-12 ? 1 / deviation : 1
    for row in 0..<rows {
      let base = d + row * width + channel * area
      for t in 0..<area { base[t] = Float((Double(base[t]) - mean) * scale) }
    }
  }
  return descriptors
}

/// `[count, dimension]`: rows drawn from N(0, I) and scaled to unit length.
func randomUnitDirections(count: Int, dimension: Int, using generator: inout SeededGenerator) -> Tensor {
  var directions = Tensor.randomNormal(shape: [count, dimension], using: &generator)
  directions.withUnsafeMutableBufferPointer { v in
    for row in 0..<count {
      var norm = 0.0
      for j in 0..<dimension { norm += Double(v[row * dimension + j] * v[row * dimension + j]) }
      let scale = Float(1 / max(norm.squareRoot(), 1e-30))
      for j in 0..<dimension { v[row * dimension + j] *= scale }
    }
  }
  return directions
}

/// The mean over directions of the 1-D Wasserstein-1 distance between the projections of `a`
/// `[Na, D]` and `b` `[Nb, D]` onto each row of `directions` `[P, D]`.
func meanProjectedWasserstein(_ a: Tensor, _ b: Tensor, directions: Tensor) -> Double {
  // [P, Na] and [P, Nb]: one contiguous row of projections per direction.
  let projectedA = Tensor.matmul(directions, a, transposeB: true)
  let projectedB = Tensor.matmul(directions, b, transposeB: true)
  let (count, na, nb) = (directions.shape[0], a.shape[0], b.shape[0])
  var distances = [Double](repeating: 0, count: count)
  distances.withUnsafeMutableBufferPointer { out in
    let target = out.baseAddress!
    Threading.parallelRanges(count, costPerItem: (na + nb) * 20) { part in
      for direction in part {
        let sortedA = radixSorted(UnsafeBufferPointer(start: projectedA.pointer + direction * na, count: na))
        let sortedB = radixSorted(UnsafeBufferPointer(start: projectedB.pointer + direction * nb, count: nb))
        target[direction] = wasserstein1(sorted: sortedA, sorted: sortedB)
      }
    }
  }
  return distances.reduce(0, +) / Double(count)
}

/// The Wasserstein-1 distance between two empirical 1-D distributions given sorted, as the integral
/// of `|F^-1(t) - G^-1(t)|` over `t` in [0, 1]; for equal sizes the mean of `|a_i - b_i|`.
func wasserstein1(sorted a: [Float], sorted b: [Float]) -> Double {
  let (n, m) = (a.count, b.count)
  guard n > 0, m > 0 else { return 0 }
  // Quantile breakpoints i / n and j / m, compared on the common denominator n * m.
  var (i, j, position) = (0, 0, 0)
  var total = 0.0
  while i < n && j < m {
    let next = min((i + 1) * m, (j + 1) * n)
    total += Double(next - position) * abs(Double(a[i]) - Double(b[j]))
    position = next
    if (i + 1) * m == next { i += 1 }
    if (j + 1) * n == next { j += 1 }
  }
  return total / Double(n * m)
}

/// The values in ascending order, by a least-significant-digit radix sort on the floats' bit
/// patterns (four passes of 8 bits): linear time, and fast without generic specialisation.
/// NaNs are not expected.
func radixSorted(_ values: UnsafeBufferPointer<Float>) -> [Float] {
  let n = values.count
  guard n > 1 else { return Array(values) }
  let keys = UnsafeMutablePointer<UInt32>.allocate(capacity: 2 * n)
  defer { keys.deallocate() }
  var (source, target) = (keys, keys + n)
  // Order-preserving keys: flip every bit of negatives, only the sign bit of the rest.
  for i in 0..<n {
    let bits = values[i].bitPattern
    source[i] = bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
  }
  let counts = UnsafeMutablePointer<Int>.allocate(capacity: 256)
  defer { counts.deallocate() }
  var shift: UInt32 = 0
  while shift < 32 {
    counts.initialize(repeating: 0, count: 256)
    for i in 0..<n { counts[Int((source[i] >> shift) & 0xFF)] += 1 }
    var total = 0
    for bucket in 0..<256 {
      let c = counts[bucket]
      counts[bucket] = total
      total += c
    }
    for i in 0..<n {
      let bucket = Int((source[i] >> shift) & 0xFF)
      target[counts[bucket]] = source[i]
      counts[bucket] += 1
    }
    swap(&source, &target)
    shift += 8
  }
  return [Float](unsafeUninitializedCapacity: n) { buffer, count in
    for i in 0..<n {
      let key = source[i]
      buffer[i] = Float(bitPattern: key & 0x8000_0000 != 0 ? key & 0x7FFF_FFFF : ~key)
    }
    count = n
  }
}
