// Shim for OpenBLAS's CBLAS interface and LAPACKE. The guard is our own on purpose:
// OpenBLAS's cblas.h guards itself with CBLAS_H, and reusing that name hides its declarations.
#ifndef GENERATIVEKIT_COPENBLAS_SHIM_H
#define GENERATIVEKIT_COPENBLAS_SHIM_H

#include <cblas.h>
#include <lapacke.h>

#endif
