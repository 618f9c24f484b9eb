/// Builders for the report's DCGAN (the TensorFlow DCGAN tutorial's generator and discriminator
/// for 28 x 28 images) and Radford et al.'s DCGAN for 64 x 64 images.
///
/// The report's builders spell out its Keras code's choices: LeakyReLU slope 0.3,
/// `BatchNorm.keras` (momentum 0.99 in Keras's meaning, epsilon 1e-3), Glorot-uniform kernels. "same" padding uses PyTorch-compatible symmetric
/// padding, so a saved generator loads into the equivalent PyTorch `nn.Sequential`.
public enum DCGAN {
  /// The report's generator: noise `[N, noiseDimension]` -> images `[N, channels, 28, 28]` in [-1, 1]
  /// (or `imageHeight x imageWidth`, both multiples of 4: Frey faces are 28 x 20).
  ///
  /// Dense(noise -> 7*7*4w, no bias) -> BN -> LeakyReLU -> Reshape(4w, 7, 7) ->
  /// ConvT(4w -> 2w, k5, s1) -> BN -> LeakyReLU -> ConvT(2w -> w, k5, s2) -> BN -> LeakyReLU ->
  /// ConvT(w -> channels, k5, s2) -> tanh, with w = `width` (64 in the report).
  public static func tutorialGenerator(
    noiseDimension: Int = 100, channels: Int = 1, width: Int = 64, imageHeight: Int = 28, imageWidth: Int = 28,
    leakySlope: Float = 0.3, seed: UInt64? = nil
  ) -> Sequential {
    enforce(imageHeight % 4 == 0 && imageWidth % 4 == 0 && imageHeight > 0 && imageWidth > 0,
                 "DCGAN.tutorialGenerator: image sides must be positive multiples of 4, got \(imageHeight) x \(imageWidth)")
    var seeds = SeedSequence(seed)
    let (baseHeight, baseWidth) = (imageHeight / 4, imageWidth / 4)
    return Sequential {
      Dense(inFeatures: noiseDimension, outFeatures: baseHeight * baseWidth * 4 * width, bias: false, seed: seeds.next())
      BatchNorm.keras(features: baseHeight * baseWidth * 4 * width)
      LeakyReLU(slope: leakySlope)
      Reshape([4 * width, baseHeight, baseWidth])
      ConvTranspose2D(inChannels: 4 * width, outChannels: 2 * width, kernelSize: 5, stride: 1, padding: .same,
                      bias: false, seed: seeds.next())
      BatchNorm.keras(features: 2 * width)
      LeakyReLU(slope: leakySlope)
      ConvTranspose2D(inChannels: 2 * width, outChannels: width, kernelSize: 5, stride: 2, padding: .same,
                      bias: false, seed: seeds.next())
      BatchNorm.keras(features: width)
      LeakyReLU(slope: leakySlope)
      ConvTranspose2D(inChannels: width, outChannels: channels, kernelSize: 5, stride: 2, padding: .same,
                      bias: false, seed: seeds.next())
      Tanh()
    }
  }

  /// The report's discriminator: images `[N, channels, 28, 28]` (or `imageHeight x imageWidth`,
  /// multiples of 4) -> logits `[N, 1]`.
  ///
  /// Conv(channels -> w, k5, s2) -> LeakyReLU -> Dropout(0.3) -> Conv(w -> 2w, k5, s2) -> LeakyReLU ->
  /// Dropout(0.3) -> Flatten -> Dense(7*7*2w -> 1), with w = `width` (64 in the report).
  public static func tutorialDiscriminator(
    channels: Int = 1, width: Int = 64, imageHeight: Int = 28, imageWidth: Int = 28, leakySlope: Float = 0.3,
    dropout: Float = 0.3, seed: UInt64? = nil
  ) -> Sequential {
    enforce(imageHeight % 4 == 0 && imageWidth % 4 == 0 && imageHeight > 0 && imageWidth > 0,
                 "DCGAN.tutorialDiscriminator: image sides must be positive multiples of 4, got \(imageHeight) x \(imageWidth)")
    var seeds = SeedSequence(seed)
    return Sequential {
      Conv2D(inChannels: channels, outChannels: width, kernelSize: 5, stride: 2, padding: .same, seed: seeds.next())
      LeakyReLU(slope: leakySlope)
      Dropout(rate: dropout, seed: seeds.next())
      Conv2D(inChannels: width, outChannels: 2 * width, kernelSize: 5, stride: 2, padding: .same, seed: seeds.next())
      LeakyReLU(slope: leakySlope)
      Dropout(rate: dropout, seed: seeds.next())
      Flatten()
      Dense(inFeatures: (imageHeight / 4) * (imageWidth / 4) * 2 * width, outFeatures: 1, seed: seeds.next())
    }
  }

