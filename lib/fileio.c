/* fileio.c - atomic, durable file writes for uploads and mail files. */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int file_write_atomic(const char *dir, const char *name, const void *data, size_t len, mode_t mode)
{
	char tmp[4096], path[4096];
	int t = snprintf(tmp, sizeof tmp, "%s/.tmp-XXXXXX", dir);
	int n = snprintf(path, sizeof path, "%s/%s", dir, name);
	if (t < 0 || (size_t)t >= sizeof tmp || n < 0 || (size_t)n >= sizeof path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = mkstemp(tmp);
	if (fd < 0)
		return -1;
	int ok = fchmod(fd, mode) == 0 && write_all(fd, data ? data : "", len) == 0 && fsync(fd) == 0;
	int e = errno;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, path) < 0) {
		e = ok ? errno : e;
		unlink(tmp);
		errno = e;
		return -1;
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}
