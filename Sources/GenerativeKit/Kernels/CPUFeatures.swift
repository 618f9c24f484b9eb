import COpenBLAS

/// What the processor is and which vector instructions it can run (as far as GEMM kernels care),
/// read from CPUID and XCR0: the facts OpenBLAS's choice of kernels is checked against.
public struct CPUFeatures: Equatable, Sendable, CustomStringConvertible {
  /// The widest vector instruction set both the processor and the operating system support.
  public enum VectorLevel: Int, Comparable, Sendable, CustomStringConvertible {
    /// SSE3 or less: what OpenBLAS's generic x86-64 kernels (Prescott, Core2, Nehalem) use.
    case sse = 0
    /// AVX without FMA (Sandy Bridge, Bulldozer).
    case avx = 1
    /// AVX2 with FMA3 (Haswell and later, AMD Zen).
    case avx2 = 2
    /// AVX-512 F, CD, BW, DQ and VL with the ZMM state enabled (Skylake-SP and later, AMD Zen 4).
    case avx512 = 3

    public static func < (a: VectorLevel, b: VectorLevel) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
      switch self {
      case .sse: "SSE"
      case .avx: "AVX"
      case .avx2: "AVX2+FMA"
      case .avx512: "AVX-512"
      }
    }
  }

  /// The processor's maker, from CPUID's vendor string.
  public enum Vendor: String, Sendable {
    /// GenuineIntel.
    case intel = "Intel"
    /// AuthenticAMD.
    case amd = "AMD"
    /// HygonGenuine (AMD Zen licensees).
    case hygon = "Hygon"
    /// Any other vendor string.
    case other
  }

  /// The processor's maker.
  public var vendor: Vendor
  /// CPUID's display family and model (family + extended family, model + extended model << 4).
  public var family: Int
  /// CPUID's display model (see ``family``).
  public var model: Int
  /// The processor's brand string (CPUID 0x80000002-4), for example "Intel(R) Xeon(R) Processor".
  public var brand: String
  /// The widest vector instructions both the processor and the operating system support.
  public var vectorLevel: VectorLevel

  public var description: String {
    let name = brand.isEmpty ? "\(vendor.rawValue) processor" : brand
    return "\(name) (\(vendor.rawValue) family \(family) model \(model), \(vectorLevel))"
  }

  /// Decodes the CPUID leaves that matter (each as `[eax, ebx, ecx, edx]`) and XCR0.
  ///
  /// - Parameters:
  ///   - leaf0: vendor string and highest standard leaf.
  ///   - leaf1: family, model and the SSE/AVX/FMA/OSXSAVE bits (ecx).
  ///   - leaf7: sub-leaf 0, the AVX2 and AVX-512 bits (ebx); zeros when the processor lacks leaf 7.
  ///   - xcr0: the register state the operating system saves; ignored unless leaf 1 has OSXSAVE.
  ///   - brand: the brand string, already decoded.
  public init(leaf0: [UInt32], leaf1: [UInt32], leaf7: [UInt32], xcr0: UInt64, brand: String = "") {
    enforce(leaf0.count == 4 && leaf1.count == 4 && leaf7.count == 4, "CPUFeatures: each leaf is [eax, ebx, ecx, edx]")
    switch Self.registerString([leaf0[1], leaf0[3], leaf0[2]]) {
    case "GenuineIntel": vendor = .intel
    case "AuthenticAMD": vendor = .amd
    case "HygonGenuine": vendor = .hygon
    default: vendor = .other
    }
    let signature = leaf1[0]
    let baseFamily = Int((signature >> 8) & 0xF)
    let baseModel = Int((signature >> 4) & 0xF)
    family = baseFamily == 0xF ? baseFamily + Int((signature >> 20) & 0xFF) : baseFamily
    model = baseFamily == 0x6 || baseFamily == 0xF ? baseModel | Int((signature >> 16) & 0xF) << 4 : baseModel
    self.brand = brand

    func bit(_ register: UInt32, _ index: Int) -> Bool { register & (1 << UInt32(index)) != 0 }
    let ecx1 = leaf1[2]
    let ebx7 = leaf0[0] >= 7 ? leaf7[1] : 0
    let osxsave = bit(ecx1, 27)
    let osSavesYMM = osxsave && xcr0 & 0x6 == 0x6
    let osSavesZMM = osxsave && xcr0 & 0xE6 == 0xE6
    let avx = bit(ecx1, 28) && osSavesYMM
    let avx2FMA = avx && bit(ecx1, 12) && bit(ebx7, 5)
    // F, DQ, CD, BW, VL: what OpenBLAS's SkylakeX kernels are compiled for.
    let avx512 = avx2FMA && osSavesZMM && [16, 17, 28, 30, 31].allSatisfy { bit(ebx7, $0) }
    vectorLevel = avx512 ? .avx512 : avx2FMA ? .avx2 : avx ? .avx : .sse
  }

  /// This machine's processor (read once).
  public static let current: CPUFeatures = {
    func leaf(_ number: UInt32, _ subleaf: UInt32 = 0) -> [UInt32] {
      var registers: [UInt32] = [0, 0, 0, 0]
      _ = registers.withUnsafeMutableBufferPointer { gk_cpuid(number, subleaf, $0.baseAddress) }
      return registers
    }
    let leaf0 = leaf(0)
    let leaf1 = leaf0[0] >= 1 ? leaf(1) : [0, 0, 0, 0]
    let leaf7 = leaf0[0] >= 7 ? leaf(7) : [0, 0, 0, 0]
    let xcr0 = leaf1[2] & (1 << 27) != 0 ? UInt64(gk_xgetbv0()) : 0
    var brand = ""
    if leaf(0x8000_0000)[0] >= 0x8000_0004 {
      let words = (0x8000_0002...0x8000_0004).flatMap { leaf(UInt32($0)) }
      brand = registerString(words)
    }
    return CPUFeatures(leaf0: leaf0, leaf1: leaf1, leaf7: leaf7, xcr0: xcr0, brand: brand)
  }()

  /// The ASCII text packed little-endian into registers, without trailing NULs and outer spaces.
  static func registerString(_ registers: [UInt32]) -> String {
    var bytes: [UInt8] = []
    for register in registers {
      for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: register >> UInt32(shift))) }
    }
    let text = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    return String(text.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
  }
}
