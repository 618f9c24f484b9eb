/// SHA-256 (FIPS 180-4), used to check data files against their published sums.
///
/// Feed bytes with ``update(_:)`` in any number of pieces, then read ``finalize()``. The
/// one-shot ``hash(_:)`` and ``hexDigest(_:)`` cover the common case.
///
/// ```swift
/// SHA256.hexDigest(Array("abc".utf8))
/// // "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
/// ```
public struct SHA256: Sendable {
  private var h: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (
    0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19
  )
  /// Bytes of an incomplete block, waiting for more input.
  private var pending: [UInt8] = []
  /// The total number of bytes fed so far.
  private var length: UInt64 = 0

  /// A hasher with no input yet.
  public init() {}

  /// Adds `bytes` to the message.
  public mutating func update(_ bytes: UnsafeRawBufferPointer) {
    guard var base = bytes.baseAddress, bytes.count > 0 else { return }
    var remaining = bytes.count
    length &+= UInt64(remaining)
    if !pending.isEmpty {
      let taken = min(64 - pending.count, remaining)
      pending.append(contentsOf: UnsafeRawBufferPointer(start: base, count: taken))
      base += taken
      remaining -= taken
      if pending.count < 64 { return }
      pending.withUnsafeBytes { block in compress(block.baseAddress!, blocks: 1) }
      pending.removeAll(keepingCapacity: true)
    }
    let whole = remaining / 64
    if whole > 0 { compress(base, blocks: whole) }
    let tail = remaining - whole * 64
    if tail > 0 { pending.append(contentsOf: UnsafeRawBufferPointer(start: base + whole * 64, count: tail)) }
  }

  /// Adds `bytes` to the message.
  public mutating func update(_ bytes: [UInt8]) {
    bytes.withUnsafeBytes { update($0) }
  }

  /// The 32-byte digest of everything fed so far. The hasher must not be used afterwards.
  public mutating func finalize() -> [UInt8] {
    let bitLength = length &* 8
    var padding: [UInt8] = [0x80]
    let used = (pending.count + 1) % 64
    padding += [UInt8](repeating: 0, count: (used <= 56 ? 56 - used : 120 - used))
    for shift in stride(from: 56, through: 0, by: -8) { padding.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
    let savedLength = length
    update(padding)
    length = savedLength
    enforce(pending.isEmpty, "SHA256: padding did not end on a block boundary")
    var digest: [UInt8] = []
    digest.reserveCapacity(32)
    for word in [h.0, h.1, h.2, h.3, h.4, h.5, h.6, h.7] {
      digest += [UInt8(word >> 24), UInt8(truncatingIfNeeded: word >> 16), UInt8(truncatingIfNeeded: word >> 8),
                 UInt8(truncatingIfNeeded: word)]
    }
    return digest
  }

  /// The digest of `bytes`.
  public static func hash(_ bytes: [UInt8]) -> [UInt8] {
    var hasher = SHA256()
    hasher.update(bytes)
    return hasher.finalize()
  }

  /// The digest of `bytes` as 64 lowercase hexadecimal digits.
  public static func hexDigest(_ bytes: [UInt8]) -> String {
    hex(hash(bytes))
  }

  /// The digest of `bytes` as 64 lowercase hexadecimal digits.
  public static func hexDigest(_ bytes: UnsafeRawBufferPointer) -> String {
    var hasher = SHA256()
    hasher.update(bytes)
    return hex(hasher.finalize())
  }

  /// Bytes written as lowercase hexadecimal digits.
  static func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var text: [UInt8] = []
    text.reserveCapacity(bytes.count * 2)
    for byte in bytes {
      text.append(digits[Int(byte >> 4)])
      text.append(digits[Int(byte & 0x0f)])
    }
    return String(decoding: text, as: UTF8.self)
  }

  /// Runs the compression function over `blocks` consecutive 64-byte blocks at `data`.
  private mutating func compress(_ data: UnsafeRawPointer, blocks: Int) {
    // Raw pointers, local variables, `while` loops and masking shifts (`&>>`, which need no
    // range checks) keep this loop fast even in unoptimized builds.
    withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
      let k = UnsafeMutablePointer<UInt32>.allocate(capacity: 64)
      defer { k.deallocate() }
      for i in 0..<64 { k[i] = SHA256Constants.k[i] }
      var (a0, b0, c0, d0, e0, f0, g0, h0) = h
      var block = data
      for _ in 0..<blocks {
        var t = 0
        while t < 16 {
          w[t] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 4 * t, as: UInt32.self))
          t += 1
        }
        while t < 64 {
          let x = w[t - 15]
          let y = w[t - 2]
          let s0 = (x &>> 7 | x &<< 25) ^ (x &>> 18 | x &<< 14) ^ (x &>> 3)
          let s1 = (y &>> 17 | y &<< 15) ^ (y &>> 19 | y &<< 13) ^ (y &>> 10)
          w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
          t += 1
        }
        var (a, b, c, d, e, f, g, hh) = (a0, b0, c0, d0, e0, f0, g0, h0)
        t = 0
        while t < 64 {
          let sigma1 = (e &>> 6 | e &<< 26) ^ (e &>> 11 | e &<< 21) ^ (e &>> 25 | e &<< 7)
          let choice = (e & f) ^ (~e & g)
          let t1 = hh &+ sigma1 &+ choice &+ k[t] &+ w[t]
          let sigma0 = (a &>> 2 | a &<< 30) ^ (a &>> 13 | a &<< 19) ^ (a &>> 22 | a &<< 10)
          let majority = (a & b) ^ (a & c) ^ (b & c)
          let t2 = sigma0 &+ majority
          hh = g
          g = f
          f = e
          e = d &+ t1
          d = c
          c = b
          b = a
          a = t1 &+ t2
          t += 1
        }
        a0 &+= a; b0 &+= b; c0 &+= c; d0 &+= d
        e0 &+= e; f0 &+= f; g0 &+= g; h0 &+= hh
        block += 64
      }
      h = (a0, b0, c0, d0, e0, f0, g0, h0)
    }
  }
}

/// The SHA-256 round constants: the first 32 bits of the fractional parts of the cube roots of
/// the first 64 primes.
private enum SHA256Constants {
  static let k: [UInt32] = [
    0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
    0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
    0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
    0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
    0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
    0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
    0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
    0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
  ]
}
