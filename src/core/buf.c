/*
 * buf.c - bounded growable buffer; see buf.h.
 */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUF_DEFAULT_MAX (16u * 1024u * 1024u)

void pl_buf_init(pl_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max ? max : BUF_DEFAULT_MAX;
}

static pl_status buf_reserve(pl_buf *b, size_t extra)
{
    if (extra > b->max - b->len)
        return PL_LIMIT;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return PL_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    if (cap > b->max + 1)
        cap = b->max + 1;
    char *p = realloc(b->data, cap);
    if (!p)
        return PL_NOMEM;
    b->data = p;
    b->cap = cap;
    return PL_OK;
}

pl_status pl_buf_append(pl_buf *b, const void *p, size_t n)
{
    pl_status s = buf_reserve(b, n);
    if (s != PL_OK)
        return s;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return PL_OK;
}

pl_status pl_buf_puts(pl_buf *b, const char *s)
{
    return pl_buf_append(b, s, strlen(s));
}

pl_status pl_buf_printf(pl_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return PL_INVALID;
    pl_status s = buf_reserve(b, (size_t)n);
    if (s != PL_OK)
        return s;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return PL_OK;
}

char *pl_buf_steal(pl_buf *b)
{
    char *p = b->data;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

void pl_buf_free(pl_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
