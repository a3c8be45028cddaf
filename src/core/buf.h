/*
 * buf.h - a growable byte buffer with a ceiling.
 *
 * Used for response bodies and generated text. Growth doubles the capacity
 * up to `max`; an append that would pass it fails with PL_LIMIT and leaves
 * the buffer as it was, so the caller can report "response too large".
 * The buffer owns `data` (heap); pl_buf_free releases it.
 */
#ifndef PL_CORE_BUF_H
#define PL_CORE_BUF_H

#include <stddef.h>

#include "status.h"

typedef struct pl_buf {
    char *data; /* always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
    size_t max; /* ceiling on len; 0 means 16 MiB */
} pl_buf;

void pl_buf_init(pl_buf *b, size_t max);
pl_status pl_buf_append(pl_buf *b, const void *p, size_t n);
pl_status pl_buf_puts(pl_buf *b, const char *s);
pl_status pl_buf_printf(pl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the data to the caller (who frees it with free()) and empties the buffer. */
char *pl_buf_steal(pl_buf *b);
void pl_buf_free(pl_buf *b);

#endif
