#ifndef GK_PEAK_PROBE_H
#define GK_PEAK_PROBE_H

/// The widest FP32 fused multiply-add the CPU runs, chosen with CPUID: 512 (AVX-512F), 256
/// (AVX2 + FMA), or 128 (SSE, multiply and add apart: no FMA unit to measure).
int gk_peak_vector_bits(void);

/// Runs `iterations` rounds of independent FMA chains of `bits` width (512, 256 or 128) on the
/// calling thread and returns the floating-point operations done (2 per lane per FMA). The chains
/// are independent and numerous enough (12 registers) to cover the FMA latency of current x86
/// cores on both their FMA ports, so the time taken is the core's FP32 FMA throughput.
double gk_peak_run(int bits, long iterations);

#endif
