/// MD5 (RFC 1321), only to check downloads against sums their publishers give in MD5 alone
/// (Fashion-MNIST's compressed files). Not for anything security-related.
struct MD5 {
  private var state: (UInt32, UInt32, UInt32, UInt32) = (0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476)
  private var pending: [UInt8] = []
  private var length: UInt64 = 0

  init() {}

  mutating func update(_ bytes: UnsafeRawBufferPointer) {
    guard var base = bytes.baseAddress, bytes.count > 0 else { return }
    var remaining = bytes.count
    length &+= UInt64(remaining)
    if !pending.isEmpty {
      let taken = min(64 - pending.count, remaining)
      pending.append(contentsOf: UnsafeRawBufferPointer(start: base, count: taken))
      base += taken
      remaining -= taken
      if pending.count < 64 { return }
      pending.withUnsafeBytes { compress($0.baseAddress!, blocks: 1) }
      pending.removeAll(keepingCapacity: true)
    }
    let whole = remaining / 64
    if whole > 0 { compress(base, blocks: whole) }
    let tail = remaining - whole * 64
    if tail > 0 { pending.append(contentsOf: UnsafeRawBufferPointer(start: base + whole * 64, count: tail)) }
  }

  mutating func update(_ bytes: [UInt8]) {
    bytes.withUnsafeBytes { update($0) }
  }

  /// The 16-byte digest; the hasher must not be used afterwards.
  mutating func finalize() -> [UInt8] {
    let bitLength = length &* 8
    let used = (pending.count + 1) % 64
    var padding: [UInt8] = [0x80] + [UInt8](repeating: 0, count: used <= 56 ? 56 - used : 120 - used)
    for shift in stride(from: 0, through: 56, by: 8) { padding.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
    update(padding)
    var digest: [UInt8] = []
    for word in [state.0, state.1, state.2, state.3] {
      for shift in stride(from: 0, through: 24, by: 8) { digest.append(UInt8(truncatingIfNeeded: word >> UInt32(shift))) }
    }
    return digest
  }

  /// The digest of `bytes` as 32 lowercase hexadecimal digits.
  static func hexDigest(_ bytes: UnsafeRawBufferPointer) -> String {
    var hasher = MD5()
    hasher.update(bytes)
    return SHA256.hex(hasher.finalize())
  }

  /// The digest of `bytes` as 32 lowercase hexadecimal digits.
  static func hexDigest(_ bytes: [UInt8]) -> String {
    bytes.withUnsafeBytes { hexDigest($0) }
  }

  private mutating func compress(_ data: UnsafeRawPointer, blocks: Int) {
    var block = data
    var m = [UInt32](repeating: 0, count: 16)
    for _ in 0..<blocks {
      for i in 0..<16 { m[i] = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
      var (a, b, c, d) = state
      for i in 0..<64 {
        var f: UInt32
        let g: Int
        switch i / 16 {
        case 0: f = (b & c) | (~b & d); g = i
        case 1: f = (d & b) | (~d & c); g = (5 * i + 1) % 16
        case 2: f = b ^ c ^ d; g = (3 * i + 5) % 16
        default: f = c ^ (b | ~d); g = (7 * i) % 16
        }
        f = f &+ a &+ MD5Constants.k[i] &+ m[g]
        a = d
        d = c
        c = b
        let s = MD5Constants.shifts[i]
        b = b &+ (f &<< s | f &>> (32 - s))
      }
      state = (state.0 &+ a, state.1 &+ b, state.2 &+ c, state.3 &+ d)
      block += 64
    }
  }
}

/// MD5's per-round shift amounts and sine-derived constants (RFC 1321, section 3.4).
private enum MD5Constants {
  static let shifts: [UInt32] = [
    7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
    5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
    4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
    6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
  ]
  /// `floor(abs(sin(i + 1)) * 2^32)` for i in 0..<64.
  static let k: [UInt32] = (0..<64).map { i in
    UInt32(truncatingIfNeeded: Int64((abs(sin(Double(i + 1))) * 4_294_967_296.0).rounded(.down)))
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
