/* metrics.c - the pool's shared counters (one mapped file, a slot per process) and the text format. */
#include "metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define METRICS_MAGIC 0x5354434952544d50ULL /* "PMTRICS" */

struct metrics_header {
	uint64_t magic;
	uint32_t version, slots, counters, slot_size;
	uint64_t size;
	uint64_t pad_[4];
};

struct metrics_file {
	struct metrics_header h;
	struct metrics_slot slot[METRICS_SLOTS];
};

struct metrics_slot *metrics_own;
static struct metrics_file *map;

static int layout_ok(const struct metrics_header *h)
{
	return h->magic == METRICS_MAGIC && h->version == METRICS_VERSION && h->slots == METRICS_SLOTS &&
	       h->counters == METRICS_COUNTERS && h->slot_size == sizeof(struct metrics_slot) &&
	       h->size == sizeof(struct metrics_file);
}

static int alive(int32_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno != ESRCH);
}

/* Open path, holding an exclusive flock, with a header of this layout (written when the file is
 * new or empty; a file of another layout is unlinked and made anew). The fd, or -1. */
static int open_locked(const char *path, char *err, size_t errlen)
{
	for (int tries = 0; tries < 5; tries++) {
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0660);
		if (fd < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		struct stat fs, ps;
		if (flock(fd, LOCK_EX) < 0 || fstat(fd, &fs) < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		/* another process replaced the file while this one waited for the lock: take the new one */
		if (stat(path, &ps) < 0 || ps.st_ino != fs.st_ino || ps.st_dev != fs.st_dev) {
			close(fd);
			continue;
		}
		if (!S_ISREG(fs.st_mode)) {
			snprintf(err, errlen, "%s: not a regular file", path);
			close(fd);
			return -1;
		}
		if (fs.st_size == 0) {
			struct metrics_header h = {.magic = METRICS_MAGIC, .version = METRICS_VERSION,
						   .slots = METRICS_SLOTS, .counters = METRICS_COUNTERS,
						   .slot_size = sizeof(struct metrics_slot),
						   .size = sizeof(struct metrics_file)};
			(void)!fchmod(fd, 0660); /* whatever the umask (the owner's group may read it) */
			if (ftruncate(fd, (off_t)sizeof(struct metrics_file)) < 0 ||
			    pwrite(fd, &h, sizeof h, 0) != (ssize_t)sizeof h) {
				snprintf(err, errlen, "%s: cannot initialise: %s", path, strerror(errno));
				close(fd);
				return -1;
			}
			return fd;
		}
		struct metrics_header h;
		if ((size_t)fs.st_size == sizeof(struct metrics_file) && pread(fd, &h, sizeof h, 0) == (ssize_t)sizeof h &&
		    layout_ok(&h))
			return fd;
		/* another layout (an older or newer build): a new file; processes still mapping the
		 * old one keep it until they stop */
		if (unlink(path) < 0) {
			snprintf(err, errlen, "%s: holds another layout and cannot be replaced: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		close(fd);
	}
	snprintf(err, errlen, "%s: keeps changing under this process", path);
	return -1;
}

int metrics_open(const char *path, char *err, size_t errlen)
{
	metrics_close();
	int fd = open_locked(path, err, errlen);
	if (fd < 0)
		return -1;
	void *p = mmap(NULL, sizeof(struct metrics_file), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		snprintf(err, errlen, "%s: mmap: %s", path, strerror(errno));
		flock(fd, LOCK_UN);
		close(fd);
		return -1;
	}
	map = p;
	int32_t me = (int32_t)getpid();
	/* this process's own slot (opened again), else one of a dead process (its counts stay), else a
	 * free one; claimed under the file's lock, so that a new process with a recycled pid and a
	 * process taking that pid's dead slot never end up writing one slot together */
	int rc = -1;
	for (int pass = 0; pass < 3 && rc < 0; pass++)
		for (unsigned i = 0; i < METRICS_SLOTS && rc < 0; i++) {
			struct metrics_slot *s = &map->slot[i];
			int32_t pid = __atomic_load_n(&s->pid, __ATOMIC_ACQUIRE);
			if (pass == 0 && pid == me) {
				metrics_own = s;
				rc = 0;
				continue;
			}
			if (pass == 0 || (pass == 1 ? pid == 0 || alive(pid) : pid != 0))
				continue;
			if (__atomic_compare_exchange_n(&s->pid, &pid, me, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
				__atomic_fetch_add(&s->claims, 1, __ATOMIC_RELAXED);
				metrics_own = s;
				rc = 0;
			}
		}
	flock(fd, LOCK_UN);
	close(fd);
	if (rc < 0) {
		snprintf(err, errlen, "%s: all %d slots belong to live processes", path, METRICS_SLOTS);
		metrics_close();
	}
	return rc;
}

void metrics_close(void)
{
	if (map)
		munmap(map, sizeof(struct metrics_file));
	map = NULL;
	metrics_own = NULL; /* the slot keeps this pid: a dead pid, reused by the next claim */
}

int metrics_slot_index(void)
{
	return metrics_own ? (int)(metrics_own - map->slot) : -1;
}

int metrics_sum(uint64_t *out)
{
	if (!map)
		return -1;
	memset(out, 0, METRICS_COUNTERS * sizeof *out);
	int live = 0;
	for (unsigned i = 0; i < METRICS_SLOTS; i++) {
		const struct metrics_slot *s = &map->slot[i];
		int32_t pid = __atomic_load_n(&s->pid, __ATOMIC_ACQUIRE);
		if (pid == 0)
			continue;
		live += alive(pid);
		for (unsigned k = 0; k < METRICS_COUNTERS; k++)
			out[k] += __atomic_load_n(&s->c[k], __ATOMIC_RELAXED);
	}
	return live;
}

/* addr as 16 bytes (IPv4 as v4-mapped ::ffff:a.b.c.d). 0, or -1 when it is no address. */
static int addr16(const char *s, unsigned char out[16], int *v4)
{
	unsigned char a4[4];
	if (inet_pton(AF_INET, s, a4) == 1) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, a4, 4);
		*v4 = 1;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out) == 1) {
		static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		*v4 = memcmp(out, mapped, 12) == 0;
		return 0;
	}
	return -1;
}

int metrics_addr_match(const char *entry, const char *addr)
{
	char host[64];
	const char *slash = strchr(entry, '/');
	size_t hl = slash ? (size_t)(slash - entry) : strlen(entry);
	if (hl == 0 || hl >= sizeof host)
		return -1;
	memcpy(host, entry, hl);
	host[hl] = '\0';
	unsigned char net[16], a[16];
	int net4, a4;
	if (addr16(host, net, &net4) < 0)
		return -1;
	int bits = net4 ? 32 : 128;
	if (slash) {
		char *end;
		errno = 0;
		long b = strtol(slash + 1, &end, 10);
		if (!slash[1] || *end || errno || b < 0 || b > bits || slash[1] == '-' || slash[1] == '+')
			return -1;
		bits = (int)b;
	}
	if (net4)
		bits += 96; /* the prefix within the v4-mapped form */
	if (!addr || addr16(addr, a, &a4) < 0)
		return 0;
	int full = bits / 8, rest = bits % 8;
	if (memcmp(net, a, (size_t)full) != 0)
		return 0;
	if (rest) {
		unsigned char m = (unsigned char)(0xff << (8 - rest));
		if ((net[full] & m) != (a[full] & m))
			return 0;
	}
	return 1;
}

void metrics_family(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_printf(b, "# HELP %s ", name);
	for (const char *p = help; *p; p++) { /* HELP text escapes backslash and newline */
		if (*p == '\\')
			buf_puts(b, "\\\\");
		else if (*p == '\n')
			buf_puts(b, "\\n");
		else
			buf_putc(b, *p);
	}
	buf_printf(b, "\n# TYPE %s %s\n", name, type);
}

void metrics_label_value(struct buf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			buf_puts(b, "\\\\");
		else if (*v == '"')
			buf_puts(b, "\\\"");
		else if (*v == '\n')
			buf_puts(b, "\\n");
		else
			buf_putc(b, *v);
	}
}

