import GenerativeKit
import GenerativeKitData
import GenerativeKitTraining

extension FuzzTarget {
  /// Small valid inputs to start the fuzzer from, made with the library's own writers (so no
  /// binary seed is stored): each named for the file `gk-fuzz seeds` writes.
  public func seeds() throws -> [(name: String, bytes: [UInt8])] {
    var random = SeededGenerator(seed: 0x5EED)
    func image(_ width: Int, _ height: Int, _ color: ColorMode) -> PixelImage {
      let count = width * height * color.channelCount
      return PixelImage(width: width, height: height, color: color, pixels: (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) })
    }
    switch self {
    case .safetensors:
      var small = Checkpoint(metadata: ["format": "generativekit-gan", "note": "seed"])
      small.set(Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]), named: "generator.0.weight")
      small.set(Tensor(shape: [3], scalars: [-1, 0, 1]), named: "generator.0.bias")
      small.setRandomGenerator(SeededGenerator(seed: 1), named: "rng.noise")
      small.epoch = 2
      var options = GANOptions()
      options.width = 8
      try small.setConfiguration(options)
      var vae = Checkpoint()
      vae.set(Tensor(shape: [4], repeating: 0.5), named: "encoder.0.weight")
      try vae.setConfiguration(VAEOptions())
      return [("gan.safetensors", try small.safetensorsBytes()), ("vae.safetensors", try vae.safetensorsBytes()),
              ("empty.safetensors", try Checkpoint().safetensorsBytes())]
    case .idx:
      func idx(_ dimensions: [Int]) -> [UInt8] {
        var bytes: [UInt8] = [0, 0, IDX.unsignedByteType, UInt8(dimensions.count)]
        for d in dimensions { bytes += withUnsafeBytes(of: UInt32(d).bigEndian, Array.init) }
        return bytes + (0..<dimensions.reduce(1, *)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
      }
      return [("images.idx", idx([3, 4, 5])), ("labels.idx", idx([7])), ("empty.idx", idx([0]))]
    case .gzip:
      let text = Array("GenerativeKit gzip seed, repeated: abcabcabcabcabcabc".utf8)
      return [("text.gz", Gzip.compress(text)), ("two-members.gz", Gzip.compress(text) + Gzip.compress([1, 2, 3])),
              ("empty.gz", Gzip.compress([]))]
    case .npy:
      return [("matrix.npy", NumPyArray.encode(Tensor(shape: [2, 3], scalars: [1, -2, 3.5, 0, .infinity, 7]))),
              ("vector.npy", NumPyArray.encode(Tensor(shape: [4], repeating: 0.25))),
              ("scalar.npy", NumPyArray.encode(Tensor(shape: [], scalars: [3])))]
    case .png:
      return [("gray.png", try PNG.encode(image(5, 3, .gray))), ("rgb.png", try PNG.encode(image(4, 4, .rgb))),
              ("pixel.png", try PNG.encode(image(1, 1, .gray)))]
    case .jpeg:
      return [("gray.jpg", try JPEG.encode(image(8, 8, .gray), quality: 75)),
              ("rgb.jpg", try JPEG.encode(image(17, 9, .rgb), quality: 90)),
              ("cmyk.jpg", try JPEG.encode(pixels: (0..<64).map { UInt8($0 * 4) }, width: 4, height: 4, components: 4))]
    }
  }
}
