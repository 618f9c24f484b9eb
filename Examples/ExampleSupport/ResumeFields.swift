import GenerativeKitTraining

// What a resume keeps from the checkpoint (all of it), and which flags may change it, for the four
// trainers. A flag a trainer does not have (faces-gan has no --update-order) is simply never given.

extension ResumedOptions where Options == GANOptions {
  /// The options a run resumed from `checkpoint` (a GANExperiment's) continues with: the checkpoint's,
  /// with the command line's `fromFlags` where a resume may change them.
  public static func continuing(_ checkpoint: String, fromFlags: GANOptions) throws -> GANOptions {
    let stored = try stored(in: checkpoint, format: GANExperiment.format)
    return try ResumedOptions(stored: stored, fromFlags: fromFlags, fields: fields, checkpoint: checkpoint).options
  }

  /// The fields of a GAN run and the flags of `mnist-gan` and `faces-gan` that set them.
  public static var fields: [Field] {
    [
      .field(\.architecture, "architecture", flags: ["--architecture", "--preset"]),
      .field(\.noiseDimension, "noise dimension", flags: ["--noise-dimension"]),
      .field(\.width, "width", flags: ["--width"]),
      .field(\.generatorLoss, "generator loss", flags: ["--generator-loss"]),
      .field(\.discriminatorLoss, "discriminator loss", flags: ["--discriminator-loss"]),
      .field(\.updateOrder, "update order", flags: ["--update-order", "--preset"]),
      .field(\.learningRateSchedule, "learning-rate schedule", flags: ["--learning-rate-decay-after", "--preset"]),
      .field(\.beta1, "beta1", flags: ["--beta1", "--preset"]),
      .field(\.batchSize, "batch size", flags: ["--batch-size", "--preset"]),
      .field(\.learningRate, "learning rate", flags: ["--learning-rate", "--preset"]),
      .field(\.generatorLearningRate, "generator learning rate", flags: ["--generator-learning-rate", "--preset"]),
      .field(\.seed, "seed", flags: ["--seed"]),
      .field(\.classes, "classes", flags: ["--conditional"]),
      .field(\.discriminator, "discriminator", flags: ["--discriminator"]),
      .field(\.generatorAverageDecay, "generator average", flags: ["--generator-average", "--preset"], mayChange: true),
      .field(\.epochs, "epochs", flags: ["--epochs", "--preset"], mayChange: true),
      .field(\.logEvery, "log interval", flags: ["--log-every", "--preset"], mayChange: true),
      .field(\.saveEvery, "checkpoint interval", flags: ["--save-every", "--preset"], mayChange: true),
      .field(\.sampleEvery, "grid interval", flags: ["--sample-every", "--preset"], mayChange: true),
    ]
  }
}

extension ResumedOptions where Options == VAEOptions {
  /// The options a run resumed from `checkpoint` (a VAEExperiment's) continues with: the checkpoint's,
  /// with the command line's `fromFlags` where a resume may change them.
  public static func continuing(_ checkpoint: String, fromFlags: VAEOptions) throws -> VAEOptions {
    let stored = try stored(in: checkpoint, format: VAEExperiment.format)
    return try ResumedOptions(stored: stored, fromFlags: fromFlags, fields: fields, checkpoint: checkpoint).options
  }

  /// The fields of a VAE run and the flags of `mnist-vae` and `faces-vae` that set them.
  public static var fields: [Field] {
    [
      .field(\.latentDimension, "latent dimension", flags: ["--latent-dimension", "--preset"]),
      .field(\.beta, "beta", flags: ["--beta"]),
      .field(\.reconstructionLoss, "reconstruction", flags: ["--reconstruction", "--preset"]),
      .field(\.dynamicBinarization, "dynamic binarization", flags: ["--preset"]),
      .field(\.batchSize, "batch size", flags: ["--batch-size"]),
      .field(\.learningRate, "learning rate", flags: ["--learning-rate", "--preset"]),
      .field(\.seed, "seed", flags: ["--seed"]),
      .field(\.classes, "classes", flags: ["--conditional"]),
      .field(\.epochs, "epochs", flags: ["--epochs", "--preset"], mayChange: true),
      .field(\.saveEvery, "checkpoint interval", flags: ["--save-every"], mayChange: true),
      .field(\.sampleEvery, "grid interval", flags: ["--sample-every"], mayChange: true),
    ]
  }
}