static void name_labels(struct buf *b, const char *name, const char *const *labels, const char *le)
{
	buf_puts(b, name);
	if ((!labels || !labels[0]) && !le)
		return;
	buf_putc(b, '{');
	int n = 0;
	for (unsigned i = 0; labels && labels[i] && labels[i + 1]; i += 2, n++) {
		buf_printf(b, "%s%s=\"", n ? "," : "", labels[i]);
		metrics_label_value(b, labels[i + 1]);
		buf_putc(b, '"');
	}
	if (le)
		buf_printf(b, "%sle=\"%s\"", n ? "," : "", le);
	buf_putc(b, '}');
}

void metrics_sample(struct buf *b, const char *name, const char *const *labels, uint64_t value)
{
	name_labels(b, name, labels, NULL);
	buf_printf(b, " %llu\n", (unsigned long long)value);
}

void metrics_sample_double(struct buf *b, const char *name, const char *const *labels, double value)
{
	name_labels(b, name, labels, NULL);
	buf_printf(b, " %.9g\n", value);
}

void metrics_histogram(struct buf *b, const char *name, const char *const *labels, const double *bounds,
		       unsigned nbounds, const uint64_t *counts, double sum)
{
	char n[128], le[32];
	uint64_t cum = 0;
	snprintf(n, sizeof n, "%s_bucket", name);
	for (unsigned i = 0; i <= nbounds; i++) {
		cum += counts[i];
		if (i < nbounds)
			snprintf(le, sizeof le, "%g", bounds[i]);
		else
			snprintf(le, sizeof le, "+Inf");
		name_labels(b, n, labels, le);
		buf_printf(b, " %llu\n", (unsigned long long)cum);
	}
	snprintf(n, sizeof n, "%s_sum", name);
	metrics_sample_double(b, n, labels, sum);
	snprintf(n, sizeof n, "%s_count", name);
	metrics_sample(b, n, labels, cum);
}
