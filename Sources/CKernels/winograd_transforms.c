// The tile transforms of Winograd's minimal filtering (see WinogradPlan in GenerativeKit), eight
// channels per vector. Each body is written once on GCC/Clang vector types and instantiated for
// every plan, twice: inside an AVX2 + FMA function (a target attribute; products and sums
// contract to FMAs) and inside a portable one (two SSE halves).
#include "CKernels.h"

typedef float v8 __attribute__((vector_size(32), aligned(4)));

#define MAX_ALPHA 8
#define MAX_KERNEL 5

// Macros rather than functions: a function returning a 32-byte vector would change the ABI of
// the portable (SSE) instances.
#define SPLAT(x) ((v8){(x), (x), (x), (x), (x), (x), (x), (x)})
#define LOAD8(p) (*(const v8 *)(p))
#define STORE8(p, x) (*(v8 *)(p) = (x))

// `L d L^T` for side x side tiles d of a channel-last image (L: alpha x side): the input tiles
// (side alpha, L = B^T) and the output-gradient tiles (side m, L = the alpha x m Vandermonde).
static inline __attribute__((always_inline)) void transform_tiles(
    int alpha, int side, int m, const float *l, const float *channel_last, long padded_height,
    long padded_width, long channels, long tiles_x, long tiles, long position_stride, long row_stride,
    long first_item, long item_count, float *v) {
  v8 coefficient[MAX_ALPHA * MAX_ALPHA];
  for (int i = 0; i < alpha * side; i++) coefficient[i] = SPLAT(l[i]);
  const long groups = channels / 8;
  for (long item = first_item; item < first_item + item_count; item++) {
    const long row = item / groups, group = item % groups;
    const long image = row / tiles, tile = row % tiles;
    const long top = tile / tiles_x * m, left = tile % tiles_x * m;
    const float *origin =
        channel_last + ((image * padded_height + top) * padded_width + left) * channels + group * 8;
    v8 d[MAX_ALPHA * MAX_ALPHA], t[MAX_ALPHA * MAX_ALPHA];
    for (int a = 0; a < side; a++)
      for (int b = 0; b < side; b++) d[a * side + b] = LOAD8(origin + (a * padded_width + b) * channels);
    // t = d L^T row by row (side x alpha), then L t column by column: with alpha and side
    // constants, each pass keeps one row or column and its sums in registers.
    for (int a = 0; a < side; a++)
      for (int b = 0; b < alpha; b++) {
        v8 sum = d[a * side] * coefficient[b * side];
        for (int c = 1; c < side; c++) sum += d[a * side + c] * coefficient[b * side + c];
        t[a * alpha + b] = sum;
      }
    float *target = v + row * row_stride + group * 8;
    for (int b = 0; b < alpha; b++)
      for (int a = 0; a < alpha; a++) {
        v8 sum = coefficient[a * side] * t[b];
        for (int c = 1; c < side; c++) sum += coefficient[a * side + c] * t[c * alpha + b];
        STORE8(target + (a * alpha + b) * position_stride, sum);
      }
  }
}

static inline __attribute__((always_inline)) void output_tiles(
    int alpha, int m, const float *at, const float *products, long position_stride, long row_stride,
    long channels_padded, long tiles_x, long tiles, long first_item, long item_count, float *output,
    long out_channels, long output_height, long output_width) {
  v8 coefficient[MAX_ALPHA * MAX_ALPHA];
  for (int i = 0; i < m * alpha; i++) coefficient[i] = SPLAT(at[i]);
  const long groups = channels_padded / 8;
  const long plane = output_height * output_width;
  for (long item = first_item; item < first_item + item_count; item++) {
    const long row = item / groups, group = item % groups;
    const long image = row / tiles, tile = row % tiles;
    const long top = tile / tiles_x * m, left = tile % tiles_x * m;
    const float *source = products + row * row_stride + group * 8;
    v8 p[MAX_ALPHA * MAX_ALPHA], t[MAX_ALPHA * MAX_ALPHA];
    for (int i = 0; i < alpha * alpha; i++) p[i] = LOAD8(source + i * position_stride);
    // t = A^T M (m x alpha)
    for (int a = 0; a < m; a++)
      for (int b = 0; b < alpha; b++) {
        v8 sum = coefficient[a * alpha] * p[b];
        for (int c = 1; c < alpha; c++) sum += coefficient[a * alpha + c] * p[c * alpha + b];
        t[a * alpha + b] = sum;
      }
    long lanes = out_channels - group * 8;
    if (lanes > 8) lanes = 8;
    float *first_lane = output + (image * out_channels + group * 8) * plane;
    for (int a = 0; a < m && top + a < output_height; a++)
      for (int b = 0; b < m && left + b < output_width; b++) {
        v8 sum = t[a * alpha] * coefficient[b * alpha];
        for (int c = 1; c < alpha; c++) sum += t[a * alpha + c] * coefficient[b * alpha + c];
        float *pixel = first_lane + (top + a) * output_width + left + b;
        for (long lane = 0; lane < lanes; lane++) pixel[lane * plane] = sum[lane];
      }
  }
}

