/*
 * app-stub: the reference application supervised by pitstopd (SPEC §9).
 * It loads every profile into memory at start and serves from there, so
 * it goes stale on purpose when its database is replaced underneath it.
 * This file owns the process: options, the event loop, listening sockets
 * (its own or handed over with LISTEN_FDS), sd_notify readiness, signals
 * and the drain at shutdown. Routes live in routes.c, data in store.c,
 * the client of pitstopd's control socket ($PITSTOP_SOCKET) in control.c.
 *
 * usage: app-stub [--main-db PATH] [--keychain-db PATH] [--listen ADDR]
 *
 * The databases default to $PITSTOP_DB_MAIN and $PITSTOP_DB_KEYCHAIN; ADDR
 * is HOST:PORT or [IPv6]:PORT, default 127.0.0.1:5001, and is ignored when
 * LISTEN_FDS/LISTEN_PID hand over sockets. Exit status: 0 after a clean
 * stop, 1 on failure, 2 on a usage error, 3 from APP_STUB_EXIT_AFTER_MS.
 *
 * Test hooks, all in milliseconds and 0 (off) by default:
 *   APP_STUB_READY_DELAY_MS  bind, then wait this long before accepting
 *                            and sending READY=1 (a slow starter).
 *   APP_STUB_EXIT_AFTER_MS   this long after start, exit with status 3
 *                            without closing anything (a crash).
 *   APP_STUB_CONTROL_TIMEOUT_MS  give pitstopd this long to answer an
 *                            /explicit-* request instead of the defaults
 *                            (60 s for a backup, 10 s for a restore).
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <event2/util.h>

#include <sqlite3.h>

#include "app-stub.h"

#define USAGE	"usage: app-stub [--main-db PATH] [--keychain-db PATH] " \
		"[--listen ADDR]\n"
#define DEFAULT_LISTEN	"127.0.0.1:5001"
#define LISTEN_BACKLOG	1024
#define LISTEN_FDS_START 3
#define MAX_BODY	(64 * 1024)
#define MAX_HEADERS	(8 * 1024)
#define IDLE_TIMEOUT_S	10
#define DRAIN_TICK_MS	1
#define DRAIN_RECENT_MS	25	/* a kept-alive client's next request */
#define DRAIN_STALL_MS	1000	/* a request that stopped arriving */
#define DRAIN_MAX_MS	5000	/* a reply the client does not read */

struct listener {
	struct evhttp_bound_socket	*bound;
	char				 name[160];	/* for the log */
};

struct app {
	struct stub		 stub;
	struct listener		*listeners;
	size_t			 nlisteners;

	struct event		*sigterm;
	struct event		*sigint;
	struct event		*ready_ev;	/* APP_STUB_READY_DELAY_MS */
	struct event		*crash_ev;	/* APP_STUB_EXIT_AFTER_MS */
	struct event		*drain_ev;

	struct sockaddr_un	 notify;	/* NOTIFY_SOCKET, if set */
	socklen_t		 notify_len;	/* 0: not set */

	long long		 drain_start;	/* stub_now_ms() */
};

static void	usage(void) __attribute__((noreturn));
static long	env_ms(const char *);
static void	app_event_log_cb(int, const char *);
static void	app_sqlite_log_cb(void *, int, const char *);
static void	app_sockname(int, char *, size_t);
static int	app_listener_add(struct app *, int);
static int	app_listen_fds(struct app *);
static int	app_bind(struct app *, const char *);
static void	app_notify_init(struct app *);
static void	app_notify(struct app *, const char *);
static void	app_ready(struct app *);
static void	app_ready_cb(evutil_socket_t, short, void *);
static void	app_crash_cb(evutil_socket_t, short, void *);
static void	app_signal_cb(evutil_socket_t, short, void *);
static void	app_drain_cb(evutil_socket_t, short, void *);
static void	app_timer(struct event *, long);

/*
 * One diagnostic line on stderr, written with a single write(2) so lines
 * from several processes sharing the supervisor's pipe never interleave.
 */
