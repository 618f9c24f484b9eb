import COpenBLAS

#if canImport(Glibc)
  import Glibc
#endif

/// Which kernels OpenBLAS runs, and whether GenerativeKit chose them.
///
/// A DYNAMIC_ARCH OpenBLAS (Debian's and Ubuntu's) picks its kernels by CPU model number when it
/// loads. A CPU newer than the OpenBLAS build is unknown to it, and it falls back to its generic SSE3
/// kernels ("Prescott"), several times slower on an AVX-512 machine (docs/PERFORMANCE.md). Before
/// the first GEMM, GenerativeKit
/// compares that choice with what the CPU supports (``CPUFeatures``) and, when OpenBLAS fell back to
/// a generic core on a capable CPU, switches to the matching one (SkylakeX for AVX-512, Haswell or
/// Zen for AVX2 + FMA). A user's own `OPENBLAS_CORETYPE` always wins. ``BLAS/configuration`` says what
/// happened; the examples and `gk-bench` print its ``summary``.
public struct BLASConfiguration: Sendable, CustomStringConvertible {
  /// How the kernels in use were chosen.
  public enum Selection: Equatable, Sendable {
    /// OpenBLAS's own choice, which fits the CPU (or is a core GenerativeKit does not rank).
    case openBLAS
    /// Set by the user with `OPENBLAS_CORETYPE` (the value as given).
    case userOverride(String)
    /// GenerativeKit replaced OpenBLAS's generic choice (`from`) with kernels for this CPU.
    case reselected(from: String)
    /// OpenBLAS runs generic kernels on a CPU that could run faster ones, and they could not be
    /// replaced (`reason` says why).
    case slowKernelsKept(reason: String)
  }

  /// OpenBLAS's version, for example "0.3.21" (empty if its build string has none).
  public var version: String
  /// `openblas_get_config()`, for example "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Prescott MAX_THREADS=64".
  public var buildDescription: String
  /// The kernels in use (`openblas_get_corename()`), for example "SkylakeX".
  public var core: String
  /// How the kernels in use were chosen.
  public var selection: Selection
  /// The processor OpenBLAS runs on, as CPUID describes it.
  public var cpu: CPUFeatures

  /// Whether this OpenBLAS carries kernels for several CPUs (built with `DYNAMIC_ARCH`), so its
  /// kernels can be chosen at run time.
  public var isDynamicArch: Bool { buildDescription.split(separator: " ").contains("DYNAMIC_ARCH") }

  /// One line for logs: version, kernels, how they were chosen and the CPU.
  public var summary: String {
    let how: String
    switch selection {
    case .openBLAS: how = "chosen by OpenBLAS"
    case .userOverride(let value): how = "set by OPENBLAS_CORETYPE=\(value)"
    case .reselected(let from): how = "selected by GenerativeKit; OpenBLAS had chosen its generic \(from) kernels"
    case .slowKernelsKept(let reason): how = "SLOW: generic kernels on a \(cpu.vectorLevel) CPU; \(reason)"
    }
    return "OpenBLAS \(version.isEmpty ? "(version unknown)" : version), \(core) kernels (\(how)) on \(cpu)"
  }

  public var description: String { summary }

  /// A warning for the user when the kernels in use are slower than the CPU allows, else nil.
  public var warning: String? {
    guard case .slowKernelsKept(let reason) = selection else { return nil }
    return "warning: OpenBLAS runs its generic \(core) kernels on a CPU with \(cpu.vectorLevel) (\(reason)); "
      + "GEMMs run several times slower than they could. Set OPENBLAS_CORETYPE (for example "
      + "\(BLASCoreChoice.core(for: cpu) ?? "Haswell")) to choose the kernels by hand."
  }
}

/// The decision behind ``BLASConfiguration/selection``, separate from OpenBLAS so that every case
/// can be tested: given OpenBLAS's own choice, the build, the user's setting and the CPU, what to do.
enum BLASCoreChoice: Equatable {
  case keep(BLASConfiguration.Selection)
  case switchTo(String)

  /// OpenBLAS's x86 cores by the widest vector instructions their kernels use. Only cores below
  /// AVX2 are replaced; a core missing here (Zen, SkylakeX, Cooperlake, ARM cores, names of later
  /// OpenBLAS versions) is trusted.
  static let coresBelowAVX2: [String: CPUFeatures.VectorLevel] = {
    var levels: [String: CPUFeatures.VectorLevel] = [:]
    for core in ["unknown", "katmai", "coppermine", "northwood", "prescott", "banias", "atom", "core2", "penryn",
                 "dunnington", "nehalem", "athlon", "opteron", "opteron_sse3", "barcelona", "nano", "bobcat"] {
      levels[core] = .sse
    }
    for core in ["sandybridge", "bulldozer", "piledriver"] { levels[core] = .avx }
    return levels
  }()

  /// The OpenBLAS core made for `cpu`'s vector instructions, or nil below AVX2 (nothing to gain).
  static func core(for cpu: CPUFeatures) -> String? {
    switch cpu.vectorLevel {
    case .avx512: "SkylakeX"
    case .avx2: cpu.vendor == .amd || cpu.vendor == .hygon ? "Zen" : "Haswell"
    case .sse, .avx: nil
    }
  }

