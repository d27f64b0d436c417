/* arena.c - per-request bump allocator. */
#include "arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct arena_block {
	struct arena_block *next;
	size_t size, used;
	_Alignas(16) unsigned char data[];
};

void arena_init(struct arena *a, size_t block_size)
{
	a->head = NULL;
	a->block_size = block_size ? block_size : 64 * 1024;
	a->total = 0;
}

static struct arena_block *block_new(size_t size)
{
	struct arena_block *b = malloc(sizeof *b + size);
	if (!b)
		return NULL;
	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

void *arena_alloc(struct arena *a, size_t n)
{
	if (n > SIZE_MAX - 32)
		return NULL;
	size_t need = (n + 15) & ~(size_t)15;
	if (need == 0)
		need = 16;
	struct arena_block *b = a->head;
	if (!b || b->size - b->used < need) {
		size_t size = need > a->block_size ? need : a->block_size;
		struct arena_block *nb = block_new(size);
		if (!nb)
			return NULL;
		if (b && need > a->block_size) {
			/* oversized: put it behind the current block so the current one keeps filling */
			nb->next = b->next;
			b->next = nb;
			nb->used = need;
			a->total += need;
			memset(nb->data, 0, need);
			return nb->data;
		}
		nb->next = b;
		a->head = b = nb;
	}
	void *p = b->data + b->used;
	b->used += need;
	a->total += need;
	memset(p, 0, need);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap, ap2;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *p = n < 0 ? NULL : arena_alloc(a, (size_t)n + 1);
	if (p)
		vsnprintf(p, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	return p;
}

void arena_reset(struct arena *a)
{
	struct arena_block *b = a->head, *keep = NULL;
	while (b) {
		struct arena_block *next = b->next;
		if (!next && b->size == a->block_size) {
			keep = b; /* the oldest block of normal size survives */
		} else {
			memset(b->data, 0, b->used);
			free(b);
		}
		b = next;
	}
	if (keep) {
		memset(keep->data, 0, keep->used);
		keep->used = 0;
	}
	a->head = keep;
	a->total = 0;
}

void arena_free(struct arena *a)
{
	struct arena_block *b = a->head;
	while (b) {
		struct arena_block *next = b->next;
		memset(b->data, 0, b->used);
		free(b);
		b = next;
	}
	a->head = NULL;
	a->total = 0;
}
