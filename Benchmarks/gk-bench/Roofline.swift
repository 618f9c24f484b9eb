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

  /// The multiply-adds of one forward pass of each layer of `network` for input `shape`: dense
  /// and convolution layers (everything else is a rounding error beside them).
  static func forwardMACs(of network: Sequential, input shape: [Int]) throws -> [Double] {
    var current = shape
    var macs: [Double] = []
    for layer in network.layers {
      let output = try layer.outputShape(forInputShape: current)
      switch layer {
      case let dense as Dense:
        macs.append(Double(current[0] * dense.inFeatures * dense.outFeatures))
      case let conv as Conv2D:
        macs.append(Double(output.reduce(1, *) * conv.inChannels * conv.kernelSize * conv.kernelSize))
      case let convT as ConvTranspose2D:
        macs.append(Double(current.reduce(1, *) * convT.outChannels * convT.kernelSize * convT.kernelSize))
      default:
        macs.append(0)
      }
      current = output
    }
    return macs
  }

  /// The floating-point operations of one GAN training step (2 per multiply-add): the generator's
  /// forward pass, weight gradients and data gradients below its first layer (its input is noise);
  /// the discriminator's two forward passes and two weight-gradient passes (real and generated
  /// batches) and one data-gradient pass (through to the generator).
  static func ganStepFLOPs(generator: Sequential, discriminator: Sequential, batch: Int, noise: Int, image: [Int]) throws -> Double {
    let g = try forwardMACs(of: generator, input: [batch, noise])
    let d = try forwardMACs(of: discriminator, input: [batch] + image)
    let gTotal = g.reduce(0, +), dTotal = d.reduce(0, +)
    return 2 * (3 * gTotal - (g.first ?? 0) + 5 * dTotal)
  }

  /// The floating-point operations of one VAE step: both networks' forward and weight-gradient
  /// passes, the decoder's data gradients, the encoder's below its first layer (its input is data).
  static func vaeStepFLOPs(model: VAE, batch: Int, image: [Int]) throws -> Double {
    let e = try forwardMACs(of: model.encoder, input: [batch] + image)
    let d = try forwardMACs(of: model.decoder, input: [batch, model.latentDimension])
    return 2 * (3 * e.reduce(0, +) - (e.first ?? 0) + 3 * d.reduce(0, +))
  }
}
