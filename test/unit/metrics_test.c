/* metrics_test.c - unit tests of lib/metrics: slots claimed in one shared file by several
 * processes, a dead process's slot taken over with its counts kept, sums over the slots, a file of
 * another layout replaced, address matching for metrics.allow, and the text format. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "config.h"
#include "metrics.h"

static char dir[64], path[128];
static uint64_t sums[METRICS_COUNTERS];

/* A child that opens the file, adds add to counter 3 and exits with its slot number (or 200+). */
static int child_slot(uint64_t add)
{
	pid_t p = fork();
	if (p == 0) {
		char err[256];
		if (metrics_open(path, err, sizeof err) < 0)
			_exit(200);
		metrics_add(3, add);
		_exit(metrics_slot_index());
	}
	int st = 0;
	waitpid(p, &st, 0); /* reaped: its pid is dead, not a zombie */
	return WIFEXITED(st) ? WEXITSTATUS(st) : 255;
}

static void test_slots(void)
{
	char err[256];
	CHECK_INT(metrics_open(path, err, sizeof err), 0);
	struct stat st;
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0660 && st.st_size > (off_t)sizeof(struct metrics_slot) * METRICS_SLOTS);
	int mine = metrics_slot_index();
	CHECK_INT(mine, 0);
	metrics_add(3, 10);
	metrics_add(7, 1);
	metrics_add(METRICS_COUNTERS, 1); /* out of range: ignored */
	CHECK_INT(metrics_sum(sums), 1);
	CHECK_INT(sums[3], 10);
	CHECK_INT(sums[7], 1);

	/* opening again keeps this process's slot */
	CHECK_INT(metrics_open(path, err, sizeof err), 0);
	CHECK_INT(metrics_slot_index(), mine);

	int first = child_slot(5);
	CHECK_INT(first, 1);
	CHECK_INT(metrics_sum(sums), 1); /* the child is gone: the pool is this process alone */
	CHECK_INT(sums[3], 15);          /* ... and its counts stay */
	int second = child_slot(7);
	CHECK_INT(second, first); /* the dead child's slot, taken over */
	CHECK_INT(metrics_sum(sums), 1);
	CHECK_INT(sums[3], 22);
}

/* Eight processes at once: each its own slot, all counted, the pool size right while they live. */
static void test_concurrent(void)
{
	enum { N = 8 };
	int up[2], hold[2];
	if (pipe(up) < 0 || pipe(hold) < 0)
		return;
	pid_t kids[N];
	for (int i = 0; i < N; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			close(up[0]);
			close(hold[1]);
			char err[256];
			unsigned char slot = 255;
			if (metrics_open(path, err, sizeof err) == 0) {
				for (int k = 0; k < 1000; k++)
					metrics_add(9, 1);
				slot = (unsigned char)metrics_slot_index();
			}
			if (write(up[1], &slot, 1) != 1)
				_exit(1);
			char c;
			(void)!read(hold[0], &c, 1); /* until the parent has looked */
			_exit(0);
		}
	}
	close(up[1]);
	close(hold[0]);
	int seen[METRICS_SLOTS + 1] = {0};
	for (int i = 0; i < N; i++) {
		unsigned char s = 255;
		CHECK(read(up[0], &s, 1) == 1 && s < METRICS_SLOTS);
		seen[s < METRICS_SLOTS ? s : METRICS_SLOTS]++;
	}
	int dup = 0;
	for (int i = 0; i <= METRICS_SLOTS; i++)
		dup += seen[i] > 1;
	CHECK_INT(dup, 0);
	CHECK_INT(seen[0], 0); /* the parent's */
	CHECK_INT(metrics_sum(sums), N + 1);
	CHECK_INT(sums[9], N * 1000);
	close(hold[1]);
	for (int i = 0; i < N; i++)
		waitpid(kids[i], NULL, 0);
	close(up[0]);
	CHECK_INT(metrics_sum(sums), 1);
	CHECK_INT(sums[9], N * 1000);
}

