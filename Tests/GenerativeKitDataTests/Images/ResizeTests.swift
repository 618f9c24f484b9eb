import Testing

@testable import GenerativeKit
@testable import GenerativeKitData

@Suite("Crop and resize")
struct ResizeTests {
  /// A gray image whose pixel at (x, y) is `value(x, y)`.
  static func gray(_ width: Int, _ height: Int, _ value: (Int, Int) -> Int) -> PixelImage {
    var pixels = [UInt8]()
    for y in 0..<height { for x in 0..<width { pixels.append(UInt8(value(x, y))) } }
    return PixelImage(width: width, height: height, color: .gray, pixels: pixels)
  }

  /// Area averaging computed the slow, obvious way: integrate the source over each output
  /// pixel's rectangle in Double.
  static func referenceResize(_ image: PixelImage, width: Int, height: Int) -> PixelImage {
    let sx = Double(image.width) / Double(width)
    let sy = Double(image.height) / Double(height)
    var pixels = [UInt8]()
    for y in 0..<height {
      for x in 0..<width {
        for c in 0..<image.channelCount {
          var sum = 0.0
          for j in 0..<image.height {
            let overlapY = min(Double(y + 1) * sy, Double(j + 1)) - max(Double(y) * sy, Double(j))
            if overlapY <= 0 { continue }
            for i in 0..<image.width {
              let overlapX = min(Double(x + 1) * sx, Double(i + 1)) - max(Double(x) * sx, Double(i))
              if overlapX > 0 { sum += overlapX * overlapY * Double(image[i, j, c]) }
            }
          }
          pixels.append(UInt8((sum / (sx * sy)).rounded()))
        }
      }
    }
    return PixelImage(width: width, height: height, color: image.color, pixels: pixels)
  }

  @Test("centre crop of landscape, portrait and square images")
  func centerCrop() {
    let landscape = Self.gray(5, 3) { x, y in 10 * y + x }
    let square = landscape.centerCroppedToSquare()
    #expect(square.width == 3 && square.height == 3)
    #expect(square.pixels == [1, 2, 3, 11, 12, 13, 21, 22, 23])

    let portrait = Self.gray(2, 5) { x, y in 10 * y + x }.centerCroppedToSquare()
    #expect(portrait.pixels == [10, 11, 20, 21])  // surplus 3 rows: 1 above, 2 below

    let even = Self.gray(6, 2) { x, _ in x }.centerCroppedToSquare()
    #expect(even.pixels == [2, 3, 2, 3])
    #expect(square.centerCroppedToSquare() == square)
  }

  @Test("shrinking by an integer factor averages blocks")
  func blockAverage() {
    let image = Self.gray(4, 4) { x, y in
      [[0, 0, 10, 20], [0, 0, 30, 40], [255, 255, 1, 2], [255, 254, 3, 4]][y][x]
    }
    let half = image.resized(width: 2, height: 2)
    #expect(half.pixels == [0, 25, 255, 3])  // 254.75 -> 255, 2.5 -> 3 (halves round up)
  }

  @Test("fractional shrink weights the straddled pixels: 3 -> 2 is (2a + b) / 3, (b + 2c) / 3")
  func fractionalShrink() {
    let row = Self.gray(3, 1) { x, _ in [30, 60, 90][x] }
    #expect(row.resized(width: 2, height: 1).pixels == [40, 80])
    let column = Self.gray(1, 3) { _, y in [0, 90, 255][y] }
    #expect(column.resized(width: 1, height: 2).pixels == [30, 200])
  }

  @Test("enlarging by an integer factor repeats pixels")
  func enlarge() {
    let image = Self.gray(2, 2) { x, y in 100 * y + 10 * x + 5 }
    let big = image.resized(width: 4, height: 6)
    #expect(
      big.pixels == [
        5, 5, 15, 15, 5, 5, 15, 15, 5, 5, 15, 15, 105, 105, 115, 115, 105, 105, 115, 115, 105, 105, 115, 115,
      ])
  }

  @Test("matches a direct integration for awkward sizes, gray and RGB")
  func matchesReference() {
    let cases: [(Int, Int, Int, Int)] = [(7, 5, 3, 2), (28, 28, 13, 13), (9, 4, 5, 7), (1, 1, 3, 2), (10, 3, 10, 1)]
    for (index, (w, h, nw, nh)) in cases.enumerated() {
      for color in [ColorMode.gray, .rgb] {
        let image = ImageTestSupport.randomImage(width: w, height: h, color: color, seed: UInt64(index))
        let fast = image.resized(width: nw, height: nh)
        let slow = Self.referenceResize(image, width: nw, height: nh)
        let worst = zip(fast.pixels, slow.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
        #expect(worst <= 1, "\(w)x\(h) -> \(nw)x\(nh) \(color): off by \(worst)")  // rounding ties only
      }
    }
  }

  @Test("a uniform image stays uniform at any size; same size is the identity")
  func uniformAndIdentity() {
    let flat = PixelImage(width: 13, height: 7, color: .rgb, fill: PixelColor(red: 9, green: 99, blue: 199))
    #expect(
      flat.resized(width: 5, height: 11)
        == PixelImage(width: 5, height: 11, color: .rgb, fill: PixelColor(red: 9, green: 99, blue: 199)))
    let random = ImageTestSupport.randomImage(width: 6, height: 4, color: .gray, seed: 3)
    #expect(random.resized(width: 6, height: 4) == random)
  }

  @Test("colour conversion: Rec. 601 luma, gray repeated into RGB")
  func colorConversion() {
    let rgb = PixelImage(width: 3, height: 1, color: .rgb, pixels: [255, 0, 0, 0, 255, 0, 10, 20, 30])
    #expect(rgb.converted(to: .gray).pixels == [76, 150, 18])
    let gray = PixelImage(width: 2, height: 1, color: .gray, pixels: [7, 200])
    #expect(gray.converted(to: .rgb).pixels == [7, 7, 7, 200, 200, 200])
    #expect(gray.converted(to: .rgb).converted(to: .gray) == gray)
  }

  @Test("AreaWeights: integer overlaps that sum to the source size")
  func weights() {
    let weights = AreaWeights(source: 3, target: 2)
    #expect(weights.terms.map { $0.map(\.index) } == [[0, 1], [1, 2]])
    #expect(weights.terms.map { $0.map(\.weight) } == [[2, 1], [1, 2]])
    for (source, target) in [(28, 13), (5, 17), (100, 64)] {
      let terms = AreaWeights(source: source, target: target).terms
      #expect(terms.allSatisfy { $0.reduce(0) { $0 + $1.weight } == Float(source) }, "\(source) -> \(target)")
    }
  }
}