  /// A discriminator after Radford et al.'s practice for the report's image sizes: images
  /// `[N, channels, H, W]` (sides multiples of 4) -> logits `[N, 1]`.
  ///
  /// Conv(channels -> w, k4, s2, p1) -> LeakyReLU(0.2) -> Conv(w -> 2w, k4, s2, p1, no bias) -> BN ->
  /// LeakyReLU(0.2) -> Conv(2w -> 4w, k3, s2, p1, no bias) -> BN -> LeakyReLU(0.2) -> Flatten ->
  /// Dense(4w * ceil(H/8) * ceil(W/8) -> 1): 28 x 28 -> 14 -> 7 -> 4. Batch norm with PyTorch's
  /// defaults, weights N(0, 0.02), no dropout. A discriminator of this kind, trained fresh on fixed
  /// samples of the dcgan preset, tells them from real digits where the report's cannot
  /// (`Benchmarks/reference/discriminator_probe.py`, docs/RESULTS.md).
  public static func batchNormDiscriminator(
    channels: Int = 1, width: Int = 64, imageHeight: Int = 28, imageWidth: Int = 28, seed: UInt64? = nil
  ) -> Sequential {
    enforce(imageHeight % 4 == 0 && imageWidth % 4 == 0 && imageHeight > 0 && imageWidth > 0,
            "DCGAN.batchNormDiscriminator: image sides must be positive multiples of 4, got \(imageHeight) x \(imageWidth)")
    var seeds = SeedSequence(seed)
    let init_ = Initializer.normal(std: 0.02)
    // A k3, s2, p1 convolution takes a side s to (s - 1) / 2 + 1.
    let (lastHeight, lastWidth) = ((imageHeight / 4 - 1) / 2 + 1, (imageWidth / 4 - 1) / 2 + 1)
    return Sequential {
      radfordStem(channels: channels, width: width, seeds: &seeds)
      Conv2D(inChannels: 2 * width, outChannels: 4 * width, kernelSize: 3, stride: 2, padding: .explicit(1), bias: false,
             weightInitializer: init_, seed: seeds.next())
      BatchNorm.pytorch(features: 4 * width)
      LeakyReLU(slope: 0.2)
      Flatten()
      Dense(inFeatures: 4 * width * lastHeight * lastWidth, outFeatures: 1, weightInitializer: init_, seed: seeds.next())
    }
  }

  /// The light DCGAN generator PyTorch users write for 28 x 28 digits (Radford et al.'s layout with
  /// 4 x 4 kernels): noise `[N, noiseDimension]` -> images `[N, channels, H, W]` in [-1, 1] (sides
  /// multiples of 4).
  ///
  /// Dense(noise -> 2w * H/4 * W/4, no bias) -> Reshape(2w, H/4, W/4) -> BN -> ReLU ->
  /// ConvT(2w -> w, k4, s2, p1, no bias) -> BN -> ReLU -> ConvT(w -> channels, k4, s2, p1) -> Tanh.
  /// With w = 64: 128 then 64 channels, about 7 million multiply-adds per image forward, against
  /// about 52 million for ``tutorialGenerator(noiseDimension:channels:width:imageHeight:imageWidth:leakySlope:seed:)``.
  /// Batch norm with PyTorch's defaults, weights N(0, 0.02).
  public static func lightGenerator(
    noiseDimension: Int = 100, channels: Int = 1, width: Int = 64, imageHeight: Int = 28, imageWidth: Int = 28,
    seed: UInt64? = nil
  ) -> Sequential {
    enforce(imageHeight % 4 == 0 && imageWidth % 4 == 0 && imageHeight > 0 && imageWidth > 0,
            "DCGAN.lightGenerator: image sides must be positive multiples of 4, got \(imageHeight) x \(imageWidth)")
    var seeds = SeedSequence(seed)
    let init_ = Initializer.normal(std: 0.02)
    let (baseHeight, baseWidth) = (imageHeight / 4, imageWidth / 4)
    return Sequential {
      Dense(inFeatures: noiseDimension, outFeatures: 2 * width * baseHeight * baseWidth, bias: false,
            weightInitializer: init_, seed: seeds.next())
      Reshape([2 * width, baseHeight, baseWidth])
      BatchNorm.pytorch(features: 2 * width)
      ReLU()
      ConvTranspose2D(inChannels: 2 * width, outChannels: width, kernelSize: 4, stride: 2, padding: .explicit(1),
                      bias: false, weightInitializer: init_, seed: seeds.next())
      BatchNorm.pytorch(features: width)
      ReLU()
      ConvTranspose2D(inChannels: width, outChannels: channels, kernelSize: 4, stride: 2, padding: .explicit(1),
                      weightInitializer: init_, seed: seeds.next())
      Tanh()
    }
  }

