import CZlib
import Foundation

@testable import GenerativeKit
@testable import GenerativeKitData

/// Test-only image helpers: random images, and PNG files of any colour type and bit depth built
/// byte by byte (to feed the decoder files our writer never produces).
enum ImageTestSupport {
  /// An image of random bytes.
  static func randomImage(width: Int, height: Int, color: ColorMode, seed: UInt64) -> PixelImage {
    var generator = SeededGenerator(seed: seed)
    let pixels = (0..<(width * height * color.channelCount)).map { _ in UInt8.random(in: 0...255, using: &generator) }
    return PixelImage(width: width, height: height, color: color, pixels: pixels)
  }

  /// A smooth image (gradients), which survives JPEG compression with small errors.
  static func smoothImage(width: Int, height: Int, color: ColorMode) -> PixelImage {
    var pixels = [UInt8]()
    for y in 0..<height {
      for x in 0..<width {
        let r = UInt8(40 + 160 * x / max(1, width - 1))
        let g = UInt8(40 + 160 * y / max(1, height - 1))
        let b = UInt8(120)
        pixels += color == .rgb ? [r, g, b] : [UInt8((Int(r) + Int(g)) / 2)]
      }
    }
    return PixelImage(width: width, height: height, color: color, pixels: pixels)
  }

  /// A PNG file from raw (unfiltered) scanlines: each row is `rowBytes` of packed samples in the
  /// file's own format. Every row gets filter type 0. `extraChunks` go before IDAT (PLTE, tRNS).
  static func rawPNG(
    width: Int, height: Int, bitDepth: UInt8, colorType: UInt8, rows: [[UInt8]],
    extraChunks: [(String, [UInt8])] = []
  ) -> [UInt8] {
    var file: [UInt8] = PNG.signature
    var header = bigEndian(UInt32(width)) + bigEndian(UInt32(height))
    header += [bitDepth, colorType, 0, 0, 0]
    file += chunk("IHDR", header)
    for (type, data) in extraChunks { file += chunk(type, data) }
    var raw = [UInt8]()
    for row in rows { raw += [0] + row }
    var size = compressBound(uLong(raw.count))
    var compressed = [UInt8](repeating: 0, count: Int(size))
    _ = compress2(&compressed, &size, raw, uLong(raw.count), 6)
    file += chunk("IDAT", Array(compressed.prefix(Int(size))))
    file += chunk("IEND", [])
    return file
  }

  static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
    let body = Array(type.utf8) + data
    return bigEndian(UInt32(data.count)) + body + bigEndian(crc32Reference(body))
  }

  static func bigEndian(_ value: UInt32) -> [UInt8] {
    [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
  }

  /// CRC-32 (ISO 3309, the one PNG uses), bit by bit: independent of zlib's table version.
  static func crc32Reference(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
      crc ^= UInt32(byte)
      for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return crc ^ 0xFFFF_FFFF
  }

  /// The chunks of a PNG file: (type, data, stored CRC). Fails the caller's expectations by
  /// returning nil when the layout is broken.
  static func chunks(of file: [UInt8]) -> [(type: String, data: [UInt8], crc: UInt32)]? {
    guard file.starts(with: PNG.signature) else { return nil }
    var result = [(type: String, data: [UInt8], crc: UInt32)]()
    var offset = 8
    func word(_ at: Int) -> UInt32 {
      file[at..<(at + 4)].reduce(0) { $0 << 8 | UInt32($1) }
    }
    while offset < file.count {
      guard offset + 12 <= file.count else { return nil }
      let length = Int(word(offset))
      guard offset + 12 + length <= file.count else { return nil }
      let type = String(decoding: file[(offset + 4)..<(offset + 8)], as: UTF8.self)
      let data = Array(file[(offset + 8)..<(offset + 8 + length)])
      result.append((type, data, word(offset + 8 + length)))
      offset += 12 + length
    }
    return result
  }

}
