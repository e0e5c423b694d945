/*
 * control: app-stub's client of pitstopd's control API (SPEC §7), behind
 * POST /explicit-backup and /explicit-restore (SPEC §9). libevent 2.1's
 * evhttp client cannot reach a Unix socket, so this is a small HTTP/1.1
 * client on a bufferevent: one request per connection, sent with
 * "Connection: close", and the answer read as it arrives (Content-Length,
 * chunked, or up to the end of the connection). It all runs on the stub's
 * event loop, so a long backup never holds up other requests. What to ask
 * and how to answer the stub's own client is left to routes.c.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#include "app-stub.h"

#define CONTROL_MAX_LINE	(8 * 1024)	/* a status or header line */
#define CONTROL_MAX_HEADERS	(8 * 1024)	/* all of them */
#define CONTROL_MAX_BODY	(1024 * 1024)	/* a manifest: a few KiB */

/* Where the reading of the answer is. */
enum control_state {
	CS_STATUS,		/* status line */
	CS_HEADERS,		/* header lines, up to the empty one */
	CS_LENGTH,		/* `remaining` body bytes (Content-Length) */
	CS_CHUNK_SIZE,		/* a chunk-size line */
	CS_CHUNK_DATA,		/* `remaining` bytes of a chunk */
	CS_CHUNK_END,		/* the CRLF after a chunk */
	CS_TRAILER,		/* trailer lines after the last chunk */
	CS_EOF,			/* the body runs to the end */
	CS_DONE
};

struct control_call {
	struct bufferevent	*bev;	/* NULL until connected */
	struct event		*timer;	/* also for early failures */
	long			 timeout_ms;

	enum control_state	 state;
	size_t			 header_bytes;
	int			 status;
	char			 reason[64];
	char			*type;	/* Content-Type, if any */
	int			 chunked;
	int			 has_length;
	size_t			 length;	/* Content-Length */
	size_t			 remaining;
	struct evbuffer		*body;

	int			 fail_status;	/* early failure */
	char			 message[256];

	control_done_cb		 done;
	void			*arg;
};

static int	control_connect(struct control_call *, struct event_base *,
		    const char *);
static void	control_request(struct control_call *, const char *,
		    const char *, const char *);
static int	control_parse(struct control_call *, struct evbuffer *,
		    const char **);
static int	control_line(struct control_call *, const char *, size_t,
		    const char **);
static int	control_status_line(struct control_call *, const char *,
		    const char **);
static int	control_header(struct control_call *, const char *,
		    const char **);
static int	control_body_start(struct control_call *, const char **);
static int	control_chunk_size(struct control_call *, const char *,
		    const char **);
