// Shim for zlib (gzip decompression of IDX files, deflate for PNG output).
#ifndef GENERATIVEKIT_CZLIB_SHIM_H
#define GENERATIVEKIT_CZLIB_SHIM_H

#include <zlib.h>

#endif
