/// Builders for the report's convolutional VAE (DESIGN section 4; widths after the TensorFlow CVAE
/// tutorial and keras-io's VAE, extended to three convolutions).
public enum ConvolutionalVAE {
  /// The report's VAE for `[N, channels, 28, 28]` images (or `imageHeight x imageWidth`, both
  /// multiples of 4: Frey faces are 28 x 20, Olivetti 64 x 64).
  ///
  /// Encoder: Conv(c -> 32, k3, s2) -> ReLU -> Conv(32 -> 64, k3, s2) -> ReLU -> Conv(64 -> 128, k3, s1)
  /// -> ReLU -> Flatten -> Dense(6272 -> 2 * latent).
  /// Decoder: Dense(latent -> 7*7*64) -> ReLU -> Reshape(64, 7, 7) -> ConvT(64 -> 64, k3, s2) -> ReLU
  /// -> ConvT(64 -> 32, k3, s2) -> ReLU -> ConvT(32 -> c, k3, s1) (logits; ``VAE/decode(_:)`` applies the sigmoid).
  public static func mnist(
    latentDimension: Int = 16, channels: Int = 1, imageHeight: Int = 28, imageWidth: Int = 28, seed: UInt64? = nil
  ) -> VAE {
    enforce(imageHeight % 4 == 0 && imageWidth % 4 == 0 && imageHeight > 0 && imageWidth > 0,
                 "ConvolutionalVAE: image sides must be positive multiples of 4, got \(imageHeight) x \(imageWidth)")
    let (h, w) = (imageHeight / 4, imageWidth / 4)
    var seeds = SeedSequence(seed)
    let encoder = Sequential {
      Conv2D(inChannels: channels, outChannels: 32, kernelSize: 3, stride: 2, padding: .same, seed: seeds.next())
      ReLU()
      Conv2D(inChannels: 32, outChannels: 64, kernelSize: 3, stride: 2, padding: .same, seed: seeds.next())
      ReLU()
      Conv2D(inChannels: 64, outChannels: 128, kernelSize: 3, stride: 1, padding: .same, seed: seeds.next())
      ReLU()
      Flatten()
      Dense(inFeatures: 128 * h * w, outFeatures: 2 * latentDimension, seed: seeds.next())
    }
    let decoder = Sequential {
      Dense(inFeatures: latentDimension, outFeatures: 64 * h * w, seed: seeds.next())
      ReLU()
      Reshape([64, h, w])
      ConvTranspose2D(inChannels: 64, outChannels: 64, kernelSize: 3, stride: 2, padding: .same, seed: seeds.next())
      ReLU()
      ConvTranspose2D(inChannels: 64, outChannels: 32, kernelSize: 3, stride: 2, padding: .same, seed: seeds.next())
      ReLU()
      ConvTranspose2D(inChannels: 32, outChannels: channels, kernelSize: 3, stride: 1, padding: .same, seed: seeds.next())
    }
    return VAE(encoder: encoder, decoder: decoder, latentDimension: latentDimension)
  }
}
