import Testing

@testable import GenerativeKit

/// The check of OpenBLAS's kernels (Kernels/BLASCore.swift): CPUID decoding, the decision on every
/// combination, and the kernels actually in use on this machine.
@Suite("OpenBLAS kernel selection")
struct BLASCoreTests {
  /// CPUID leaf 0 for a vendor string, highest standard leaf 0x1f.
  static func leaf0(_ vendor: String) -> [UInt32] {
    let bytes = Array(vendor.utf8)
    func word(_ offset: Int) -> UInt32 {
      (0..<4).reduce(0) { $0 | UInt32(bytes[offset + $1]) << (8 * UInt32($1)) }
    }
    return [0x1f, word(0), word(8), word(4)]  // eax, ebx, ecx, edx: "Genu" "ineI" "ntel" is ebx, edx, ecx
  }

  /// A CPU with the given vector features; the OS saves every register state unless told otherwise.
  static func cpu(
    vendor: String = "GenuineIntel", signature: UInt32 = 0x000C_06F2, avx: Bool = true, fma: Bool = true,
    avx2: Bool = true, avx512: Bool = true, xcr0: UInt64 = 0xE7
  ) -> CPUFeatures {
    var ecx1: UInt32 = 1 << 27  // OSXSAVE
    if avx { ecx1 |= 1 << 28 }
    if fma { ecx1 |= 1 << 12 }
    var ebx7: UInt32 = 0
    if avx2 { ebx7 |= 1 << 5 }
    if avx512 { for bit in [16, 17, 28, 30, 31] { ebx7 |= 1 << UInt32(bit) } }
    return CPUFeatures(leaf0: leaf0(vendor), leaf1: [signature, 0, ecx1, 0], leaf7: [0, ebx7, 0, 0], xcr0: xcr0)
  }

  @Test("CPUID decoding: vendor, family and model, vector level with the OS's register state")
  func decoding() {
    let emeraldRapids = Self.cpu()
    #expect(emeraldRapids.vendor == .intel)
    #expect(emeraldRapids.family == 6 && emeraldRapids.model == 207)
    #expect(emeraldRapids.vectorLevel == .avx512)
    // AMD Zen 3 (family 0x19 = 0xF + 0xA, model 0x01) with AVX2 only.
    let zen3 = Self.cpu(vendor: "AuthenticAMD", signature: 0x00A0_0F11, avx512: false)
    #expect(zen3.vendor == .amd && zen3.family == 0x19 && zen3.model == 0x01)
    #expect(zen3.vectorLevel == .avx2)
    // Hardware AVX-512 but an OS that does not save the ZMM registers: AVX2 at most.
    #expect(Self.cpu(xcr0: 0x7).vectorLevel == .avx2)
    // An OS that saves no AVX state at all: SSE.
    #expect(Self.cpu(xcr0: 0x3).vectorLevel == .sse)
    // AVX-512 F without BW/DQ/VL (Knights Landing's set) is not what SkylakeX kernels need.
    let knights = CPUFeatures(leaf0: Self.leaf0("GenuineIntel"), leaf1: [0x0005_0670, 0, (1 << 27) | (1 << 28) | (1 << 12), 0],
                          leaf7: [0, (1 << 5) | (1 << 16) | (1 << 28), 0, 0], xcr0: 0xE7)
    #expect(knights.vectorLevel == .avx2)
    #expect(Self.cpu(fma: false, avx2: false, avx512: false).vectorLevel == .avx)
    #expect(Self.cpu(avx: false, fma: false, avx2: false, avx512: false).vectorLevel == .sse)
    #expect(Self.cpu(vendor: "HygonGenuine").vendor == .hygon)
    #expect(Self.cpu(vendor: "CentaurHauls").vendor == .other)
  }

  @Test("Register strings lose their padding")
  func registerString() {
    let words = Array("  Intel(R) Xeon(R) Processor".utf8) + [0, 0, 0, 0]
    let registers = stride(from: 0, to: 32, by: 4).map { offset in
      (0..<4).reduce(UInt32(0)) { $0 | UInt32(words[offset + $1]) << (8 * UInt32($1)) }
    }
    #expect(CPUFeatures.registerString(registers) == "Intel(R) Xeon(R) Processor")
  }

  @Test("A generic core on a capable CPU is replaced by the core for its vector level")
  func genericCoreReplaced() {
    func decide(_ core: String, _ cpu: CPUFeatures) -> BLASCoreChoice {
      BLASCoreChoice.decide(chosenCore: core, isDynamicArch: true, userCoreType: nil, cpu: cpu, canSwitch: true)
    }
    #expect(decide("Prescott", Self.cpu()) == .switchTo("SkylakeX"))
    #expect(decide("Nehalem", Self.cpu()) == .switchTo("SkylakeX"))
    #expect(decide("Prescott", Self.cpu(avx512: false)) == .switchTo("Haswell"))
    #expect(decide("Sandybridge", Self.cpu(avx512: false)) == .switchTo("Haswell"))
    #expect(decide("Prescott", Self.cpu(vendor: "AuthenticAMD", signature: 0x00A0_0F11, avx512: false)) == .switchTo("Zen"))
    #expect(decide("Barcelona", Self.cpu(vendor: "HygonGenuine", avx512: false)) == .switchTo("Zen"))
    #expect(decide("Prescott", Self.cpu(vendor: "AuthenticAMD", signature: 0x00A6_0F12)) == .switchTo("SkylakeX"))
  }

