/*
 * pitstop: the command-line client of pitstopd's control API (SPEC §8).
 * Each row of cmds[] is one command: it becomes one HTTP/1.1 request on
 * the Unix control socket, and the answer becomes human output (or the
 * API's JSON itself with --json) and an exit code. The usage text is
 * generated from the same table.
 *
 * libevent 2.1's evhttp client cannot connect to a Unix socket, so the
 * request is written and the answer read here, on a blocking socket and
 * without a timeout: a restore may take minutes, and the daemon, not the
 * client, decides how long an operation may run.
 *
 * Exit codes are a contract (README): 0 done, 1 the daemon refused or the
 * operation failed, 2 usage error, 3 pitstopd not reachable.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "json.h"
#include "util.h"
#include "xmalloc.h"

#ifndef PITSTOP_VERSION
#define PITSTOP_VERSION	"0.1.0"
#endif

#define EXIT_DONE		0
#define EXIT_FAILED		1
#define EXIT_USAGE		2
#define EXIT_UNREACHABLE	3

#define DEFAULT_CONFIG	"pitstop.ini"
/* Generous limits: they only guard against a runaway peer. */
#define HTTP_HEAD_MAX	(64 * 1024)
#define HTTP_BODY_MAX	(256 * 1024 * 1024)

enum cmd_arg { ARG_NONE, ARG_OPTIONAL, ARG_REQUIRED };

struct cmd {
	const char	*name;
	const char	*method;
	const char	*path;
	enum cmd_arg	 arg;
	const char	*argname;	/* placeholder in the usage text */
	const char	*argkey;	/* JSON body member carrying it */
	const char	*help;
	void		(*print)(const struct json_value *);
};

struct http_response {
	int		 status;
	char		*reason;
	int		 chunked;
	long long	 length;	/* Content-Length, or -1 */
	size_t		 head;		/* bytes of status line and headers */
	char		*body;		/* NUL-terminated */
	size_t		 bodylen;
};

static void	print_status(const struct json_value *);
static void	print_start(const struct json_value *);
static void	print_stop(const struct json_value *);
static void	print_restart(const struct json_value *);
static void	print_backups(const struct json_value *);
static void	print_envs(const struct json_value *);
static void	print_env_switch(const struct json_value *);
static void	print_generic(const struct json_value *);

/*
 * A command name may have several rows that differ in their argument:
 * "env" lists without one and switches with one. The first row whose
 * name and argument both fit is used.
 */
static const struct cmd cmds[] = {
	{ "status", "GET", "/v1/status", ARG_NONE, NULL, NULL,
	  "show the app's state and the running operation", print_status },
	{ "start", "POST", "/v1/start", ARG_NONE, NULL, NULL,
	  "start a stopped or failed app", print_start },
	{ "stop", "POST", "/v1/stop", ARG_NONE, NULL, NULL,
	  "stop the app; it stays stopped", print_stop },
	{ "restart", "POST", "/v1/restart", ARG_NONE, NULL, NULL,
	  "stop and start the app: a fresh process", print_restart },
	{ "backup", "POST", "/v1/backup", ARG_NONE, NULL, NULL,
	  "take a backup of the databases now", print_generic },
	{ "backups", "GET", "/v1/backups", ARG_NONE, NULL, NULL,
	  "list the active environment's backups, newest first",
	  print_backups },
	{ "restore", "POST", "/v1/restore", ARG_OPTIONAL, "ID", "id",
	  "restore backup ID (default: the newest)", print_generic },
	{ "env", "GET", "/v1/env", ARG_NONE, NULL, NULL,
	  "list the environments, * marks the active one", print_envs },
	{ "env", "POST", "/v1/env", ARG_REQUIRED, "NAME", "name",
	  "switch to environment NAME: stop, apply, start",
	  print_env_switch },
};
#define NCMDS	(sizeof cmds / sizeof cmds[0])

/*
 * What to suggest when connect() fails, by errno. The message itself
 * always carries strerror(); the hint says what to look at.
 */
static const struct {
	int		 error;
	const char	*hint;
} connect_hints[] = {
	{ EACCES, "its [supervisor] socket_mode and socket_group decide "
	    "who may connect" },
	{ EPERM, "its [supervisor] socket_mode and socket_group decide "
	    "who may connect" },
	{ ENAMETOOLONG, "a socket path holds at most 107 bytes; use a "
	    "shorter or relative one" },
	{ 0, "is pitstopd running, and is this its socket? Name it with "
	    "-s SOCKET, -c CONFIG or $PITSTOP_SOCKET" },
};

static int	 json_output;

