/// The JSON bodies of the explorer's API (see `ExplorerService`).

struct GridRequest: Decodable {
  var count: Int?
  var seed: Int?
  var label: Int?
}

struct DecodeRequest: Decodable {
  var codes: [[Float]]
  var labels: [Int]?
}

struct InterpolateRequest: Decodable {
  var from: [Float]
  var to: [Float]
  var steps: Int?
  var label: Int?
}

struct ReconstructRequest: Decodable {
  var testIndex: Int?
  var pixels: [Float]?
  var label: Int?
}

struct InfoResponse: Codable {
  var kind: ExplorerModel.Kind
  var latentDimension: Int
  var classCount: Int?
  var imageShape: [Int]
  var epoch: Int
  var checkpoint: String
  var directions: [[Float]]
  var testImages: Int
}

struct ImagesResponse: Codable {
  var images: [String]
  var codes: [[Float]]
  var labels: [Int]?
}

struct ReconstructResponse: Codable {
  var original: String
  var reconstruction: String
  var code: [Float]
  var label: Int?
  /// Whether the server chose `label` (the class under which the picture costs least).
  var labelInferred: Bool
}
