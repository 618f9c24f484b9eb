import GenerativeKit

/// A Laplacian pyramid of a batch of images (Burt & Adelson 1983), as Karras et al. 2018 build it
/// for the sliced Wasserstein distance.
///
/// Level 0 has the input's size, each further level half the size (rounded up). Every level but
/// the last is a band-pass image `G_l - up(G_{l+1})`; the last is the low-pass `G_L` itself.
/// `down` blurs with the separable 5-tap binomial filter `[1, 4, 6, 4, 1] / 16` and keeps every
/// second pixel (even indices); `up` puts the pixels at the even positions of a zero image of the
/// finer size and blurs with 4 times the same 2-D filter. Borders are mirrored without repeating
/// the edge pixel (`d c b | a b c d | c b a`, scipy's `mode='mirror'`), as in Karras et al.'s code.
/// Odd sizes are allowed: a 28 x 20 image gives 14 x 10, then 7 x 5.
enum LaplacianPyramid {
  /// The pyramid of `images` `[N, C, H, W]` with `levels` levels (at least 1).
  static func build(_ images: Tensor, levels: Int) -> [Tensor] {
    enforce(images.rank == 4 && levels >= 1, "LaplacianPyramid: needs [N, C, H, W] and levels >= 1")
    var pyramid = [images]
    for _ in 1..<levels {
      let fine = pyramid[pyramid.count - 1]
      let coarse = down(fine)
      pyramid[pyramid.count - 1] = fine - up(coarse, height: fine.shape[2], width: fine.shape[3])
      pyramid.append(coarse)
    }
    return pyramid
  }

  /// The binomial filter taps.
  static let taps: [Double] = [1, 4, 6, 4, 1]

  /// scipy's `mirror` boundary: the index reflected about the edge pixels into `0..<n`.
  @inline(__always)
  static func mirror(_ index: Int, _ n: Int) -> Int {
    if n == 1 { return 0 }
    let period = 2 * (n - 1)
    var i = abs(index) % period
    if i >= n { i = period - i }
    return i
  }

  /// Blurs with the 5 x 5 binomial filter (times `gain`) and keeps pixels at (stride * i, stride * j).
  static func blur(_ images: Tensor, stride: Int, gain: Double) -> Tensor {
    let (n, c, h, w) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
    let (oh, ow) = ((h + stride - 1) / stride, (w + stride - 1) / stride)
    let output = Tensor(uninitializedShape: [n, c, oh, ow])
    let (x, y) = (images.pointer, output.storage.pointer)
    let taps = Self.taps
    Threading.parallelRanges(n * c, costPerItem: h * w * 10) { planes in
      // Horizontal pass at the kept columns, then vertical at the kept rows.
      var rows = [Double](repeating: 0, count: h * ow)
      for plane in planes {
        let source = x + plane * h * w
        for r in 0..<h {
          for oc in 0..<ow {
            var sum = 0.0
            for t in 0..<5 { sum += taps[t] * Double(source[r * w + mirror(oc * stride + t - 2, w)]) }
            rows[r * ow + oc] = sum
          }
        }
        let target = y + plane * oh * ow
        for orow in 0..<oh {
          for oc in 0..<ow {
            var sum = 0.0
            for t in 0..<5 { sum += taps[t] * rows[mirror(orow * stride + t - 2, h) * ow + oc] }
            target[orow * ow + oc] = Float(sum * gain / 256)
          }
        }
      }
    }
    return output
  }

  /// One level down: `[N, C, H, W]` -> `[N, C, ceil(H / 2), ceil(W / 2)]`.
  static func down(_ images: Tensor) -> Tensor { blur(images, stride: 2, gain: 1) }

  /// One level up to `height x width`: zeros with the coarse pixels at even positions, blurred with
  /// 4 times the filter (which keeps the mean brightness).
  static func up(_ images: Tensor, height: Int, width: Int) -> Tensor {
    let (n, c, h, w) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
    enforce((height + 1) / 2 == h && (width + 1) / 2 == w,
                 "LaplacianPyramid.up: \(images.shapeDescription) is not the half of \(height) x \(width)")
    var spread = Tensor(shape: [n, c, height, width])
    let (x, y) = (images.pointer, spread.mutablePointer())
    for plane in 0..<(n * c) {
      for r in 0..<h {
        for col in 0..<w { y[(plane * height + 2 * r) * width + 2 * col] = x[(plane * h + r) * w + col] }
      }
    }
    return blur(spread, stride: 1, gain: 4)
  }
}