static void __attribute__((format(printf, 1, 2)))
cli_warnx(const char *fmt, ...)
{
	va_list	ap;

	fflush(stdout);
	fputs("pitstop: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
usage(FILE *f)
{
	char	 words[64];
	size_t	 i;

	fprintf(f, "usage: pitstop [-s SOCKET | -c CONFIG] [--json] "
	    "COMMAND [ARG]\n\ncommands:\n");
	for (i = 0; i < NCMDS; i++) {
		if (cmds[i].arg == ARG_NONE)
			snprintf(words, sizeof words, "%s", cmds[i].name);
		else
			snprintf(words, sizeof words,
			    cmds[i].arg == ARG_OPTIONAL ? "%s [%s]" : "%s %s",
			    cmds[i].name, cmds[i].argname);
		fprintf(f, "  %-16s%s\n", words, cmds[i].help);
	}
	fprintf(f, "\noptions:\n"
	    "  -s, --socket SOCKET  pitstopd's control socket\n"
	    "  -c, --config CONFIG  use the [supervisor] socket of CONFIG\n"
	    "      --json           print the API's JSON answer\n"
	    "  -h, --help           print this help\n"
	    "      --version        print the version\n"
	    "\nWithout -s or -c, the socket of ./" DEFAULT_CONFIG " is used "
	    "if that file exists,\nelse $PITSTOP_SOCKET.\n"
	    "\nexit status: 0 done, 1 refused or failed, 2 usage error,\n"
	    "             3 pitstopd not reachable\n");
}

static int __attribute__((format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list	ap;

	fputs("pitstop: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'pitstop --help'.\n", stderr);
	return (EXIT_USAGE);
}

/*
 * The row for `name` with `arg` (NULL when none was given), or NULL with
 * *known set when the name exists but not with that argument.
 */
static const struct cmd *
cmd_find(const char *name, const char *arg, int *known)
{
	size_t	 i;

	*known = 0;
	for (i = 0; i < NCMDS; i++) {
		if (strcmp(cmds[i].name, name) != 0)
			continue;
		*known = 1;
		if (arg == NULL ? cmds[i].arg != ARG_REQUIRED :
		    cmds[i].arg != ARG_NONE)
			return (&cmds[i]);
	}
	return (NULL);
}

/* Human output. */

static void __attribute__((format(printf, 2, 3)))
print_kv(const char *key, const char *fmt, ...)
{
	va_list	ap;

	printf("%-10s ", key);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* "850ms", "40s", "3m12s", "2h05m", "3d4h": short, and exact enough. */
static const char *
fmt_duration(double ms, char *buf, size_t size)
{
	long long	 s;

	if (ms < 0)
		ms = 0;
	if (ms < 1000) {
		snprintf(buf, size, "%.0fms", ms);
		return (buf);
	}
	s = (long long)(ms / 1000);
	if (s < 60)
		snprintf(buf, size, "%llds", s);
	else if (s < 3600)
		snprintf(buf, size, "%lldm%02llds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, size, "%lldh%02lldm", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, size, "%lldd%lldh", s / 86400, s % 86400 / 3600);
	return (buf);
}

/* Integers as integers, anything else with one decimal. */
static const char *
fmt_number(double d, char *buf, size_t size)
{
	if (d > -1e15 && d < 1e15 && d == (double)(long long)d)
		snprintf(buf, size, "%.0f", d);
	else
		snprintf(buf, size, "%.1f", d);
	return (buf);
}

/* A scalar as text; NULL for objects and arrays. */
static const char *
fmt_scalar(const struct json_value *v, char *buf, size_t size)
{
	switch (v->type) {
	case JSON_NULL:
		return ("-");
	case JSON_BOOL:
		return (v->boolean ? "yes" : "no");
	case JSON_NUMBER:
		return (fmt_number(v->number, buf, size));
	case JSON_STRING:
		return (v->string);
	default:
		return (NULL);
	}
}

static void
print_status(const struct json_value *v)
{
	const struct json_value	*o;
	const char		*s;
	char			 b1[32], b2[32];
	double			 d, pid;

	s = json_get_str(v, "state");
	if (json_get_num(v, "pid", &pid) == -1)
		print_kv("app", "%s", s != NULL ? s : "unknown");
	else if (json_get_num(v, "uptime_ms", &d) == -1)
		print_kv("app", "%s (pid %.0f)", s != NULL ? s : "unknown",
		    pid);
	else
		print_kv("app", "%s (pid %.0f, up %s)",
		    s != NULL ? s : "unknown", pid,
		    fmt_duration(d, b1, sizeof b1));
	if (json_get_num(v, "restarts", &d) == 0)
		print_kv("restarts", "%.0f", d);
	if ((o = json_get(v, "last_exit")) != NULL &&
	    o->type == JSON_OBJECT) {
		if ((s = json_get_str(o, "signal")) != NULL)
			snprintf(b1, sizeof b1, "signal %s", s);
		else if (json_get_num(o, "code", &d) == 0)
			snprintf(b1, sizeof b1, "code %.0f", d);
		else
			snprintf(b1, sizeof b1, "unknown");
		if (json_get_num(o, "ago_ms", &d) == 0)
			print_kv("last exit", "%s, %s ago", b1,
			    fmt_duration(d, b2, sizeof b2));
		else
			print_kv("last exit", "%s", b1);
	}
	if ((s = json_get_str(v, "status_text")) != NULL)
		print_kv("ready", "%s", s);
	if ((s = json_get_str(v, "env")) != NULL)
		print_kv("env", "%s", s);
	if ((o = json_get(v, "operation")) != NULL &&
	    o->type == JSON_OBJECT) {
		s = json_get_str(o, "name");
		if (json_get_num(o, "progress", &d) == 0)
			print_kv("operation", "%s %.0f%%",
			    s != NULL ? s : "unknown", d * 100);
		else
			print_kv("operation", "%s", s != NULL ? s : "unknown");
	}
	if ((o = json_get(v, "last_operation")) != NULL &&
	    o->type == JSON_OBJECT) {
		s = json_get_str(o, "message");
		print_kv("last op", "%s %s%s%s",
		    json_get_str(o, "name") ? json_get_str(o, "name") : "?",
		    json_get_str(o, "result") ? json_get_str(o, "result") : "?",
		    s != NULL ? ": " : "", s != NULL ? s : "");
	}
	if ((o = json_get(v, "pitstopd")) != NULL && o->type == JSON_OBJECT) {
		s = json_get_str(o, "version");
		if (json_get_num(o, "pid", &d) == 0)
			print_kv("pitstopd", "pid %.0f, version %s", d,
			    s != NULL ? s : "unknown");
	}
}

static void
print_start(const struct json_value *v)
{
	double	 pid;

	if (json_get_num(v, "pid", &pid) == 0)
		printf("started (pid %.0f)\n", pid);
	else
		printf("started\n");
}

static void
print_stop(const struct json_value *v)
{
	(void)v;
	printf("stopped\n");
}

static void
print_restart(const struct json_value *v)
{
	char	 buf[32];
	double	 pid, ms;

	if (json_get_num(v, "pid", &pid) == -1)
		printf("restarted\n");
	else if (json_get_num(v, "downtime_ms", &ms) == -1)
		printf("restarted (pid %.0f)\n", pid);
	else
		printf("restarted (pid %.0f, downtime %s ms)\n", pid,
		    fmt_number(ms, buf, sizeof buf));
}

static void
print_envs(const struct json_value *v)
{
	const struct json_value	*a;
	const char		*active;
	size_t			 i;

	active = json_get_str(v, "active");
	if ((a = json_get(v, "environments")) == NULL ||
	    a->type != JSON_ARRAY) {
		if (active != NULL)
			printf("* %s\n", active);
		return;
	}
	for (i = 0; i < a->n; i++) {
		if (a->items[i]->type != JSON_STRING)
			continue;
		printf("%s %s\n", active != NULL &&
		    strcmp(active, a->items[i]->string) == 0 ? "*" : " ",
		    a->items[i]->string);
	}
}

static void
print_env_switch(const struct json_value *v)
{
	const char	*active;

	if ((active = json_get_str(v, "active")) != NULL)
		printf("switched to environment %s\n", active);
	else
		printf("switched\n");
}

struct kv_lines {
	char	**keys;
	char	**values;
	size_t	  n;
};

static void
kv_add(struct kv_lines *l, const char *key, const char *value)
{
	l->keys = xreallocarray(l->keys, l->n + 1, sizeof *l->keys);
	l->values = xreallocarray(l->values, l->n + 1, sizeof *l->values);
	l->keys[l->n] = xstrdup(key);
	l->values[l->n] = xstrdup(value);
	l->n++;
}

/* Flatten nested members into "a.b" and "a[0]" keys with scalar values. */
static void
kv_collect(struct kv_lines *l, const char *prefix, const struct json_value *v)
{
	char	 buf[64], *key;
	size_t	 i;

	if (v->type == JSON_OBJECT || v->type == JSON_ARRAY) {
		if (v->n == 0 && *prefix != '\0')
			kv_add(l, prefix, "-");
		for (i = 0; i < v->n; i++) {
			if (v->type == JSON_ARRAY)
				xasprintf(&key, "%s[%zu]", prefix, i);
			else
				xasprintf(&key, "%s%s%s", prefix,
				    *prefix != '\0' ? "." : "", v->keys[i]);
			kv_collect(l, key, v->items[i]);
			free(key);
		}
		return;
	}
	kv_add(l, prefix, fmt_scalar(v, buf, sizeof buf));
}

/*
 * Answers without a printer of their own: the message when there is one,
 * else aligned "key  value" lines.
 */
static void
print_generic(const struct json_value *v)
{
	struct kv_lines	 l = { NULL, NULL, 0 };
	const char	*msg;
	size_t		 i, w = 0;

	if (v == NULL)
		return;
	if ((msg = json_get_str(v, "message")) != NULL) {
		printf("%s\n", msg);
		return;
	}
	kv_collect(&l, "", v);
	for (i = 0; i < l.n; i++)
		if (strlen(l.keys[i]) > w)
			w = strlen(l.keys[i]);
	for (i = 0; i < l.n; i++) {
		if (*l.keys[i] == '\0')
			printf("%s\n", l.values[i]);
		else
			printf("%-*s  %s\n", (int)w, l.keys[i], l.values[i]);
		free(l.keys[i]);
		free(l.values[i]);
	}
	free(l.keys);
	free(l.values);
}

/*
 * A table whose columns are the scalar members of the first row, in its
 * order. Nested members (per-file details) are left to --json.
 */
/* 1536 -> "1.5 KiB"; bytes below 1 KiB as they are. */
static const char *
fmt_size(double bytes, char *buf, size_t size)
{
	static const char	*units[] = { "KiB", "MiB", "GiB", "TiB" };
	int			 u = -1;

	while (bytes >= 1024 && u < 3) {
		bytes /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, size, "%.0f B", bytes);
	else
		snprintf(buf, size, "%.1f %s", bytes, units[u]);
	return (buf);
}

/* "2026-11-28T09:35:02Z" -> "3m ago" (or the text itself if unparsable). */
static const char *
fmt_age(const char *iso, char *buf, size_t size)
{
	struct tm	tm;
	time_t		then, now = time(NULL);
	char		d[32];

	memset(&tm, 0, sizeof tm);
	if (iso == NULL || strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm) == NULL)
		return (iso != NULL ? iso : "-");
	then = timegm(&tm);
	if (difftime(now, then) < 1)
		return ("just now");
	fmt_duration(difftime(now, then) * 1000, d, sizeof d);
	snprintf(buf, size, "%s ago", d);
	return (buf);
}

/* One column of `pitstop backups`: a header and how to show a row. */
struct backup_col {
	const char	*header;
	const char	*(*show)(const struct json_value *, char *, size_t);
};

static const char *
col_id(const struct json_value *g, char *buf, size_t n)
{
	return (json_get_str(g, "id"));
}

static const char *
col_kind(const struct json_value *g, char *buf, size_t n)
{
	return (json_get_str(g, "kind"));
}

static const char *
col_age(const struct json_value *g, char *buf, size_t n)
{
	return (fmt_age(json_get_str(g, "created"), buf, n));
}

static const char *
col_size(const struct json_value *g, char *buf, size_t n)
{
	double	v;

	return (json_get_num(g, "bytes", &v) == 0 ? fmt_size(v, buf, n) : NULL);
}

static const char *
col_records(const struct json_value *g, char *buf, size_t n)
{
	double	v;

	return (json_get_num(g, "records", &v) == 0 ?
	    fmt_number(v, buf, n) : NULL);
}

static const struct backup_col backup_cols[] = {
	{ "ID",		col_id },
	{ "KIND",	col_kind },
	{ "AGE",	col_age },
	{ "SIZE",	col_size },
	{ "RECORDS",	col_records },
};
#define NBACKUP_COLS	(sizeof backup_cols / sizeof backup_cols[0])

/* The generations as a table, newest first, with human sizes and ages. */
static void
print_backups(const struct json_value *v)
{
	char		 cells[NBACKUP_COLS][64];
	const char	*s;
	size_t		 w[NBACKUP_COLS], i, r;

	if (v == NULL || v->type != JSON_ARRAY) {
		print_generic(v);
		return;
	}
	if (v->n == 0) {
		printf("no backups\n");
		return;
	}
	for (i = 0; i < NBACKUP_COLS; i++)
		w[i] = strlen(backup_cols[i].header);
	for (r = 0; r < v->n; r++)
		for (i = 0; i < NBACKUP_COLS; i++) {
			s = backup_cols[i].show(v->items[r], cells[i], 64);
			if (s != NULL && strlen(s) > w[i])
				w[i] = strlen(s);
		}
	/* Row 0 is the header; no padding after the last column. */
	for (r = 0; r <= v->n; r++) {
		for (i = 0; i < NBACKUP_COLS; i++) {
			s = r == 0 ? backup_cols[i].header :
			    backup_cols[i].show(v->items[r - 1], cells[i], 64);
			printf("%s%-*s", i == 0 ? "" : "  ",
			    i == NBACKUP_COLS - 1 ? 0 : (int)w[i],
			    s != NULL ? s : "-");
		}
		putchar('\n');
	}
}

/* HTTP over the Unix socket. */

/*
 * Connect to `path`. Returns the socket, or -1 with errno set. An
 * interrupted connect() goes on in the background, so wait for it rather
 * than calling connect() again.
 */
static int
http_connect(const char *path)
{
	struct sockaddr_un	 sun;
	struct pollfd		 pfd;
	socklen_t		 len;
	int			 fd, error, saved_errno;

	if (sun_set(&sun, path) == -1)
		return (-1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0)
		return (fd);
	if (errno != EINTR)
		goto fail;
	pfd.fd = fd;
	pfd.events = POLLOUT;
	while (poll(&pfd, 1, -1) == -1)
		if (errno != EINTR)
			goto fail;
	len = sizeof error;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) == -1)
		goto fail;
	if (error != 0) {
		errno = error;
		goto fail;
	}
	return (fd);
fail:
	saved_errno = errno;
	close(fd);
	errno = saved_errno;
	return (-1);
}

/* Build the request for `c`; the argument, if any, goes in a JSON body. */
static char *
http_request(const struct cmd *c, const char *arg, size_t *len)
{
	struct json	*j = NULL;
	char		*req, *length = NULL;
	const char	*body = "";

	if (arg != NULL) {
		j = json_new();
		json_obj_open(j, NULL);
		json_str(j, c->argkey, arg);
		json_obj_close(j);
		body = json_text(j);
	}
	/* evhttp wants a length on every request that may carry a body. */
	if (strcmp(c->method, "GET") != 0)
		xasprintf(&length, "%sContent-Length: %zu\r\n",
		    arg != NULL ? "Content-Type: application/json\r\n" : "",
		    strlen(body));
	*len = (size_t)xasprintf(&req, "%s %s HTTP/1.1\r\n"
	    "Host: localhost\r\n"
	    "User-Agent: pitstop/" PITSTOP_VERSION "\r\n"
	    "Accept: application/json\r\n"
	    "Connection: close\r\n"
	    "%s\r\n%s", c->method, c->path, length != NULL ? length : "",
	    body);
	free(length);
	json_free(j);
	return (req);
}

static int
http_send(int fd, const char *buf, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		/* MSG_NOSIGNAL: a vanished daemon is an error, not SIGPIPE. */
		if ((n = send(fd, buf, len, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		buf += n;
		len -= (size_t)n;
	}
	return (0);
}

/*
 * The line starting at p: returns its end (before any "\r\n" or "\n") and
 * sets *next past the newline, or returns NULL when no newline is there.
 */
static const char *
http_line(const char *p, const char *end, const char **next)
{
	const char	*nl;

	if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
		return (NULL);
	*next = nl + 1;
	if (nl > p && nl[-1] == '\r')
		nl--;
	return (nl);
}

/* Does header line [p, e) have name `name`? Then *value is its value. */
static int
http_header_is(const char *p, const char *e, const char *name,
    const char **value)
{
	size_t	 n = strlen(name);

	if ((size_t)(e - p) <= n || p[n] != ':' || strncasecmp(p, name, n))
		return (0);
	for (p += n + 1; p < e && (*p == ' ' || *p == '\t'); p++)
		;
	*value = p;
	return (1);
}

/* The value [p, e) without trailing blanks, as an allocated string. */
static char *
http_value(const char *p, const char *e)
{
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	return (xstrndup(p, (size_t)(e - p)));
}

static int
http_content_length(const char *s, long long *length, const char **why)
{
	long long	 n = 0;

	if (*s == '\0') {
		*why = "bad Content-Length";
		return (-1);
	}
	for (; *s != '\0'; s++) {
		if (!isdigit((unsigned char)*s)) {
			*why = "bad Content-Length";
			return (-1);
		}
		n = n * 10 + (*s - '0');
		if (n > HTTP_BODY_MAX) {
			*why = "answer too large";
			return (-1);
		}
	}
	/* Two different lengths make the framing ambiguous: refuse. */
	if (*length != -1 && *length != n) {
		*why = "conflicting Content-Length headers";
		return (-1);
	}
	*length = n;
	return (0);
}

/*
 * The last transfer coding must be chunked; anything else (gzip) is not
 * something we asked for and cannot decode.
 */
static int
http_transfer_encoding(const char *s, int *chunked, const char **why)
{
	const char	*last;

	last = strrchr(s, ',') != NULL ? strrchr(s, ',') + 1 : s;
	while (*last == ' ' || *last == '\t')
		last++;
	if (strcasecmp(last, "chunked") != 0) {
		*why = "unsupported Transfer-Encoding";
		return (-1);
	}
	*chunked = 1;
	return (0);
}

/*
 * Parse the status line and headers at the start of buf. Returns 1 once
 * they are complete (r->head is their length), 0 when more bytes are
 * needed, -1 on a malformed answer with *why set.
 */
static int
http_parse_head(const char *buf, size_t len, struct http_response *r,
    const char **why)
{
	const char	*p = buf, *end = buf + len, *e, *next, *value;
	char		*s;
	int		 rv;

	/* Only parse once the blank line ending the head has arrived. */
	while ((e = http_line(p, end, &next)) != NULL && e != p)
		p = next;
	if (e == NULL) {
		if (len > HTTP_HEAD_MAX) {
			*why = "answer headers too long";
			return (-1);
		}
		return (0);
	}
	r->head = (size_t)(next - buf);
	r->length = -1;
	r->chunked = 0;

	p = buf;
	e = http_line(p, end, &next);
	if (e - p < 12 || strncmp(p, "HTTP/1.", 7) != 0 ||
	    !isdigit((unsigned char)p[7]) || p[8] != ' ' ||
	    !isdigit((unsigned char)p[9]) || !isdigit((unsigned char)p[10]) ||
	    !isdigit((unsigned char)p[11]) || (e - p > 12 && p[12] != ' ')) {
		*why = "not an HTTP/1.x status line";
		return (-1);
	}
	r->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	free(r->reason);
	r->reason = xstrndup(p + 13 > e ? e : p + 13,
	    p + 13 > e ? 0 : (size_t)(e - p - 13));

	for (p = next; (e = http_line(p, end, &next)) != p; p = next) {
		if (*p == ' ' || *p == '\t' ||
		    memchr(p, ':', (size_t)(e - p)) == NULL) {
			*why = "malformed header line";
			return (-1);
		}
		rv = 0;
		if (http_header_is(p, e, "Content-Length", &value)) {
			s = http_value(value, e);
			rv = http_content_length(s, &r->length, why);
			free(s);
		} else if (http_header_is(p, e, "Transfer-Encoding", &value)) {
			s = http_value(value, e);
			rv = http_transfer_encoding(s, &r->chunked, why);
			free(s);
		}
		if (rv == -1)
			return (-1);
	}
	return (1);
}

/*
 * Decode a chunked body. Returns 1 with r->body set once the last chunk
 * and the trailers are in, 0 when more bytes are needed, -1 when the
 * framing is wrong.
 */
static int
http_dechunk(const char *buf, size_t len, struct http_response *r,
    const char **why)
{
	const char	*p = buf, *end = buf + len, *e, *next;
	char		*out;
	size_t		 outlen = 0, size;
	int		 digit;

	out = xmalloc(len + 1);
	for (;;) {
		if ((e = http_line(p, end, &next)) == NULL)
			goto more;
		if (p == e || !isxdigit((unsigned char)*p))
			goto bad;
		for (size = 0; p < e && isxdigit((unsigned char)*p); p++) {
			digit = isdigit((unsigned char)*p) ? *p - '0' :
			    tolower((unsigned char)*p) - 'a' + 10;
			size = size * 16 + (size_t)digit;
			if (size > HTTP_BODY_MAX) {
				*why = "answer too large";
				goto fail;
			}
		}
		/* Chunk extensions (";name=value") carry nothing for us. */
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		if (p < e && *p != ';')
			goto bad;
		p = next;
		if (size == 0)
			break;
		if ((size_t)(end - p) < size)
			goto more;
		memcpy(out + outlen, p, size);
		outlen += size;
		p += size;
		if (p < end && *p == '\r')
			p++;
		if (p >= end)
			goto more;
		if (*p++ != '\n')
			goto bad;
	}
	/* Trailer fields, up to the blank line that ends the message. */
	while ((e = http_line(p, end, &next)) != NULL && e != p)
		p = next;
	if (e == NULL)
		goto more;
	out[outlen] = '\0';
	free(r->body);
	r->body = out;
	r->bodylen = outlen;
	return (1);
more:
	free(out);
	return (0);
bad:
	*why = "malformed chunked encoding";
fail:
	free(out);
	return (-1);
}

/*
 * Is the body after the head complete? Returns 1 with r->body set, 0 when
 * more is needed, -1 on a framing error. With neither a length nor
 * chunking the body runs to the end of the connection.
 */
static int
http_parse_body(const char *buf, size_t len, int eof,
    struct http_response *r, const char **why)
{
	if (r->status == 204 || r->status == 304)
		len = 0;
	else if (r->chunked)
		return (http_dechunk(buf, len, r, why));
	else if (r->length != -1) {
		if (len < (size_t)r->length)
			return (0);
		len = (size_t)r->length;
	} else if (!eof)
		return (0);
	free(r->body);
	r->body = xstrndup(buf, len);
	r->bodylen = len;
	return (1);
}

/*
 * Progress on a terminal: while a long request is pending, a second
 * connection asks GET /v1/status every 200 ms, and once the operation has
 * run for a second a bar is drawn on stderr. Never on a pipe or file, and
 * never with --json.
 */
#define PROGRESS_POLL_MS	200
#define PROGRESS_AFTER_MS	1000
#define PROGRESS_WIDTH		30

static const char	*progress_sock;	/* NULL: no progress bar */
static struct timespec	 progress_start;
static int		 progress_drawn;

static int	http_read(int, struct http_response *, const char **);
static void	http_response_free(struct http_response *);

static long
elapsed_ms(const struct timespec *since)
{
	struct timespec	now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return ((now.tv_sec - since->tv_sec) * 1000 +
	    (now.tv_nsec - since->tv_nsec) / 1000000);
}

/* Ask for the running operation's progress; -1 when there is none. */
static double
progress_query(const char **name)
{
	static const char	 req[] = "GET /v1/status HTTP/1.1\r\n"
	    "Host: localhost\r\nConnection: close\r\n\r\n";
	static char		 opname[32];
	struct http_response	 r;
	struct json_value	*v = NULL;
	const struct json_value	*op;
	const char		*why, *sock = progress_sock;
	double			 p = -1;
	int			 fd;

	progress_sock = NULL;	/* no progress bar for this request */
	memset(&r, 0, sizeof r);
	if ((fd = http_connect(sock)) != -1 &&
	    http_send(fd, req, sizeof req - 1) == 0 &&
	    http_read(fd, &r, &why) == 0 &&
	    (v = json_parse(r.body, r.bodylen, &why)) != NULL &&
	    (op = json_get(v, "operation")) != NULL &&
	    json_get_num(op, "progress", &p) == 0 &&
	    json_get_str(op, "name") != NULL) {
		snprintf(opname, sizeof opname, "%s", json_get_str(op, "name"));
		*name = opname;
	}
	json_value_free(v);
	http_response_free(&r);
	if (fd != -1)
		close(fd);
	progress_sock = sock;
	return (p);
}

static void
progress_tick(void)
{
	const char	*name = "";
	double		 p;
	int		 i, fill;

	if (elapsed_ms(&progress_start) < PROGRESS_AFTER_MS)
		return;
	if ((p = progress_query(&name)) < 0)
		return;
	if (p > 1)
		p = 1;
	fill = (int)(p * PROGRESS_WIDTH);
	fputs("\r[", stderr);
	for (i = 0; i < PROGRESS_WIDTH; i++)
		fputc(i < fill ? '#' : ' ', stderr);
	fprintf(stderr, "] %3d%% %s ", (int)(p * 100), name);
	fflush(stderr);
	progress_drawn = 1;
}

static void
progress_end(void)
{
	if (progress_drawn)
		fprintf(stderr, "\r%*s\r", PROGRESS_WIDTH + 24, "");
	progress_drawn = 0;
}

/* Wait until fd is readable, drawing progress meanwhile. */
static void
progress_wait(int fd)
{
	struct pollfd	pfd = { fd, POLLIN, 0 };

	if (progress_sock == NULL)
		return;
	while (poll(&pfd, 1, PROGRESS_POLL_MS) == 0)
		progress_tick();
}

/*
 * Read one answer from fd into r. Returns 0, or -1 with *why set (a
 * malformed answer) or with *why NULL and errno set (a read error).
 * Interim 1xx answers are skipped.
 */
static int
http_read(int fd, struct http_response *r, const char **why)
{
	char	*buf;
	size_t	 len = 0, size, off = 0;
	ssize_t	 n;
	int	 eof = 0, headed = 0, rv;

	*why = NULL;
	size = 65536;
	buf = xmalloc(size);
	for (;;) {
		while (!headed && (rv = http_parse_head(buf + off, len - off,
		    r, why)) != 0) {
			if (rv == -1)
				goto fail;
			if (r->status >= 100 && r->status < 200)
				off += r->head;
			else
				headed = 1;
		}
		if (headed) {
			rv = http_parse_body(buf + off + r->head,
			    len - off - r->head, eof, r, why);
			if (rv == -1)
				goto fail;
			if (rv == 1)
				break;
		}
		if (eof) {
			*why = len == 0 ? "pitstopd closed the connection "
			    "without answering" : "truncated answer";
			goto fail;
		}
		if (len - off > (size_t)HTTP_HEAD_MAX + HTTP_BODY_MAX) {
			*why = "answer too large";
			goto fail;
		}
		if (size - len < 16384) {
			size *= 2;
			buf = xreallocarray(buf, size, 1);
		}
		progress_wait(fd);
		if ((n = read(fd, buf + len, size - len - 1)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (n == 0)
			eof = 1;
		len += (size_t)n;
		buf[len] = '\0';
	}
	free(buf);
	return (0);
fail:
	rv = errno;
	free(buf);
	errno = rv;
	return (-1);
}

static void
http_response_free(struct http_response *r)
{
	free(r->reason);
	free(r->body);
}

/*
 * The socket to use: -s, else [supervisor] socket of -c CONFIG or of
 * ./pitstop.ini when that exists, else $PITSTOP_SOCKET. Returns an
 * allocated path, or NULL after printing why (a usage error).
 */
static char *
find_socket(const char *sock, const char *cfgpath)
{
	struct config	*cf;
	const char	*env;
	char		*err = NULL, *path;

	if (sock != NULL)
		return (xstrdup(sock));
	if (cfgpath == NULL && access(DEFAULT_CONFIG, F_OK) == 0)
		cfgpath = DEFAULT_CONFIG;
	if (cfgpath != NULL) {
		if ((cf = config_load(cfgpath, NULL, &err)) == NULL) {
			cli_warnx("%s", err != NULL ? err : cfgpath);
			free(err);
			return (NULL);
		}
		path = xstrdup(cf->socket);
		config_free(cf);
		return (path);
	}
	if ((env = getenv("PITSTOP_SOCKET")) != NULL && *env != '\0')
		return (xstrdup(env));
	usage_error("no socket: give -s SOCKET or -c CONFIG, or set "
	    "PITSTOP_SOCKET");
	return (NULL);
}

/*
 * Send the request for `c` to `sock` and report the answer. Returns the
 * exit code.
 */
static int
run(const struct cmd *c, const char *arg, const char *sock)
{
	struct http_response	 r;
	struct json_value	*v = NULL;
	const char		*why, *msg;
	char			*req;
	size_t			 i, len;
	int			 fd, rv, code = EXIT_FAILED;

	memset(&r, 0, sizeof r);
	if ((fd = http_connect(sock)) == -1) {
		cli_warnx("cannot reach pitstopd at %s: %s", sock,
		    strerror(errno));
		for (i = 0; connect_hints[i].error != 0 &&
		    connect_hints[i].error != errno; i++)
			;
		cli_warnx("%s", connect_hints[i].hint);
		return (EXIT_UNREACHABLE);
	}
	req = http_request(c, arg, &len);
	/* A request not fully sent was not carried out: unreachable. */
	if (http_send(fd, req, len) == -1) {
		cli_warnx("cannot reach pitstopd at %s: %s", sock,
		    strerror(errno));
		free(req);
		close(fd);
		return (EXIT_UNREACHABLE);
	}
	free(req);
	if (!json_output && isatty(STDERR_FILENO)) {
		progress_sock = sock;
		clock_gettime(CLOCK_MONOTONIC, &progress_start);
	}
	rv = http_read(fd, &r, &why);
	progress_end();
	progress_sock = NULL;
	if (rv == -1) {
		if (why != NULL)
			cli_warnx("bad answer from pitstopd: %s", why);
		else
			cli_warnx("lost the connection to pitstopd: %s",
			    strerror(errno));
		goto done;
	}

	if (json_output && (r.bodylen > 0 || r.status / 100 == 2)) {
		fwrite(r.body, 1, r.bodylen, stdout);
		if (r.bodylen == 0 || r.body[r.bodylen - 1] != '\n')
			putchar('\n');
	}
	if (r.bodylen > 0)
		v = json_parse(r.body, r.bodylen, &why);
	if (r.status / 100 != 2) {
		if ((msg = json_get_str(v, "message")) != NULL)
			cli_warnx("%s", msg);
		else
			cli_warnx("pitstopd answered %d %s", r.status,
			    r.reason);
		goto done;
	}
	if (!json_output) {
		if (r.bodylen > 0 && v == NULL) {
			cli_warnx("bad answer from pitstopd: %s", why);
			goto done;
		}
		c->print(v);
	}
	code = EXIT_DONE;
done:
	json_value_free(v);
	http_response_free(&r);
	close(fd);
	return (code);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "socket",	required_argument,	NULL,	's' },
		{ "config",	required_argument,	NULL,	'c' },
		{ "json",	no_argument,		NULL,	'j' },
		{ "help",	no_argument,		NULL,	'h' },
		{ "version",	no_argument,		NULL,	'V' },
		{ NULL,		0,			NULL,	0 }
	};
	const struct cmd	*c;
	const char		*sockopt = NULL, *cfgpath = NULL, *arg;
	char			*sock;
	int			 ch, known, code;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":s:c:h", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 's':
			sockopt = optarg;
			break;
		case 'c':
			cfgpath = optarg;
			break;
		case 'j':
			json_output = 1;
			break;
		case 'h':
			usage(stdout);
			return (fflush(stdout) == 0 ? EXIT_DONE : EXIT_FAILED);
		case 'V':
			printf("pitstop %s\n", PITSTOP_VERSION);
			return (fflush(stdout) == 0 ? EXIT_DONE : EXIT_FAILED);
		case ':':
			return (usage_error("option %s needs an argument",
			    argv[optind - 1]));
		default:
			if (optopt != 0)
				return (usage_error("unknown option -%c",
				    optopt));
			return (usage_error("unknown option %s",
			    argv[optind - 1]));
		}
	}
	argc -= optind;
	argv += optind;

	if (sockopt != NULL && cfgpath != NULL)
		return (usage_error("-s and -c exclude each other"));
	if (argc == 0)
		return (usage_error("no command given"));
	if (argc > 2)
		return (usage_error("%s: too many arguments", argv[0]));
	arg = argc == 2 ? argv[1] : NULL;
	if ((c = cmd_find(argv[0], arg, &known)) == NULL) {
		if (!known)
			return (usage_error("unknown command %s", argv[0]));
		return (usage_error(arg != NULL ? "%s takes no argument" :
		    "%s needs an argument", argv[0]));
	}
	if ((sock = find_socket(sockopt, cfgpath)) == NULL)
		return (EXIT_USAGE);
	code = run(c, arg, sock);
	free(sock);
	if (fflush(stdout) != 0) {
		cli_warnx("stdout: %s", strerror(errno));
		if (code == EXIT_DONE)
			code = EXIT_FAILED;
	}
	return (code);
}
