// The canonical DCGAN recipe for 28 x 28 digits (Radford et al.: 4 x 4 convolutions, batch norm,
// LeakyReLU 0.2, N(0, 0.02) weights, Adam 2e-4 with beta1 0.5, batch 64), written as a user of the
// library would: only its public API. Checkpoints describe their networks, so `sample` and
// `gk-explore` open them. The article "Your own GAN" (GenerativeKitTraining) walks through it.
import ArgumentParser
import Foundation
import GenerativeKit
import GenerativeKitData
import GenerativeKitTraining

@main
struct CustomGAN: ParsableCommand {
  enum Objective: String, CaseIterable, ExpressibleByArgument { case bce, hinge, leastSquares = "least-squares" }

  @Option(help: "Folder with MNIST (default: GENERATIVEKIT_DATA, then ~/.cache/generativekit).") var dataDir: String?
  @Option(help: "The run folder.") var output = "output/custom-gan"
  @Option(help: "Epochs to train.") var epochs = 5
  @Option(help: "Train on the first N digits only.") var limit: Int?
  @Option(help: "The GAN objective: bce, hinge or least-squares.") var loss = Objective.bce
  @Flag(help: "Condition both networks on the digit's class.") var conditional = false
  @Option(help: "Continue a run from its checkpoint.") var resume: String?
  @Flag(help: "Replace an earlier run in the output folder.") var overwrite = false

  func run() throws {
    Threading.threadCount = 2
    GlobalRandom.seed(1)  // the networks' initial weights
    let classes = conditional ? 10 : nil, labelInputs = classes ?? 0
    let weights = Initializer.normal(std: 0.02), scales = Initializer.normal(mean: 1, std: 0.02)
    let generator = Sequential {
      Dense(inFeatures: 100 + labelInputs, outFeatures: 128 * 7 * 7, bias: false, weightInitializer: weights)
      BatchNorm(features: 128 * 7 * 7, weightInitializer: scales)
      ReLU()
      Reshape([128, 7, 7])
      ConvTranspose2D(inChannels: 128, outChannels: 64, kernelSize: 4, stride: 2, padding: 1, bias: false, weightInitializer: weights)
      BatchNorm(features: 64, weightInitializer: scales)
      ReLU()
      ConvTranspose2D(inChannels: 64, outChannels: 1, kernelSize: 4, stride: 2, padding: 1, weightInitializer: weights)
      Tanh()  // images in [-1, 1], as the data below
    }
    let discriminator = Sequential {
      Conv2D(inChannels: 1 + labelInputs, outChannels: 64, kernelSize: 4, stride: 2, padding: 1, weightInitializer: weights)
      LeakyReLU(slope: 0.2)
      Conv2D(inChannels: 64, outChannels: 128, kernelSize: 4, stride: 2, padding: 1, bias: false, weightInitializer: weights)
      BatchNorm(features: 128, weightInitializer: scales)
      LeakyReLU(slope: 0.2)
      Flatten()
      Dense(inFeatures: 128 * 7 * 7, outFeatures: 1, weightInitializer: weights)  // a logit
    }

    var options = GANOptions()
    options.architecture = .custom
    options.epochs = epochs
    options.batchSize = 64
    options.learningRate = 2e-4
    options.beta1 = 0.5
    options.adam = .pytorch  // torch.optim.Adam's epsilon placement
    options.classes = classes
    options.updateOrder = .alternating  // PyTorch's DCGAN example: D steps, then G through the new D
    (options.discriminatorLoss, options.generatorLoss) = switch loss {
    case .bce: (.binaryCrossEntropy, .nonSaturating)
    case .hinge: (.hinge, .hinge)
    case .leastSquares: (.leastSquares, .leastSquares)
    }
    (options.logEvery, options.sampleEvery, options.saveEvery) = (1, 1, 5)

    var data = try ImageDataSet.load(.mnist, split: .train, pixelRange: .symmetric, directory: dataDir)
    if let limit { data = data.prefix(limit) }
    let model = try GAN(generator: generator, discriminator: discriminator, noiseDimension: 100, classCount: classes)
    let recipe = try GANRecipe(options: options, model: model, dataSet: data)
    let run = GANExperiment(recipe: recipe, dataSet: data, outputDirectory: URL(fileURLWithPath: output))
    run.replacesEarlierRun = overwrite
    if let resume { try run.resume(from: URL(fileURLWithPath: resume)) }
    try run.run(progress: .automatic(totalEpochs: epochs))
    print("samples in \(output)/samples; try: sample \(output)/checkpoints/latest.safetensors")
  }
}
