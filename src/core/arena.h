/*
 * arena.h - a bump allocator with a ceiling, for memory that dies together.
 *
 * Each HTTP request, CLI command step or import batch owns one arena; all
 * strings and records it produces come from it and are released by one
 * pl_arena_free() (or reused after pl_arena_reset()). Allocation walks a
 * chain of blocks; a request for more than `max_bytes` in total returns
 * NULL, which callers turn into a PL_LIMIT error the user sees, never a crash.
 */
#ifndef PL_CORE_ARENA_H
#define PL_CORE_ARENA_H

#include <stddef.h>

typedef struct pl_arena_block pl_arena_block;

typedef struct pl_arena {
    pl_arena_block *head;
    size_t used;      /* bytes handed out, for the ceiling */
    size_t max_bytes; /* ceiling; 0 means the default of 64 MiB */
} pl_arena;

/* Initialises an empty arena; no memory is taken until the first alloc. */
void pl_arena_init(pl_arena *a, size_t max_bytes);

/* Returns zeroed, 16-byte aligned memory owned by the arena, or NULL at the ceiling. */
void *pl_arena_alloc(pl_arena *a, size_t n);

/* Copies s (or its first n bytes) into the arena, NUL-terminated; NULL at the ceiling. */
char *pl_arena_strdup(pl_arena *a, const char *s);
char *pl_arena_strndup(pl_arena *a, const char *s, size_t n);

/* printf into the arena. */
char *pl_arena_printf(pl_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Releases everything but the first block, which is kept for reuse. */
void pl_arena_reset(pl_arena *a);

/* Releases all memory. */
void pl_arena_free(pl_arena *a);

#endif
