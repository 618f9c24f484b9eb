/// Named sets of GAN training settings.
public enum GANPreset: String, CaseIterable, Codable, Sendable {
  /// The report's settings, which are the TensorFlow DCGAN tutorial's (the defaults of
  /// ``GANOptions``): batch 256, Adam 1e-4 with beta1 0.9, 50 epochs. They learn slowly: after 5
  /// epochs the samples are strokes rather than digits. `report` on the command line.
  case tensorflowTutorial = "report"
  /// What DCGAN practice recommends for the same networks (Radford et al. 2016): Adam 2e-4 with
  /// beta1 0.5, batch 64, 20 epochs; a checkpoint and a grid every 5 epochs; and a moving average
  /// of the generator's weights with decay 0.999 (Yazici et al. 2019), which samples are drawn from
  /// (what it does to the samples' FID is in docs/RESULTS.md).
  case dcgan
  /// The light networks PyTorch users write for digits (``GANArchitecture/light``: 4 x 4 kernels,
  /// a batch-norm discriminator, about a quarter of the tutorial networks' arithmetic) trained for
  /// the best digits per minute of training: Adam with beta1 0.5, 4e-4 for the discriminator and
  /// 1.6e-3 for the generator, batch 64, the warmed-up generator average with decay 0.99; 10 epochs,
  /// a checkpoint and a grid after every epoch.
  case fast
}

/// Named sets of settings for a GAN on a small face set (`faces-gan --preset`).
public enum FacesGANPreset: String, CaseIterable, Codable, Sendable {
  /// The settings of the report's comparison on faces (`gan-vs-vae`): the report's DCGAN sized for
  /// the images, or Radford et al.'s DCGAN-64 for 64 x 64 images; Adam 2e-4 with beta1 0.5, batch
  /// 64, 200 epochs.
  case report
  /// The light networks (``GANArchitecture/light``: 4 x 4 kernels, a batch-norm discriminator)
  /// with MNIST's fast step sizes (Adam 4e-4 for the discriminator, 1.6e-3 for the generator,
  /// beta1 0.5) and the generator average with decay 0.99, batch 64, 200 epochs: chosen by the
  /// sliced Wasserstein distance after equal minutes (docs/RESULTS.md, "Faces GANs per minute").
  case fast
}

/// Named sets of VAE training settings.
public enum VAEPreset: String, CaseIterable, Codable, Sendable {
  /// The report's settings (the defaults of ``VAEOptions``): MSE reconstruction on grey pixels,
  /// latent 16, Adam 1e-4, batch 128, 30 epochs. `report` on the command line.
  case meanSquaredError = "report"
  /// The likelihood papers' protocol (Burda et al. 2015): a Bernoulli decoder trained on
  /// dynamically binarized MNIST (every batch redrawn), latent 32, Adam 1e-3, batch 128, 50 epochs,
  /// so that the test log-likelihood (the importance-weighted bound on binarized test digits) can
  /// stand beside published figures.
  case bernoulli
}

extension GANOptions {
  /// The options of a preset; set other fields afterwards to change them.
  public init(preset: GANPreset) {
    self.init()
    switch preset {
    case .tensorflowTutorial:
      break
    case .dcgan:
      batchSize = 64
      learningRate = 2e-4
      beta1 = 0.5
      epochs = 20
      logEvery = 1
      saveEvery = 5
      sampleEvery = 5
      generatorAverageDecay = 0.999
    case .fast:
      // Chosen by quality after equal minutes (docs/RESULTS.md, "The fast preset per minute"):
      // large steps, the generator's four times the discriminator's, and an average short enough
      // to follow the fast start.
      architecture = .light
      batchSize = 64
      learningRate = 4e-4
      generatorLearningRate = 1.6e-3
      beta1 = 0.5
      epochs = 10
      logEvery = 1
      saveEvery = 1
      sampleEvery = 1
      generatorAverageDecay = 0.99
    }
  }
}

extension GANOptions {
  /// The options of a faces preset for images of `channels x height x width` (sides multiples of
  /// 4; DCGAN-64 in the report preset needs 64 x 64 for itself); set other fields afterwards to
  /// change them. Loss lines every 10 epochs, a checkpoint every 50, a grid every 25.
  public init(facesPreset: FacesGANPreset, channels: Int = 1, height: Int, width: Int) {
    self.init()
    (self.channels, imageHeight, imageWidth) = (channels, height, width)
    (batchSize, beta1, epochs) = (64, 0.5, 200)
    (logEvery, saveEvery, sampleEvery) = (10, 50, 25)
    switch facesPreset {
    case .report:
      architecture = height == 64 && width == 64 ? .dcgan64 : .tensorflowTutorial
      learningRate = 2e-4
    case .fast:
      architecture = .light
      learningRate = 4e-4
      generatorLearningRate = 1.6e-3
      generatorAverageDecay = 0.99
    }
  }
}

extension VAEOptions {
  /// The options of a preset; set other fields afterwards to change them.
  public init(preset: VAEPreset) {
    self.init()
    switch preset {
    case .meanSquaredError:
      break
    case .bernoulli:
      reconstructionLoss = .bernoulli
      dynamicBinarization = true
      latentDimension = 32
      learningRate = 1e-3
      epochs = 50
    }
  }
}
