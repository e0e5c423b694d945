/*
 * http: a minimal HTTP/1.1 client on non-blocking sockets with poll()
 * deadlines, shared by loadgen and pitbench. It reads exactly one answer
 * per exchange (Content-Length bodies, or up to EOF without one) and
 * reports every failure as an errno; it never prints.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "http.h"

uint64_t
http_now_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
}

int
http_addr_parse(struct http_addr *a, const char *s)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&a->ss;
	struct sockaddr_un	*sun = (struct sockaddr_un *)&a->ss;
	const char		*colon, *path = NULL;
	char			 host[64];
	long			 port;
	char			*end;

	memset(a, 0, sizeof *a);
	if (strncmp(s, "unix:", 5) == 0)
		path = s + 5;
	else if (s[0] == '/')
		path = s;
	if (path != NULL) {
		if (strlen(path) >= sizeof sun->sun_path)
			return (-1);
		sun->sun_family = AF_UNIX;
		strcpy(sun->sun_path, path);
		a->len = sizeof *sun;
		return (0);
	}
	if ((colon = strrchr(s, ':')) == NULL ||
	    (size_t)(colon - s) >= sizeof host)
		return (-1);
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port <= 0 || port > 65535)
		return (-1);
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		return (-1);
	a->len = sizeof *sin;
	return (0);
}

/* Wait for events on fd until deadline_ns: 0, or -1 with ETIMEDOUT. */
static int
wait_fd(int fd, short events, uint64_t deadline_ns)
{
	struct pollfd	 pfd;
	uint64_t	 now;
	int		 ms, n;

	for (;;) {
		now = http_now_ns();
		if (now >= deadline_ns) {
			errno = ETIMEDOUT;
			return (-1);
		}
		ms = (int)((deadline_ns - now + 999999) / 1000000);
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, ms);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return (-1);
		if (n > 0)
			return (0);
	}
}

int
http_connect(const struct http_addr *a, uint64_t deadline_ns)
{
	int		 fd, err, one = 1;
	socklen_t	 len = sizeof err;

	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1)
		return (-1);
	if (a->ss.ss_family == AF_INET)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof one);
	if (connect(fd, (const struct sockaddr *)&a->ss, a->len) == 0)
		return (fd);
	if (errno != EINPROGRESS && errno != EAGAIN)
		goto fail;
	if (wait_fd(fd, POLLOUT, deadline_ns) == -1)
		goto fail;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		goto fail;
	if (err != 0) {
		errno = err;
		goto fail;
	}
	return (fd);
fail:
	err = errno;
	close(fd);
	errno = err;
	return (-1);
}

/* Parse the head in buf[0..headlen): status, Content-Length, close. */
static int
parse_head(const char *buf, size_t headlen, struct http_answer *ans,
    long long *clen)
{
	const char	*p = buf, *eol, *end = buf + headlen;
	int		 http10;

	if (headlen < 12 || strncmp(buf, "HTTP/1.", 7) != 0)
		return (-1);
	http10 = buf[7] == '0';
	ans->status = atoi(buf + 9);
	if (ans->status < 100 || ans->status > 599)
		return (-1);
	ans->close = http10;
	*clen = -1;
	while ((eol = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		p = eol + 1;
		if (strncasecmp(p, "Content-Length:", 15) == 0)
			*clen = atoll(p + 15);
		else if (strncasecmp(p, "Connection:", 11) == 0) {
			const char *v = p + 11;

			while (*v == ' ')
				v++;
			if (strncasecmp(v, "close", 5) == 0)
				ans->close = 1;
			else if (strncasecmp(v, "keep-alive", 10) == 0)
				ans->close = 0;
		}
	}
	return (0);
}

int
http_send(int fd, const char *buf, size_t len, uint64_t deadline_ns)
{
	size_t		 off = 0;
	ssize_t		 n;

	while (off < len) {
		n = send(fd, buf + off, len - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno != EAGAIN)
			return (-1);
		if (wait_fd(fd, POLLOUT, deadline_ns) == -1)
			return (-1);
	}
	return (0);
}

int
http_exchange(int fd, const char *req, size_t reqlen, char *buf,
    size_t bufsz, uint64_t deadline_ns, int want_eof,
    struct http_answer *ans)
{
	size_t		 have = 0, headlen = 0;
	long long	 clen = -1;
	ssize_t		 n;
	char		*sep;

	if (http_send(fd, req, reqlen, deadline_ns) == -1)
		return (-1);
	for (;;) {
		if (headlen != 0 && clen >= 0 &&
		    have - headlen >= (size_t)clen && !want_eof)
			break;
		if (have + 1 >= bufsz) {
			errno = EPROTO;
			return (-1);
		}
		n = recv(fd, buf + have, bufsz - have - 1, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			if (wait_fd(fd, POLLIN, deadline_ns) == -1)
				return (-1);
			continue;
		}
		if (n == -1) {
			/* A reset after the whole answer arrived is no loss. */
			if (errno == ECONNRESET && headlen != 0 && clen >= 0 &&
			    have - headlen >= (size_t)clen)
				break;
			return (-1);
		}
		if (n == 0) {
			if (headlen != 0 && (clen < 0 ||
			    have - headlen >= (size_t)clen))
				break;
			errno = ECONNRESET;	/* closed before answering */
			return (-1);
		}
		have += (size_t)n;
		buf[have] = '\0';
		if (headlen == 0 && (sep = strstr(buf, "\r\n\r\n")) != NULL) {
			headlen = (size_t)(sep - buf) + 4;
			if (parse_head(buf, headlen, ans, &clen) == -1) {
				errno = EPROTO;
				return (-1);
			}
		}
	}
	buf[have] = '\0';
	ans->body = buf + headlen;
	ans->body_len = have - headlen;
	if (clen >= 0 && ans->body_len > (size_t)clen)
		ans->body_len = (size_t)clen;
	ans->body[ans->body_len] = '\0';
	return (0);
}

long long
http_json_int(const char *body, const char *key)
{
	char		 pat[64];
	const char	*p;

	snprintf(pat, sizeof pat, "\"%s\":", key);
	if ((p = strstr(body, pat)) == NULL)
		return (-1);
	p += strlen(pat);
	while (*p == ' ')
		p++;
	if (*p < '0' || *p > '9')
		return (-1);
	return (atoll(p));
}
