/*
 * arena.c - block-chained bump allocator.
 *
 * Blocks are at least 16 KiB and grow to fit large requests; the newest is
 * at the head, so allocation looks at one block only. Reset keeps the
 * smallest footprint that served the last user: the oldest block.
 */
#include "arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK_MIN   (16u * 1024u)
#define ARENA_DEFAULT_MAX (64u * 1024u * 1024u)

struct pl_arena_block {
    pl_arena_block *next;
    size_t size;
    size_t off;
    _Alignas(16) unsigned char data[];
};

void pl_arena_init(pl_arena *a, size_t max_bytes)
{
    a->head = NULL;
    a->used = 0;
    a->max_bytes = max_bytes ? max_bytes : ARENA_DEFAULT_MAX;
}

void *pl_arena_alloc(pl_arena *a, size_t n)
{
    size_t need = (n + 15u) & ~(size_t)15u;
    if (need < n || need > a->max_bytes - a->used)
        return NULL;
    pl_arena_block *b = a->head;
    if (!b || b->size - b->off < need) {
        size_t size = need > ARENA_BLOCK_MIN ? need : ARENA_BLOCK_MIN;
        b = malloc(sizeof *b + size);
        if (!b)
            return NULL;
        b->next = a->head;
        b->size = size;
        b->off = 0;
        a->head = b;
    }
    void *p = b->data + b->off;
    b->off += need;
    a->used += need;
    memset(p, 0, n);
    return p;
}

char *pl_arena_strndup(pl_arena *a, const char *s, size_t n)
{
    char *p = pl_arena_alloc(a, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

char *pl_arena_strdup(pl_arena *a, const char *s)
{
    return pl_arena_strndup(a, s, strlen(s));
}

char *pl_arena_printf(pl_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = pl_arena_alloc(a, (size_t)n + 1);
    if (!p)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void pl_arena_reset(pl_arena *a)
{
    pl_arena_block *keep = NULL;
    for (pl_arena_block *b = a->head, *next; b; b = next) {
        next = b->next;
        if (!next) {
            keep = b;
            break;
        }
        free(b);
    }
    a->head = keep;
    if (keep)
        keep->off = 0;
    a->used = 0;
}

void pl_arena_free(pl_arena *a)
{
    for (pl_arena_block *b = a->head, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    a->head = NULL;
    a->used = 0;
}
