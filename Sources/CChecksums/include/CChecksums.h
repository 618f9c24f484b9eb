#ifndef GENERATIVEKIT_CCHECKSUMS_H
#define GENERATIVEKIT_CCHECKSUMS_H

#include <stddef.h>
#include <stdint.h>

/// SHA-256 (FIPS 180-4) of `count` bytes at `bytes`, written as 32 bytes to `digest`.
void gk_sha256(const uint8_t *bytes, size_t count, uint8_t digest[32]);

/// MD5 (RFC 1321) of `count` bytes at `bytes`, written as 16 bytes to `digest`. For integrity
/// against damage only (published sums of downloaded files), never for security.
void gk_md5(const uint8_t *bytes, size_t count, uint8_t digest[16]);

#endif
