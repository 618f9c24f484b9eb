import Testing

@testable import GenerativeKit

@Suite("Learning-rate schedules")
struct LearningRateScheduleTests {
  @Test("A linear decay holds the base rate until its start, then falls to zero at the end")
  func linearDecay() {
    let schedule = LearningRateSchedule.linearDecay(after: 0.5)
    #expect(schedule.multiplier(at: 0) == 1)
    #expect(schedule.multiplier(at: 0.5) == 1)
    #expect(schedule.multiplier(at: 0.75) == 0.5)
    #expect(schedule.multiplier(at: 1) == 0)
    // Clamped outside the run.
    #expect(schedule.multiplier(at: 1.5) == 0 && schedule.multiplier(at: -1) == 1)
    let fromStart = LearningRateSchedule.linearDecay(after: 0)
    #expect(fromStart.multiplier(at: 0) == 1 && fromStart.multiplier(at: 0.25) == 0.75)
    #expect(LearningRateSchedule.constant.multiplier(at: 0.9) == 1)
  }

  @Test("A decay that starts outside [0, 1) is refused by name", arguments: [1.0, -0.1, Double.nan, 2.0])
  func badStart(after: Double) {
    #expect {
      try LearningRateSchedule.linearDecay(after: after).validate()
    } throws: { error in
      "\(error)".contains("linearDecay") && "\(error)".contains("[0, 1)")
    }
  }
}