void
stub_log(const char *fmt, ...)
{
	char	 buf[1024];
	va_list	 ap;
	int	 saved_errno = errno, n, m;

	n = snprintf(buf, sizeof(buf), "app-stub[%ld]: ", (long)getpid());
	va_start(ap, fmt);
	m = vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n += m;
	if ((size_t)n > sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, (size_t)n) == -1) {
		/* Nowhere left to report it. */
	}
	errno = saved_errno;
}

long long
stub_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static void
usage(void)
{
	fprintf(stderr, USAGE);
	exit(2);
}

/* A test hook in milliseconds: 0 when unset, -1 when not a number. */
static long
env_ms(const char *name)
{
	const char	*s = getenv(name);
	char		*end;
	long		 v;

	if (s == NULL || *s == '\0')
		return (0);
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0 || v > INT_MAX)
		return (-1);
	return (v);
}

static void
app_event_log_cb(int severity, const char *msg)
{
	if (severity > EVENT_LOG_DEBUG)
		stub_log("libevent: %s", msg);
}

/* SQLite reports WAL recovery and similar surprises here; keep them. */
static void
app_sqlite_log_cb(void *arg, int code, const char *msg)
{
	(void)arg;
	stub_log("sqlite (%d): %s", code, msg);
}

static void
app_sockname(int fd, char *buf, size_t len)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_un	*sun = (struct sockaddr_un *)&ss;
	socklen_t		 sslen = sizeof(ss);
	char			 host[NI_MAXHOST], port[NI_MAXSERV];

	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == -1) {
		(void)snprintf(buf, len, "fd %d", fd);
		return;
	}
	if (ss.ss_family == AF_UNIX) {
		(void)snprintf(buf, len, "unix:%.*s",
		    (int)sizeof(sun->sun_path), sun->sun_path[0] != '\0' ?
		    sun->sun_path : "@");
		return;
	}
	if (getnameinfo((struct sockaddr *)&ss, sslen, host, sizeof(host),
	    port, sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		(void)snprintf(buf, len, "fd %d", fd);
		return;
	}
	(void)snprintf(buf, len, ss.ss_family == AF_INET6 ? "[%s]:%s" :
	    "%s:%s", host, port);
}

/*
 * Serve HTTP on listening socket `fd`, which the listener then owns. It
 * starts disabled: app_ready() enables it. Backlog 0 tells libevent the
 * socket already listens, so a supervisor's backlog is left as it is.
 */
static int
app_listener_add(struct app *app, int fd)
{
	struct evconnlistener	*lev;
	struct listener		*l;

	lev = evconnlistener_new(app->stub.base, NULL, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_DISABLED,
	    0, fd);
	if (lev == NULL) {
		stub_log("%s: evconnlistener_new failed", __func__);
		close(fd);
		return (-1);
	}
	l = reallocarray(app->listeners, app->nlisteners + 1, sizeof(*l));
	if (l == NULL) {
		stub_log("%s: out of memory", __func__);
		evconnlistener_free(lev);
		return (-1);
	}
	app->listeners = l;
	l = &app->listeners[app->nlisteners];
	if ((l->bound = evhttp_bind_listener(app->stub.http, lev)) == NULL) {
		stub_log("%s: evhttp_bind_listener failed", __func__);
		evconnlistener_free(lev);
		return (-1);
	}
	/* Binding installs a callback; make sure that did not enable it. */
	evconnlistener_disable(lev);
	app_sockname(fd, l->name, sizeof(l->name));
	app->nlisteners++;
	return (0);
}

/*
 * Sockets handed over by a supervisor (systemd's protocol): fds 3..3+N-1
 * when LISTEN_PID is ours. The variables are removed so that nothing we
 * might start inherits them. Returns the number of sockets taken (0 when
 * none were meant for us), or -1.
 */