/* A file of another layout (an older build's) is replaced by a new, empty one. */
static void test_layout(void)
{
	char other[160], err[256];
	snprintf(other, sizeof other, "%s/other", dir);
	int fd = open(other, O_RDWR | O_CREAT, 0600);
	CHECK(fd >= 0);
	char junk[4096];
	memset(junk, 0x5a, sizeof junk);
	CHECK(write(fd, junk, sizeof junk) == (ssize_t)sizeof junk);
	struct stat before, after;
	fstat(fd, &before); /* fd stays open, as an old build's worker keeps its mapping */
	CHECK_INT(metrics_open(other, err, sizeof err), 0);
	CHECK(stat(other, &after) == 0 && after.st_ino != before.st_ino);
	char back[16];
	CHECK(pread(fd, back, sizeof back, 0) == (ssize_t)sizeof back && memcmp(back, junk, sizeof back) == 0);
	close(fd);
	CHECK(after.st_size > (off_t)sizeof junk);
	CHECK_INT(metrics_sum(sums), 1);
	uint64_t total = 0;
	for (int i = 0; i < METRICS_COUNTERS; i++)
		total += sums[i];
	CHECK_INT(total, 0);
	metrics_close();
	CHECK_INT(metrics_sum(sums), -1); /* off */
	/* not a regular file: refused, metrics stay off */
	CHECK_INT(metrics_open(dir, err, sizeof err), -1);
	CHECK(metrics_own == NULL);
	metrics_add(1, 1); /* harmless while off */
	unlink(other);
}

static void test_addr(void)
{
	CHECK_INT(metrics_addr_match("127.0.0.1", "127.0.0.1"), 1);
	CHECK_INT(metrics_addr_match("127.0.0.1", "127.0.0.2"), 0);
	CHECK_INT(metrics_addr_match("127.0.0.1", "::ffff:127.0.0.1"), 1); /* v4-mapped */
	CHECK_INT(metrics_addr_match("::1", "::1"), 1);
	CHECK_INT(metrics_addr_match("::1", "127.0.0.1"), 0);
	CHECK_INT(metrics_addr_match("10.0.0.0/8", "10.200.3.4"), 1);
	CHECK_INT(metrics_addr_match("10.0.0.0/8", "11.0.0.1"), 0);
	CHECK_INT(metrics_addr_match("192.168.4.0/22", "192.168.7.255"), 1);
	CHECK_INT(metrics_addr_match("192.168.4.0/22", "192.168.8.0"), 0);
	CHECK_INT(metrics_addr_match("0.0.0.0/0", "203.0.113.9"), 1);
	CHECK_INT(metrics_addr_match("0.0.0.0/0", "2001:db8::1"), 0);
	CHECK_INT(metrics_addr_match("fd00::/8", "fd12:3456::1"), 1);
	CHECK_INT(metrics_addr_match("fd00::/8", "fe80::1"), 0);
	CHECK_INT(metrics_addr_match("2001:db8::/33", "2001:db8:7fff::1"), 1);
	CHECK_INT(metrics_addr_match("2001:db8::/33", "2001:db8:8000::1"), 0);
	CHECK_INT(metrics_addr_match("10.0.0.1", ""), 0);
	CHECK_INT(metrics_addr_match("10.0.0.1", "not an address"), 0);
	CHECK_INT(metrics_addr_match("10.0.0.1", NULL), 0);
	/* entries that are no address or prefix */
	CHECK_INT(metrics_addr_match("localhost", NULL), -1);
	CHECK_INT(metrics_addr_match("10.0.0.0/33", NULL), -1);
	CHECK_INT(metrics_addr_match("::/129", NULL), -1);
	CHECK_INT(metrics_addr_match("10.0.0.0/", NULL), -1);
	CHECK_INT(metrics_addr_match("10.0.0.0/-1", NULL), -1);
	CHECK_INT(metrics_addr_match("10.0.0.0/8x", NULL), -1);
	CHECK_INT(metrics_addr_match("/8", NULL), -1);
	CHECK_INT(metrics_addr_match("", NULL), -1);
}

