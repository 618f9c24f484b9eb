/// How a ``Conv2D`` computes its forward and backward passes, as chosen by
/// ``choose(inChannels:outChannels:outputPixels:batch:)``. Every form gives the same results up to
/// the order of Float sums.
enum ConvolutionForm: Equatable, Sendable {
  /// im2col, then one `W[Cout, Cin*k*k] x cols[Cin*k*k, images*OH*OW]` GEMM per chunk of images,
  /// the batch folded into the GEMM's N (darknet's recipe); backward: the weight- and
  /// column-gradient GEMMs, then col2im.
  case im2col
  /// One GEMM per kernel tap and run of pixels (``ShiftedConvolution``), on chunks of
  /// `imagesPerChunk` images: no column matrix, no products of padding.
  case tapByTap(imagesPerChunk: Int)
  /// A stride-2 layer as a stride-1 one over its input's four phases (``PhaseDecomposition``),
  /// computed with Winograd's minimal filtering F(4x4, R x R) (``WinogradPlan``): the forward pass
  /// and the weight gradient. The data gradient takes the form ``choose(inChannels:outChannels:outputPixels:batch:)``
  /// picks: in the phase form it computes the padded phase planes (5 x 5 per 4 x 4 input phase
  /// on DCGAN-64's last layer), and measured slower than tap by tap on every layer tried.
  case phaseWinograd
  /// A stride-1 3 x 3 or 5 x 5 layer with Winograd's minimal filtering F(4x4, 3x3) or
  /// F(4x4, 5x5) (``WinogradPlan``) in all three passes.
  case winograd

  /// The form of a layer with `inChannels -> outChannels` channels whose output planes have
  /// `outputPixels` pixels, for a batch of `batch` images: tap by tap where
  /// ``ConvolutionFormThresholds/tapByTap(inChannels:outChannels:smallerPlanePixels:)`` holds,
  /// otherwise im2col.
  static func choose(inChannels: Int, outChannels: Int, outputPixels: Int, batch: Int) -> ConvolutionForm {
    if ConvolutionFormThresholds.tapByTap(
      inChannels: inChannels, outChannels: outChannels, smallerPlanePixels: outputPixels) {
      return .tapByTap(imagesPerChunk: ConvolutionFormThresholds.tapByTapImagesPerChunk(batch: batch))
    }
    return .im2col
  }
}

/// How a ``ConvTranspose2D`` computes its forward and backward passes, as chosen by
/// ``choose(inChannels:outChannels:inputPixels:batch:)``. Every form gives the same results up to
/// the order of Float sums.
enum TransposedConvolutionForm: Equatable, Sendable {
  /// The scatter form with the batch folded into the GEMMs: per chunk of images, the input is
  /// copied channel-major, one `X^T[images*H*W, Cin] x W[Cin, Cout*k*k]` GEMM makes every input
  /// pixel's weighted kernel copy and col2im adds them into the output; backward: im2col of the
  /// output gradient and two GEMMs. The layout copies pay for GEMMs large enough for OpenBLAS.
  case batchFolded
  /// The scatter form image by image, straight on the NCHW tensors (one image's `[Cin, H*W]`
  /// already is a GEMM operand), in parallel over images: no layout copies. `columns` is the
  /// layout of the forward pass's column matrix (the backward pass has one layout).
  case perImage(columns: ColumnLayout)
  /// One GEMM per kernel tap and run of pixels (``ShiftedConvolution``), on chunks of
  /// `imagesPerChunk` images: no col2im, no products that fall on the cropped border.
  case tapByTap(imagesPerChunk: Int)
  /// Winograd's minimal filtering for all three passes of a stride-1 5 x 5 layer
  /// (``WinogradPlan``: F(4x4, 5x5) takes 64 products per 4 x 4 output tile and channel pair
  /// instead of 400; the weight gradient sums the same tiles' products over the batch).
  case winograd

