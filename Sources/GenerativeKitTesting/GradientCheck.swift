import GenerativeKit

/// The outcome of one finite-difference gradient check: the worst entry among those probed, so a
/// failure says where backward is wrong (as llm.c's `check_tensor` does).
public struct GradientCheckReport: Sendable, CustomStringConvertible {
  /// What was checked, for example `"Conv2D(...) weight"`.
  public var name: String
  /// How many entries were probed.
  public var checked = 0
  /// The largest `|numeric - analytic| / max(|numeric|, |analytic|, floor)` among the probes.
  public var worstRelativeError: Double = 0
  /// The flat index of the worst entry, or -1 when every probe agreed exactly.
  public var worstIndex = -1
  /// The analytic (backward) gradient at the worst entry.
  public var worstAnalytic: Double = 0
  /// The central-difference gradient at the worst entry.
  public var worstNumeric: Double = 0

  /// A report with nothing probed yet.
  public init(name: String) { self.name = name }

  /// Whether every probed entry agreed within `tolerance` (relative).
  public func passes(tolerance: Double) -> Bool { worstRelativeError < tolerance }

  public var description: String {
    "\(name): worst relative error \(worstRelativeError) at index \(worstIndex) "
      + "(analytic \(worstAnalytic), numeric \(worstNumeric)) over \(checked) entries"
  }
}

/// Finite-difference gradient checks (central differences, sums in Double) for layers, losses
/// and whole models written on GenerativeKit.
///
/// Check a layer of your own with
///
/// ```swift
/// let input = GradientCheck.awayFromZero(shape: [2, 3, 5, 5], seed: 1)
/// for report in try GradientCheck.layer(myLayer, input: input) {
///   #expect(report.passes(tolerance: 2e-2), "\(report)")
/// }
/// ```
///
/// Set the layer's parameters to non-trivial values first (random, not the initial ones and
/// zeros): a backward pass that forgets a factor of the weight, say, agrees with central
/// differences while every weight is still 1.
public enum GradientCheck {
  /// Indices to probe: all of them for tensors of at most `maximum` entries, otherwise a seeded
  /// sample of `maximum` distinct ones (no entry probed twice while others go unchecked).
  public static func probeIndices(count: Int, maximum: Int, generator: inout SeededGenerator) -> [Int] {
    if count <= maximum { return Array(0..<count) }
    var chosen = Set<Int>()
    var indices: [Int] = []
    while indices.count < maximum {
      let index = Int(generator.next() % UInt64(count))
      if chosen.insert(index).inserted { indices.append(index) }
    }
    return indices
  }

  /// Compares an analytic gradient with central differences of `loss` at probed entries of `values`.
  ///
  /// - Parameters:
  ///   - name: names the tensor in the report.
  ///   - values: the tensor being perturbed; each probe passes a copy with one entry moved by
  ///     `±step` to `set`, then restores `values`.
  ///   - analytic: the gradient backward produced, the shape of `values`.
  ///   - step: the finite-difference step (1e-2 suits Float32 layers of unit scale).
  ///   - maximumProbes: entries checked at most (all of them for smaller tensors).
  ///   - set: installs a perturbed tensor where `loss` reads it.
  ///   - loss: recomputes the scalar objective for the values currently installed.
  ///   - generator: chooses the probed entries of larger tensors.
  public static func compare(
    name: String, values: Tensor, analytic: Tensor, step: Float, maximumProbes: Int = 24,
    set: (Tensor) -> Void, loss: () throws -> Double, generator: inout SeededGenerator
  ) rethrows -> GradientCheckReport {
    var report = GradientCheckReport(name: name)
    let scale = Double(analytic.withUnsafeBufferPointer { $0.map { abs($0) }.max() ?? 0 })
    let floor = max(1e-3, 1e-2 * scale)
    for index in probeIndices(count: values.count, maximum: maximumProbes, generator: &generator) {
      var plus = values
      plus[flat: index] += step
      set(plus)
      let up = try loss()
      var minus = values
      minus[flat: index] -= step
      set(minus)
      let down = try loss()
      set(values)
      let numeric = (up - down) / Double(2 * step)
      let exact = Double(analytic[flat: index])
      let error = abs(numeric - exact) / max(abs(numeric), abs(exact), floor)
      report.checked += 1
      if error > report.worstRelativeError {
        report.worstRelativeError = error
        report.worstIndex = index
        report.worstAnalytic = exact
        report.worstNumeric = numeric
      }
    }
    return report
  }

  /// Checks a layer's input gradient and every trainable parameter's gradient, in training mode.
  ///
  /// The objective is `sum(weights * layer(x))` for fixed random `weights` of the output's shape,
  /// so backward receives `weights` as the output gradient.
  ///
  /// - Parameters:
  ///   - layer: the layer under test; left in training mode with its parameters unchanged.
  ///   - input: `[N, ...]`, the shape the layer expects; keep entries off the kinks of piecewise
  ///     functions (see ``awayFromZero(shape:margin:seed:)``).
  ///   - step: the finite-difference step.
  ///   - seed: seeds the output weights and the probed entries.
  ///   - maximumProbes: entries checked per tensor at most.
  ///   - prepare: runs before every forward pass, for example to reset a dropout layer's
  ///     generator so its mask stays the same.
  /// - Returns: one report for the input, then one per trainable parameter in
  ///   `namedParameters` order.
  public static func layer(
    _ layer: any Layer, input: Tensor, step: Float = 1e-2, seed: UInt64 = 7, maximumProbes: Int = 24,
    prepare: () -> Void = {}
  ) throws -> [GradientCheckReport] {
    var generator = SeededGenerator(seed: seed)
    layer.isTraining = true
    prepare()
    let output = try layer.forward(input)
    let weights = Tensor.randomNormal(shape: output.shape, using: &generator)
    layer.zeroGradients()
    let inputGradient = try layer.backward(weights)
    let parameterGradients = layer.trainableParameters.map(\.gradient)

    func objective(_ x: Tensor) throws -> Double {
      prepare()
      let y = try layer.forward(x)
      var total = 0.0
      for i in 0..<y.count { total += Double(y[flat: i]) * Double(weights[flat: i]) }
      return total
    }

    var current = input
    var reports = [
      try compare(
        name: "\(layer) input", values: input, analytic: inputGradient, step: step, maximumProbes: maximumProbes,
        set: { current = $0 }, loss: { try objective(current) }, generator: &generator)
    ]
    for (named, analytic) in zip(layer.namedParameters.filter(\.parameter.isTrainable), parameterGradients) {
      let parameter = named.parameter
      reports.append(
        try compare(
          name: "\(layer) \(named.name)", values: parameter.value, analytic: analytic, step: step,
          maximumProbes: maximumProbes, set: { parameter.value = $0 }, loss: { try objective(input) },
          generator: &generator))
    }
    return reports
  }

  /// A seeded normal tensor whose entries keep at least `margin` away from zero, so that the kinks
  /// of ReLU-like functions are not probed.
  public static func awayFromZero(shape: [Int], margin: Float = 0.05, seed: UInt64) -> Tensor {
    var generator = SeededGenerator(seed: seed)
    return Tensor.randomNormal(shape: shape, using: &generator).map { $0 >= 0 ? $0 + margin : $0 - margin }
  }
}
