#ifndef GK_KERNELS_H
#define GK_KERNELS_H

// Kernels of GenerativeKit written in C so that each can be compiled for AVX2 + FMA with a
// function-level target attribute (no build flags) and chosen at run time with CPUID; every one
// has a portable version that gives the same results up to the rounding of fused multiply-adds.

/// 1 when the kernels below run their AVX2 + FMA versions on this CPU, 0 for the portable ones.
int gk_kernels_use_avx2(void);

/// With a nonzero argument, runs the portable versions from now on even where AVX2 + FMA exist (for
/// tests that compare the two); with zero, goes back to the CPU's choice. Not for use while
/// kernels run on other threads.
void gk_kernels_set_portable(int portable);

/// Winograd input transform `V = B^T d B` for `item_count` items from `first_item`, each one tile
/// and eight channels: item = row * (channels / 8) + group, row = image * tiles + tile, tile =
/// tile_y * tiles_x + tile_x.
///
/// - `bt`: `B^T`, alpha x alpha, row-major (alpha <= 8; the tile's output side is m).
/// - `channel_last`: `[images][padded_height][padded_width][channels]`, `channels` a multiple of 8;
///   the tile of (tile_y, tile_x) starts at pixel (tile_y * m, tile_x * m).
/// - `v`: one `[rows][channels]` matrix per tile position p, `position_stride` floats apart; item
///   (row, group) writes `v[p * position_stride + row * channels + group * 8 ..< +8]`.
void gk_winograd_input_tiles(int alpha, int m, const float *bt, const float *channel_last,
                             long padded_height, long padded_width, long channels, long tiles_x,
                             long tiles, long position_stride, long row_stride, long first_item,
                             long item_count, float *v);

/// Winograd output transform `Y = A^T M A` for `item_count` items from `first_item` (items as in
/// gk_winograd_input_tiles, over `channels_padded / 8` groups of output channels).
///
/// - `at`: `A^T`, m x alpha, row-major.
/// - `products`: one `[rows][channels_padded]` matrix per tile position, `position_stride` floats
///   apart.
/// - `output`: NCHW `[images][out_channels][output_height][output_width]`; each tile's m x m pixels
///   are written where they fall inside it (the lanes past `out_channels` are dropped).
void gk_winograd_output_tiles(int alpha, int m, const float *at, const float *products,
                              long position_stride, long row_stride, long channels_padded, long tiles_x, long tiles, long first_item,
                              long item_count, float *output, long out_channels, long output_height,
                              long output_width);

/// Winograd kernel transform `U = G k G^T` of 5 x 5 kernels for the input channels
/// `first_in ..< first_in + in_count`, eight output channels at a time.
///
/// - `g`: `G`, alpha x 5, row-major.
/// - The kernel of output channel o and input channel i at tap t (t = ky * 5 + kx) is
///   `weight[o * out_stride + i * in_stride + (flip ? 24 - t : t)]`.
/// - `u`: one `[in_padded][out_padded]` matrix per tile position, `position_stride` floats apart;
///   lanes of output channels past `out_channels` are written as zeros, rows of input channels
///   outside the range are not touched.
void gk_winograd_kernel_tiles(int alpha, const float *g, const float *weight, long out_stride,
                              long in_stride, int flip, long out_channels, long out_padded,
                              long position_stride, long first_in, long in_count, float *u);

#endif