static int
app_listen_fds(struct app *app)
{
	const char	*fds_s, *pid_s;
	char		*end;
	long		 n, pid;
	int		 fd, type, on;
	socklen_t	 len;

	if ((fds_s = getenv("LISTEN_FDS")) == NULL)
		return (0);
	/* Variables meant for another process (our parent) are not ours. */
	pid_s = getenv("LISTEN_PID");
	pid = pid_s == NULL ? 0 : strtol(pid_s, &end, 10);
	if (pid_s == NULL || *end != '\0' || pid != (long)getpid()) {
		stub_log("LISTEN_PID is %s, not %ld: ignoring LISTEN_FDS",
		    pid_s == NULL ? "unset" : pid_s, (long)getpid());
		n = 0;
	} else {
		errno = 0;
		n = strtol(fds_s, &end, 10);
		if (errno != 0 || *end != '\0' || n < 0 ||
		    n > INT_MAX - LISTEN_FDS_START) {
			stub_log("bad LISTEN_FDS: %s", fds_s);
			return (-1);
		}
	}
	(void)unsetenv("LISTEN_FDS");
	(void)unsetenv("LISTEN_PID");
	(void)unsetenv("LISTEN_FDNAMES");
	for (fd = LISTEN_FDS_START; fd < LISTEN_FDS_START + n; fd++) {
		len = sizeof(type);
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1 ||
		    type != SOCK_STREAM) {
			stub_log("LISTEN_FDS: fd %d is not a stream socket",
			    fd);
			return (-1);
		}
		len = sizeof(on);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) ==
		    -1 || !on) {
			stub_log("LISTEN_FDS: fd %d is not listening", fd);
			return (-1);
		}
		/*
		 * O_NONBLOCK is shared with the supervisor's copy of the
		 * socket; it never accepts on it, so that is harmless.
		 */
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1 ||
		    evutil_make_socket_nonblocking(fd) == -1) {
			stub_log("LISTEN_FDS: fd %d: %s", fd, strerror(errno));
			return (-1);
		}
		if (app_listener_add(app, fd) == -1)
			return (-1);
	}
	return ((int)n);
}

/* Bind and listen on ADDR (HOST:PORT or [IPv6]:PORT). */
static int
app_bind(struct app *app, const char *addr)
{
	struct addrinfo	 hints, *res = NULL, *ai;
	char		*copy, *host, *port, *p;
	int		 fd = -1, on = 1, rc;

	if ((copy = strdup(addr)) == NULL) {
		stub_log("%s: out of memory", __func__);
		return (-1);
	}
	if (copy[0] == '[') {
		if ((p = strchr(copy, ']')) == NULL || p[1] != ':')
			goto bad;
		*p = '\0';
		host = copy + 1;
		port = p + 2;
	} else {
		if ((p = strrchr(copy, ':')) == NULL)
			goto bad;
		*p = '\0';
		host = copy;
		port = p + 1;
		if (strchr(host, ':') != NULL)
			goto bad;	/* IPv6 needs brackets */
	}
	if (*port == '\0')
		goto bad;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(*host == '\0' ? NULL : host, port, &hints, &res);
	if (rc != 0) {
		stub_log("%s: %s: %s", __func__, addr, gai_strerror(rc));
		goto fail;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd == -1)
			continue;
		/* A restart must not wait for the old port's TIME_WAIT. */
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
		    sizeof(on)) == 0 &&
		    bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, LISTEN_BACKLOG) == 0)
			break;
		rc = errno;
		close(fd);
		fd = -1;
		errno = rc;
	}
	if (fd == -1) {
		stub_log("%s: %s: %s", __func__, addr, strerror(errno));
		goto fail;
	}
	freeaddrinfo(res);
	free(copy);
	return (app_listener_add(app, fd));
bad:
	stub_log("bad listen address %s: want HOST:PORT or [IPv6]:PORT",
	    addr);
fail:
	if (res != NULL)
		freeaddrinfo(res);
	free(copy);
	return (-1);
}