static void	control_read_cb(struct bufferevent *, void *);
static void	control_event_cb(struct bufferevent *, short, void *);
static void	control_timer_cb(evutil_socket_t, short, void *);
static void	control_ok(struct control_call *);
static void	control_fail(struct control_call *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	control_free(struct control_call *);

struct control_call *
control_call(struct event_base *base, const char *path, const char *method,
    const char *target, const char *body, long timeout_ms,
    control_done_cb done, void *arg)
{
	struct control_call	*call;
	struct timeval		 tv = { 0, 0 };

	if ((call = calloc(1, sizeof(*call))) == NULL)
		goto oom;
	call->timeout_ms = timeout_ms;
	call->done = done;
	call->arg = arg;
	call->state = CS_STATUS;
	if ((call->body = evbuffer_new()) == NULL ||
	    (call->timer = evtimer_new(base, control_timer_cb, call)) == NULL)
		goto oom;
	if (control_connect(call, base, path) == -1) {
		/*
		 * Report it from the loop like any other outcome, so that
		 * `done` never runs inside control_call().
		 */
		call->fail_status = 503;
		(void)snprintf(call->message, sizeof(call->message),
		    "pitstopd is not reachable at %s: %s", path,
		    strerror(errno));
	} else {
		control_request(call, method, target, body);
		tv.tv_sec = timeout_ms / 1000;
		tv.tv_usec = (timeout_ms % 1000) * 1000;
	}
	evtimer_add(call->timer, &tv);
	return (call);
oom:
	stub_log("%s: out of memory", __func__);
	control_free(call);
	return (NULL);
}

void
control_cancel(struct control_call *call)
{
	control_free(call);
}

/*
 * connect(2) on an AF_UNIX stream socket never waits: it succeeds, or
 * fails at once (EAGAIN when the backlog is full). So we connect here,
 * where errno still names the cause for the message, and hand the
 * connected socket to a bufferevent; bufferevent_socket_connect() would
 * report a refused connection later, without its errno.
 */
static int
control_connect(struct control_call *call, struct event_base *base,
    const char *path)
{
	struct sockaddr_un	 sun;
	size_t			 len = strlen(path);
	int			 fd, saved_errno;

	if (len == 0 || len >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, len);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return (-1);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		goto fail;
	call->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (call->bev == NULL) {
		errno = ENOMEM;
		goto fail;
	}
	bufferevent_setcb(call->bev, control_read_cb, NULL, control_event_cb,
	    call);
	if (bufferevent_enable(call->bev, EV_READ | EV_WRITE) == -1)
		return (-1);	/* the bufferevent owns fd now */
	return (0);
fail:
	saved_errno = errno;
	close(fd);
	errno = saved_errno;
	return (-1);
}

static void
control_request(struct control_call *call, const char *method,
    const char *target, const char *body)
{
	struct evbuffer	*out = bufferevent_get_output(call->bev);
	size_t		 len = body == NULL ? 0 : strlen(body);

	evbuffer_add_printf(out, "%s %s HTTP/1.1\r\n"
	    "Host: localhost\r\n"
	    "User-Agent: app-stub\r\n"
	    "Connection: close\r\n", method, target);
	if (body != NULL)
		evbuffer_add_printf(out, "Content-Type: application/json\r\n");
	evbuffer_add_printf(out, "Content-Length: %zu\r\n\r\n", len);
	evbuffer_add(out, body == NULL ? "" : body, len);
}

/*
 * Consume what has arrived of the answer. Returns 1 once it is complete,
 * 0 when more is needed, -1 with *why set when it is not HTTP we read.
 */
static int
control_parse(struct control_call *call, struct evbuffer *in,
    const char **why)
{
	char	*line;
	size_t	 n;
	int	 rv;

	for (;;) {
		switch (call->state) {
		case CS_STATUS:
		case CS_HEADERS:
		case CS_CHUNK_SIZE:
		case CS_CHUNK_END:
		case CS_TRAILER:
			line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF);
			if (line == NULL) {
				if (evbuffer_get_length(in) <=
				    CONTROL_MAX_LINE)
					return (0);
				*why = "a line is too long";
				return (-1);
			}
			rv = control_line(call, line, n, why);
			free(line);
			if (rv == -1)
				return (-1);
			break;
		case CS_LENGTH:
		case CS_CHUNK_DATA:
			n = evbuffer_get_length(in);
			if (n > call->remaining)
				n = call->remaining;
			if (n > 0 && evbuffer_remove_buffer(in, call->body,
			    n) != (int)n) {
				*why = "out of memory";
				return (-1);
			}
			call->remaining -= n;
			if (call->remaining > 0)
				return (0);
			call->state = call->state == CS_LENGTH ? CS_DONE :
			    CS_CHUNK_END;
			break;
		case CS_EOF:
			if (evbuffer_get_length(call->body) +
			    evbuffer_get_length(in) > CONTROL_MAX_BODY) {
				*why = "the body is too large";
				return (-1);
			}
			evbuffer_add_buffer(call->body, in);
			return (0);
		case CS_DONE:
			return (1);
		}
	}
}