static void test_format(void)
{
	struct buf b = BUF_INIT;
	metrics_family(&b, "portal_x_total", "counter", "Things \\ counted\nby kind.");
	const char *l[] = {"kind", "a\"b\\c\nd", "group", "api", NULL};
	metrics_sample(&b, "portal_x_total", l, 42);
	metrics_sample(&b, "portal_y", NULL, 0);
	metrics_sample_double(&b, "portal_z_seconds", NULL, 1.5);
	static const double bounds[] = {0.001, 0.0025, 1};
	static const uint64_t counts[] = {2, 0, 3, 1};
	const char *g[] = {"group", "api", NULL};
	metrics_histogram(&b, "portal_h_seconds", g, bounds, 3, counts, 2.25);
	metrics_histogram(&b, "portal_t", NULL, bounds, 1, counts, 4);
	CHECK_STR(b.data, "# HELP portal_x_total Things \\\\ counted\\nby kind.\n"
			  "# TYPE portal_x_total counter\n"
			  "portal_x_total{kind=\"a\\\"b\\\\c\\nd\",group=\"api\"} 42\n"
			  "portal_y 0\n"
			  "portal_z_seconds 1.5\n"
			  "portal_h_seconds_bucket{group=\"api\",le=\"0.001\"} 2\n"
			  "portal_h_seconds_bucket{group=\"api\",le=\"0.0025\"} 2\n"
			  "portal_h_seconds_bucket{group=\"api\",le=\"1\"} 5\n"
			  "portal_h_seconds_bucket{group=\"api\",le=\"+Inf\"} 6\n"
			  "portal_h_seconds_sum{group=\"api\"} 2.25\n"
			  "portal_h_seconds_count{group=\"api\"} 6\n"
			  "portal_t_bucket{le=\"0.001\"} 2\n"
			  "portal_t_bucket{le=\"+Inf\"} 2\n"
			  "portal_t_sum 4\n"
			  "portal_t_count 2\n");
	buf_free(&b);
}

/* The config's metrics keys: none = off with the loopback default; a list; a bad entry refused. */
static void test_config(void)
{
	char cpath[160], err[512];
	snprintf(cpath, sizeof cpath, "%s/portal.json", dir);
	static const char *const bodies[] = {
		"{\"secret_key\": \"0123456789abcdef0123456789abcdef\"}",
		"{\"secret_key\": \"0123456789abcdef0123456789abcdef\", \"metrics\": {\"file\": \"/run/x/metrics\","
		" \"allow\": [\"10.1.0.0/16\", \"2001:db8::7\"]}}",
		"{\"secret_key\": \"0123456789abcdef0123456789abcdef\", \"metrics\": {\"file\": \"m\","
		" \"allow\": [\"127.0.0.1\", \"prometheus.example\"]}}",
	};
	struct config c;
	for (int i = 0; i < 3; i++) {
		FILE *f = fopen(cpath, "w");
		if (!f)
			return;
		fputs(bodies[i], f);
		fclose(f);
		int rc = config_load(&c, cpath, err, sizeof err);
		if (i == 0) {
			CHECK_INT(rc, 0);
			CHECK_STR(c.metrics_file, "");
			CHECK_INT(c.metrics_allow_n, 2);
			CHECK_STR(c.metrics_allow[0], "127.0.0.1");
			CHECK_STR(c.metrics_allow[1], "::1");
		} else if (i == 1) {
			CHECK_INT(rc, 0);
			CHECK_STR(c.metrics_file, "/run/x/metrics");
			CHECK_INT(c.metrics_allow_n, 2);
			CHECK_STR(c.metrics_allow[0], "10.1.0.0/16");
			CHECK_STR(c.metrics_allow[1], "2001:db8::7");
		} else {
			CHECK_INT(rc, -1);
			CHECK(strstr(err, "metrics.allow: prometheus.example") != NULL);
		}
	}
	unlink(cpath);
}

int main(void)
{
	snprintf(dir, sizeof dir, "/tmp/metrics_test.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof path, "%s/metrics", dir);
	test_slots();
	test_concurrent();
	test_layout();
	test_addr();
	test_format();
	test_config();
	metrics_close();
	unlink(path);
	rmdir(dir);
	return CHECK_DONE("metrics");
}
