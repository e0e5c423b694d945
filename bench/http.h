/*
 * http: the smallest HTTP/1.1 client the benchmark tools need: connect to
 * a TCP or Unix address with a deadline, write one request, read one
 * answer (status, headers, a Content-Length body). Failures come back as
 * an errno so that callers can count them by kind: ECONNREFUSED,
 * ECONNRESET (also an answer cut short), ETIMEDOUT, EPROTO (garbage).
 */
#ifndef BENCH_HTTP_H
#define BENCH_HTTP_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

struct http_addr {
	struct sockaddr_storage	 ss;
	socklen_t		 len;
};

struct http_answer {
	int	 status;
	int	 close;		/* the server will close the connection */
	char	*body;		/* NUL-terminated, inside the caller's buffer */
	size_t	 body_len;
};

/* Nanoseconds of CLOCK_MONOTONIC. */
uint64_t	 http_now_ns(void);

/* "HOST:PORT" or "unix:PATH" (or a path starting with '/'); -1 if bad. */
int		 http_addr_parse(struct http_addr *, const char *);

/*
 * A connected, blocking-mode-off socket, or -1 with errno. deadline_ns is
 * an absolute http_now_ns() time.
 */
int		 http_connect(const struct http_addr *, uint64_t deadline_ns);

/* Write all of buf before deadline_ns: 0, or -1 with errno. */
int		 http_send(int fd, const char *buf, size_t len,
		    uint64_t deadline_ns);

/*
 * Write req (none when reqlen is 0) and read one answer into buf (size bufsz) before deadline_ns.
 * With want_eof, read on after the body until the server closes, so the
 * server (not us) closes first and keeps the TIME_WAIT. 0 or -1 + errno.
 */
int		 http_exchange(int fd, const char *req, size_t reqlen,
		    char *buf, size_t bufsz, uint64_t deadline_ns, int want_eof,
		    struct http_answer *);

/* The integer after "KEY": in a JSON body, or -1. */
long long	 http_json_int(const char *body, const char *key);

#endif
