import Testing

@testable import GenerativeKit

/// Finite-difference gradient checks (central differences, sums in Double), as llm.c's
/// `check_tensor`: the report names the worst entry so a failure says where backward is wrong.
struct GradientCheckReport: CustomStringConvertible {
  var name: String
  var checked = 0
  var worstRelativeError: Double = 0
  var worstIndex = -1
  var worstAnalytic: Double = 0
  var worstNumeric: Double = 0

  var description: String {
    "\(name): worst relative error \(worstRelativeError) at index \(worstIndex) "
      + "(analytic \(worstAnalytic), numeric \(worstNumeric)) over \(checked) entries"
  }
}

enum GradCheck {
  /// Indices to probe: all of them for small tensors, otherwise a seeded sample.
  static func probeIndices(count: Int, maximum: Int, generator: inout SeededGenerator) -> [Int] {
    if count <= maximum { return Array(0..<count) }
    return (0..<maximum).map { _ in Int(generator.next() % UInt64(count)) }
  }

  /// Compares analytic gradients with central differences of `loss` at the probed entries of `values`.
  /// - Parameters:
  ///   - values: the tensor being perturbed, in place through `set`.
  ///   - analytic: the gradient backward produced, same shape.
  ///   - loss: recomputes the scalar objective for the current values.
  static func compare(
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

  /// Checks a layer's input gradient and every trainable parameter's gradient in training mode.
  ///
  /// The objective is `sum(weights * layer(x))` for fixed random `weights`, so backward receives
  /// `weights` as the output gradient. `prepare` runs before every forward (for example to reset
  /// a dropout layer's generator so the mask stays fixed).
  static func checkLayer(
    _ layer: any Layer, input: Tensor, step: Float = 1e-2, tolerance: Double = 2e-2, seed: UInt64 = 7,
    prepare: () -> Void = {}, sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
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
    let inputReport = try compare(
      name: "\(layer) input", values: input, analytic: inputGradient, step: step,
      set: { current = $0 }, loss: { try objective(current) }, generator: &generator)
    #expect(inputReport.worstRelativeError < tolerance, "\(inputReport)", sourceLocation: sourceLocation)

    for (named, analytic) in zip(layer.namedParameters.filter(\.parameter.isTrainable), parameterGradients) {
      let parameter = named.parameter
      let report = try compare(
        name: "\(layer) \(named.name)", values: parameter.value, analytic: analytic, step: step,
        set: { parameter.value = $0 }, loss: { try objective(input) }, generator: &generator)
      #expect(report.worstRelativeError < tolerance, "\(report)", sourceLocation: sourceLocation)
    }
  }

  /// A random tensor whose entries keep at least `margin` away from zero, so kinks (ReLU) are not probed.
  static func awayFromZero(shape: [Int], margin: Float = 0.05, seed: UInt64) -> Tensor {
    var generator = SeededGenerator(seed: seed)
    return Tensor.randomNormal(shape: shape, using: &generator).map { $0 >= 0 ? $0 + margin : $0 - margin }
  }
}
