import GenerativeKit

/// The image data sets GenerativeKit can load by name.
public enum DataSetName: String, CaseIterable, Sendable, CustomStringConvertible {
  /// Handwritten digits: 60,000 train + 10,000 test images, 28 x 28, labels 0-9.
  case mnist = "mnist"
  /// Zalando's clothing images: 60,000 train + 10,000 test images, 28 x 28, labels 0-9.
  case fashionMNIST = "fashion-mnist"
  /// Brendan Frey's face frames: 1,965 images, 28 x 20, no labels; the whole set is the train split.
  case freyFaces = "frey-faces"
  /// The ORL faces cropped to 64 x 64: 400 images, labels = subject 0-39; the whole set is "train".
  case olivettiFaces = "olivetti-faces"
  /// The ORL / AT&T faces: 400 images, 112 x 92, labels = subject 0-39; the whole set is "train".
  case orlFaces = "orl-faces"

  public var description: String { rawValue }
}

/// A part of a data set.
public enum DataSplit: String, CaseIterable, Sendable, CustomStringConvertible {
  case train
  case test

  public var description: String { rawValue }
}

/// One IDX file of a data set and how to check it.
struct DataFileSpec: Equatable, Sendable {
  /// The file's name as distributed (`train-images-idx3-ubyte.gz`); the uncompressed file, the
  /// same name without `.gz`, is accepted too.
  var fileName: String
  /// The dimensions the IDX header must declare.
  var dimensions: [Int]
  /// SHA-256 of the uncompressed bytes, where a trusted value is known.
  var uncompressedSHA256: String?
  /// MD5 of the compressed file as published by the mirror, checked on download only.
  var compressedMD5: String?
}

/// The images and labels files of one split.
struct DataSplitSpec: Equatable, Sendable {
  var images: DataFileSpec
  var labels: DataFileSpec?
}

/// Everything the loader knows about a named data set.
struct DataSetSpec: Sendable {
  var name: DataSetName
  /// The sub-folder that holds the files under a data directory (`mnist`, `faces`).
  var folder: String
  /// Whether `<dir>/<file>` (without the sub-folder) is accepted for any directory. Fashion-MNIST
  /// has the same file names as MNIST, so it is accepted there only when the directory itself is
  /// named `fashion-mnist`.
  var acceptsAnyFlatDirectory: Bool
  /// The splits that exist.
  var splits: [DataSplit: DataSplitSpec]
  /// Labels are in `0..<classCount`.
  var classCount: Int
  /// The public mirror the downloader uses, or nil when the set cannot be downloaded.
  var downloadBaseURL: String?
  /// Folders that hold the data set on a system where a package installed it.
  var systemRoots: [String]
  /// How to get the files, for the not-found message; `{cache}` stands for the set's folder in
  /// the per-user cache.
  var howToGet: String

  /// Every file of every split.
  var allFiles: [DataFileSpec] {
    DataSplit.allCases.compactMap { splits[$0] }.flatMap { [$0.images] + ($0.labels.map { [$0] } ?? []) }
  }
}