static inline __attribute__((always_inline)) void kernel_tiles(
    int alpha, int r, const float *g, const float *weight, long out_stride, long in_stride, int flip,
    long out_channels, long out_padded, long position_stride, long first_in, long in_count, float *u) {
  v8 coefficient[MAX_ALPHA * MAX_KERNEL];
  for (int i = 0; i < alpha * r; i++) coefficient[i] = SPLAT(g[i]);
  for (long i = first_in; i < first_in + in_count; i++) {
    for (long group = 0; group < out_padded / 8; group++) {
      v8 k[MAX_KERNEL * MAX_KERNEL], t[MAX_ALPHA * MAX_KERNEL];
      for (int tap = 0; tap < r * r; tap++) {
        const float *first = weight + group * 8 * out_stride + i * in_stride + (flip ? r * r - 1 - tap : tap);
        v8 lanes = SPLAT(0);
        for (long lane = 0; lane < 8 && group * 8 + lane < out_channels; lane++) lanes[lane] = first[lane * out_stride];
        k[tap] = lanes;
      }
      // t = G k (alpha x 5)
      for (int a = 0; a < alpha; a++)
        for (int c = 0; c < r; c++) {
          v8 sum = coefficient[a * r] * k[c];
          for (int b = 1; b < r; b++) sum += coefficient[a * r + b] * k[b * r + c];
          t[a * r + c] = sum;
        }
      // U = t G^T (alpha x alpha)
      float *target = u + i * out_padded + group * 8;
      for (int a = 0; a < alpha; a++)
        for (int b = 0; b < alpha; b++) {
          v8 sum = t[a * r] * coefficient[b * r];
          for (int c = 1; c < r; c++) sum += t[a * r + c] * coefficient[b * r + c];
          STORE8(target + (a * alpha + b) * position_stride, sum);
        }
    }
  }
}

// `G^T dU G` (r x r) for every input channel in range and group of eight output channels, added
// into a kernel gradient addressed as kernel_tiles reads kernels.
static inline __attribute__((always_inline)) void kernel_gradient_tiles(
    int alpha, int r, const float *g, const float *du, long position_stride, long out_padded,
    float *gradient, long out_stride, long in_stride, int flip, long out_channels, long first_in,
    long in_count) {
  v8 coefficient[MAX_ALPHA * MAX_KERNEL];
  for (int i = 0; i < alpha * r; i++) coefficient[i] = SPLAT(g[i]);
  for (long i = first_in; i < first_in + in_count; i++) {
    for (long group = 0; group < out_padded / 8; group++) {
      const float *source = du + i * out_padded + group * 8;
      v8 p[MAX_ALPHA * MAX_ALPHA], t[MAX_KERNEL * MAX_ALPHA];
      for (int q = 0; q < alpha * alpha; q++) p[q] = LOAD8(source + q * position_stride);
      // t = G^T dU (5 x alpha): t[a][b] = sum_c G[c][a] dU[c][b]
      for (int a = 0; a < r; a++)
        for (int b = 0; b < alpha; b++) {
          v8 sum = coefficient[a] * p[b];
          for (int c = 1; c < alpha; c++) sum += coefficient[c * r + a] * p[c * alpha + b];
          t[a * alpha + b] = sum;
        }
      long lanes = out_channels - group * 8;
      if (lanes > 8) lanes = 8;
      float *first_lane = gradient + group * 8 * out_stride + i * in_stride;
      for (int a = 0; a < r; a++)
        for (int b = 0; b < r; b++) {
          v8 sum = t[a * alpha] * coefficient[b];
          for (int c = 1; c < alpha; c++) sum += t[a * alpha + c] * coefficient[c * r + b];
          const int tap = a * r + b;
          float *entry = first_lane + (flip ? r * r - 1 - tap : tap);
          for (long lane = 0; lane < lanes; lane++) entry[lane * out_stride] += sum[lane];
        }
    }
  }
}

