// The padding MD5 and SHA-256 share (RFC 1321 section 3.1-3.2, FIPS 180-4 section 5.1.1).
#ifndef GENERATIVEKIT_CCHECKSUMS_PADDING_H
#define GENERATIVEKIT_CCHECKSUMS_PADDING_H

#include <stdint.h>
#include <string.h>

/// Writes the message's last partial block (the bytes after the whole 64-byte blocks), a 1 bit,
/// zeros, and the message length in bits into `tail` (one or two blocks, zeroed by the caller);
/// the length is big-endian for SHA-256 and little-endian for MD5. Returns the tail's length, 64
/// or 128 bytes.
static inline size_t gk_padded_tail(const uint8_t *bytes, size_t count, uint8_t tail[128], int big_endian_length) {
  size_t whole = count / 64 * 64;
  size_t rest = count - whole;
  if (rest > 0) memcpy(tail, bytes + whole, rest);
  tail[rest] = 0x80;
  size_t tail_length = rest + 1 + 8 <= 64 ? 64 : 128;
  uint64_t bits = (uint64_t)count * 8;
  for (int i = 0; i < 8; i++) {
    size_t at = big_endian_length ? tail_length - 1 - i : tail_length - 8 + i;
    tail[at] = (uint8_t)(bits >> (8 * i));
  }
  return tail_length;
}

#endif
