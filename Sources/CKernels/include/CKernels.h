#ifndef GK_KERNELS_H
#define GK_KERNELS_H

// Kernels of GenerativeKit written in C so that each can be compiled for AVX2 + FMA with a
// function-level target attribute (no build flags) and chosen at run time with CPUID; every one
// has a portable version that gives the same results up to the rounding of fused multiply-adds.
//
// Winograd's minimal filtering F(m x m, r x r) (see WinogradPlan in GenerativeKit) works on
// tiles: alpha = m + r - 1 is the side of a transformed tile. The plans (alpha, r) compiled here
// are F(2x2, 5x5), F(3x3, 5x5), F(4x4, 5x5), F(4x4, 3x3) and F(4x4, 2x2): (6, 5), (7, 5), (8, 5),
// (6, 3) and (5, 2); the functions below do nothing for other plans. Tiles are numbered row =
// image * tiles + tile, tile = tile_y * tiles_x + tile_x, and tile (tile_y, tile_x) covers output
// pixels from (tile_y * m, tile_x * m). Transformed tiles are stored one alpha x alpha block of
// positions per row: position p of row `row`, channels c ..< c + 8, is at
// `row * row_stride + p * position_stride + c`. Channels go eight to a vector; channel counts
// written `_padded` are multiples of 8.

/// 1 when the kernels below run their AVX2 + FMA versions on this CPU, 0 for the portable ones.
int gk_kernels_use_avx2(void);

/// With a nonzero argument, runs the portable versions from now on even where AVX2 + FMA exist (for
/// tests that compare the two); with zero, goes back to the CPU's choice. Not for use while
/// kernels run on other threads.
void gk_kernels_set_portable(int portable);

/// 1 when the plan (alpha, r) is compiled here, 0 otherwise.
int gk_winograd_supports(int alpha, int r);

/// `L d L^T` for the tiles d of a channel-last image, `item_count` items from `first_item`, each
/// one tile and eight channels (item = row * (channels / 8) + group).
///
/// - `side`: alpha for input tiles (`L` = B^T, alpha x alpha), or m for the tiles of an output
///   gradient in the weight gradient (`L` = A, alpha x m: the roles of m and r swapped).
/// - `l`: `L`, alpha x side, row-major.
/// - `channel_last`: `[images][padded_height][padded_width][channels]`; a tile's side x side
///   pixels start at (tile_y * m, tile_x * m).
/// - `v`: the transformed tiles (see above).
void gk_winograd_input_tiles(int alpha, int r, int side, const float *l, const float *channel_last,
                             long padded_height, long padded_width, long channels, long tiles_x,
                             long tiles, long position_stride, long row_stride, long first_item,
                             long item_count, float *v);

/// `A^T M A` (m x m) for `item_count` items from `first_item` (items over `channels_padded / 8`
/// groups of output channels), written into an NCHW image where the tile's pixels fall inside it.
///
/// - `at`: `A^T`, m x alpha, row-major.
/// - `products`: the tiles' products (see above).
/// - `output`: `[images][out_channels][output_height][output_width]`; lanes past `out_channels`
///   are dropped.
void gk_winograd_output_tiles(int alpha, int r, const float *at, const float *products,
                              long position_stride, long row_stride, long channels_padded,
                              long tiles_x, long tiles, long first_item, long item_count,
                              float *output, long out_channels, long output_height,
                              long output_width);

/// `G k G^T` of the r x r kernels of the input channels `first_in ..< first_in + in_count`, eight
/// output channels at a time.
///
/// - `g`: `G`, alpha x r, row-major.
/// - The kernel of output channel o and input channel i at tap t (t = ky * r + kx) is
///   `weight[o * out_stride + i * in_stride + (flip ? r * r - 1 - t : t)]`.
/// - `u`: one `[in_padded][out_padded]` matrix per tile position, `position_stride` floats apart;
///   lanes of output channels past `out_channels` are written as zeros, rows of input channels
///   outside the range are not touched.
void gk_winograd_kernel_tiles(int alpha, int r, const float *g, const float *weight, long out_stride,
                              long in_stride, int flip, long out_channels, long out_padded,
                              long position_stride, long first_in, long in_count, float *u);

/// The weight gradient's last step: `G^T dU G` (r x r) for the input channels `first_in ..<
/// first_in + in_count` and every group of eight output channels, **added** into `gradient`,
/// addressed as gk_winograd_kernel_tiles addresses `weight`.
///
/// - `du`: one `[in_padded][out_padded]` matrix per tile position, `position_stride` floats apart:
///   the sums over all tiles of the transformed input tiles times the transformed output-gradient
///   tiles.
void gk_winograd_kernel_gradient_tiles(int alpha, int r, const float *g, const float *du,
                                       long position_stride, long out_padded, float *gradient,
                                       long out_stride, long in_stride, int flip, long out_channels,
                                       long first_in, long in_count);

#endif
