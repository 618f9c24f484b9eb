// The machine's FP32 FMA peak, measured: each function is compiled for its instruction set with a
// target attribute (no build flags), and gk_peak_vector_bits picks the widest the CPU has.
#include "CPeakProbe.h"

#include <immintrin.h>

// Keeps the chains' results alive, and hides the constants from the optimiser (read at run time),
// so the compiler can neither drop nor fold the loop.
static volatile float sink;
static volatile float start_value = 1.0f, scale_value = 0.9999999f, shift_value = 1e-7f;

#define CHAINS 12

__attribute__((target("avx512f"))) static double run512(long iterations) {
  __m512 acc[CHAINS];
  for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_set1_ps(start_value + 0.01f * (float)c);
  const __m512 scale = _mm512_set1_ps(scale_value), shift = _mm512_set1_ps(shift_value);
  for (long i = 0; i < iterations; i++) {
    for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_fmadd_ps(acc[c], scale, shift);
  }
  __m512 total = acc[0];
  for (int c = 1; c < CHAINS; c++) total = _mm512_add_ps(total, acc[c]);
  sink = _mm512_reduce_add_ps(total);
  return (double)iterations * CHAINS * 16 * 2;
}

__attribute__((target("avx2,fma"))) static double run256(long iterations) {
  __m256 acc[CHAINS];
  for (int c = 0; c < CHAINS; c++) acc[c] = _mm256_set1_ps(start_value + 0.01f * (float)c);
  const __m256 scale = _mm256_set1_ps(scale_value), shift = _mm256_set1_ps(shift_value);
  for (long i = 0; i < iterations; i++) {
    for (int c = 0; c < CHAINS; c++) acc[c] = _mm256_fmadd_ps(acc[c], scale, shift);
  }
  __m256 total = acc[0];
  for (int c = 1; c < CHAINS; c++) total = _mm256_add_ps(total, acc[c]);
  float lanes[8];
  _mm256_storeu_ps(lanes, total);
  sink = lanes[0] + lanes[7];
  return (double)iterations * CHAINS * 8 * 2;
}

static double run128(long iterations) {
  __m128 acc[CHAINS];
  for (int c = 0; c < CHAINS; c++) acc[c] = _mm_set1_ps(start_value + 0.01f * (float)c);
  const __m128 scale = _mm_set1_ps(scale_value), shift = _mm_set1_ps(shift_value);
  for (long i = 0; i < iterations; i++) {
    for (int c = 0; c < CHAINS; c++) acc[c] = _mm_add_ps(_mm_mul_ps(acc[c], scale), shift);
  }
  __m128 total = acc[0];
  for (int c = 1; c < CHAINS; c++) total = _mm_add_ps(total, acc[c]);
  float lanes[4];
  _mm_storeu_ps(lanes, total);
  sink = lanes[0] + lanes[3];
  return (double)iterations * CHAINS * 4 * 2;
}

int gk_peak_vector_bits(void) {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return 512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 256;
  return 128;
}

double gk_peak_run(int bits, long iterations) {
  switch (bits) {
    case 512: return run512(iterations);
    case 256: return run256(iterations);
    default: return run128(iterations);
  }
}