/*
 * Remember NOTIFY_SOCKET: a path, or an abstract name when it starts with
 * '@'. An abstract address is exactly its bytes, with no trailing NUL.
 */
static void
app_notify_init(struct app *app)
{
	const char	*s = getenv("NOTIFY_SOCKET");
	size_t		 len;

	if (s == NULL || *s == '\0')
		return;
	len = strlen(s);
	if ((s[0] != '/' && s[0] != '@') || len < 2 ||
	    len >= sizeof(app->notify.sun_path)) {
		stub_log("ignoring unusable NOTIFY_SOCKET %s", s);
		return;
	}
	memset(&app->notify, 0, sizeof(app->notify));
	app->notify.sun_family = AF_UNIX;
	memcpy(app->notify.sun_path, s, len);
	if (s[0] == '@')
		app->notify.sun_path[0] = '\0';
	app->notify_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    len);
}

/* Send one sd_notify datagram; a missing listener is not our problem. */
static void
app_notify(struct app *app, const char *msg)
{
	int	 fd;

	if (app->notify_len == 0)
		return;
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		stub_log("%s: socket: %s", __func__, strerror(errno));
		return;
	}
	if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL,
	    (struct sockaddr *)&app->notify, app->notify_len) == -1)
		stub_log("%s: %s: %s", __func__, msg, strerror(errno));
	close(fd);
}

static void
app_ready(struct app *app)
{
	char	 where[512], status[64];
	size_t	 i, n, off = 0;

	where[0] = '\0';
	for (i = 0; i < app->nlisteners; i++) {
		evconnlistener_enable(
		    evhttp_bound_socket_get_listener(app->listeners[i].bound));
		if (off < sizeof(where))
			off += (size_t)snprintf(where + off,
			    sizeof(where) - off, "%s%s", i == 0 ? "" : ", ",
			    app->listeners[i].name);
	}
	(void)store_profiles(app->stub.store, &n);
	stub_log("serving %zu profiles on %s", n, where);
	app_notify(app, "READY=1");
	(void)snprintf(status, sizeof(status), "STATUS=serving %zu profiles",
	    n);
	app_notify(app, status);
}

static void
app_ready_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	app_ready(arg);
}

/* Die the way a crash does: no clean close, the -wal stays behind. */
static void
app_crash_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	stub_log("APP_STUB_EXIT_AFTER_MS reached: exiting with status 3");
	_exit(3);
}

/*
 * SIGTERM or SIGINT: stop accepting, let requests already under way get
 * their replies, then leave the loop so main() closes the databases. Only
 * our copy of each listening fd is closed: a supervisor's socket stays
 * open and queues new connections for the next process. A second signal
 * exits without waiting.
 */
static void
app_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct app	*app = arg;
	struct stub	*stub = &app->stub;
	size_t		 i, busy;

	(void)what;
	if (stub->draining) {
		stub_log("%s again: exiting without waiting for replies",
		    strsignal(sig));
		event_base_loopbreak(stub->base);
		return;
	}
	stub_log("%s: stopping", strsignal(sig));
	stub->draining = 1;
	app_notify(app, "STOPPING=1");
	event_del(app->ready_ev);
	for (i = 0; i < app->nlisteners; i++)
		evhttp_del_accept_socket(stub->http, app->listeners[i].bound);
	app->nlisteners = 0;
	/* The common case, nobody connected: stop at once. */
	if (routes_conns(stub, DRAIN_RECENT_MS, DRAIN_STALL_MS, &busy) == 0) {
		event_base_loopexit(stub->base, NULL);
		return;
	}
	app->drain_start = stub_now_ms();
	app_timer(app->drain_ev, DRAIN_TICK_MS);
}

