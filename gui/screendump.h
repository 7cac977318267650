/* Screenshots: a rendered VGA frame written as a PNG file. */
#ifndef KAIRO_SCREENDUMP_H
#define KAIRO_SCREENDUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Write width*height XRGB8888 pixels as an 8-bit RGB PNG; false with a
 * one-line reason in err. */
bool screendump_png(const char *path, const uint32_t *pixels, unsigned width, unsigned height,
                    char *err, size_t errlen);

#endif