/* One line of `n` bytes, without its line end, in the current state. */
static int
control_line(struct control_call *call, const char *line, size_t n,
    const char **why)
{
	if (memchr(line, '\0', n) != NULL) {
		*why = "a line holds a NUL byte";
		return (-1);
	}
	switch (call->state) {
	case CS_STATUS:
	case CS_HEADERS:
	case CS_TRAILER:
		call->header_bytes += n + 2;
		if (call->header_bytes > CONTROL_MAX_HEADERS) {
			*why = "the headers are too large";
			return (-1);
		}
		if (call->state == CS_STATUS)
			return (control_status_line(call, line, why));
		if (n > 0)
			return (call->state == CS_HEADERS ?
			    control_header(call, line, why) : 0);
		if (call->state == CS_TRAILER) {
			call->state = CS_DONE;
			return (0);
		}
		return (control_body_start(call, why));
	case CS_CHUNK_SIZE:
		return (control_chunk_size(call, line, why));
	case CS_CHUNK_END:
		if (n != 0) {
			*why = "a chunk is longer than its size";
			return (-1);
		}
		call->state = CS_CHUNK_SIZE;
		return (0);
	default:
		*why = "unexpected line";
		return (-1);
	}
}

/* "HTTP/1.x 202 Accepted"; the reason phrase is kept for our answer. */
static int
control_status_line(struct control_call *call, const char *line,
    const char **why)
{
	const char	*p;
	size_t		 i;

	if (strncmp(line, "HTTP/1.", 7) != 0 ||
	    !isdigit((unsigned char)line[7]) || line[8] != ' ' ||
	    !isdigit((unsigned char)line[9]) ||
	    !isdigit((unsigned char)line[10]) ||
	    !isdigit((unsigned char)line[11]) ||
	    (line[12] != '\0' && line[12] != ' ') ||
	    line[9] < '1' || line[9] > '5') {
		*why = "no HTTP/1.x status line";
		return (-1);
	}
	call->status = atoi(line + 9);
	p = line[12] == '\0' ? "" : line + 13;
	for (i = 0; p[i] != '\0' && i < sizeof(call->reason) - 1; i++)
		call->reason[i] = p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '?';
	call->reason[i] = '\0';
	call->state = CS_HEADERS;
	return (0);
}

/* Only the headers that frame the body and its type matter to us. */
static int
control_header(struct control_call *call, const char *line,
    const char **why)
{
	const char	*colon, *v, *last;
	char		*end;
	unsigned long long n;
	size_t		 klen;

	if ((colon = strchr(line, ':')) == NULL || colon == line) {
		*why = "a header line has no name";
		return (-1);
	}
	klen = (size_t)(colon - line);
	for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
		;
	if (klen == 14 && strncasecmp(line, "Content-Length", klen) == 0) {
		errno = 0;
		n = strtoull(v, &end, 10);
		while (*end == ' ' || *end == '\t')
			end++;
		if (!isdigit((unsigned char)*v) || *end != '\0' ||
		    errno != 0 || (call->has_length && n != call->length)) {
			*why = "bad Content-Length";
			return (-1);
		}
		if (n > CONTROL_MAX_BODY) {
			*why = "the body is too large";
			return (-1);
		}
		call->has_length = 1;
		call->length = (size_t)n;
	} else if (klen == 17 &&
	    strncasecmp(line, "Transfer-Encoding", klen) == 0) {
		/* The last coding must be chunked; gzip and such we refuse. */
		last = strrchr(v, ',');
		for (last = last == NULL ? v : last + 1; *last == ' ' ||
		    *last == '\t'; last++)
			;
		if (strncasecmp(last, "chunked", 7) != 0 ||
		    strspn(last + 7, " \t") != strlen(last + 7)) {
			*why = "unsupported Transfer-Encoding";
			return (-1);
		}
		call->chunked = 1;
	} else if (klen == 12 &&
	    strncasecmp(line, "Content-Type", klen) == 0) {
		free(call->type);
		if ((call->type = strdup(v)) == NULL) {
			*why = "out of memory";
			return (-1);
		}
	}
	return (0);
}

