import ArgumentParser
import DistributedSupport
import ExampleSupport
import Foundation
import GenerativeKit
import GenerativeKitData
import GenerativeKitTraining

/// Trains (or resumes) the report's GAN and VAE on MNIST and on faces (Frey or Olivetti) and writes a report
/// folder comparing them: a table of every metric, sample grids, reconstructions, interpolations,
/// loss curves and nearest-neighbour panels, as index.html and REPORT.md.
@main
struct GANvsVAE: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "gan-vs-vae",
    abstract: "Compare the report's GAN and VAE on MNIST and on faces, with numbers and pictures.",
    discussion: """
      --quick trains small versions in a few minutes; the default uses the report's full settings \
      (hours on two cores). Running again with the same --output resumes every model from its \
      latest checkpoint and reuses the trained digit classifier, so an interrupted run loses little. \
      With --distributed under mpirun -np N, the N processes train every model together (data \
      parallel, each on its shard of every global batch); process 0 measures them and writes the report.
      """)

  @Flag(help: "Train small versions (a few minutes) instead of the report's full settings.") var quick = false
  @Flag(help: "Train with the presets that aim at published figures instead (mnist-gan --preset dcgan, mnist-vae --preset bernoulli with the test NLL at 5,000 importance samples).")
  var presets = false
  @Option(help: "Report folder.") var output: String?
  @Option(help: "Folder with the data sets (default: $GENERATIVEKIT_DATA, then ~/.cache/generativekit).") var dataDir: String?
  @Option(parsing: .unconditional, help: "Threads for the GEMMs and the parallel loops.")
  var threads = max(1, ProcessInfo.processInfo.activeProcessorCount)
  @Option(help: "Random seed (the first one with --seeds).") var seed: UInt64 = 1
  @Option(parsing: .unconditional, help: "Train and measure every model with this many seeds (seed, seed + 1, ...) and report mean ± standard deviation.")
  var seeds = 1
  @Flag(help: "Skip the MNIST part.") var skipMNIST = false
  @Flag(help: "Skip the faces part.") var skipFaces = false
  @Option(help: "Face set for the faces part: frey-faces (28 x 20) or olivetti-faces (64 x 64, DCGAN-64).")
  var faces = "frey-faces"
  @Option(help: "A trained digit classifier (mnist-classifier's classifier.safetensors) to measure with, instead of training one.")
  var classifier: String?
  @Flag(help: "Train data-parallel over MPI: start with mpirun -np N; process 0 measures the models and writes the report.")
  var distributed = false

  func validate() throws {
    try ArgumentChecks.check(threads, "--threads", in: ArgumentChecks.threads)
    try ArgumentChecks.check(seeds, "--seeds", in: 1...20)
    if quick && presets { throw ValidationError("--quick and --presets choose different settings; give one") }
    if let dataDir { try ArgumentChecks.checkExistingFolder(dataDir, "--data-dir") }
    if let output { try ArgumentChecks.checkNotEmpty(output, "--output") }
    guard !(skipMNIST && skipFaces) else {
      throw ValidationError("--skip-mnist and --skip-faces together leave nothing to compare")
    }
    guard faceSet != nil else {
      throw ValidationError("--faces must be frey-faces or olivetti-faces, got \(faces)")
    }
  }

  private var faceSet: DataSetName? {
    DataSetName(rawValue: faces).flatMap { [.freyFaces, .olivettiFaces].contains($0) ? $0 : nil }
  }

  func run() throws {
    try runReportingErrors {
      let parallel = distributed ? try DistributedRun.start() : nil
      defer { DistributedRun.finish(parallel) }
      let writesReport = parallel?.writesFiles ?? true
      useThreads(threads)
      GlobalRandom.seed(seed)
      let settings = quick ? ComparisonSettings.quick : presets ? .presets : .full
      let folder = URL(fileURLWithPath: output ?? "output/gan-vs-vae-\(settings.name)")
      if writesReport { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
      let start = Date()
      let progress: (Int) -> ProgressReporter = { .automatic(totalEpochs: $0) }
      let runSeeds = (0..<seeds).map { seed &+ UInt64($0) }
      // One seed: the report folder itself; several: a folder per seed, and a summary on top.
      let subfolders = seeds == 1 ? [""] : runSeeds.map { "seed-\($0)" }
      var runs: [[ComparisonReport.Section]] = []
      var classifierURL = classifier.map(URL.init(fileURLWithPath:))
      for (runSeed, subfolder) in zip(runSeeds, subfolders) {
        let runFolder = subfolder.isEmpty ? folder : folder.appendingPathComponent(subfolder)
        if writesReport { try FileManager.default.createDirectory(at: runFolder, withIntermediateDirectories: true) }
        if seeds > 1 { print("seed \(runSeed): \(runFolder.path)") }
        GlobalRandom.seed(runSeed)
        var sections: [ComparisonReport.Section] = []
        if !skipMNIST {
          let section = try MNISTComparison(
            settings: settings, folder: runFolder, dataDirectory: dataDir, seed: runSeed, classifierURL: classifierURL,
            progress: progress, parallelism: parallel
          ).run()
          sections += section.map { [$0] } ?? []
          // The digit classifier measures every seed's samples: trained once, with the first seed.
          classifierURL = classifierURL ?? runFolder.appendingPathComponent("classifier.safetensors")
        }
        if !skipFaces {
          let section = try FacesComparison(
            settings: settings, folder: runFolder, dataDirectory: dataDir, seed: runSeed, dataSet: faceSet!,
            progress: progress, parallelism: parallel
          ).run()
          sections += section.map { [$0] } ?? []
        }
        runs.append(sections)
      }
      // The other processes of a data-parallel job trained their shards; process 0 reports.
      guard writesReport else { return }
      let sections = seeds == 1 ? runs[0] : runs[0].indices.map { index in
        SeedSummary.combine(runs.map { $0[index] }, seeds: runSeeds, folders: subfolders)
      }
      let report = ComparisonReport(
        title: "GAN versus VAE on \(skipFaces ? "MNIST" : skipMNIST ? "faces" : "MNIST and faces") (\(settings.name) settings)",
        introduction: "Reproduces \"Comparison of GAN and VAE on MNIST and Face Image Generation\" with GenerativeKit: "
          + "the report's DCGAN (non-saturating loss, Adam 1e-4) and convolutional VAE (MSE + KL, Adam 1e-4), "
          + "measured with a classifier-feature FID, Inception score, class histogram, precision and recall, Parzen "
          + "windows (Goodfellow et al. 2014's protocol) and, for the VAE, the ELBO and the importance-weighted bound.",
        sections: sections,
        footer: "Generated by gan-vs-vae \(quick ? "--quick " : presets ? "--presets " : "")on \(ISO8601DateFormatter().string(from: Date())) in "
          + "\(Format.duration(Date().timeIntervalSince(start))), \(threads) threads"
          + (parallel.map { " in each of \($0.processCount) data-parallel processes" } ?? "") + ", "
          + (seeds == 1 ? "seed \(seed). " : "seeds \(runSeeds.map(String.init).joined(separator: ", ")). ")
          + "Machine: \(BLAS.configuration.summary).")
      try report.write(to: folder)
      print("\n" + report.markdown().components(separatedBy: "\n").prefix(24).joined(separator: "\n"))
      print("\nreport: \(folder.path)/index.html and REPORT.md")
    }
  }
}
