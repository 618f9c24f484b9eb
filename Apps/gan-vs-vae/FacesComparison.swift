import Foundation
import GenerativeKit
import GenerativeKitData
import GenerativeKitMetrics
import GenerativeKitTraining

/// The faces half of the comparison, on Frey faces (28 x 20, the face set of the original VAE
/// paper) or the Olivetti faces (64 x 64, with DCGAN-64): no classifier exists, so the models are
/// compared by the sliced Wasserstein distance of Laplacian-pyramid patches and checked for
/// memorisation against their nearest training faces.
struct FacesComparison {
  let settings: ComparisonSettings
  let folder: URL
  let dataDirectory: String?
  let seed: UInt64
  /// ``DataSetName/freyFaces`` or ``DataSetName/olivettiFaces``.
  let dataSet: DataSetName
  let progress: (Int) -> ProgressReporter
  /// Several processes training the models together (`--distributed`); process 0 measures them.
  var parallelism: (any DataParallelism)? = nil

  /// Model folders and figure names start with this (`faces` for Frey, as before Olivetti came).
  private var prefix: String { dataSet == .freyFaces ? "faces" : dataSet.rawValue }

  /// Trains (or resumes) both models, then measures them; nil on the processes of a data-parallel
  /// job other than process 0, which only train.
  func run() throws -> ComparisonReport.Section? {
    let faces = try ImageDataSet.load(dataSet, split: .train, pixelRange: .unit, directory: dataDirectory)
    let (height, width) = (faces.imageShape[1], faces.imageShape[2])
    let name = dataSet == .freyFaces ? "Frey faces" : "Olivetti faces"

    var ganOptions = GANOptions(facesPreset: settings.facesGANPreset, height: height, width: width)
    ganOptions.epochs = settings.facesGANEpochs
    ganOptions.batchSize = settings.facesGANBatchSize
    ganOptions.width = settings.facesGANWidth
    ganOptions.seed = seed
    ganOptions.logEvery = max(1, settings.facesGANEpochs / 5)
    ganOptions.saveEvery = settings.facesGANEpochs
    ganOptions.sampleEvery = settings.facesGANEpochs
    let symmetric = faces.rescaled(to: .symmetric)
    let gan = try GANExperiment(options: ganOptions, dataSet: symmetric, outputDirectory: folder.appendingPathComponent("\(prefix)-gan"))
    let ganCost = try trainOrResume(
      gan, latest: gan.latestCheckpointURL, folder: gan.outputDirectory, epochs: ganOptions.epochs,
      parameters: gan.generator.parameterCount + gan.discriminator.parameterCount,
      label: "\(name) GAN: \(ganOptions.epochs) epochs on \(faces.count) faces", parallelism: parallelism,
      progress: progress)

    var vaeOptions = VAEOptions()
    (vaeOptions.imageHeight, vaeOptions.imageWidth) = (height, width)
    vaeOptions.epochs = settings.facesVAEEpochs
    vaeOptions.batchSize = 64
    vaeOptions.learningRate = 1e-3
    vaeOptions.seed = seed
    vaeOptions.saveEvery = settings.facesVAEEpochs
    vaeOptions.sampleEvery = settings.facesVAEEpochs
    let vae = try VAEExperiment(options: vaeOptions, dataSet: faces, outputDirectory: folder.appendingPathComponent("\(prefix)-vae"))
    let vaeCost = try trainOrResume(
      vae, latest: vae.latestCheckpointURL, folder: vae.outputDirectory, epochs: vaeOptions.epochs,
      parameters: vae.model.parameterCount,
      label: "\(name) VAE: \(vaeOptions.epochs) epochs on \(faces.count) faces", parallelism: parallelism,
      progress: progress)
    guard let ganCost, let vaeCost else { return nil }

    let count = faces.count
    let faceImages = faces.images
    var ganNoise = SeededGenerator(seed: seed &+ 200)
    var vaeNoise = SeededGenerator(seed: seed &+ 201)
    let ganSamples = try gan.samplingModel.sample(count: count, using: &ganNoise)
    let vaeSamples = try vae.model.sample(count: count, using: &vaeNoise)
    let swdSettings = SlicedWassersteinSettings(minimumResolution: 8, seed: seed)
    let qualities = try imageSetQuality(of: [ganSamples, vaeSamples], against: faceImages, settings: swdSettings)
    let (ganQuality, vaeQuality) = (qualities[0], qualities[1])
    let (floor, compared) = (ganQuality.floor, ganQuality.comparedCount)

    let figures = folder.appendingPathComponent("figures")
    try FileManager.default.createDirectory(at: figures, withIntermediateDirectories: true)
    // Frey's 28 x 20 faces are enlarged three times; 64 x 64 faces are shown at their size.
    let scale = max(height, width) >= 64 ? 1 : 3
    let grid = ImageGrid(columns: .fixed(10), scale: scale)
    try grid.write(ganSamples.slice(batch: 0..<50), range: .unit, to: figures.appendingPathComponent("\(prefix)-gan-samples.png"))
    try grid.write(vaeSamples.slice(batch: 0..<50), range: .unit, to: figures.appendingPathComponent("\(prefix)-vae-samples.png"))
    for (model, quality) in [("gan", ganQuality), ("vae", vaeQuality)] {
      try ImageGrid(columns: .fixed(2), scale: scale).write(quality.panel, range: .unit,
                                                         to: figures.appendingPathComponent("\(prefix)-\(model)-nearest.png"))
    }
    let (ganSWD, vaeSWD) = (ganQuality.slicedWasserstein, vaeQuality.slicedWasserstein)
    let (ganDistance, vaeDistance) = (ganQuality.meanNearestDistance, vaeQuality.meanNearestDistance)
    let realDistance = ganQuality.realNearestDistance

    typealias Row = ComparisonReport.Row
    typealias Measured = ComparisonReport.Measured
    let rows: [Row] = [
      Row(metric: "sliced Wasserstein distance ×1000 (mean over pyramid levels, lower is better)",
          gan: Format.number(1000 * ganSWD.mean), vae: Format.number(1000 * vaeSWD.mean),
          note: "the \(Format.count(count - compared)) even-numbered faces against \(Format.count(compared)) samples; "
            + "floor, against the odd-numbered faces (\(dataSet == .freyFaces ? "their neighbouring video frames" : "the same 40 people in other photos"), "
            + "so a low floor): \(Format.number(1000 * floor.mean)) (Karras et al. 2018 patches)",
          measured: Measured(gan: 1000 * ganSWD.mean, vae: 1000 * vaeSWD.mean, lowerIsBetter: true)),
      Row(metric: "mean L2 distance of 8 samples to their nearest training face", gan: Format.number(ganDistance),
          vae: Format.number(vaeDistance),
          note: "8 real faces to their nearest other face: \(Format.number(realDistance)); near 0 would mean copies",
          measured: Measured(gan: ganDistance, vae: vaeDistance, lowerIsBetter: nil)),
      Row(metric: "training time (s)", gan: Format.duration(ganCost.seconds), vae: Format.duration(vaeCost.seconds),
          note: "\(ganCost.epochs) and \(vaeCost.epochs) epochs on \(Format.count(faces.count)) faces",
          measured: Measured(gan: ganCost.seconds, vae: vaeCost.seconds, lowerIsBetter: nil, digits: 1)),
      Row(metric: "training speed (img/s)", gan: Format.number(ganCost.imagesPerSecond, digits: 0),
          vae: Format.number(vaeCost.imagesPerSecond, digits: 0), note: "",
          measured: Measured(gan: ganCost.imagesPerSecond, vae: vaeCost.imagesPerSecond, lowerIsBetter: nil, digits: 0)),
      Row(metric: "parameters", gan: Format.count(ganCost.parameters), vae: Format.count(vaeCost.parameters), note: ""),
    ]
    typealias Figure = ComparisonReport.Figure
    let source = dataSet == .freyFaces
      ? "Brendan Frey's \(Format.count(faces.count)) face images (frames of one video)"
      : "the \(Format.count(faces.count)) Olivetti faces (ten photos of each of 40 people)"
    let networks = switch settings.facesGANPreset {
    case .report: "the GAN is \(ganOptions.architecture == .dcgan64 ? "DCGAN-64" : "the report's DCGAN"), Adam 2e-4"
    case .fast: "the GAN is faces-gan's fast preset: the light 4 x 4-kernel networks, Adam 4e-4 for D and 1.6e-3 for G, "
      + "sampled from its generator average (decay 0.99)"
    }
    return ComparisonReport.Section(
      title: "Faces (\(dataSet == .freyFaces ? "Frey" : "Olivetti"), \(height) x \(width))",
      summary: "Both model families sized for \(source); \(networks)\(settings.facesGANWidth == 64 ? "" : ", width \(settings.facesGANWidth)"). Nearest-neighbour "
        + "panels show each sample (left) beside its closest training face (right), so memorisation would be visible.",
      rows: rows,
      figures: [
        Figure(path: "figures/\(prefix)-gan-samples.png", caption: "GAN samples"),
        Figure(path: "figures/\(prefix)-vae-samples.png", caption: "VAE samples from N(0, I)"),
        Figure(path: "figures/\(prefix)-gan-nearest.png", caption: "GAN samples and their nearest training faces"),
        Figure(path: "figures/\(prefix)-vae-nearest.png", caption: "VAE samples and their nearest training faces"),
        Figure(path: "\(prefix)-gan/losses.svg", caption: "GAN losses per epoch"),
        Figure(path: "\(prefix)-vae/losses.svg", caption: "VAE losses per epoch"),
      ])
  }
}