  /// The column matrix of the image-by-image forward pass.
  enum ColumnLayout: Equatable, Sendable {
    /// `cols[H*W, Cout*k*k] = X_b^T W`, folded by a col2im that adds one tap across all channels
    /// per loop: a long loop when there are many output channels.
    case pixelMajor
    /// `cols[Cout*k*k, H*W] = W^T X_b`, folded by a col2im that adds one contiguous run per tap and
    /// row: for few output channels, where the pixel-major loop over channels would be short.
    case channelMajor
  }

  /// The form of a layer with `inChannels -> outChannels` channels whose input planes have
  /// `inputPixels` pixels, for a batch of `batch` images: tap by tap where
  /// ``ConvolutionFormThresholds/tapByTap(inChannels:outChannels:smallerPlanePixels:)`` holds;
  /// otherwise image by image from
  /// ``ConvolutionFormThresholds/perImageMinimumInputPixels`` input pixels (channel-major columns
  /// up to ``ConvolutionFormThresholds/channelMajorMaximumOutChannels`` output channels);
  /// otherwise batch-folded.
  static func choose(inChannels: Int, outChannels: Int, inputPixels: Int, batch: Int) -> TransposedConvolutionForm {
    if ConvolutionFormThresholds.tapByTap(
      inChannels: inChannels, outChannels: outChannels, smallerPlanePixels: inputPixels) {
      return .tapByTap(imagesPerChunk: ConvolutionFormThresholds.tapByTapImagesPerChunk(batch: batch))
    }
    if inputPixels >= ConvolutionFormThresholds.perImageMinimumInputPixels {
      let channelMajor = outChannels <= ConvolutionFormThresholds.channelMajorMaximumOutChannels
      return .perImage(columns: channelMajor ? .channelMajor : .pixelMajor)
    }
    return .batchFolded
  }
}

/// The thresholds behind ``ConvolutionForm/choose(inChannels:outChannels:outputPixels:batch:)``
/// and ``TransposedConvolutionForm/choose(inChannels:outChannels:inputPixels:batch:)``, in one
/// place. They were set by timing the report's layers (DCGAN, VAE, DCGAN-64) in each form side by
/// side; the measurements are in docs/PERFORMANCE.md.
enum ConvolutionFormThresholds {
  /// Whether a layer runs tap by tap (``ShiftedConvolution``): both channel counts wide enough for
  /// the per-tap GEMMs (`N` and `K` are channel counts), and its smaller plane (a ``Conv2D``'s
  /// output, a ``ConvTranspose2D``'s input) small enough that padding is a large share of the
  /// im2col form's work (larger transposed layers run image by image).
  ///
  /// Planes of 14 x 14 to 16 x 16 take it only with 64 channels or more on each side: measured
  /// forward and backward side by side, DCGAN-64's 16 x 16 layers (128 -> 64 and 64 -> 128) ran
  /// faster tap by tap and the VAE's v_convT2 (64 -> 32 on 14 x 14) slower. Larger planes were not
  /// measured and keep the other forms.
  static func tapByTap(inChannels: Int, outChannels: Int, smallerPlanePixels pixels: Int) -> Bool {
    let channels = min(inChannels, outChannels)
    return channels >= 16 && (pixels < 196 || (channels >= 64 && pixels <= 256))
  }

  /// Images per chunk of the tap-by-tap form for a batch: 32 (chunks of 16-32 were the fastest on
  /// the report's layers at batch 128 and 256) once the batch makes two such chunks, otherwise
  /// half the batch (at least 8), so that two threads each take a chunk instead of sharing every
  /// small GEMM (at batch 32, two chunks of 16 made the DCGAN step faster than one of 32). Derived
  /// from the batch only, never from the thread count, so the weight gradient adds the same
  /// partial sums in the same order at any thread count.
  static func tapByTapImagesPerChunk(batch: Int) -> Int {
    batch >= 64 ? 32 : batch >= 32 ? 16 : 8
  }

