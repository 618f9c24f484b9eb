// Shim for libjpeg (decoding the user's own JPEG images). jpeglib.h needs stdio.h and size_t first.
#ifndef GENERATIVEKIT_CJPEG_SHIM_H
#define GENERATIVEKIT_CJPEG_SHIM_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <jpeglib.h>
#include <jerror.h>

// MARK: - Error handling that never leaves C
//
// libjpeg reports a fatal error by calling `err->error_exit`, which must not return; the default
// one calls exit(). The only safe way out is a longjmp back to a setjmp in the caller, and a
// longjmp must never cross Swift frames (Swift cannot run its cleanups, and setjmp is unavailable
// in Swift). So the whole decode (and encode) runs inside the C functions below: they call setjmp,
// every libjpeg call happens beneath them, and the jump lands in the same C frame. Swift only sees
// a status code and a message. Being `static inline` in this header, they are compiled by the
// Swift compiler's Clang importer into GenerativeKit itself; no extra target is needed.

/// An error manager that records the message and jumps back instead of calling exit().
typedef struct {
  struct jpeg_error_mgr base;
  jmp_buf jump;
  /// Set when libjpeg warned that the data is damaged (truncated, bad Huffman code, ...).
  int damaged;
  /// The number of warnings libjpeg issued.
  int warnings;
  /// The fatal error, else the first warning; empty when there was neither.
  char message[JMSG_LENGTH_MAX];
} gk_jpeg_error_manager;

static inline void gk_jpeg_error_exit(j_common_ptr cinfo) {
  gk_jpeg_error_manager *manager = (gk_jpeg_error_manager *)cinfo->err;
  (*cinfo->err->format_message)(cinfo, manager->message);
  longjmp(manager->jump, 1);
}

static inline void gk_jpeg_emit_message(j_common_ptr cinfo, int level) {
  gk_jpeg_error_manager *manager = (gk_jpeg_error_manager *)cinfo->err;
  if (level >= 0) return;  // trace messages: ignored
  int code = cinfo->err->msg_code;
  if (code == JWRN_JPEG_EOF || code == JWRN_HIT_MARKER || code == JWRN_HUFF_BAD_CODE ||
      code == JWRN_MUST_RESYNC || code == JWRN_ARITH_BAD_CODE) {
    manager->damaged = 1;
  }
  if (manager->warnings == 0) (*cinfo->err->format_message)(cinfo, manager->message);
  manager->warnings += 1;
  cinfo->err->num_warnings += 1;
}

static inline void gk_jpeg_output_message(j_common_ptr cinfo) {
  (void)cinfo;  // never print to stderr: messages reach Swift through the result
}

static inline void gk_jpeg_install_errors(gk_jpeg_error_manager *manager) {
  memset(manager, 0, sizeof(*manager));
  jpeg_std_error(&manager->base);
  manager->base.error_exit = gk_jpeg_error_exit;
  manager->base.emit_message = gk_jpeg_emit_message;
  manager->base.output_message = gk_jpeg_output_message;
}

// MARK: - Decoding

/// The result of `gk_jpeg_decode`. `pixels` is malloc'd (free it with `gk_jpeg_free`) and holds
/// `height` rows of `width * components` bytes, top row first; `components` is 1 (gray) or 3 (RGB).
typedef struct {
  unsigned char *pixels;
  unsigned int width;
  unsigned int height;
  unsigned int components;
  int warnings;
  int damaged;
  char message[JMSG_LENGTH_MAX];
} gk_jpeg_decoded;

/// Status codes of `gk_jpeg_decode` and `gk_jpeg_encode`.
enum {
  GK_JPEG_OK = 0,
  GK_JPEG_ERROR = 1,        // libjpeg failed; `message` says why
  GK_JPEG_TOO_LARGE = 2,    // more than `max_pixels` pixels; width and height are set
  GK_JPEG_NO_MEMORY = 3,
};

