/// `precondition` that keeps its message in release builds.
///
/// Swift's `precondition` traps without a word in optimised builds ("Illegal instruction"), which
/// tells a user nothing about the shapes or arguments that were wrong. The library states its
/// preconditions on arguments (shapes, counts, ranges) with this instead: the same check and cost,
/// but a failure prints its message and the call site before stopping. Input that comes from
/// files or the command line is validated with thrown errors instead and never reaches these.
@inline(__always)
package func enforce(
  _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String = "",
  file: StaticString = #fileID, line: UInt = #line
) {
  if _slowPath(!condition()) {
    fatalError(message(), file: file, line: line)
  }
}
