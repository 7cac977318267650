/* Character backends for consoles and serial ports: stdio, file:PATH, pty,
 * tcp:[HOST]:PORT,server[,nowait] (or a client: tcp:HOST:PORT), none. An
 * expect/send script can be attached to any of them. */
#ifndef KAIRO_CHARDEV_H
#define KAIRO_CHARDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct CharDev {
    int kind;           /* CHARDEV_* */
    int fd_out;
    int fd_in;          /* -1 when the backend gives no input */
    bool input_eof;
    FILE *file;         /* file: backend */
    bool write_failed;  /* reported once */
    int listen_fd;      /* tcp server: waiting for a client, -1 otherwise */
    struct ExpectScript *script;   /* optional: sees output, types input */
} CharDev;

enum { CHARDEV_NONE, CHARDEV_STDIO, CHARDEV_FILE, CHARDEV_PTY, CHARDEV_TCP };

/* Parse a backend spec. Returns false with a message in err. what names
 * the port in messages ("COM1"). */
bool chardev_open(CharDev *c, const char *spec, char *err, size_t errlen);
void chardev_write(CharDev *c, const uint8_t *buf, size_t len);
/* True when the backend can ever give input (the UART keeps polling). */
bool chardev_has_input(const CharDev *c);
/* Up to max bytes of input that are ready now (never blocks); 0 if none. */
size_t chardev_read(CharDev *c, uint8_t *buf, size_t max);
void chardev_flush(CharDev *c);
void chardev_close(CharDev *c);

#endif