  /// - Parameters:
  ///   - chosenCore: `openblas_get_corename()` before any change.
  ///   - isDynamicArch: whether the library carries kernels for several cores (`DYNAMIC_ARCH`).
  ///   - userCoreType: `OPENBLAS_CORETYPE`, if set.
  ///   - canSwitch: whether the library exports `gotoblas_dynamic_quit` and `gotoblas_dynamic_init`.
  static func decide(
    chosenCore: String, isDynamicArch: Bool, userCoreType: String?, cpu: CPUFeatures, canSwitch: Bool
  ) -> BLASCoreChoice {
    if let userCoreType, !userCoreType.isEmpty { return .keep(.userOverride(userCoreType)) }
    guard let chosenLevel = coresBelowAVX2[chosenCore.lowercased()], let better = core(for: cpu),
          chosenLevel < cpu.vectorLevel
    else { return .keep(.openBLAS) }
    guard isDynamicArch else {
      return .keep(.slowKernelsKept(reason: "this OpenBLAS was built for one core only (no DYNAMIC_ARCH); "
                                    + "install one built with DYNAMIC_ARCH=1 or for this CPU"))
    }
    guard canSwitch else {
      return .keep(.slowKernelsKept(reason: "this OpenBLAS does not export gotoblas_dynamic_init, "
                                    + "so its kernels cannot be changed after it has loaded"))
    }
    return .switchTo(better)
  }
}

extension BLAS {
  /// OpenBLAS's version and kernels, and how they were chosen; reading it the first time (any GEMM
  /// does) runs the check described in ``BLASConfiguration`` and, if needed, changes the kernels.
  public static var configuration: BLASConfiguration { selectedConfiguration }

  /// Computed once, before the first BLAS call (every entry point in `BLAS` reads it).
  static let selectedConfiguration: BLASConfiguration = selectCore()

  private static func selectCore() -> BLASConfiguration {
    let buildDescription = openblas_get_config().map { String(cString: $0) } ?? ""
    let words = buildDescription.split(separator: " ")
    let version = words.count > 1 && words[0] == "OpenBLAS" ? String(words[1]) : ""
    let chosenCore = currentCoreName()
    let quit = symbol("gotoblas_dynamic_quit")
    let initialize = symbol("gotoblas_dynamic_init")
    var configuration = BLASConfiguration(version: version, buildDescription: buildDescription, core: chosenCore,
                                          selection: .openBLAS, cpu: CPUFeatures.current)
    let choice = BLASCoreChoice.decide(
      chosenCore: chosenCore, isDynamicArch: configuration.isDynamicArch,
      userCoreType: getenv("OPENBLAS_CORETYPE").map { String(cString: $0) }, cpu: configuration.cpu,
      canSwitch: quit != nil && initialize != nil)
    switch choice {
    case .keep(let selection):
      configuration.selection = selection
    case .switchTo(let core):
      guard let quit, let initialize else { break }
      let switched = reinitialize(core: core, quit: quit, initialize: initialize)
      if switched && currentCoreName().lowercased() == core.lowercased() && sgemmAgreesWithReference() {
        configuration.selection = .reselected(from: chosenCore)
      } else {
        // Back to what OpenBLAS chose itself: slow but known to work.
        _ = reinitialize(core: chosenCore, quit: quit, initialize: initialize)
        configuration.selection = .slowKernelsKept(
          reason: "switching to its \(core) kernels failed (core now \(currentCoreName()), or a check product was wrong)")
      }
    }
    configuration.core = currentCoreName()
    return configuration
  }

  private static func currentCoreName() -> String {
    openblas_get_corename().map { String(cString: $0) } ?? "unknown"
  }

  private typealias VoidFunction = @convention(c) () -> Void

  /// A function of the loaded OpenBLAS by name, or nil when it does not export one.
  private static func symbol(_ name: String) -> VoidFunction? {
    guard let process = dlopen(nil, RTLD_NOW), let address = dlsym(process, name) else { return nil }
    return unsafeBitCast(address, to: VoidFunction.self)
  }

  /// Makes OpenBLAS choose its kernels again with `OPENBLAS_CORETYPE=core`, the way it does when it
  /// loads, then removes the variable again so child processes see the environment they were given.
  private static func reinitialize(core: String, quit: VoidFunction, initialize: VoidFunction) -> Bool {
    guard setenv("OPENBLAS_CORETYPE", core, 1) == 0 else { return false }
    quit()
    initialize()
    unsetenv("OPENBLAS_CORETYPE")
    return true
  }

  /// One small product with awkward sizes against a straight loop: the new kernels run and agree.
  private static func sgemmAgreesWithReference() -> Bool {
    let (m, n, k) = (37, 29, 53)
    let a = (0..<(m * k)).map { Float(($0 * 7) % 13) - 6 }
    let b = (0..<(k * n)).map { Float(($0 * 5) % 11) - 5 }
    var c = [Float](repeating: 0, count: m * n)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(k), b, Int32(n),
                0, &c, Int32(n))
    for i in 0..<m {
      for j in 0..<n {
        var sum: Float = 0
        for p in 0..<k { sum += a[i * k + p] * b[p * n + j] }
        // Small integers: every partial sum is exact in Float, whatever the order.
        if c[i * n + j] != sum { return false }
      }
    }
    return true
  }
}
