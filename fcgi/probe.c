/* probe.c - `portal probe SOCKET [PATH]`: one FastCGI GET of PATH (default /healthz) over the Unix
 * socket SOCKET, sent as nginx sends it; prints the answer's status and exits 0 for a 200, 1 for
 * any other answer or none within 5 s. nginx/stack.sh asks it whether a new worker pool answers
 * before it switches nginx's socket over to that pool. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "app.h"

enum { REC_BEGIN = 1, REC_END = 3, REC_PARAMS = 4, REC_STDIN = 5, REC_STDOUT = 6 };

static void record(unsigned char *out, size_t *n, int type, const unsigned char *body, size_t len)
{
	unsigned char h[8] = {1, (unsigned char)type, 0, 1, (unsigned char)(len >> 8), (unsigned char)len, 0, 0};
	memcpy(out + *n, h, 8);
	if (len)
		memcpy(out + *n + 8, body, len);
	*n += 8 + len;
}

static size_t param(unsigned char *p, const char *name, const char *value)
{
	size_t a = strlen(name), b = strlen(value); /* both short: one-byte lengths */
	p[0] = (unsigned char)a;
	p[1] = (unsigned char)b;
	memcpy(p + 2, name, a);
	memcpy(p + 2 + a, value, b);
	return 2 + a + b;
}

static int read_full(int fd, unsigned char *p, size_t n)
{
	while (n) {
		ssize_t r = read(fd, p, n);
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int probe_main(int argc, char **argv)
{
	const char *sock = argc > 2 ? argv[2] : "", *path = argc > 3 ? argv[3] : "/healthz";
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (!*sock || strlen(sock) >= sizeof a.sun_path || strlen(path) > 100 || path[0] != '/') {
		fprintf(stderr, "usage: portal probe SOCKET [/PATH]\n");
		return 2;
	}
	strcpy(a.sun_path, sock);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct timeval tv = {.tv_sec = 5};
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) < 0 ||
	    connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
		printf("no answer: cannot connect to %s\n", sock);
		if (fd >= 0)
			close(fd);
		return 1;
	}
	unsigned char req[1024], params[512];
	size_t n = 0, pl = 0;
	const unsigned char begin[8] = {0, 1}; /* role responder, no keep-conn */
	record(req, &n, REC_BEGIN, begin, sizeof begin);
	pl += param(params + pl, "REQUEST_METHOD", "GET");
	pl += param(params + pl, "REQUEST_URI", path);
	pl += param(params + pl, "SCRIPT_NAME", path);
	pl += param(params + pl, "QUERY_STRING", "");
	pl += param(params + pl, "SERVER_PROTOCOL", "HTTP/1.1");
	pl += param(params + pl, "REMOTE_ADDR", "127.0.0.1");
	pl += param(params + pl, "HTTP_HOST", "localhost");
	record(req, &n, REC_PARAMS, params, pl);
	record(req, &n, REC_PARAMS, NULL, 0);
	record(req, &n, REC_STDIN, NULL, 0);
	int status = 0;
	char head[256] = "";
	size_t hl = 0;
	if (write(fd, req, n) == (ssize_t)n) {
		unsigned char h[8], body[65536 + 256];
		while (read_full(fd, h, 8) == 0) {
			size_t len = ((size_t)h[4] << 8 | h[5]) + h[6];
			if (read_full(fd, body, len) < 0)
				break;
			if (h[1] == REC_STDOUT && hl < sizeof head - 1) { /* the answer's headers come first */
				size_t take = len - h[6] < sizeof head - 1 - hl ? len - h[6] : sizeof head - 1 - hl;
				memcpy(head + hl, body, take);
				head[hl += take] = '\0';
			}
			if (h[1] == REC_END) {
				const char *s = strstr(head, "Status: ");
				status = s ? atoi(s + 8) : 200; /* no Status header is a 200 */
				break;
			}
		}
	}
	close(fd);
	if (!status) {
		printf("no answer from %s\n", sock);
		return 1;
	}
	printf("%d\n", status);
	return status == 200 ? 0 : 1;
}
