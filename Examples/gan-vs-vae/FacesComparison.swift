import Foundation
import GenerativeKit

/// The faces half of the comparison, on Frey faces (28 x 20, the face set of the original VAE
/// paper): no classifier exists, so the models are compared by the sliced Wasserstein distance of
/// Laplacian-pyramid patches and checked for memorisation against their nearest training faces.
struct FacesComparison {
  let settings: ComparisonSettings
  let folder: URL
  let dataDirectory: String?
  let seed: UInt64
  let progress: (Int) -> ProgressReporter

  func run() throws -> ComparisonReport.Section {
    let faces = try ImageDataSet.load(.freyFaces, split: .train, pixelRange: .unit, directory: dataDirectory)
    let (height, width) = (faces.imageShape[1], faces.imageShape[2])

    var ganOptions = GANOptions()
    (ganOptions.imageHeight, ganOptions.imageWidth) = (height, width)
    ganOptions.epochs = settings.facesGANEpochs
    ganOptions.batchSize = settings.facesGANBatchSize
    ganOptions.learningRate = 2e-4
    ganOptions.beta1 = 0.5
    ganOptions.seed = seed
    ganOptions.logEvery = max(1, settings.facesGANEpochs / 5)
    ganOptions.saveEvery = settings.facesGANEpochs
    ganOptions.sampleEvery = settings.facesGANEpochs
    let symmetric = faces.rescaled(to: .symmetric)
    let gan = try GANExperiment(options: ganOptions, dataSet: symmetric, outputDirectory: folder.appendingPathComponent("faces-gan"))
    let ganCost = try trainOrResume(
      gan, latest: gan.latestCheckpointURL, folder: gan.outputDirectory, epochs: ganOptions.epochs,
      parameters: gan.generator.parameterCount + gan.discriminator.parameterCount,
      label: "Frey faces GAN: \(ganOptions.epochs) epochs on \(faces.count) faces", progress: progress)

    var vaeOptions = VAEOptions()
    (vaeOptions.imageHeight, vaeOptions.imageWidth) = (height, width)
    vaeOptions.epochs = settings.facesVAEEpochs
    vaeOptions.batchSize = 64
    vaeOptions.learningRate = 1e-3
    vaeOptions.seed = seed
    vaeOptions.saveEvery = settings.facesVAEEpochs
    vaeOptions.sampleEvery = settings.facesVAEEpochs
    let vae = try VAEExperiment(options: vaeOptions, dataSet: faces, outputDirectory: folder.appendingPathComponent("faces-vae"))
    let vaeCost = try trainOrResume(
      vae, latest: vae.latestCheckpointURL, folder: vae.outputDirectory, epochs: vaeOptions.epochs,
      parameters: vae.model.parameterCount,
      label: "Frey faces VAE: \(vaeOptions.epochs) epochs on \(faces.count) faces", progress: progress)

    let count = faces.count
    let faceImages = faces.images
    let ganSamples = try Sampling.gan(gan.generator, noiseDimension: ganOptions.noiseDimension, count: count, seed: seed &+ 200)
    let vaeSamples = try Sampling.vae(vae.model, count: count, seed: seed &+ 201)
    let swdSettings = SlicedWassersteinSettings(minimumResolution: 8, seed: seed)
    // Every distance compares the even-numbered faces with as many other images: SWD estimates
    // fall as the sets grow, so the floor and the models must use equal sizes. Alternate frames,
    // not the two halves of the sequence: Frey faces is a video whose halves differ in expression.
    func frames(from first: Int) -> Tensor {
      Tensor.concatenate(batches: stride(from: first, to: count, by: 2).map { faces.images(in: $0..<($0 + 1)) })
    }
    let (evenFaces, oddFaces) = (frames(from: 0), frames(from: 1))
    let compared = oddFaces.shape[0]
    let floor = try slicedWassersteinDistance(evenFaces, oddFaces, settings: swdSettings)
    let ganSWD = try slicedWassersteinDistance(evenFaces, ganSamples.slice(batch: 0..<compared), settings: swdSettings)
    let vaeSWD = try slicedWassersteinDistance(evenFaces, vaeSamples.slice(batch: 0..<compared), settings: swdSettings)

    let figures = folder.appendingPathComponent("figures")
    try FileManager.default.createDirectory(at: figures, withIntermediateDirectories: true)
    let grid = ImageGrid(columns: .fixed(10), scale: 3)
    try grid.write(ganSamples.slice(batch: 0..<50), range: .unit, to: figures.appendingPathComponent("faces-gan-samples.png"))
    try grid.write(vaeSamples.slice(batch: 0..<50), range: .unit, to: figures.appendingPathComponent("faces-vae-samples.png"))
    var ganDistance = 0.0
    var vaeDistance = 0.0
    for (name, samples) in [("gan", ganSamples), ("vae", vaeSamples)] {
      let shown = samples.slice(batch: 0..<8)
      let neighbors = try nearestNeighbors(of: shown, in: faceImages)
      let mean = neighbors.distances.reduce(0, +) / Double(neighbors.distances.count)
      if name == "gan" { ganDistance = mean } else { vaeDistance = mean }
      let panel = try nearestNeighborPanel(samples: shown, training: faceImages, neighbors: neighbors)
      try ImageGrid(columns: .fixed(2), scale: 3).write(panel, range: .unit,
                                                         to: figures.appendingPathComponent("faces-\(name)-nearest.png"))
    }
    let realNeighbors = try nearestNeighbors(of: faceImages.slice(batch: 0..<8), in: faceImages.slice(batch: 8..<count))
    let realDistance = realNeighbors.distances.reduce(0, +) / 8

    typealias Row = ComparisonReport.Row
    let rows: [Row] = [
      Row(metric: "sliced Wasserstein distance ×1000 (mean over pyramid levels, lower is better)",
          gan: Format.number(1000 * ganSWD.mean), vae: Format.number(1000 * vaeSWD.mean),
          note: "the \(Format.count(evenFaces.shape[0])) even-numbered faces against \(Format.count(compared)) samples; "
            + "floor, against the odd-numbered faces (their neighbouring video frames, so a low floor): "
            + "\(Format.number(1000 * floor.mean)) (Karras et al. 2018 patches)"),
      Row(metric: "mean L2 distance of 8 samples to their nearest training face", gan: Format.number(ganDistance),
          vae: Format.number(vaeDistance),
          note: "8 real faces to their nearest other face: \(Format.number(realDistance)); near 0 would mean copies"),
      Row(metric: "training time", gan: Format.duration(ganCost.seconds), vae: Format.duration(vaeCost.seconds),
          note: "\(ganCost.epochs) and \(vaeCost.epochs) epochs on \(Format.count(faces.count)) faces"),
      Row(metric: "training speed (img/s)", gan: Format.number(ganCost.imagesPerSecond, digits: 0),
          vae: Format.number(vaeCost.imagesPerSecond, digits: 0), note: ""),
      Row(metric: "parameters", gan: Format.count(ganCost.parameters), vae: Format.count(vaeCost.parameters), note: ""),
    ]
    typealias Figure = ComparisonReport.Figure
    return ComparisonReport.Section(
      title: "Faces (Frey, 28 x 20)",
      summary: "Both model families sized for Brendan Frey's \(Format.count(faces.count)) face images. Nearest-neighbour "
        + "panels show each sample (left) beside its closest training face (right), so memorisation would be visible.",
      rows: rows,
      figures: [
        Figure(path: "figures/faces-gan-samples.png", caption: "GAN samples"),
        Figure(path: "figures/faces-vae-samples.png", caption: "VAE samples from N(0, I)"),
        Figure(path: "figures/faces-gan-nearest.png", caption: "GAN samples and their nearest training faces"),
        Figure(path: "figures/faces-vae-nearest.png", caption: "VAE samples and their nearest training faces"),
        Figure(path: "faces-gan/losses.svg", caption: "GAN losses per epoch"),
        Figure(path: "faces-vae/losses.svg", caption: "VAE losses per epoch"),
      ])
  }
}
