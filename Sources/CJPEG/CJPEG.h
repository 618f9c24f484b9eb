// Shim for libjpeg (decoding the user's own JPEG images). jpeglib.h needs stdio.h and size_t first.
#ifndef GENERATIVEKIT_CJPEG_SHIM_H
#define GENERATIVEKIT_CJPEG_SHIM_H

#include <stddef.h>
#include <stdio.h>
#include <jpeglib.h>

#endif