/*
 * Leave at the first tick with no request being received and no reply
 * being written; one tick at least gives request bytes already in the
 * kernel a loop iteration to be read. A kept-alive connection used in the
 * last DRAIN_RECENT_MS is waited for too: a busy client sends its next
 * request within that time, gets it answered with "Connection: close" and
 * reconnects to the listen socket, instead of having the connection shut
 * under a request already sent. Connections idle for longer are closed,
 * as a keep-alive timeout would. A request that stops arriving for
 * DRAIN_STALL_MS, or a reply the client does not read, is given up on;
 * the whole drain never lasts more than DRAIN_MAX_MS (plus one tick to
 * answer requests still waiting on pitstopd).
 */
static void
app_drain_cb(evutil_socket_t fd, short what, void *arg)
{
	struct app	*app = arg;
	size_t		 busy;

	(void)fd;
	(void)what;
	(void)routes_conns(&app->stub, DRAIN_RECENT_MS,
	    DRAIN_STALL_MS, &busy);
	if (busy == 0) {
		event_base_loopexit(app->stub.base, NULL);
		return;
	}
	if (stub_now_ms() - app->drain_start >= DRAIN_MAX_MS) {
		/*
		 * Requests still waiting on pitstopd get a 503 rather than a
		 * closed connection: one more tick lets those answers go out.
		 */
		if (routes_stop(&app->stub) > 0) {
			app_timer(app->drain_ev, DRAIN_TICK_MS);
			return;
		}
		stub_log("giving up on %zu unfinished requests", busy);
		event_base_loopexit(app->stub.base, NULL);
		return;
	}
	app_timer(app->drain_ev, DRAIN_TICK_MS);
}