  /// The light DCGAN discriminator that goes with ``lightGenerator(noiseDimension:channels:width:imageHeight:imageWidth:seed:)``:
  /// images `[N, channels, H, W]` -> logits `[N, 1]`.
  ///
  /// Conv(channels -> w, k4, s2, p1) -> LeakyReLU(0.2) -> Conv(w -> 2w, k4, s2, p1, no bias) -> BN ->
  /// LeakyReLU(0.2) -> Flatten -> Dense(2w * H/4 * W/4 -> 1). Batch norm with PyTorch's defaults,
  /// weights N(0, 0.02), no dropout.
  public static func lightDiscriminator(
    channels: Int = 1, width: Int = 64, imageHeight: Int = 28, imageWidth: Int = 28, seed: UInt64? = nil
  ) -> Sequential {
    enforce(imageHeight % 4 == 0 && imageWidth % 4 == 0 && imageHeight > 0 && imageWidth > 0,
            "DCGAN.lightDiscriminator: image sides must be positive multiples of 4, got \(imageHeight) x \(imageWidth)")
    var seeds = SeedSequence(seed)
    let init_ = Initializer.normal(std: 0.02)
    return Sequential {
      radfordStem(channels: channels, width: width, seeds: &seeds)
      Flatten()
      Dense(inFeatures: 2 * width * (imageHeight / 4) * (imageWidth / 4), outFeatures: 1, weightInitializer: init_,
            seed: seeds.next())
    }
  }

  /// The report's DCGAN made class-conditional the simplest way that works with any
  /// architecture: the generator takes the noise with the label one-hot appended
  /// (`noiseDimension + classes` inputs), the discriminator the image with one constant plane per
  /// class appended (`channels + classes` channels, the image's class plane all ones). Train it
  /// with ``GANTrainer/init(model:generatorOptimizer:discriminatorOptimizer:loss:seed:)`` (it reads the GAN's class count), sample with ``GAN/generate(_:labels:statistics:)``.
  public static func conditionalTutorial(
    classes: Int = 10, noiseDimension: Int = 100, channels: Int = 1, width: Int = 64, imageHeight: Int = 28,
    imageWidth: Int = 28, seed: UInt64? = nil
  ) throws -> GAN {
    guard classes >= 1 else { throw GenerativeKitError.invalidArgument("DCGAN.conditionalTutorial: classes must be positive, got \(classes)") }
    var seeds = SeedSequence(seed)
    let generator = tutorialGenerator(
      noiseDimension: noiseDimension + classes, channels: channels, width: width, imageHeight: imageHeight,
      imageWidth: imageWidth, seed: seeds.next())
    let discriminator = tutorialDiscriminator(
      channels: channels + classes, width: width, imageHeight: imageHeight, imageWidth: imageWidth, seed: seeds.next())
    return try GAN(generator: generator, discriminator: discriminator, noiseDimension: noiseDimension, classCount: classes)
  }

