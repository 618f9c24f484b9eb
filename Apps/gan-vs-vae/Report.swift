import Foundation

/// The comparison report's content, rendered as Markdown (REPORT.md) and HTML (index.html).
struct ComparisonReport {
  /// One figure for both models, with where it comes from.
  struct Row {
    var metric: String
    var gan: String
    var vae: String
    var note: String = ""
    /// The numbers behind `gan` and `vae`, for the mean and spread over several seeds.
    var measured: Measured?
  }

  /// A row's values as numbers: which way is better (nil for costs such as time), and the digits shown.
  struct Measured {
    var gan: Double?
    var vae: Double?
    var lowerIsBetter: Bool?
    var digits = 2
  }

  /// A picture in the report folder, with a caption.
  struct Figure {
    var path: String
    var caption: String
  }

  /// One data domain (MNIST, faces): its table and pictures.
  struct Section {
    var title: String
    var summary: String
    var rows: [Row]
    var figures: [Figure]
    /// With several seeds: a header and one line per seed of every measured row, shown under the table.
    var seedTable: [[String]] = []
  }

  var title: String
  var introduction: String
  var sections: [Section]
  var footer: String

  func markdown() -> String {
    var text = "# \(title)\n\n\(introduction)\n"
    for section in sections {
      text += "\n## \(section.title)\n\n\(section.summary)\n\n| metric | GAN | VAE | note |\n|---|---|---|---|\n"
      for row in section.rows {
        text += "| \(row.metric) | \(row.gan) | \(row.vae) | \(row.note) |\n"
      }
      if let header = section.seedTable.first {
        text += "\nEvery seed:\n\n| " + header.joined(separator: " | ") + " |\n|"
          + String(repeating: "---|", count: header.count) + "\n"
        for line in section.seedTable.dropFirst() { text += "| " + line.joined(separator: " | ") + " |\n" }
      }
      for figure in section.figures {
        text += "\n![\(figure.caption)](\(figure.path))\n\n*\(figure.caption)*\n"
      }
    }
    return text + "\n---\n\n\(footer)\n"
  }

  func html() -> String {
    func escape(_ text: String) -> String {
      text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;")
    }
    var body = "<h1>\(escape(title))</h1>\n<p>\(escape(introduction))</p>\n"
    for section in sections {
      body += "<section>\n<h2>\(escape(section.title))</h2>\n<p>\(escape(section.summary))</p>\n"
      body += "<table>\n<thead><tr><th>metric</th><th>GAN</th><th>VAE</th><th>note</th></tr></thead>\n<tbody>\n"
      for row in section.rows {
        body += "<tr><td>\(escape(row.metric))</td><td class=\"num\">\(escape(row.gan))</td>"
          + "<td class=\"num\">\(escape(row.vae))</td><td class=\"note\">\(escape(row.note))</td></tr>\n"
      }
      body += "</tbody>\n</table>\n"
      if let header = section.seedTable.first {
        body += "<p>Every seed:</p>\n<table>\n<thead><tr>" + header.map { "<th>\(escape($0))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
        for line in section.seedTable.dropFirst() {
          body += "<tr>" + line.map { "<td class=\"num\">\(escape($0))</td>" }.joined() + "</tr>\n"
        }
        body += "</tbody>\n</table>\n"
      }
      body += "<div class=\"figures\">\n"
      for figure in section.figures {
        body += "<figure><img src=\"\(escape(figure.path))\" alt=\"\(escape(figure.caption))\">"
          + "<figcaption>\(escape(figure.caption))</figcaption></figure>\n"
      }
      body += "</div>\n</section>\n"
    }
    return """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8">
      <title>\(escape(title))</title>
      <style>
      body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
      h1 { font-size: 1.7em; } h2 { margin-top: 2em; border-bottom: 1px solid #ddd; padding-bottom: .2em; }
      table { border-collapse: collapse; width: 100%; font-size: .95em; }
      th, td { border: 1px solid #ddd; padding: .35em .6em; text-align: left; vertical-align: top; }
      th { background: #f4f4f4; } td.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
      td.note { color: #555; font-size: .9em; }
      .figures { display: flex; flex-wrap: wrap; gap: 1.2em; margin-top: 1.2em; }
      figure { margin: 0; } figure img { max-width: 500px; image-rendering: pixelated; border: 1px solid #ccc; }
      figcaption { font-size: .85em; color: #555; max-width: 500px; }
      footer { margin-top: 3em; color: #666; font-size: .85em; }
      </style>
      </head>
      <body>
      \(body)<footer>\(escape(footer))</footer>
      </body>
      </html>

      """
  }

  func write(to folder: URL) throws {
    try Data(markdown().utf8).write(to: folder.appendingPathComponent("REPORT.md"), options: .atomic)
    try Data(html().utf8).write(to: folder.appendingPathComponent("index.html"), options: .atomic)
  }
}
