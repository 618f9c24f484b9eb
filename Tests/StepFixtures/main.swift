// gk-step-fixtures FILE: writes the step fixtures' initial weights and inputs (TestSupport's
// StepFixture) as one safetensors file, for Tests/Fixtures/pytorch-step/make-fixtures.sh.
import Foundation
import GenerativeKit
import TestSupport

guard CommandLine.arguments.count == 2 else {
  print("usage: gk-step-fixtures OUTPUT.safetensors")
  exit(2)
}
try StepFixture.inputsCheckpoint().save(to: URL(fileURLWithPath: CommandLine.arguments[1]))