  /// Radford et al.'s DCGAN generator for 64 x 64 images: noise `[N, noiseDimension]` -> images
  /// `[N, channels, 64, 64]` in [-1, 1].
  ///
  /// Dense(noise -> 4*4*8w, no bias) -> BN -> ReLU -> Reshape(8w, 4, 4), then four
  /// ConvT(k4, s2, p1, no bias) layers 8w -> 4w -> 2w -> w -> channels (4 -> 8 -> 16 -> 32 -> 64),
  /// BN + ReLU between them, tanh at the end. Weights N(0, 0.02), as the paper initialises.
  public static func generator64(
    noiseDimension: Int = 100, channels: Int = 1, width: Int = 64, seed: UInt64? = nil
  ) -> Sequential {
    var seeds = SeedSequence(seed)
    let init_ = Initializer.normal(std: 0.02)
    let widths = [8 * width, 4 * width, 2 * width, width]
    return Sequential {
      Dense(inFeatures: noiseDimension, outFeatures: 4 * 4 * widths[0], bias: false, weightInitializer: init_,
            seed: seeds.next())
      BatchNorm.pytorch(features: 4 * 4 * widths[0])
      ReLU()
      Reshape([widths[0], 4, 4])
      for index in 0..<3 {
        ConvTranspose2D(inChannels: widths[index], outChannels: widths[index + 1], kernelSize: 4, stride: 2,
                        padding: .explicit(1), bias: false, weightInitializer: init_, seed: seeds.next())
        BatchNorm.pytorch(features: widths[index + 1])
        ReLU()
      }
      ConvTranspose2D(inChannels: width, outChannels: channels, kernelSize: 4, stride: 2, padding: .explicit(1),
                      bias: false, weightInitializer: init_, seed: seeds.next())
      Tanh()
    }
  }

  /// Radford et al.'s DCGAN discriminator for 64 x 64 images: `[N, channels, 64, 64]` -> logits `[N, 1]`.
  ///
  /// Conv(channels -> w, k4, s2, p1) -> LeakyReLU(0.2), then Conv(k4, s2, p1, no bias) -> BN ->
  /// LeakyReLU(0.2) for w -> 2w -> 4w -> 8w (64 -> 32 -> 16 -> 8 -> 4), Flatten, Dense(8w*4*4 -> 1).
  public static func discriminator64(channels: Int = 1, width: Int = 64, seed: UInt64? = nil) -> Sequential {
    var seeds = SeedSequence(seed)
    let init_ = Initializer.normal(std: 0.02)
    let widths = [width, 2 * width, 4 * width, 8 * width]
    return Sequential {
      Conv2D(inChannels: channels, outChannels: width, kernelSize: 4, stride: 2, padding: .explicit(1),
             weightInitializer: init_, seed: seeds.next())
      LeakyReLU(slope: 0.2)
      for index in 0..<3 {
        Conv2D(inChannels: widths[index], outChannels: widths[index + 1], kernelSize: 4, stride: 2,
               padding: .explicit(1), bias: false, weightInitializer: init_, seed: seeds.next())
        BatchNorm.pytorch(features: widths[index + 1])
        LeakyReLU(slope: 0.2)
      }
      Flatten()
      Dense(inFeatures: 8 * width * 4 * 4, outFeatures: 1, weightInitializer: init_, seed: seeds.next())
    }
  }
}

extension DCGAN {
  /// The first two stages of Radford et al.'s discriminator, shared by the light and batch-norm
  /// discriminators: Conv(channels -> w, k4, s2, p1) -> LeakyReLU(0.2) -> Conv(w -> 2w, k4, s2, p1,
  /// no bias) -> BN -> LeakyReLU(0.2), weights N(0, 0.02); halves each side twice.
  fileprivate static func radfordStem(channels: Int, width: Int, seeds: inout SeedSequence) -> [any Layer] {
    let init_ = Initializer.normal(std: 0.02)
    return [
      Conv2D(inChannels: channels, outChannels: width, kernelSize: 4, stride: 2, padding: .explicit(1),
             weightInitializer: init_, seed: seeds.next()),
      LeakyReLU(slope: 0.2),
      Conv2D(inChannels: width, outChannels: 2 * width, kernelSize: 4, stride: 2, padding: .explicit(1), bias: false,
             weightInitializer: init_, seed: seeds.next()),
      BatchNorm.pytorch(features: 2 * width),
      LeakyReLU(slope: 0.2),
    ]
  }
}

/// Derives one seed per layer from a model seed, or leaves every layer to ``GlobalRandom``.
package struct SeedSequence {
  private var generator: SeededGenerator?

  package init(_ seed: UInt64?) { generator = seed.map(SeededGenerator.init(seed:)) }

  package mutating func next() -> UInt64? { generator?.next() }
}
