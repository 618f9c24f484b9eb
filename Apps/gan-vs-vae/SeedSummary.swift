/// The comparison over several seeds: each measured figure as mean ± standard deviation, and a
/// verdict only where the GAN and the VAE differ by more than their spread (Lucic et al. 2018: a
/// single run's difference often does not survive another seed).
enum SeedSummary {
  /// One section per domain from the same section of every seed's run (same rows, same order);
  /// the figures are the first seed's, under its folder.
  static func combine(_ runs: [ComparisonReport.Section], seeds: [UInt64], folders: [String]) -> ComparisonReport.Section {
    var combined = runs[0]
    combined.summary += " Trained and measured with \(seeds.count) seeds (\(seeds.map(String.init).joined(separator: ", "))); "
      + "figures as mean ± standard deviation over them, pictures from seed \(seeds[0])."
    combined.figures = runs[0].figures.map { ComparisonReport.Figure(path: folders[0] + "/" + $0.path, caption: $0.caption) }
    var table = [["metric", "model"] + seeds.map { "seed \($0)" }]
    for (index, row) in runs[0].rows.enumerated() {
      let versions = runs.map { $0.rows[index] }
      guard let first = row.measured, versions.allSatisfy({ $0.measured != nil }) else { continue }
      let gan = versions.compactMap { $0.measured?.gan }
      let vae = versions.compactMap { $0.measured?.vae }
      func spread(_ values: [Double]) -> (mean: Double, deviation: Double) {
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(max(values.count - 1, 1))
        return (mean, variance.squareRoot())
      }
      func text(_ values: [Double]) -> String {
        guard values.count == runs.count else { return row.gan == "–" ? "–" : "n/a" }
        let (mean, deviation) = spread(values)
        return Format.plusMinus(mean, deviation, digits: first.digits)
      }
      combined.rows[index].gan = gan.isEmpty ? "–" : text(gan)
      combined.rows[index].vae = vae.isEmpty ? "–" : text(vae)
      if let lowerIsBetter = first.lowerIsBetter, gan.count == runs.count, vae.count == runs.count {
        let (g, v) = (spread(gan), spread(vae))
        let verdict: String
        if abs(g.mean - v.mean) > g.deviation + v.deviation {
          let ganBetter = lowerIsBetter ? g.mean < v.mean : g.mean > v.mean
          verdict = "\(ganBetter ? "GAN" : "VAE") better beyond the spread of \(runs.count) seeds"
        } else {
          verdict = "difference within the spread of \(runs.count) seeds"
        }
        combined.rows[index].note = verdict + "; " + row.note
      }
      if !gan.isEmpty { table.append([row.metric, "GAN"] + gan.map { Format.number($0, digits: first.digits) }) }
      if !vae.isEmpty { table.append([row.metric, "VAE"] + vae.map { Format.number($0, digits: first.digits) }) }
    }
    combined.seedTable = table
    return combined
  }
}
