import CPeakProbe
import Dispatch
import GenerativeKit

/// The machine's FP32 FMA peak on the benchmark's threads (the roofline every figure is read
/// against), and the multiply-adds of layers and training steps.
enum Roofline {
  /// The peak measured on `threads` threads at once: each runs independent FMA chains of the
  /// widest vector width the CPU has (CPUID); the best of `trials` runs.
  static func measurePeak(threads: Int, trials: Int = 5) -> (gflops: Double, vectorBits: Int) {
    let bits = Int(gk_peak_vector_bits())
    let iterations = 20_000_000 / (bits / 128)  // about 0.1 s per trial on a current core
    _ = gk_peak_run(Int32(bits), iterations / 10)  // wake the cores up to their clock
    var best = 0.0
    for _ in 0..<trials {
      let start = DispatchTime.now().uptimeNanoseconds
      let flops = UnsafeMutableBufferPointer<Double>.allocate(capacity: threads)
      defer { flops.deallocate() }
      DispatchQueue.concurrentPerform(iterations: threads) { thread in
        flops[thread] = gk_peak_run(Int32(bits), iterations)
      }
      let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
      best = max(best, flops.reduce(0, +) / seconds / 1e9)
    }
    return (best, bits)
  }

  /// The multiply-adds of one forward pass of each layer of `network` for input `shape`, dense and
  /// convolution layers (everything else is a rounding error beside them): `nominal` counts every
  /// kernel tap at every pixel, as frameworks count a direct convolution; `useful` leaves out the
  /// products of padding (taps that fall outside the image), which no implementation has to do.
  static func forwardMACs(of network: Sequential, input shape: [Int]) throws -> [(nominal: Double, useful: Double)] {
    var current = shape
    var macs: [(nominal: Double, useful: Double)] = []
    for layer in network.layers {
      let output = try layer.outputShape(forInputShape: current)
      switch layer {
      case let dense as Dense:
        let count = Double(current[0] * dense.inFeatures * dense.outFeatures)
        macs.append((count, count))
      case let conv as Conv2D:
        let perTap = Double(output[0] * conv.outChannels * conv.inChannels)
        let k = conv.kernelSize
        let rows = validTaps(outputs: output[2], inputs: current[2], kernel: k, stride: conv.stride, low: lowPadding(conv.padding, k, current[2], output[2], conv.stride))
        let columns = validTaps(outputs: output[3], inputs: current[3], kernel: k, stride: conv.stride, low: lowPadding(conv.padding, k, current[3], output[3], conv.stride))
        macs.append((perTap * Double(output[2] * output[3] * k * k), perTap * Double(rows * columns)))
      case let convT as ConvTranspose2D:
        let perTap = Double(current[0] * convT.inChannels * convT.outChannels)
        let k = convT.kernelSize
        // Input pixel i reaches output i * stride - low + tap: the taps landing inside the output.
        let rows = transposedValidTaps(inputs: current[2], outputs: output[2], kernel: k, stride: convT.stride, low: transposedLowPadding(convT.padding, k))
        let columns = transposedValidTaps(inputs: current[3], outputs: output[3], kernel: k, stride: convT.stride, low: transposedLowPadding(convT.padding, k))
        macs.append((perTap * Double(current[2] * current[3] * k * k), perTap * Double(rows * columns)))
      default:
        macs.append((0, 0))
      }
      current = output
    }
    return macs
  }

  /// Pairs (output position, tap) of one dimension of a convolution whose input index is inside the input.
  static func validTaps(outputs: Int, inputs: Int, kernel: Int, stride: Int, low: Int) -> Int {
    (0..<outputs).reduce(0) { total, o in total + (0..<kernel).filter { (0..<inputs).contains(o * stride - low + $0) }.count }
  }

  /// Pairs (input position, tap) of one dimension of a transposed convolution that land inside the output.
  static func transposedValidTaps(inputs: Int, outputs: Int, kernel: Int, stride: Int, low: Int) -> Int {
    (0..<inputs).reduce(0) { total, i in total + (0..<kernel).filter { (0..<outputs).contains(i * stride - low + $0) }.count }
  }

  /// The padding before the first pixel of a convolution's input.
  static func lowPadding(_ padding: Padding, _ kernel: Int, _ input: Int, _ output: Int, _ stride: Int) -> Int {
    switch padding {
    case .valid: return 0
    case .explicit(let p): return p
    case .same: return (kernel - 1) / 2
    case .tensorflowSame: return max((output - 1) * stride + kernel - input, 0) / 2
    }
  }

  /// The cropping before the first pixel of a transposed convolution's output.
  static func transposedLowPadding(_ padding: Padding, _ kernel: Int) -> Int {
    switch padding {
    case .valid: return 0
    case .explicit(let p): return p
    case .same, .tensorflowSame: return (kernel - 1) / 2
    }
  }

  /// The floating-point operations of one GAN training step (2 per multiply-add), nominal and
  /// useful (see ``forwardMACs(of:input:)``): the generator's forward pass, weight gradients and
  /// data gradients below its first layer (its input is noise); the discriminator's two forward
  /// and two weight-gradient passes (real and generated batches) and one data-gradient pass
  /// (through to the generator).
  static func ganStepFLOPs(generator: Sequential, discriminator: Sequential, batch: Int, noise: Int, image: [Int]) throws -> (nominal: Double, useful: Double) {
    let g = try forwardMACs(of: generator, input: [batch, noise])
    let d = try forwardMACs(of: discriminator, input: [batch] + image)
    func total(_ part: KeyPath<(nominal: Double, useful: Double), Double>) -> Double {
      2 * (3 * g.map { $0[keyPath: part] }.reduce(0, +) - (g.first?[keyPath: part] ?? 0) + 5 * d.map { $0[keyPath: part] }.reduce(0, +))
    }
    return (total(\.nominal), total(\.useful))
  }

  /// The floating-point operations of one VAE step: both networks' forward and weight-gradient
  /// passes, the decoder's data gradients, the encoder's below its first layer (its input is data).
  static func vaeStepFLOPs(model: VAE, batch: Int, image: [Int]) throws -> (nominal: Double, useful: Double) {
    let e = try forwardMACs(of: model.encoder, input: [batch] + image)
    let d = try forwardMACs(of: model.decoder, input: [batch, model.latentDimension])
    func total(_ part: KeyPath<(nominal: Double, useful: Double), Double>) -> Double {
      2 * (3 * e.map { $0[keyPath: part] }.reduce(0, +) - (e.first?[keyPath: part] ?? 0) + 3 * d.map { $0[keyPath: part] }.reduce(0, +))
    }
    return (total(\.nominal), total(\.useful))
  }
}