/* The empty line after the headers: decide how the body is framed. */
static int
control_body_start(struct control_call *call, const char **why)
{
	(void)why;
	if (call->status < 200) {
		/* An interim answer (100 Continue): the real one follows. */
		call->state = CS_STATUS;
		call->chunked = call->has_length = 0;
		free(call->type);
		call->type = NULL;
		return (0);
	}
	if (call->status == 204 || call->status == 304)
		call->state = CS_DONE;
	else if (call->chunked)
		call->state = CS_CHUNK_SIZE;	/* it wins over a length */
	else if (call->has_length) {
		call->remaining = call->length;
		call->state = call->length == 0 ? CS_DONE : CS_LENGTH;
	} else
		call->state = CS_EOF;
	return (0);
}

/* A chunk-size line: hex digits, then perhaps ";extensions". */
static int
control_chunk_size(struct control_call *call, const char *line,
    const char **why)
{
	unsigned long	 n;
	char		*end;

	errno = 0;
	n = strtoul(line, &end, 16);
	while (*end == ' ' || *end == '\t')
		end++;
	if (!isxdigit((unsigned char)line[0]) || errno != 0 ||
	    (*end != '\0' && *end != ';')) {
		*why = "bad chunk size";
		return (-1);
	}
	if (n > CONTROL_MAX_BODY ||
	    evbuffer_get_length(call->body) + n > CONTROL_MAX_BODY) {
		*why = "the body is too large";
		return (-1);
	}
	call->remaining = (size_t)n;
	call->state = n == 0 ? CS_TRAILER : CS_CHUNK_DATA;
	return (0);
}

static void
control_read_cb(struct bufferevent *bev, void *arg)
{
	struct control_call	*call = arg;
	const char		*why;

	switch (control_parse(call, bufferevent_get_input(bev), &why)) {
	case -1:
		control_fail(call, 502, "pitstopd's answer is not valid "
		    "HTTP: %s", why);
		break;
	case 1:
		control_ok(call);
		break;
	default:
		break;
	}
}

static void
control_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct control_call	*call = arg;
	const char		*why;
	int			 error = EVUTIL_SOCKET_ERROR();

	if (what & BEV_EVENT_ERROR) {
		control_fail(call, 502, "the connection to pitstopd failed: "
		    "%s", strerror(error));
		return;
	}
	if (!(what & BEV_EVENT_EOF))
		return;
	/* Whatever came with the end of the connection. */
	if (control_parse(call, bufferevent_get_input(bev), &why) == -1) {
		control_fail(call, 502, "pitstopd's answer is not valid "
		    "HTTP: %s", why);
		return;
	}
	if (call->state == CS_EOF || call->state == CS_DONE)
		control_ok(call);
	else if (call->state == CS_STATUS && call->header_bytes == 0)
		control_fail(call, 502, "pitstopd closed the connection "
		    "without answering");
	else
		control_fail(call, 502, "pitstopd closed the connection "
		    "in the middle of its answer");
}

/* The deadline passed, or an early failure is due. */
static void
control_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct control_call	*call = arg;

	(void)fd;
	(void)what;
	if (call->fail_status != 0)
		control_fail(call, call->fail_status, "%s", call->message);
	else
		control_fail(call, 504, "pitstopd did not answer within "
		    "%ld ms", call->timeout_ms);
}

static void
control_ok(struct control_call *call)
{
	struct control_result	 res;

	memset(&res, 0, sizeof(res));
	res.status = call->status;
	res.reason = call->reason;
	res.type = call->type;
	res.body = call->body;
	call->done(&res, call->arg);
	control_free(call);
}

static void
control_fail(struct control_call *call, int status, const char *fmt, ...)
{
	struct control_result	 res;
	char			 msg[sizeof(call->message)];
	va_list			 ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memset(&res, 0, sizeof(res));
	res.failed = 1;
	res.status = status;
	res.reason = "";
	res.message = msg;
	call->done(&res, call->arg);
	control_free(call);
}

/* Safe from the call's own callbacks: libevent defers the real free. */
static void
control_free(struct control_call *call)
{
	if (call == NULL)
		return;
	if (call->timer != NULL)
		event_free(call->timer);
	if (call->bev != NULL)
		bufferevent_free(call->bev);
	if (call->body != NULL)
		evbuffer_free(call->body);
	free(call->type);
	free(call);
}