extension DataSetName {
  /// The loader's description of this set.
  var spec: DataSetSpec {
    switch self {
    case .mnist:
      return DataSetSpec(
        name: self, folder: "mnist", acceptsAnyFlatDirectory: true,
        splits: [
          .train: DataSplitSpec(
            images: DataFileSpec(
              fileName: "train-images-idx3-ubyte.gz", dimensions: [60_000, 28, 28],
              uncompressedSHA256: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
            labels: DataFileSpec(
              fileName: "train-labels-idx1-ubyte.gz", dimensions: [60_000],
              uncompressedSHA256: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5")),
          .test: DataSplitSpec(
            images: DataFileSpec(
              fileName: "t10k-images-idx3-ubyte.gz", dimensions: [10_000, 28, 28],
              uncompressedSHA256: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
            labels: DataFileSpec(
              fileName: "t10k-labels-idx1-ubyte.gz", dimensions: [10_000],
              uncompressedSHA256: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2")),
        ],
        classCount: 10, downloadBaseURL: "https://ossci-datasets.s3.amazonaws.com/mnist/", systemRoots: [],
        howToGet: "download them with `DataSetDownloader().download(.mnist)` (or pass `downloader: DataSetDownloader()`"
          + " to `ImageDataSet.load`), which saves them in {cache}, or copy the four MNIST .gz files into one of those"
          + " folders")
    case .fashionMNIST:
      // Only the published MD5s of the compressed files are known; there is no trusted SHA-256 of
      // the uncompressed bytes, so loading checks shapes and label ranges only.
      return DataSetSpec(
        name: self, folder: "fashion-mnist", acceptsAnyFlatDirectory: false,
        splits: [
          .train: DataSplitSpec(
            images: DataFileSpec(
              fileName: "train-images-idx3-ubyte.gz", dimensions: [60_000, 28, 28],
              compressedMD5: "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
            labels: DataFileSpec(
              fileName: "train-labels-idx1-ubyte.gz", dimensions: [60_000],
              compressedMD5: "25c81989df183df01b3e8a0aad5dffbe")),
          .test: DataSplitSpec(
            images: DataFileSpec(
              fileName: "t10k-images-idx3-ubyte.gz", dimensions: [10_000, 28, 28],
              compressedMD5: "bef4ecab320f06d8554ea6380940ec79"),
            labels: DataFileSpec(
              fileName: "t10k-labels-idx1-ubyte.gz", dimensions: [10_000],
              compressedMD5: "bb300cfdad3c16e7a12a480ee83cd310")),
        ],
        classCount: 10, downloadBaseURL: "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        systemRoots: ["/usr/share/datasets"],
        howToGet: "install Debian's package (`apt-get install dataset-fashion-mnist` puts them in"
          + " /usr/share/datasets/fashion-mnist), download them with `DataSetDownloader().download(.fashionMNIST)`,"
          + " which saves them in {cache}, or copy the four Fashion-MNIST .gz files into a `fashion-mnist` folder in"
          + " one of those places")
    case .freyFaces:
      return DataSetSpec(
        name: self, folder: "faces", acceptsAnyFlatDirectory: true,
        splits: [
          .train: DataSplitSpec(
            images: DataFileSpec(
              fileName: "frey-faces-idx3-ubyte.gz", dimensions: [1965, 28, 20],
              uncompressedSHA256: "c943677a3bcb83ed2de1207d4355c360cabfee597a538f9735ec3254886c365f"),
            labels: nil)
        ],
        classCount: 0, downloadBaseURL: nil, systemRoots: [],
        howToGet: Self.facesAdvice)
    case .olivettiFaces:
      return DataSetSpec(
        name: self, folder: "faces", acceptsAnyFlatDirectory: true,
        splits: [
          .train: DataSplitSpec(
            images: DataFileSpec(
              fileName: "olivetti-64-idx3-ubyte.gz", dimensions: [400, 64, 64],
              uncompressedSHA256: "2df2579b78e22ac330f7f534a4fee9d02eedfe41be4e347e93971f67cb78b63f"),
            labels: DataFileSpec(
              fileName: "olivetti-64-labels-idx1-ubyte.gz", dimensions: [400],
              uncompressedSHA256: "87b0dbf71b8091a9cef50af2767e98a87f3b0bde56f1eda7bb591d156e542390"))
        ],
        classCount: 40, downloadBaseURL: nil, systemRoots: [],
        howToGet: Self.facesAdvice)
    case .orlFaces:
      return DataSetSpec(
        name: self, folder: "faces", acceptsAnyFlatDirectory: true,
        splits: [
          .train: DataSplitSpec(
            images: DataFileSpec(
              fileName: "orl-att-faces-idx3-ubyte.gz", dimensions: [400, 112, 92],
              uncompressedSHA256: "4436257642401625961cc8f0176e5e80369b4a2f91a51b9a221457a9cda23fa2"),
            labels: DataFileSpec(
              fileName: "orl-att-faces-labels-idx1-ubyte.gz", dimensions: [400],
              uncompressedSHA256: "87b0dbf71b8091a9cef50af2767e98a87f3b0bde56f1eda7bb591d156e542390"))
        ],
        classCount: 40, downloadBaseURL: nil, systemRoots: [],
        howToGet: Self.facesAdvice)
    }
  }

  private static let facesAdvice =
    "copy the gzipped IDX files (the project's shared data folder has them under `faces/`) into {cache} or another"
    + " of those folders; the face sets have no download"
}
