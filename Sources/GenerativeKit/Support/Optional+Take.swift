extension Optional {
  /// The value, leaving nil behind.
  mutating func take() -> Wrapped? {
    defer { self = nil }
    return self
  }
}
