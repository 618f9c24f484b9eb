// Shim for libpng (decoding the user's own PNG images).
#ifndef GENERATIVEKIT_CPNG_SHIM_H
#define GENERATIVEKIT_CPNG_SHIM_H

#include <png.h>

#endif