static void
app_timer(struct event *ev, long ms)
{
	struct timeval	 tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(ev, &tv);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "main-db",	 required_argument, NULL, 'm' },
		{ "keychain-db", required_argument, NULL, 'k' },
		{ "listen",	 required_argument, NULL, 'l' },
		{ "help",	 no_argument,	    NULL, 'h' },
		{ NULL,		 0,		    NULL, 0 }
	};
	struct app	*app;
	struct timespec	 now;
	sigset_t	 stop_sigs;
	const char	*main_db, *keychain_db, *listen_addr = DEFAULT_LISTEN;
	long		 ready_delay, exit_after, control_timeout;
	int		 ch, n, rv = 1;

	main_db = getenv("PITSTOP_DB_MAIN");
	keychain_db = getenv("PITSTOP_DB_KEYCHAIN");
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			main_db = optarg;
			break;
		case 'k':
			keychain_db = optarg;
			break;
		case 'l':
			listen_addr = optarg;
			break;
		case 'h':
			printf(USAGE);
			exit(0);
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (main_db == NULL || *main_db == '\0') {
		fprintf(stderr, "app-stub: no main database: give --main-db "
		    "PATH or set PITSTOP_DB_MAIN\n");
		usage();
	}
	if (keychain_db == NULL || *keychain_db == '\0') {
		fprintf(stderr, "app-stub: no keychain database: give "
		    "--keychain-db PATH or set PITSTOP_DB_KEYCHAIN\n");
		usage();
	}
	if ((ready_delay = env_ms("APP_STUB_READY_DELAY_MS")) == -1 ||
	    (exit_after = env_ms("APP_STUB_EXIT_AFTER_MS")) == -1 ||
	    (control_timeout = env_ms("APP_STUB_CONTROL_TIMEOUT_MS")) == -1) {
		fprintf(stderr, "app-stub: APP_STUB_READY_DELAY_MS, "
		    "APP_STUB_EXIT_AFTER_MS and APP_STUB_CONTROL_TIMEOUT_MS "
		    "take milliseconds\n");
		exit(2);
	}

	/*
	 * A stop asked for while we start up is held until the handlers are
	 * in place, so it still ends in a clean close of the databases.
	 */
	sigemptyset(&stop_sigs);
	sigaddset(&stop_sigs, SIGTERM);
	sigaddset(&stop_sigs, SIGINT);
	sigprocmask(SIG_BLOCK, &stop_sigs, NULL);
	/* A client that hangs up mid-reply must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	event_set_log_callback(app_event_log_cb);
	sqlite3_config(SQLITE_CONFIG_LOG, app_sqlite_log_cb, NULL);

	if ((app = calloc(1, sizeof(*app))) == NULL) {
		stub_log("out of memory");
		exit(1);
	}
	clock_gettime(CLOCK_REALTIME, &now);
	app->stub.started_sec = (long long)now.tv_sec;
	app->stub.started_ms = now.tv_nsec / 1000000;
	app->stub.control_path = getenv("PITSTOP_SOCKET");
	app->stub.control_timeout_ms = control_timeout;
	app_notify_init(app);

	/*
	 * Two priorities: routes.c adopts each new connection at priority 0,
	 * before any of its I/O (at the default 1) can run.
	 */
	if ((app->stub.base = event_base_new()) == NULL ||
	    event_base_priority_init(app->stub.base, 2) == -1) {
		stub_log("cannot create the event base");
		goto done;
	}
	if ((app->stub.store = store_open(main_db, keychain_db)) == NULL)
		goto done;
	if ((app->stub.http = evhttp_new(app->stub.base)) == NULL) {
		stub_log("evhttp_new failed");
		goto done;
	}
	evhttp_set_max_body_size(app->stub.http, MAX_BODY);
	evhttp_set_max_headers_size(app->stub.http, MAX_HEADERS);
	evhttp_set_timeout(app->stub.http, IDLE_TIMEOUT_S);
	/* Let every method reach the route table, which answers 405. */
	evhttp_set_allowed_methods(app->stub.http, EVHTTP_REQ_GET |
	    EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
	    EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	if (routes_init(&app->stub) == -1)
		goto done;

	if ((n = app_listen_fds(app)) == -1)
		goto done;
	if (n == 0 && app_bind(app, listen_addr) == -1)
		goto done;

	app->sigterm = evsignal_new(app->stub.base, SIGTERM, app_signal_cb,
	    app);
	app->sigint = evsignal_new(app->stub.base, SIGINT, app_signal_cb, app);
	app->ready_ev = evtimer_new(app->stub.base, app_ready_cb, app);
	app->crash_ev = evtimer_new(app->stub.base, app_crash_cb, app);
	app->drain_ev = evtimer_new(app->stub.base, app_drain_cb, app);
	if (app->sigterm == NULL || app->sigint == NULL ||
	    app->ready_ev == NULL || app->crash_ev == NULL ||
	    app->drain_ev == NULL ||
	    evsignal_add(app->sigterm, NULL) == -1 ||
	    evsignal_add(app->sigint, NULL) == -1) {
		stub_log("cannot set up events");
		goto done;
	}
	sigprocmask(SIG_UNBLOCK, &stop_sigs, NULL);
	if (exit_after > 0)
		app_timer(app->crash_ev, exit_after);
	if (ready_delay > 0)
		app_timer(app->ready_ev, ready_delay);
	else
		app_ready(app);

	if (event_base_dispatch(app->stub.base) == -1)
		stub_log("event_base_dispatch failed");
	else
		rv = 0;
done:
	/*
	 * Requests still waiting on pitstopd get their answer first, while
	 * evhttp still holds them; evhttp_free() then closes what is left
	 * and calls back into routes.c.
	 */
	(void)routes_stop(&app->stub);
	if (app->stub.http != NULL)
		evhttp_free(app->stub.http);
	routes_free(&app->stub);
	if (app->drain_ev != NULL)
		event_free(app->drain_ev);
	if (app->crash_ev != NULL)
		event_free(app->crash_ev);
	if (app->ready_ev != NULL)
		event_free(app->ready_ev);
	if (app->sigint != NULL)
		event_free(app->sigint);
	if (app->sigterm != NULL)
		event_free(app->sigterm);
	if (store_close(app->stub.store) == -1)
		rv = 1;
	if (app->stub.base != NULL)
		event_base_free(app->stub.base);
	libevent_global_shutdown();
	free(app->listeners);
	free(app);
	if (rv == 0)
		stub_log("stopped");
	return (rv);
}
