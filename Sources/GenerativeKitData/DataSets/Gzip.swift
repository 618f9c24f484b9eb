import CZlib
import GenerativeKit

/// Gzip decompression through zlib, with a ceiling on the output size.
///
/// Data sets ship as `.gz` files; the loaders also accept the same files uncompressed, told apart
/// by gzip's magic bytes `1f 8b`.
public enum Gzip {
  /// The default ceiling on a file's size and on decompressed output: 1 GiB, far more than any
  /// data set here (MNIST's largest file is 47 MB) and small enough that a corrupt header can
  /// never make a loader exhaust memory.
  public static let defaultSizeLimit = 1 << 30

  /// Whether `bytes` start with gzip's magic number `1f 8b`.
  public static func isCompressed(_ bytes: [UInt8]) -> Bool {
    bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
  }

  /// The contents of the file at `path`, decompressed if it is gzip and returned as is otherwise.
  ///
  /// - Parameters:
  ///   - path: the file to read.
  ///   - limit: the largest file and the largest decompressed output accepted, in bytes.
  /// - Throws: `GenerativeKitError/file(path:reason:)` naming `path` when the file cannot be
  ///   read, is corrupt or truncated, or would decompress to more than `limit` bytes.
  public static func readFile(_ path: String, limit: Int = defaultSizeLimit) throws -> [UInt8] {
    let raw = try FileBytes.read(path, limit: limit)
    return isCompressed(raw) ? try decompress(raw, source: path, limit: limit) : raw
  }

  /// Decompresses gzip (or zlib) data; concatenated gzip members are joined.
  ///
  /// - Parameters:
  ///   - compressed: the gzip or zlib stream.
  ///   - source: names the data in error messages (usually the file's path).
  ///   - limit: the largest output accepted, in bytes; the output buffer never grows past it.
  /// - Throws: `GenerativeKitError/file(path:reason:)` with `source` as the path when the data
  ///   is corrupt, truncated, followed by garbage, or larger than `limit` once decompressed.
  public static func decompress(_ compressed: [UInt8], source: String, limit: Int = defaultSizeLimit) throws
    -> [UInt8]
  {
    enforce(limit >= 0, "Gzip.decompress: negative limit \(limit)")
    var stream = z_stream()
    // 15 + 32: the largest window, with automatic gzip or zlib header detection.
    let status = inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
    guard status == Z_OK else {
      throw GenerativeKitError.file(path: source, reason: "zlib could not start decompressing (status \(status))")
    }
    defer { inflateEnd(&stream) }

    var output = [UInt8](repeating: 0, count: initialCapacity(for: compressed, limit: limit))
    var produced = 0
    try compressed.withUnsafeBytes { input in
      var consumed = 0
      while true {
        if produced == output.count && output.count < limit {
          let grown = min(limit, max(output.count * 2, 1 << 16))
          output.append(contentsOf: repeatElement(0, count: grown - output.count))
        }
        // At the limit with a full buffer, inflate still runs once with no room: it may only have
        // the trailer left to read.
        let chunkIn = min(input.count - consumed, Int(UInt32.max))
        let chunkOut = min(output.count - produced, Int(UInt32.max))
        let code: Int32 = output.withUnsafeMutableBytes { out in
          stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
            .map { $0 + consumed }
          stream.avail_in = uInt(chunkIn)
          stream.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self) + produced
          stream.avail_out = uInt(chunkOut)
          return inflate(&stream, Z_NO_FLUSH)
        }
        let usedIn = chunkIn - Int(stream.avail_in)
        let usedOut = chunkOut - Int(stream.avail_out)
        consumed += usedIn
        produced += usedOut
        switch code {
        case Z_STREAM_END:
          let rest = input.count - consumed
          if rest == 0 { return }
          if rest >= 2 && input[consumed] == 0x1f && input[consumed + 1] == 0x8b {
            inflateReset(&stream)  // another gzip member follows
            continue
          }
          throw GenerativeKitError.file(
            path: source, reason: "corrupt gzip file: \(rest) unexpected bytes after the end of the compressed data")
        case Z_OK:
          continue
        case Z_BUF_ERROR:
          // No progress: either the output is full (grow it above) or the input ran out.
          if produced == output.count {
            guard output.count < limit else {
              throw GenerativeKitError.file(
                path: source, reason: "decompresses to more than the limit of \(limit) bytes; refusing to continue")
            }
            continue
          }
          if consumed == input.count {
            throw GenerativeKitError.file(
              path: source,
              reason: "truncated gzip file: the compressed data ends early (after \(produced) decompressed bytes)")
          }
          throw GenerativeKitError.file(path: source, reason: "gzip decompression made no progress (zlib buffer error)")
        case Z_NEED_DICT:
          throw GenerativeKitError.file(path: source, reason: "corrupt gzip file: zlib asks for a preset dictionary")
        case Z_MEM_ERROR:
          throw GenerativeKitError.file(path: source, reason: "out of memory while decompressing")
        default:
          let detail = stream.msg.map { String(cString: $0) } ?? "zlib error \(code)"
          throw GenerativeKitError.file(path: source, reason: "corrupt gzip file (\(detail))")
        }
      }
    }
    output.removeSubrange(produced...)
    return output
  }

  /// Compresses `bytes` into a single gzip member (for tests and for writing `.gz` files).
  public static func compress(_ bytes: [UInt8], level: Int32 = Z_DEFAULT_COMPRESSION) -> [UInt8] {
    var stream = z_stream()
    // 15 + 16: the largest window, with a gzip header and trailer.
    let status = deflateInit2_(
      &stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
    enforce(status == Z_OK, "Gzip.compress: zlib deflateInit2 failed with status \(status)")
    defer { deflateEnd(&stream) }
    var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(bytes.count))) + 32)
    var produced = 0
    bytes.withUnsafeBytes { input in
      stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
      stream.avail_in = uInt(input.count)
      while true {
        if produced == output.count { output.append(contentsOf: repeatElement(0, count: max(output.count, 64))) }
        let room = output.count - produced
        let code: Int32 = output.withUnsafeMutableBytes { out in
          stream.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self) + produced
          stream.avail_out = uInt(room)
          return deflate(&stream, Z_FINISH)
        }
        produced += room - Int(stream.avail_out)
        if code == Z_STREAM_END { break }
        enforce(code == Z_OK || code == Z_BUF_ERROR, "Gzip.compress: zlib deflate failed with status \(code)")
      }
    }
    output.removeSubrange(produced...)
    return output
  }

  /// A first output size: gzip's trailer records the uncompressed size (mod 2^32) of the last
  /// member, but a damaged file can claim anything, so the guess is capped at 8 times the
  /// compressed size plus 64 KiB (MNIST's images inflate 4.8-fold) and by `limit`; the buffer grows
  /// (doubling) as output actually arrives, so memory follows what the data holds, not what the
  /// trailer claims.
  static func initialCapacity(for compressed: [UInt8], limit: Int) -> Int {
    var guess = 1 << 16
    if compressed.count >= 18 {
      let n = compressed.count
      let recorded = Int(compressed[n - 4]) | Int(compressed[n - 3]) << 8 | Int(compressed[n - 2]) << 16
        | Int(compressed[n - 1]) << 24
      guess = max(recorded, 1)
    }
    let (ratioBound, overflow) = compressed.count.multipliedReportingOverflow(by: 8)
    return max(1, min(guess, overflow ? Int.max : ratioBound + (1 << 16), limit))
  }
}
