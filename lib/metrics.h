/* metrics.h - counters shared by a whole worker pool through one mapped file, and the Prometheus
 * text format (no page knowledge here: the worker's fcgi/metrics.c gives counters their meaning).
 *
 * Design: a scrape reaches one worker, so every worker maps the same file (MAP_SHARED) and owns
 * one slot of it: a pid and METRICS_COUNTERS plain uint64 counters. A worker claims its slot at
 * start-up with a compare-and-swap on the slot's pid (one whose pid is dead, its counts kept so
 * that totals never go down, else a free one), and only the owner writes its slot (relaxed
 * atomic loads and stores, no locks, no system calls). A scrape sums every slot; the pool size is
 * the number of slots whose pid is alive. The file starts with a header (magic, version, slot
 * and counter counts, total size): a file of another layout is replaced (unlink + create, so
 * workers still mapping the old one keep it) or, when that is not allowed, refused (metrics off).
 * The header is written under flock, so workers starting together end up on one mapping.
 */
#ifndef PORTAL_METRICS_H
#define PORTAL_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

#define METRICS_SLOTS 64
#define METRICS_COUNTERS 1024
#define METRICS_VERSION 1

struct metrics_slot {
	int32_t pid; /* 0: never used; the owner's pid, or a dead owner's */
	uint32_t pad_;
	uint64_t claims; /* times a process took this slot */
	uint64_t c[METRICS_COUNTERS];
};

/* The counters of this process's slot (NULL while metrics are off). */
extern struct metrics_slot *metrics_own;

/* Map path (created 0660 when missing) and claim a slot for this pid. 0, or -1 with a reason in
 * err (metrics stay off). */
int metrics_open(const char *path, char *err, size_t errlen);
void metrics_close(void);
/* This process's slot number, or -1 (for tests). */
int metrics_slot_index(void);

/* Only this process writes its slot, so a relaxed load and store (no locked instruction) is the
 * whole add; a scrape's relaxed loads never see a torn value. */
static inline void metrics_add(unsigned idx, uint64_t n)
{
	if (metrics_own && idx < METRICS_COUNTERS) {
		uint64_t *c = &metrics_own->c[idx];
		__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
	}
}

/* Every counter summed over every slot, dead owners' included: out[METRICS_COUNTERS]. Returns the
 * number of slots whose owner is alive (the pool size), or -1 when metrics are off. */
int metrics_sum(uint64_t *out);

/* 1 when addr (a textual IPv4 or IPv6 address; an IPv4-mapped IPv6 address counts as its IPv4)
 * is matched by entry: an exact address or a CIDR prefix ("10.0.0.0/8", "fd00::/8"); 0 when not;
 * -1 when entry is no address or prefix at all (config_load refuses such an entry). */
int metrics_addr_match(const char *entry, const char *addr);

/* The Prometheus text format (version 0.0.4). */
void metrics_family(struct buf *b, const char *name, const char *type, const char *help);
/* A label value escaped: backslash, double quote and newline. */
void metrics_label_value(struct buf *b, const char *v);
/* name{k1="v1",k2="v2"} value: labels is NULL-terminated pairs (or NULL: no braces). */
void metrics_sample(struct buf *b, const char *name, const char *const *labels, uint64_t value);
void metrics_sample_double(struct buf *b, const char *name, const char *const *labels, double value);
/* A histogram's _bucket (cumulative, le from bounds and then +Inf), _sum and _count lines:
 * counts[nbounds + 1] are the per-bucket (non-cumulative) counts, the last one above every bound;
 * labels as metrics_sample's (le is added). */
void metrics_histogram(struct buf *b, const char *name, const char *const *labels, const double *bounds,
		       unsigned nbounds, const uint64_t *counts, double sum);

#endif