// Each transform is instantiated for every plan (alpha, r): F(2x2, 5x5), F(3x3, 5x5), F(4x4, 5x5),
// F(4x4, 3x3) and F(4x4, 2x2), so that the sizes are constants and the loops unroll, once for
// AVX2 + FMA and once portable.
#define AVX2 __attribute__((target("avx2,fma")))

#define TILE_ARGUMENTS                                                                             \
  const float *l, const float *channel_last, long padded_height, long padded_width, long channels, \
      long tiles_x, long tiles, long position_stride, long row_stride, long first_item,            \
      long item_count, float *v
#define TILE_CALL(alpha, side, m)                                                                 \
  transform_tiles(alpha, side, m, l, channel_last, padded_height, padded_width, channels, tiles_x, \
                  tiles, position_stride, row_stride, first_item, item_count, v)
#define OUTPUT_ARGUMENTS                                                                          \
  const float *at, const float *products, long position_stride, long row_stride,                  \
      long channels_padded, long tiles_x, long tiles, long first_item, long item_count,           \
      float *output, long out_channels, long output_height, long output_width
#define OUTPUT_CALL(alpha, m)                                                                     \
  output_tiles(alpha, m, at, products, position_stride, row_stride, channels_padded, tiles_x,     \
               tiles, first_item, item_count, output, out_channels, output_height, output_width)
#define KERNEL_ARGUMENTS                                                                          \
  const float *g, const float *weight, long out_stride, long in_stride, int flip,                 \
      long out_channels, long out_padded, long position_stride, long first_in, long in_count,     \
      float *u
#define KERNEL_CALL(alpha, r)                                                                     \
  kernel_tiles(alpha, r, g, weight, out_stride, in_stride, flip, out_channels, out_padded,       \
               position_stride, first_in, in_count, u)
#define GRADIENT_ARGUMENTS                                                                        \
  const float *g, const float *du, long position_stride, long out_padded, float *gradient,        \
      long out_stride, long in_stride, int flip, long out_channels, long first_in, long in_count
#define GRADIENT_CALL(alpha, r)                                                                   \
  kernel_gradient_tiles(alpha, r, g, du, position_stride, out_padded, gradient, out_stride,      \
                        in_stride, flip, out_channels, first_in, in_count)

#define INSTANCE(name, suffix, arguments, call) \
  AVX2 static void name##_avx2_##suffix(arguments) { call; } \
  static void name##_portable_##suffix(arguments) { call; }