  @Test("OpenBLAS's choice stays when it fits, when the CPU is old, or when the core is not one we rank")
  func fittingCoreKept() {
    func decide(_ core: String, _ cpu: CPUFeatures) -> BLASCoreChoice {
      BLASCoreChoice.decide(chosenCore: core, isDynamicArch: true, userCoreType: nil, cpu: cpu, canSwitch: true)
    }
    #expect(decide("SkylakeX", Self.cpu()) == .keep(.openBLAS))
    #expect(decide("Cooperlake", Self.cpu()) == .keep(.openBLAS))
    #expect(decide("Haswell", Self.cpu()) == .keep(.openBLAS))  // AVX2 kernels: not generic, trusted
    #expect(decide("Zen", Self.cpu(vendor: "AuthenticAMD")) == .keep(.openBLAS))
    #expect(decide("Prescott", Self.cpu(avx: false, fma: false, avx2: false, avx512: false)) == .keep(.openBLAS))
    #expect(decide("Sandybridge", Self.cpu(fma: false, avx2: false, avx512: false)) == .keep(.openBLAS))
    #expect(decide("NEOVERSEN1", Self.cpu()) == .keep(.openBLAS))
  }

  @Test("The user's OPENBLAS_CORETYPE always wins")
  func userOverrideWins() {
    for core in ["Prescott", "SkylakeX", "Haswell"] {
      let choice = BLASCoreChoice.decide(chosenCore: core, isDynamicArch: true, userCoreType: "Prescott",
                                         cpu: Self.cpu(), canSwitch: true)
      #expect(choice == .keep(.userOverride("Prescott")))
    }
    // An empty variable is no choice at all.
    #expect(BLASCoreChoice.decide(chosenCore: "Prescott", isDynamicArch: true, userCoreType: "", cpu: Self.cpu(),
                                  canSwitch: true) == .switchTo("SkylakeX"))
  }

  @Test("Generic kernels that cannot be replaced are kept and reported as slow")
  func slowKernelsReported() {
    let fixedBuild = BLASCoreChoice.decide(chosenCore: "Prescott", isDynamicArch: false, userCoreType: nil,
                                           cpu: Self.cpu(), canSwitch: true)
    let noSymbols = BLASCoreChoice.decide(chosenCore: "Prescott", isDynamicArch: true, userCoreType: nil,
                                          cpu: Self.cpu(), canSwitch: false)
    for choice in [fixedBuild, noSymbols] {
      guard case .keep(.slowKernelsKept(let reason)) = choice else {
        Issue.record("expected slow kernels to be kept, got \(choice)")
        continue
      }
      #expect(!reason.isEmpty)
    }
    let configuration = BLASConfiguration(version: "0.3.21", buildDescription: "OpenBLAS 0.3.21 Prescott",
                                          core: "Prescott", selection: .slowKernelsKept(reason: "no DYNAMIC_ARCH"),
                                          cpu: Self.cpu())
    #expect(configuration.warning?.contains("OPENBLAS_CORETYPE") == true)
    #expect(configuration.summary.contains("SLOW"))
    #expect(!configuration.isDynamicArch)
  }

  @Test("On this machine: no generic kernels on a capable CPU unless the user asked, and sgemm agrees with the reference")
  func thisMachine() {
    let configuration = BLAS.configuration
    #expect(!configuration.summary.isEmpty)
    let generic = BLASCoreChoice.coresBelowAVX2[configuration.core.lowercased()]
    switch configuration.selection {
    case .userOverride, .slowKernelsKept:
      break  // the user's choice, or an OpenBLAS that cannot switch: reported, nothing to check here
    case .openBLAS, .reselected:
      if let generic, configuration.cpu.vectorLevel >= .avx2 {
        Issue.record("generic \(configuration.core) kernels (\(generic)) on a \(configuration.cpu.vectorLevel) CPU: \(configuration.summary)")
      }
    }
    if case .reselected(let from) = configuration.selection {
      #expect(BLASCoreChoice.coresBelowAVX2[from.lowercased()] != nil)
    }
    // The kernels in use (re-selected or not) against the straight loop, at a size that runs the
    // packed micro-kernels and their edges.
    var generator = SeededGenerator(seed: 11)
    let (m, n, k) = (67, 45, 130)
    let a = (0..<(m * k)).map { _ in generator.nextUniform() * 2 - 1 }
    let b = (0..<(k * n)).map { _ in generator.nextUniform() * 2 - 1 }
    var expected = [Float](repeating: 0, count: m * n)
    var actual = expected
    Reference.gemm(transposeA: false, transposeB: true, m: m, n: n, k: k, alpha: 1, a: a, b: b, beta: 0, c: &expected)
    a.withUnsafeBufferPointer { a in
      b.withUnsafeBufferPointer { b in
        actual.withUnsafeMutableBufferPointer { c in
          BLAS.sgemm(transposeB: true, m: m, n: n, k: k, a: a.baseAddress!, b: b.baseAddress!, c: c.baseAddress!)
        }
      }
    }
    let worst = zip(expected, actual).map { abs($0 - $1) }.max()!
    #expect(worst < 1e-4, "sgemm on \(configuration.core) kernels: max difference \(worst)")
  }
}