  /// Input planes of at least this many pixels make a ``ConvTranspose2D`` that does not run tap by
  /// tap compute image by image, straight on the NCHW tensors, in parallel over images; smaller
  /// ones fold the batch into the GEMM's N, which needs layout copies but makes GEMMs large enough
  /// for OpenBLAS. 14 x 14 and 28 x 28 inputs (the decoders' last layers) take the first path and
  /// skip four activation-sized copies per step.
  static let perImageMinimumInputPixels = 196

  /// Output channels up to which the image-by-image forward pass of a ``ConvTranspose2D`` builds
  /// channel-major columns (the decoders' last layers, 1 to 3 channels); with more, pixel-major
  /// ones (see ``TransposedConvolutionForm/ColumnLayout``).
  static let channelMajorMaximumOutChannels = 4

  /// Whether a ``Conv2D`` runs in the phase form (``ConvolutionForm/phaseWinograd``): stride 2, a
  /// square kernel of side 3 to 6 (phase kernels of 2 or 3), at least 64 channels on each side,
  /// output planes of whole 4 x 4 tiles, at least 2 x 2 of them (``wholeTiles(outputHeight:outputWidth:)``:
  /// on 7 x 7 outputs, where the tiles cover 8 x 8, it measured slower), while
  /// ``ConvolutionChunking/winogradEnabled`` is on. DCGAN-64's discriminator layers with 16 x 16
  /// and 8 x 8 outputs take it; its last, one tile per image, does not.
  static func phaseWinograd(
    kernelHeight: Int, kernelWidth: Int, stride: Int, inChannels: Int, outChannels: Int, outputHeight: Int, outputWidth: Int
  ) -> Bool {
    ConvolutionChunking.winogradEnabled && stride == 2 && kernelHeight == kernelWidth && (3...6).contains(kernelHeight)
      && min(inChannels, outChannels) >= 64 && wholeTiles(outputHeight: outputHeight, outputWidth: outputWidth)
  }

  /// Whether a ``Conv2D`` runs its three passes with Winograd's minimal filtering
  /// (``ConvolutionForm/winograd``): stride 1, a 3 x 3 or 5 x 5 kernel, at least 64 channels on
  /// each side, and output planes of whole 4 x 4 tiles, at least 2 x 2 of them, while
  /// ``ConvolutionChunking/winogradEnabled`` is on. Measured: 1.6-2.3 times faster per pass on
  /// 8 x 8, 16 x 16 and 28 x 28 planes; no faster on the VAE encoder's 7 x 7 and on 14 x 14, where
  /// the tiles cover 8 x 8 and 16 x 16.
  static func convolutionWinograd(
    kernelSize: Int, stride: Int, inChannels: Int, outChannels: Int, outputHeight: Int, outputWidth: Int
  ) -> Bool {
    ConvolutionChunking.winogradEnabled && stride == 1 && (kernelSize == 3 || kernelSize == 5)
      && min(inChannels, outChannels) >= 64 && wholeTiles(outputHeight: outputHeight, outputWidth: outputWidth)
  }

  /// Output planes that Winograd's 4 x 4 tiles cover exactly, with at least 2 x 2 tiles: a plane
  /// that is one tile, or whose tiles reach past it (7 x 7 in 8 x 8), measured no faster.
  static func wholeTiles(outputHeight: Int, outputWidth: Int) -> Bool {
    outputHeight % 4 == 0 && outputWidth % 4 == 0 && min(outputHeight, outputWidth) >= 8
  }

  /// Whether a ``ConvTranspose2D`` runs its three passes with Winograd's minimal filtering
  /// (``TransposedConvolutionForm/winograd``): a stride-1 5 x 5 layer with at least 64 channels on
  /// each side, while ``ConvolutionChunking/winogradEnabled`` is on (the default).
  static func winograd(kernelSize: Int, stride: Int, inChannels: Int, outChannels: Int) -> Bool {
    ConvolutionChunking.winogradEnabled && kernelSize == 5 && stride == 1 && min(inChannels, outChannels) >= 64
  }
}