// alpha, r, m = alpha - r + 1.
#define INSTANCES(alpha, r, m)                                                               \
  INSTANCE(input_tiles, alpha##_##r, TILE_ARGUMENTS, TILE_CALL(alpha, alpha, m))             \
  INSTANCE(gradient_tiles, alpha##_##r, TILE_ARGUMENTS, TILE_CALL(alpha, m, m))              \
  INSTANCE(output_tiles, alpha##_##r, OUTPUT_ARGUMENTS, OUTPUT_CALL(alpha, m))               \
  INSTANCE(kernel_tiles, alpha##_##r, KERNEL_ARGUMENTS, KERNEL_CALL(alpha, r))               \
  INSTANCE(kernel_gradient_tiles, alpha##_##r, GRADIENT_ARGUMENTS, GRADIENT_CALL(alpha, r))

INSTANCES(6, 5, 2)
INSTANCES(7, 5, 3)
INSTANCES(8, 5, 4)
INSTANCES(6, 3, 4)
INSTANCES(5, 2, 4)

// -1 until the first call reads CPUID; 0 or 1 after. Every thread that races on the first call
// stores the same value.
static int use_avx2 = -1;

int gk_kernels_use_avx2(void) {
  if (use_avx2 < 0) {
    __builtin_cpu_init();
    use_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }
  return use_avx2;
}

void gk_kernels_set_portable(int portable) {
  use_avx2 = -1;
  if (portable) use_avx2 = 0;
  else (void)gk_kernels_use_avx2();
}

// Calls the instance of `name` for the plan (alpha, r) on this CPU; other plans do nothing.
#define DISPATCH(name, alpha, r, ...)                                                          \
  do {                                                                                         \
    const int avx2 = gk_kernels_use_avx2();                                                    \
    switch ((alpha) * 16 + (r)) {                                                              \
      case 6 * 16 + 5: (avx2 ? name##_avx2_6_5 : name##_portable_6_5)(__VA_ARGS__); break;      \
      case 7 * 16 + 5: (avx2 ? name##_avx2_7_5 : name##_portable_7_5)(__VA_ARGS__); break;      \
      case 8 * 16 + 5: (avx2 ? name##_avx2_8_5 : name##_portable_8_5)(__VA_ARGS__); break;      \
      case 6 * 16 + 3: (avx2 ? name##_avx2_6_3 : name##_portable_6_3)(__VA_ARGS__); break;      \
      case 5 * 16 + 2: (avx2 ? name##_avx2_5_2 : name##_portable_5_2)(__VA_ARGS__); break;      \
      default: break;                                                                          \
    }                                                                                          \
  } while (0)

int gk_winograd_supports(int alpha, int r) {
  switch (alpha * 16 + r) {
    case 6 * 16 + 5: case 7 * 16 + 5: case 8 * 16 + 5: case 6 * 16 + 3: case 5 * 16 + 2: return 1;
    default: return 0;
  }
}

void gk_winograd_input_tiles(int alpha, int r, int side, const float *l, const float *channel_last,
                             long padded_height, long padded_width, long channels, long tiles_x,
                             long tiles, long position_stride, long row_stride, long first_item,
                             long item_count, float *v) {
  if (side == alpha)
    DISPATCH(input_tiles, alpha, r, l, channel_last, padded_height, padded_width, channels, tiles_x,
             tiles, position_stride, row_stride, first_item, item_count, v);
  else if (side == alpha - r + 1)
    DISPATCH(gradient_tiles, alpha, r, l, channel_last, padded_height, padded_width, channels, tiles_x,
             tiles, position_stride, row_stride, first_item, item_count, v);
}

void gk_winograd_output_tiles(int alpha, int r, const float *at, const float *products,
                              long position_stride, long row_stride, long channels_padded,
                              long tiles_x, long tiles, long first_item, long item_count,
                              float *output, long out_channels, long output_height,
                              long output_width) {
  DISPATCH(output_tiles, alpha, r, at, products, position_stride, row_stride, channels_padded, tiles_x,
           tiles, first_item, item_count, output, out_channels, output_height, output_width);
}

void gk_winograd_kernel_tiles(int alpha, int r, const float *g, const float *weight, long out_stride,
                              long in_stride, int flip, long out_channels, long out_padded,
                              long position_stride, long first_in, long in_count, float *u) {
  DISPATCH(kernel_tiles, alpha, r, g, weight, out_stride, in_stride, flip, out_channels, out_padded,
           position_stride, first_in, in_count, u);
}

void gk_winograd_kernel_gradient_tiles(int alpha, int r, const float *g, const float *du,
                                       long position_stride, long out_padded, float *gradient,
                                       long out_stride, long in_stride, int flip, long out_channels,
                                       long first_in, long in_count) {
  DISPATCH(kernel_gradient_tiles, alpha, r, g, du, position_stride, out_padded, gradient, out_stride,
           in_stride, flip, out_channels, first_in, in_count);
}
