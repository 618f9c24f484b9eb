/// Options a resumed run may change: how long it trains and how often it reports, and a GAN's
/// generator average may be added (it reads the generator's weights and changes no step). Every
/// other field of a run's options is its recipe, which a resume must continue unchanged.
enum RecipeCheck {
  static let reportingFields: Set<String> = ["epochs", "logEvery", "saveEvery", "sampleEvery", "sampleCount"]
  /// Fields that may go from absent in the checkpoint to present now, not the other way.
  static let addableFields: Set<String> = ["generatorAverageDecay"]
  /// What an absent optional means for fields whose absence is a value.
  static let absentMeans: [String: String] = [
    "dynamicBinarization": "false", "discriminator": "report", "discriminatorLoss": "bce",
    "updateOrder": "simultaneous", "learningRateSchedule": "constant", "architecture": "convolutional", "adam": "keras",
  ]

  /// The first recipe field where `stored` (a checkpoint's options) and `current` differ, as
  /// "name: stored vs current"; nil when the recipes agree.
  static func difference<Options>(stored: Options, current: Options) -> String? {
    func value(_ label: String, _ field: Any) -> String {
      let text = describeOptionField(field)
      return text == "none" ? absentMeans[label] ?? text : text
    }
    let currentFields = Dictionary(
      Mirror(reflecting: current).children.compactMap { child in child.label.map { ($0, value($0, child.value)) } },
      uniquingKeysWith: { first, _ in first })
    for child in Mirror(reflecting: stored).children {
      guard let label = child.label, !reportingFields.contains(label) else { continue }
      let storedValue = value(label, child.value)
      if addableFields.contains(label), storedValue == "none" { continue }
      if let currentValue = currentFields[label], currentValue != storedValue {
        return "\(label) \(storedValue) in the checkpoint, \(currentValue) now"
      }
    }
    return nil
  }
}

/// A field of a run's options as text, for messages that compare two runs' options: an absent
/// optional is `none`, a present one its value, an enum with raw values its raw value.
package func describeOptionField(_ value: Any) -> String {
  let mirror = Mirror(reflecting: value)
  if mirror.displayStyle == .optional {
    guard let wrapped = mirror.children.first?.value else { return "none" }
    return describeOptionField(wrapped)
  }
  if let raw = value as? any RawRepresentable { return "\(raw.rawValue)" }
  return "\(value)"
}
