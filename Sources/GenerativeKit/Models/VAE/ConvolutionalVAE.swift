/// Builders for the report's convolutional VAE (widths after the TensorFlow CVAE
/// tutorial and keras-io's VAE, extended to three convolutions).
public enum ConvolutionalVAE {
  /// The report's VAE for `[N, channels, 28, 28]` images (or `imageHeight x imageWidth`, both
  /// multiples of 4: Frey faces are 28 x 20, Olivetti 64 x 64).
  ///
  /// Encoder: Conv(c -> 32, k3, s2) -> ReLU -> Conv(32 -> 64, k3, s2) -> ReLU -> Conv(64 -> 128, k3, s1)
  /// -> ReLU -> Flatten -> Dense(6272 -> 2 * latent).
  /// Decoder: Dense(latent -> 7*7*64) -> ReLU -> Reshape(64, 7, 7) -> ConvT(64 -> 64, k3, s2) -> ReLU
  /// -> ConvT(64 -> 32, k3, s2) -> ReLU -> ConvT(32 -> c, k3, s1) (logits; ``VAE/decode(_:labels:)`` applies the sigmoid).
  public static func make(
    latentDimension: Int = 16, channels: Int = 1, imageHeight: Int = 28, imageWidth: Int = 28, seed: UInt64? = nil
  ) -> VAE {
    let (encoder, decoder) = networks(
      latentDimension: latentDimension, channels: channels, classes: 0, imageHeight: imageHeight, imageWidth: imageWidth,
      seed: seed)
    return VAE(encoder: encoder, decoder: decoder, latentDimension: latentDimension)
  }

  /// The report's VAE made class-conditional as ``DCGAN/conditionalTutorial(classes:noiseDimension:channels:width:imageHeight:imageWidth:seed:)``
  /// is: the encoder sees the image with one constant plane per class appended
  /// (`channels + classes` input channels), the decoder the code with the label one-hot appended
  /// (`latentDimension + classes` inputs). Train it with ``VAETrainer/step(images:labels:shard:)``,
  /// sample a class with ``VAE/sample(count:labels:using:batchSize:)``.
  public static func makeConditional(
    classes: Int = 10, latentDimension: Int = 16, channels: Int = 1, imageHeight: Int = 28, imageWidth: Int = 28,
    seed: UInt64? = nil
  ) throws -> VAE {
    guard classes >= 1 else {
      throw GenerativeKitError.invalidArgument("ConvolutionalVAE.makeConditional: classes must be positive, got \(classes)")
    }
    let (encoder, decoder) = networks(
      latentDimension: latentDimension, channels: channels, classes: classes, imageHeight: imageHeight,
      imageWidth: imageWidth, seed: seed)
    return VAE(encoder: encoder, decoder: decoder, latentDimension: latentDimension, classCount: classes)
  }

  /// Both networks, with `classes` extra input channels for the encoder and inputs for the decoder.
  private static func networks(
    latentDimension: Int, channels: Int, classes: Int, imageHeight: Int, imageWidth: Int, seed: UInt64?
  ) -> (encoder: Sequential, decoder: Sequential) {
    enforce(imageHeight % 4 == 0 && imageWidth % 4 == 0 && imageHeight > 0 && imageWidth > 0,
                 "ConvolutionalVAE: image sides must be positive multiples of 4, got \(imageHeight) x \(imageWidth)")
    let (h, w) = (imageHeight / 4, imageWidth / 4)
    var seeds = SeedSequence(seed)
    let encoder = Sequential {
      Conv2D(inChannels: channels + classes, outChannels: 32, kernelSize: 3, stride: 2, padding: .same, seed: seeds.next())
      ReLU()
      Conv2D(inChannels: 32, outChannels: 64, kernelSize: 3, stride: 2, padding: .same, seed: seeds.next())
      ReLU()
      Conv2D(inChannels: 64, outChannels: 128, kernelSize: 3, stride: 1, padding: .same, seed: seeds.next())
      ReLU()
      Flatten()
      Dense(inFeatures: 128 * h * w, outFeatures: 2 * latentDimension, seed: seeds.next())
    }
    let decoder = Sequential {
      Dense(inFeatures: latentDimension + classes, outFeatures: 64 * h * w, seed: seeds.next())
      ReLU()
      Reshape([64, h, w])
      ConvTranspose2D(inChannels: 64, outChannels: 64, kernelSize: 3, stride: 2, padding: .same, seed: seeds.next())
      ReLU()
      ConvTranspose2D(inChannels: 64, outChannels: 32, kernelSize: 3, stride: 2, padding: .same, seed: seeds.next())
      ReLU()
      ConvTranspose2D(inChannels: 32, outChannels: channels, kernelSize: 3, stride: 1, padding: .same, seed: seeds.next())
    }
    return (encoder, decoder)
  }
}
