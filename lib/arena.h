/* arena.h - per-request bump allocator: everything a request allocates dies with it. */
#ifndef PORTAL_ARENA_H
#define PORTAL_ARENA_H

#include <stddef.h>

/*
 * Memory comes from a chain of malloc'd blocks. arena_reset() keeps the first block for the
 * next request and frees the rest; arena_free() releases everything. Allocation failure
 * returns NULL (callers treat it as a 500). Blocks are zeroed before release when they held
 * secrets (arena_reset wipes what was used).
 */
struct arena_block;
struct arena {
	struct arena_block *head;
	size_t block_size;
	size_t total; /* bytes handed out since the last reset */
};

void arena_init(struct arena *a, size_t block_size);
void *arena_alloc(struct arena *a, size_t n); /* 16-byte aligned, zeroed */
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void arena_reset(struct arena *a);
void arena_free(struct arena *a);

#endif
