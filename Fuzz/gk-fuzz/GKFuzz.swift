// gk-fuzz: one binary for every parser's fuzz target.
//
// Built by scripts/fuzz.sh with `-sanitize=fuzzer,address -D FUZZING`, it is a libFuzzer program
// for the target named by GK_FUZZ_TARGET (the script sets it). Built normally (as `swift build`
// does), it writes seed inputs and replays files through a target:
//
//     gk-fuzz seeds DIR                  one folder of seeds per target: DIR/<target>/
//     gk-fuzz replay TARGET PATH...      files, or folders of files; exit 1 if a property fails
import FuzzTargets

#if canImport(Glibc)
  import Glibc
#endif

#if FUZZING
  /// The target for this process, from GK_FUZZ_TARGET.
  private let fuzzTarget: FuzzTarget = {
    guard let name = getenv("GK_FUZZ_TARGET").map({ String(cString: $0) }), let target = FuzzTarget(rawValue: name)
    else {
      let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
      fatalError("gk-fuzz: set GK_FUZZ_TARGET to one of \(names) (scripts/fuzz.sh does)")
    }
    return target
  }()

  @_cdecl("LLVMFuzzerTestOneInput")
  public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    if case .violated(let reason) = fuzzTarget.run(bytes) { fatalError("gk-fuzz \(fuzzTarget.rawValue): \(reason)") }
    return 0
  }

  /// libFuzzer's entry point for programs that keep their own `main`.
  @_silgen_name("LLVMFuzzerRunDriver")
  private func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
  ) -> CInt

  // SwiftPM links an executable with its module's `<name>_main` as `main`, so the fuzzing build
  // provides that symbol and hands control to libFuzzer's driver.
  @_cdecl("gk_fuzz_main")
  public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return runFuzzerDriver(&count, &arguments) { data, size in fuzzOneInput(data, size) }
  }
#else
  @main
  struct GKFuzz {
    static func main() {
      let arguments = Array(CommandLine.arguments.dropFirst())
      do {
        switch arguments.first {
        case "seeds" where arguments.count == 2: try FuzzFiles.writeSeeds(into: arguments[1])
        case "replay" where arguments.count >= 3:
          guard let target = FuzzTarget(rawValue: arguments[1]) else { throw FuzzFiles.Failure("unknown target '\(arguments[1])'") }
          let (counts, violations) = try FuzzFiles.replay(target, paths: Array(arguments.dropFirst(2)))
          print("gk-fuzz replay \(target.rawValue): \(counts.accepted) accepted, \(counts.rejected) rejected, \(violations.count) violated")
          for violation in violations { print("  \(violation)") }
          if !violations.isEmpty { exit(1) }
        default:
          let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
          print("usage: gk-fuzz seeds DIR\n       gk-fuzz replay \(names) PATH...")
          exit(2)
        }
      } catch {
        print("gk-fuzz: \(error)")
        exit(1)
      }
    }
  }
#endif
