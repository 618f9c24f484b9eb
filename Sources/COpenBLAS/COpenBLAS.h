// Shim for OpenBLAS's CBLAS interface and LAPACKE. The guard is our own on purpose:
// OpenBLAS's cblas.h guards itself with CBLAS_H, and reusing that name hides its declarations.
#ifndef GENERATIVEKIT_COPENBLAS_SHIM_H
#define GENERATIVEKIT_COPENBLAS_SHIM_H

#include <cblas.h>
#include <lapacke.h>

// The processor's identification, read to check the kernels OpenBLAS chose (Kernels/BLASCore.swift
// decodes the bits). Swift has no CPUID of its own; these two instructions are the whole of it.
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

/// CPUID leaf `leaf`, sub-leaf `subleaf` into registers[0...3] = eax, ebx, ecx, edx. Returns 0 when
/// the processor does not have that leaf (the registers are then zero).
static inline int gk_cpuid(unsigned int leaf, unsigned int subleaf, unsigned int registers[4]) {
  registers[0] = registers[1] = registers[2] = registers[3] = 0;
  return __get_cpuid_count(leaf, subleaf, &registers[0], &registers[1], &registers[2], &registers[3]);
}

/// XCR0, the register state the operating system saves (bits 1-2: SSE/AVX, 5-7: AVX-512). Call only
/// when CPUID leaf 1 reports OSXSAVE (ecx bit 27).
static inline unsigned long long gk_xgetbv0(void) {
  unsigned int eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return ((unsigned long long)edx << 32) | eax;
}
#else
static inline int gk_cpuid(unsigned int leaf, unsigned int subleaf, unsigned int registers[4]) {
  (void)leaf; (void)subleaf;
  registers[0] = registers[1] = registers[2] = registers[3] = 0;
  return 0;
}
static inline unsigned long long gk_xgetbv0(void) { return 0; }
#endif

#endif