/// Decodes a complete JPEG held in memory to 8-bit gray (gray JPEGs) or RGB (all others, CMYK
/// included). Never exits, never prints, never longjmps past its own frame.
static inline int gk_jpeg_decode(const unsigned char *data, unsigned long size,
                                 unsigned long max_pixels, gk_jpeg_decoded *out) {
  struct jpeg_decompress_struct cinfo;
  gk_jpeg_error_manager errors;
  unsigned char *volatile pixels = NULL;
  unsigned char *volatile cmyk_row = NULL;
  volatile int status = GK_JPEG_OK;

  memset(out, 0, sizeof(*out));
  gk_jpeg_install_errors(&errors);
  cinfo.err = &errors.base;
  if (setjmp(errors.jump)) {
    jpeg_destroy_decompress(&cinfo);
    free(pixels);
    free(cmyk_row);
    memcpy(out->message, errors.message, sizeof(out->message));
    out->warnings = errors.warnings;
    out->damaged = errors.damaged;
    out->pixels = NULL;
    return GK_JPEG_ERROR;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, size);
  jpeg_read_header(&cinfo, TRUE);

  int cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
  if (cinfo.jpeg_color_space == JCS_GRAYSCALE) {
    cinfo.out_color_space = JCS_GRAYSCALE;
  } else if (cmyk) {
    cinfo.out_color_space = JCS_CMYK;
  } else {
    cinfo.out_color_space = JCS_RGB;
  }
  out->width = cinfo.image_width;
  out->height = cinfo.image_height;
  if ((unsigned long long)cinfo.image_width * cinfo.image_height > max_pixels) {
    status = GK_JPEG_TOO_LARGE;
  } else {
    jpeg_start_decompress(&cinfo);
    unsigned int components = cmyk ? 3 : (unsigned int)cinfo.output_components;
    size_t stride = (size_t)cinfo.output_width * components;
    pixels = (unsigned char *)malloc(stride * cinfo.output_height + 1);
    if (cmyk) cmyk_row = (unsigned char *)malloc((size_t)cinfo.output_width * 4 + 1);
    if (pixels == NULL || (cmyk && cmyk_row == NULL)) {
      status = GK_JPEG_NO_MEMORY;
    } else {
      while (cinfo.output_scanline < cinfo.output_height) {
        unsigned char *row = pixels + stride * cinfo.output_scanline;
        JSAMPROW target = cmyk ? cmyk_row : row;
        if (jpeg_read_scanlines(&cinfo, &target, 1) != 1) break;
        if (cmyk) {
          // Adobe CMYK JPEGs store inverted values, so each channel times K is already RGB.
          int inverted = cinfo.saw_Adobe_marker;
          for (unsigned int x = 0; x < cinfo.output_width; x++) {
            unsigned int k = cmyk_row[4 * x + 3];
            if (!inverted) k = 255 - k;
            for (unsigned int c = 0; c < 3; c++) {
              unsigned int v = cmyk_row[4 * x + c];
              if (!inverted) v = 255 - v;
              row[3 * x + c] = (unsigned char)((v * k + 127) / 255);
            }
          }
        }
      }
      out->width = cinfo.output_width;
      out->height = cinfo.output_height;
      out->components = components;
      jpeg_finish_decompress(&cinfo);
    }
  }
  jpeg_destroy_decompress(&cinfo);
  free(cmyk_row);
  if (status != GK_JPEG_OK) {
    free(pixels);
    pixels = NULL;
  }
  out->pixels = pixels;
  out->warnings = errors.warnings;
  out->damaged = errors.damaged;
  memcpy(out->message, errors.message, sizeof(out->message));
  return status;
}

/// Frees memory returned by `gk_jpeg_decode` or `gk_jpeg_encode`.
static inline void gk_jpeg_free(void *pointer) { free(pointer); }

// MARK: - Encoding

/// Encodes `height` rows of `width * components` bytes (components 1 = gray, 3 = RGB, 4 = CMYK) as a
/// baseline JPEG of the given quality (1-100). On success `*output` is malloc'd (free it with
/// `gk_jpeg_free`) and holds `*output_size` bytes; on failure `message` says why.
static inline int gk_jpeg_encode(const unsigned char *pixels, unsigned int width, unsigned int height,
                                 unsigned int components, int quality, unsigned char **output,
                                 unsigned long *output_size, char message[JMSG_LENGTH_MAX]) {
  struct jpeg_compress_struct cinfo;
  gk_jpeg_error_manager errors;
  // jpeg_mem_dest keeps these up to date through their addresses, so they live in memory and
  // still hold the current buffer after a longjmp.
  unsigned char *destination = NULL;
  unsigned long buffer_size = 0;

  *output = NULL;
  *output_size = 0;
  message[0] = 0;
  gk_jpeg_install_errors(&errors);
  cinfo.err = &errors.base;
  if (setjmp(errors.jump)) {
    jpeg_destroy_compress(&cinfo);
    free(destination);
    memcpy(message, errors.message, JMSG_LENGTH_MAX);
    return GK_JPEG_ERROR;
  }
  jpeg_create_compress(&cinfo);
  jpeg_mem_dest(&cinfo, &destination, &buffer_size);
  cinfo.image_width = width;
  cinfo.image_height = height;
  cinfo.input_components = (int)components;
  cinfo.in_color_space = components == 1 ? JCS_GRAYSCALE : components == 4 ? JCS_CMYK : JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  size_t stride = (size_t)width * components;
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = (JSAMPROW)(pixels + stride * cinfo.next_scanline);
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  *output = destination;
  *output_size = buffer_size;
  return GK_JPEG_OK;
}

#endif
