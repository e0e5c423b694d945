/*
 * config: turns pitstop.ini into a struct config (SPEC §3). Loading runs in
 * three passes. Reading feeds the file through inih with our own line
 * reader, so that every key, section header and syntax error is known with
 * its line number. Checking rejects unknown sections and keys, duplicates
 * and malformed [env.NAME] overrides once. Building applies the keys of the
 * plain sections, then the overrides of one environment, onto defaults,
 * and validates each value; it runs for every environment so that a bad
 * override is found whichever environment is chosen. All errors are
 * collected and returned as one message, one line each. Nothing here
 * starts, opens or creates what the configuration describes: that is left
 * to the modules that use it; only the socket group is looked up.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ini.h>

#include "config.h"
#include "parse.h"
#include "xmalloc.h"

#define SUN_PATH_MAX	(sizeof(((struct sockaddr_un *)0)->sun_path) - 1)
#define SECTIONS	"supervisor, app, environment, databases, backup, " \
			"watch, env.NAME"
#define OVERRIDABLE	"app, environment, databases, backup, watch"

struct entry {
	char			*section;	/* between the brackets */
	char			*key;
	char			*value;
	int			 line;
	int			 bad;		/* reported: never applied */
	const struct keydef	*def;		/* set by check_entries() */
	const char		*subkey;	/* key within def's section */
};

struct header {
	char	*name;
	int	 line;
};

struct error {
	int	 line;		/* 0: about the file as a whole */
	int	 seq;
	char	*msg;
};

/* What one config_load() call reads and reports. */
struct ctx {
	const char	*file;		/* as the caller named it */
	char		*path;		/* absolute */
	char		*dir;		/* absolute */
	char		*home;		/* NULL when unknown */
	struct entry	*entries;
	int		 nentries;
	struct header	*headers;
	int		 nheaders;
	struct error	*errors;
	int		 nerrors;
	char		**envs;		/* base environment first */
	int		 nenvs;
};

enum line_kind {
	LINE_NONE,		/* blank, comment or too long */
	LINE_KEY,
	LINE_CONT,		/* continues the previous key's value */
	LINE_SECTION,
	LINE_BADSECTION,
};

/* State of the reader and handler while inih runs. */
struct reader {
	struct ctx	*ctx;
	FILE		*fp;
	char		*buf;
	size_t		 bufsize;
	int		 line;
	enum line_kind	 kind;
	int		 handled;	/* the handler was called for it */
	int		 cont_ok;	/* inih would continue a key now */
	int		 last;		/* entry continued, or -1 */
	char		*section;	/* NULL before the first header */
};

/* One environment being built. */
struct build {
	struct ctx	*ctx;
	struct config	*cf;
	const struct keydef *def;	/* of the key being applied */
	const char	*key;		/* its name within the section */
	int		 line;		/* where it is set */
	const char	*why;		/* what a bad value should have been */
	const char	*got;		/* what to quote instead of the value */
	char		 whybuf[256];
	char		 gotbuf[256];
	int		*dblines;	/* line of each database */
	int		 socket_set;
};

struct keydef {
	const char	*section;
	const char	*name;		/* NULL: any name; set() checks it */
	int		(*set)(struct build *, const char *value);
	size_t		 off;		/* field for the generic setters */
};

static int	set_path(struct build *, const char *);
static int	set_socket(struct build *, const char *);
static int	set_socket_mode(struct build *, const char *);
static int	set_socket_group(struct build *, const char *);
static int	set_log(struct build *, const char *);
static int	set_base_env(struct build *, const char *);
static int	set_command(struct build *, const char *);
static int	set_listen(struct build *, const char *);
static int	set_ready(struct build *, const char *);
static int	set_duration(struct build *, const char *);
static int	set_ready_timeout(struct build *, const char *);
static int	set_signal(struct build *, const char *);
static int	set_restart(struct build *, const char *);
static int	set_backoff(struct build *, const char *);
static int	set_start_limit(struct build *, const char *);
static int	set_output(struct build *, const char *);
static int	set_environment(struct build *, const char *);
static int	set_database(struct build *, const char *);
static int	set_count(struct build *, const char *);
static int	set_command_opt(struct build *, const char *);
static int	set_paths(struct build *, const char *);
static int	set_globs(struct build *, const char *);

#define F(f)	offsetof(struct config, f)

static const struct keydef keys[] = {
	{ "supervisor",	"socket",	set_socket,	F(socket) },
	{ "supervisor",	"socket_mode",	set_socket_mode, 0 },
	{ "supervisor",	"socket_group",	set_socket_group, 0 },
	{ "supervisor",	"state_dir",	set_path,	F(state_dir) },
	{ "supervisor",	"log",		set_log,	0 },
	{ "supervisor",	"env",		set_base_env,	0 },
	{ "app",	"command",	set_command,	0 },
	{ "app",	"directory",	set_path,	F(directory) },
	{ "app",	"listen",	set_listen,	0 },
	{ "app",	"ready",	set_ready,	0 },
	{ "app",	"ready_timeout", set_ready_timeout, 0 },
	{ "app",	"stop_signal",	set_signal,	0 },
	{ "app",	"stop_timeout",	set_duration,	F(stop_timeout_ms) },
	{ "app",	"restart",	set_restart,	0 },
	{ "app",	"backoff",	set_backoff,	0 },
	{ "app",	"start_limit",	set_start_limit, 0 },
	{ "app",	"output",	set_output,	0 },
	{ "environment", NULL,		set_environment, 0 },
	{ "databases",	NULL,		set_database,	0 },
	{ "backup",	"dir",		set_path,	F(backup_dir) },
	{ "backup",	"keep",		set_count,	F(backup_keep) },
	{ "backup",	"keep_safety",	set_count,	F(backup_keep_safety) },
	{ "backup",	"interval",	set_duration,	F(backup_interval_ms) },
	{ "backup",	"post_backup",	set_command_opt, F(post_backup) },
	{ "watch",	"paths",	set_paths,	0 },
	{ "watch",	"ignore",	set_globs,	0 },
	{ "watch",	"debounce",	set_duration,	F(watch_debounce_ms) },
};

#undef F

static const char *const base_sections[] = {
	"supervisor", "app", "environment", "databases", "backup", "watch",
};

/* Variables pitstop sets for the app itself (SPEC §4). */
static const char *const reserved_vars[] = {
	"NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
};

/*
 * Errors
 */

static void __attribute__((format(printf, 3, 4)))
ctx_error(struct ctx *ctx, int line, const char *fmt, ...)
{
	va_list	 ap;
	char	*body, *msg;
	int	 i;

	va_start(ap, fmt);
	if (vasprintf(&body, fmt, ap) == -1)
		body = NULL;
	va_end(ap);
	if (body == NULL)
		body = xstrdup("out of memory formatting an error");
	if (line > 0)
		xasprintf(&msg, "%s:%d: %s", ctx->file, line, body);
	else
		xasprintf(&msg, "%s: %s", ctx->file, body);
	free(body);

	/* Every environment is built from the same lines: say it once. */
	for (i = 0; i < ctx->nerrors; i++) {
		if (strcmp(ctx->errors[i].msg, msg) == 0) {
			free(msg);
			return;
		}
	}
	ctx->errors = xreallocarray(ctx->errors, (size_t)ctx->nerrors + 1,
	    sizeof(*ctx->errors));
	ctx->errors[ctx->nerrors].line = line;
	ctx->errors[ctx->nerrors].seq = ctx->nerrors;
	ctx->errors[ctx->nerrors].msg = msg;
	ctx->nerrors++;
}

static int
error_cmp(const void *a, const void *b)
{
	const struct error	*x = a, *y = b;
	long			 lx, ly;

	/* In file order; errors about the whole file come last. */
	lx = x->line > 0 ? x->line : (long)INT_MAX + 1;
	ly = y->line > 0 ? y->line : (long)INT_MAX + 1;
	if (lx != ly)
		return (lx < ly ? -1 : 1);
	return (x->seq < y->seq ? -1 : x->seq > y->seq);
}

static char *
ctx_errors_join(struct ctx *ctx)
{
	char	*s;
	size_t	 len = 0, off = 0, n;
	int	 i;

	qsort(ctx->errors, (size_t)ctx->nerrors, sizeof(*ctx->errors),
	    error_cmp);
	for (i = 0; i < ctx->nerrors; i++)
		len += strlen(ctx->errors[i].msg) + 1;
	s = xmalloc(len + 1);
	for (i = 0; i < ctx->nerrors; i++) {
		n = strlen(ctx->errors[i].msg);
		memcpy(s + off, ctx->errors[i].msg, n);
		off += n;
		if (i + 1 < ctx->nerrors)
			s[off++] = '\n';
	}
	s[off] = '\0';
	return (s);
}

/*
 * Names and paths
 */

static int
env_name_ok(const char *s)
{
	if (*s == '\0' || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return (0);
	/* The name becomes a directory of the backup store. */
	return (s[strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_.-")] == '\0');
}

static int
var_name_ok(const char *s)
{
	if (*s == '\0' || (*s >= '0' && *s <= '9'))
		return (0);
	return (s[strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_")] == '\0');
}

/*
 * Remove ".", ".." and repeated slashes from an absolute path without
 * looking at the file system, so that "conf/../var/app.db" reads as
 * "var/app.db" in logs and fits a socket's sun_path where it can.
 */
static char *
path_clean(const char *p)
{
	char		*out;
	const char	*e;
	size_t		 len = 0, n;

	out = xmalloc(strlen(p) + 2);
	while (*p != '\0') {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		e = strchrnul(p, '/');
		n = (size_t)(e - p);
		if (n == 1 && p[0] == '.')
			;
		else if (n == 2 && p[0] == '.' && p[1] == '.') {
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--;
		} else {
			out[len++] = '/';
			memcpy(out + len, p, n);
			len += n;
		}
		p = e;
	}
	if (len == 0)
		out[len++] = '/';
	out[len] = '\0';
	return (out);
}

/* Expand "~" and "~/..." and make `v` absolute against `base`. */
static char *
path_resolve(struct build *b, const char *base, const char *v)
{
	char	*raw, *clean;

	if (*v == '\0') {
		b->why = "a path";
		return (NULL);
	}
	if (v[0] == '~') {
		if (v[1] != '\0' && v[1] != '/') {
			b->why = "a path (~user is not supported: write ~/... "
			    "or an absolute path)";
			return (NULL);
		}
		if (b->ctx->home == NULL) {
			b->why = "a path, but ~ needs $HOME, which is unset";
			return (NULL);
		}
		xasprintf(&raw, "%s%s", b->ctx->home, v + 1);
	} else if (v[0] == '/')
		raw = xstrdup(v);
	else
		xasprintf(&raw, "%s/%s", base, v);
	clean = path_clean(raw);
	free(raw);
	return (clean);
}

static char *
path_abs(struct build *b, const char *v)
{
	return (path_resolve(b, b->ctx->dir, v));
}

static int
socket_path_ok(struct build *b, const char *abs)
{
	if (strlen(abs) <= SUN_PATH_MAX)
		return (1);
	(void)snprintf(b->whybuf, sizeof(b->whybuf), "a socket path of at "
	    "most %zu bytes once made absolute (this one has %zu)",
	    SUN_PATH_MAX, strlen(abs));
	b->why = b->whybuf;
	return (0);
}

static char **
strv_dup(char *const *v, int n)
{
	char	**out;
	int	  i;

	out = xcalloc((size_t)n + 1, sizeof(*out));
	for (i = 0; i < n; i++)
		out[i] = xstrdup(v[i]);
	return (out);
}

/*
 * Setters: one per kind of value. Each returns 0, or -1 with b->why saying
 * what was expected (and b->got what to quote, when not the value).
 */

#define FIELD(b, type)	((type *)(void *)((char *)(b)->cf + (b)->def->off))

static int
set_path(struct build *b, const char *v)
{
	char	**field = FIELD(b, char *), *p;

	if ((p = path_abs(b, v)) == NULL)
		return (-1);
	free(*field);
	*field = p;
	return (0);
}

static int
set_socket(struct build *b, const char *v)
{
	char	*p;

	if ((p = path_abs(b, v)) == NULL)
		return (-1);
	if (!socket_path_ok(b, p)) {
		free(p);
		return (-1);
	}
	free(b->cf->socket);
	b->cf->socket = p;
	b->socket_set = 1;
	return (0);
}

static int
set_socket_mode(struct build *b, const char *v)
{
	return (parse_mode(v, &b->cf->socket_mode, &b->why));
}

static int
set_socket_group(struct build *b, const char *v)
{
	struct group	 gr, *res = NULL;
	char		*buf = NULL;
	size_t		 size = 1024;
	int		 rv;

	free(b->cf->socket_group);
	b->cf->socket_group = NULL;
	if (*v == '\0')
		return (0);
	for (;;) {
		buf = xreallocarray(buf, size, 1);
		rv = getgrnam_r(v, &gr, buf, size, &res);
		if (rv != ERANGE || size > 1024 * 1024)
			break;
		size *= 2;
	}
	if (res == NULL) {
		free(buf);
		if (rv != 0) {
			(void)snprintf(b->whybuf, sizeof(b->whybuf),
			    "an existing group (lookup failed: %s)",
			    strerror(rv));
			b->why = b->whybuf;
		} else
			b->why = "an existing group name";
		return (-1);
	}
	b->cf->socket_gid = gr.gr_gid;
	b->cf->socket_group = xstrdup(v);
	free(buf);
	return (0);
}

static int
set_log(struct build *b, const char *v)
{
	char	*p;

	if (strcmp(v, "stderr") == 0)
		p = xstrdup(v);
	else if ((p = path_abs(b, v)) == NULL) {
		b->why = "stderr or a file path";
		return (-1);
	}
	free(b->cf->log);
	b->cf->log = p;
	return (0);
}

static int
set_base_env(struct build *b, const char *v)
{
	if (!env_name_ok(v)) {
		b->why = "an environment name of letters, digits, '_', '.' "
		    "and '-'";
		return (-1);
	}
	free(b->cf->base_env);
	b->cf->base_env = xstrdup(v);
	return (0);
}

static int
set_command(struct build *b, const char *v)
{
	char		**argv;
	const char	 *why;
	int		  argc;

	if (parse_words(v, &argv, &argc, &why) == -1) {
		(void)snprintf(b->whybuf, sizeof(b->whybuf), "a command line "
		    "split like a shell's (%s)", why);
		b->why = b->whybuf;
		return (-1);
	}
	parse_free_words(b->cf->argv);
	free(b->cf->command);
	b->cf->argv = argv;
	b->cf->argc = argc;
	b->cf->command = xstrdup(v);
	return (0);
}

static int
port_ok(const char *s, int *port)
{
	long long	 n;
	const char	*why;

	if (parse_int(s, 1, 65535, &n, &why) == -1)
		return (0);
	*port = (int)n;
	return (1);
}

static int
host_name_ok(const char *s)
{
	struct in_addr	 a;

	if (*s == '\0' || *s == '-' || *s == '.')
		return (0);
	if (s[strspn(s, "0123456789.")] == '\0')
		return (inet_pton(AF_INET, s, &a) == 1);
	return (s[strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789.-")] == '\0');
}

/* Check one listen address; on success *out is its normalised form. */
static int
listen_item(struct build *b, const char *item, char **out)
{
	struct in_addr	 a4;
	struct in6_addr	 a6;
	const char	*colon, *end;
	char		*host, *p;
	int		 port, good;

	if (strncmp(item, "unix:", 5) == 0) {
		if ((p = path_abs(b, item + 5)) == NULL)
			return (-1);
		if (!socket_path_ok(b, p)) {
			free(p);
			return (-1);
		}
		xasprintf(out, "unix:%s", p);
		free(p);
		return (0);
	}
	if (item[0] == '[') {
		if ((end = strchr(item, ']')) == NULL || end[1] != ':')
			goto fail;
		host = xstrndup(item + 1, (size_t)(end - item - 1));
		good = inet_pton(AF_INET6, host, &a6) == 1;
		colon = end + 1;
	} else {
		if ((colon = strrchr(item, ':')) == NULL)
			goto fail;
		host = xstrndup(item, (size_t)(colon - item));
		good = strcmp(host, "localhost") == 0 ||
		    inet_pton(AF_INET, host, &a4) == 1;
	}
	free(host);
	if (!good || !port_ok(colon + 1, &port))
		goto fail;
	*out = xstrdup(item);
	return (0);
fail:
	b->why = "listen addresses IPv4:PORT, [IPv6]:PORT, localhost:PORT or "
	    "unix:PATH, with PORT 1..65535";
	return (-1);
}

static int
set_listen(struct build *b, const char *v)
{
	char	**items, **out;
	int	  n, i, j;

	(void)parse_list(v, &items, &n);
	out = xcalloc((size_t)n + 1, sizeof(*out));
	for (i = 0; i < n; i++) {
		if (listen_item(b, items[i], &out[i]) == -1)
			goto fail;
		for (j = 0; j < i; j++) {
			if (strcmp(out[i], out[j]) == 0) {
				b->why = "each listen address once";
				goto fail;
			}
		}
	}
	parse_free_words(items);
	parse_free_words(b->cf->listen);
	b->cf->listen = out;
	b->cf->nlisten = n;
	return (0);
fail:
	/* Quote the one bad address, not the whole list. */
	(void)snprintf(b->gotbuf, sizeof(b->gotbuf), "%s", items[i]);
	b->got = b->gotbuf;
	parse_free_words(out);
	parse_free_words(items);
	return (-1);
}

/* Forget a previous http:// value, as when an override says "notify". */
static void
ready_clear(struct config *cf)
{
	free(cf->ready_url);
	free(cf->ready_host);
	free(cf->ready_path);
	cf->ready_url = cf->ready_host = cf->ready_path = NULL;
	cf->ready_port = 0;
}

static int
set_ready(struct build *b, const char *v)
{
	struct in6_addr	 a6;
	struct config	*cf = b->cf;
	const char	*p, *end, *rest;
	char		*host = NULL, *portstr = NULL;
	int		 port;

	if (strcmp(v, "none") == 0 || strcmp(v, "notify") == 0) {
		ready_clear(cf);
		cf->ready = strcmp(v, "none") == 0 ? READY_NONE : READY_NOTIFY;
		return (0);
	}
	if (strncasecmp(v, "http://", 7) != 0)
		goto fail;
	p = v + 7;
	if (*p == '[') {
		if ((end = strchr(p, ']')) == NULL || end[1] != ':')
			goto fail;
		host = xstrndup(p + 1, (size_t)(end - p - 1));
		if (inet_pton(AF_INET6, host, &a6) != 1)
			goto fail;
		p = end + 1;
	} else {
		end = p + strcspn(p, ":/?");
		if (*end != ':')
			goto fail;
		host = xstrndup(p, (size_t)(end - p));
		if (!host_name_ok(host))
			goto fail;
		p = end;
	}
	/* p is at the ':' before the port, which is required. */
	rest = p + 1 + strcspn(p + 1, "/?");
	portstr = xstrndup(p + 1, (size_t)(rest - p - 1));
	if (!port_ok(portstr, &port))
		goto fail;
	if (rest[strcspn(rest, " \t\r\n")] != '\0')
		goto fail;

	ready_clear(cf);
	cf->ready = READY_HTTP;
	cf->ready_url = xstrdup(v);
	cf->ready_host = host;
	cf->ready_port = port;
	if (*rest == '\0')
		cf->ready_path = xstrdup("/");
	else if (*rest == '?')
		xasprintf(&cf->ready_path, "/%s", rest);
	else
		cf->ready_path = xstrdup(rest);
	free(portstr);
	return (0);
fail:
	free(host);
	free(portstr);
	b->why = "none, notify or http://HOST:PORT/PATH (HOST an IPv4 "
	    "address, a name or [IPv6]; PORT 1..65535)";
	return (-1);
}

static int
set_duration(struct build *b, const char *v)
{
	return (parse_duration_ms(v, FIELD(b, uint64_t), &b->why));
}

static int
set_ready_timeout(struct build *b, const char *v)
{
	uint64_t	 ms;

	if (parse_duration_ms(v, &ms, &b->why) == -1)
		return (-1);
	if (ms == 0) {
		b->why = "a duration above 0, such as 10s";
		return (-1);
	}
	b->cf->ready_timeout_ms = ms;
	return (0);
}

static int
set_signal(struct build *b, const char *v)
{
	return (parse_signal(v, &b->cf->stop_signal, &b->why));
}

static int
set_restart(struct build *b, const char *v)
{
	if (strcmp(v, "always") == 0)
		b->cf->restart = RESTART_ALWAYS;
	else if (strcmp(v, "on-failure") == 0)
		b->cf->restart = RESTART_ON_FAILURE;
	else if (strcmp(v, "never") == 0)
		b->cf->restart = RESTART_NEVER;
	else {
		b->why = "always, on-failure or never";
		return (-1);
	}
	return (0);
}

static int
set_backoff(struct build *b, const char *v)
{
	return (parse_backoff(v, &b->cf->backoff_min_ms, &b->cf->backoff_max_ms,
	    &b->why));
}

static int
set_start_limit(struct build *b, const char *v)
{
	return (parse_start_limit(v, &b->cf->start_limit_burst,
	    &b->cf->start_limit_interval_ms, &b->why));
}

static int
set_output(struct build *b, const char *v)
{
	char	*p = NULL;

	if (strcmp(v, "inherit") != 0 && (p = path_abs(b, v)) == NULL) {
		b->why = "inherit or a file path";
		return (-1);
	}
	free(b->cf->output);
	b->cf->output = p;
	return (0);
}

/* Replace the pair called `name`, or append it. Returns its index. */
static int
pairs_set(struct config_pair **pairs, int *n, const char *name,
    const char *value)
{
	int	 i;

	for (i = 0; i < *n; i++) {
		if (strcmp((*pairs)[i].name, name) == 0) {
			free((*pairs)[i].value);
			(*pairs)[i].value = xstrdup(value);
			return (i);
		}
	}
	*pairs = xreallocarray(*pairs, (size_t)*n + 1, sizeof(**pairs));
	(*pairs)[*n].name = xstrdup(name);
	(*pairs)[*n].value = xstrdup(value);
	return ((*n)++);
}

static int
set_environment(struct build *b, const char *v)
{
	size_t		 i;
	const char	*key = b->key;

	if (!var_name_ok(key)) {
		b->why = "a variable name of letters, digits and '_' that does "
		    "not start with a digit";
		b->got = key;
		return (-1);
	}
	for (i = 0; i < sizeof(reserved_vars) / sizeof(reserved_vars[0]); i++)
		if (strcmp(key, reserved_vars[i]) == 0)
			break;
	if (i < sizeof(reserved_vars) / sizeof(reserved_vars[0]) ||
	    strncmp(key, "PITSTOP_", 8) == 0) {
		b->why = "a variable pitstop does not set itself (PITSTOP_*, "
		    "NOTIFY_SOCKET and LISTEN_* are reserved)";
		b->got = key;
		return (-1);
	}
	(void)pairs_set(&b->cf->environment, &b->cf->nenvironment, key, v);
	return (0);
}

static int
set_database(struct build *b, const char *v)
{
	struct config	*cf = b->cf;
	const char	*key = b->key;
	char		*p;
	int		 i, line;

	if (*key == '\0' || key[strspn(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_")] != '\0') {
		b->why = "a database name of letters, digits and '_'";
		b->got = key;
		return (-1);
	}
	if ((p = path_abs(b, v)) == NULL)
		return (-1);
	for (i = 0; i < cf->ndatabases; i++) {
		if (strcmp(cf->databases[i].name, key) == 0)
			continue;
		line = b->dblines[i];
		/* Both would be handed to the app as the same variable. */
		if (strcasecmp(cf->databases[i].name, key) == 0) {
			(void)snprintf(b->whybuf, sizeof(b->whybuf), "a name "
			    "that differs from '%s' (line %d) by more than "
			    "case, as both would be PITSTOP_DB_*",
			    cf->databases[i].name, line);
			b->why = b->whybuf;
			b->got = key;
			free(p);
			return (-1);
		}
		if (strcmp(cf->databases[i].value, p) == 0) {
			(void)snprintf(b->whybuf, sizeof(b->whybuf), "a file "
			    "no other database uses ('%s' on line %d is %s)",
			    cf->databases[i].name, line, p);
			b->why = b->whybuf;
			free(p);
			return (-1);
		}
	}
	i = pairs_set(&cf->databases, &cf->ndatabases, key, p);
	free(p);
	b->dblines = xreallocarray(b->dblines, (size_t)cf->ndatabases,
	    sizeof(*b->dblines));
	b->dblines[i] = b->line;
	return (0);
}

static int
set_count(struct build *b, const char *v)
{
	long long	 n;

	if (parse_int(v, 1, INT_MAX, &n, &b->why) == -1)
		return (-1);
	*FIELD(b, unsigned) = (unsigned)n;
	return (0);
}

static int
set_command_opt(struct build *b, const char *v)
{
	char		**field = FIELD(b, char *), **argv;
	const char	 *why;
	int		  argc;

	free(*field);
	*field = NULL;
	if (*v == '\0')
		return (0);
	if (parse_words(v, &argv, &argc, &why) == -1) {
		(void)snprintf(b->whybuf, sizeof(b->whybuf), "empty or a "
		    "command line split like a shell's (%s)", why);
		b->why = b->whybuf;
		return (-1);
	}
	parse_free_words(argv);
	*field = xstrdup(v);
	return (0);
}

static int
set_paths(struct build *b, const char *v)
{
	char	**items, **out;
	int	  n, i;

	(void)parse_list(v, &items, &n);
	out = xcalloc((size_t)n + 1, sizeof(*out));
	for (i = 0; i < n; i++) {
		if ((out[i] = path_abs(b, items[i])) == NULL) {
			(void)snprintf(b->gotbuf, sizeof(b->gotbuf), "%s",
			    items[i]);
			b->got = b->gotbuf;
			parse_free_words(out);
			parse_free_words(items);
			return (-1);
		}
	}
	parse_free_words(items);
	parse_free_words(b->cf->watch_paths);
	b->cf->watch_paths = out;
	b->cf->nwatch_paths = n;
	return (0);
}

static int
set_globs(struct build *b, const char *v)
{
	parse_free_words(b->cf->watch_ignore);
	return (parse_list(v, &b->cf->watch_ignore, &b->cf->nwatch_ignore));
}

/*
 * Reading
 */

static void
reader_add_entry(struct reader *r, const char *key, const char *value)
{
	struct ctx	*ctx = r->ctx;
	struct entry	*e;

	ctx->entries = xreallocarray(ctx->entries, (size_t)ctx->nentries + 1,
	    sizeof(*ctx->entries));
	e = &ctx->entries[ctx->nentries];
	memset(e, 0, sizeof(*e));
	e->section = xstrdup(r->section);
	e->key = xstrdup(key);
	e->value = xstrdup(value);
	e->line = r->line;
	r->last = ctx->nentries++;
}

/* Report the line just processed if inih found nothing in it. */
static void
reader_check(struct reader *r)
{
	if (r->line == 0 || r->handled)
		return;
	if (r->kind == LINE_KEY)
		ctx_error(r->ctx, r->line, "syntax error: expected "
		    "'key = value', '[section]' or a ';' comment");
	else if (r->kind == LINE_BADSECTION)
		ctx_error(r->ctx, r->line, "syntax error: expected "
		    "'[section]' alone on the line");
}

/*
 * Classify a line the way inih is about to, so that the handler knows
 * whether it is called for a key or a continuation line, and section
 * headers are seen even when no key follows them.
 */
static void
reader_classify(struct reader *r)
{
	struct ctx	*ctx = r->ctx;
	char		*line = r->buf, *s, *e, *open, *close;

	if (r->line == 1 && strncmp(line, "\xEF\xBB\xBF", 3) == 0)
		line += 3;
	for (s = line; *s == ' ' || *s == '\t' || *s == '\r' ||
	    *s == '\v' || *s == '\f'; s++)
		;
	e = s + strlen(s);
	while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' ||
	    e[-1] == '\t'))
		e--;
	if (s == e || *s == ';' || *s == '#') {
		r->kind = LINE_NONE;
		return;
	}
	if (r->cont_ok && s > line) {
		r->kind = LINE_CONT;
		return;
	}
	if (*s != '[') {
		r->kind = LINE_KEY;
		return;
	}
	/* inih ends the name at ']' or at an inline comment. */
	open = s;
	for (close = s + 1; close < e && *close != ']'; close++)
		if (*close == ';' && (close[-1] == ' ' || close[-1] == '\t'))
			break;
	if (close == e || *close != ']') {
		r->kind = LINE_BADSECTION;
		return;
	}
	for (s = close + 1; s < e && (*s == ' ' || *s == '\t'); s++)
		;
	/* Text after the header would be silently ignored by inih. */
	r->kind = s == e || *s == ';' ? LINE_SECTION : LINE_BADSECTION;
	if (r->kind == LINE_BADSECTION)
		return;
	free(r->section);
	r->section = xstrndup(open + 1, (size_t)(close - open - 1));
	r->cont_ok = 0;
	r->last = -1;
	ctx->headers = xreallocarray(ctx->headers, (size_t)ctx->nheaders + 1,
	    sizeof(*ctx->headers));
	ctx->headers[ctx->nheaders].name = xstrdup(r->section);
	ctx->headers[ctx->nheaders].line = r->line;
	ctx->nheaders++;
}

/*
 * The fgets() stand-in inih calls for each line. Counting lines here is
 * how the handler, which inih gives no line number, knows where it is.
 * A line too long for inih's buffer is reported and replaced by an empty
 * one rather than split into pieces that inih would parse separately.
 */
static char *
reader_cb(char *str, int num, void *arg)
{
	struct reader	*r = arg;
	ssize_t		 n;
	size_t		 len;

	reader_check(r);
	if ((n = getline(&r->buf, &r->bufsize, r->fp)) == -1)
		return (NULL);
	r->line++;
	r->handled = 0;
	len = strlen(r->buf);
	while (len > 0 && (r->buf[len - 1] == '\n' || r->buf[len - 1] == '\r'))
		len--;
	if (num < 3 || len > (size_t)num - 3) {
		ctx_error(r->ctx, r->line, "line longer than %d characters",
		    num - 3);
		r->kind = LINE_NONE;
		(void)snprintf(str, (size_t)num, "\n");
		return (str);
	}
	reader_classify(r);
	(void)snprintf(str, (size_t)num, "%s", r->buf);
	return (str);
}

/*
 * The length of a continuation line's value without its inline comment:
 * inih 55 strips those from "key = value" lines but not from
 * continuation lines, and a value should not depend on which it is.
 */
static size_t
value_len(const char *v)
{
	size_t	 i;

	for (i = 1; v[0] != '\0' && v[i] != '\0'; i++)
		if (v[i] == ';' && (v[i - 1] == ' ' || v[i - 1] == '\t'))
			break;
	while (i > 0 && (v[i - 1] == ' ' || v[i - 1] == '\t'))
		i--;
	return (v[0] == '\0' ? 0 : i);
}

static int
handler_cb(void *arg, const char *section, const char *name,
    const char *value)
{
	struct reader	*r = arg;
	struct entry	*e;
	char		*joined;

	(void)section;	/* ours is not cut to inih's 50 bytes */
	r->handled = 1;
	if (r->kind == LINE_CONT) {
		/* A long value may go on over indented lines. */
		if (r->last != -1) {
			e = &r->ctx->entries[r->last];
			xasprintf(&joined, "%s %.*s", e->value,
			    (int)value_len(value), value);
			free(e->value);
			e->value = joined;
		}
		return (1);
	}
	r->last = -1;
	r->cont_ok = *name != '\0';
	if (*name == '\0')
		ctx_error(r->ctx, r->line, "syntax error: expected a key "
		    "before '='");
	else if (r->section == NULL)
		ctx_error(r->ctx, r->line, "key '%s' is outside any section; "
		    "known sections: %s", name, SECTIONS);
	else
		reader_add_entry(r, name, value);
	return (1);
}

static int
config_read(struct ctx *ctx)
{
	struct reader	 r;
	struct stat	 st;
	int		 rv, i, saved_errno;

	memset(&r, 0, sizeof(r));
	r.ctx = ctx;
	r.last = -1;
	if ((r.fp = fopen(ctx->path, "re")) == NULL)
		goto fail;
	if (fstat(fileno(r.fp), &st) == -1)
		goto fail;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		goto fail;
	}
	rv = ini_parse_stream(reader_cb, &r, handler_cb, &r);
	reader_check(&r);
	if (ferror(r.fp))
		goto fail;
	/* A backstop in case inih rejects a line our reader accepted. */
	if (rv > 0) {
		for (i = 0; i < ctx->nerrors; i++)
			if (ctx->errors[i].line == rv)
				break;
		if (i == ctx->nerrors)
			ctx_error(ctx, rv, "syntax error");
	}
	fclose(r.fp);
	free(r.buf);
	free(r.section);
	return (0);
fail:
	saved_errno = errno;
	ctx_error(ctx, 0, "cannot read: %s", strerror(errno));
	if (r.fp != NULL)
		fclose(r.fp);
	free(r.buf);
	free(r.section);
	errno = saved_errno;
	return (-1);
}

/*
 * Checking
 */

static int
section_is_base(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(base_sections) / sizeof(base_sections[0]); i++)
		if (strcmp(name, base_sections[i]) == 0)
			return (1);
	return (0);
}

static const struct keydef *
key_find(const char *section, const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(keys[i].section, section) != 0)
			continue;
		if (keys[i].name == NULL || strcmp(keys[i].name, name) == 0)
			return (&keys[i]);
	}
	return (NULL);
}

/* The known keys of `section`, comma-separated, for messages. */
static char *
key_list(const char *section)
{
	char	*s = xstrdup(""), *t;
	size_t	 i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(keys[i].section, section) != 0 ||
		    keys[i].name == NULL)
			continue;
		xasprintf(&t, "%s%s%s", s, *s == '\0' ? "" : ", ",
		    keys[i].name);
		free(s);
		s = t;
	}
	return (s);
}

static void
check_headers(struct ctx *ctx)
{
	struct header	*h;
	int		 i;

	for (i = 0; i < ctx->nheaders; i++) {
		h = &ctx->headers[i];
		if (section_is_base(h->name))
			continue;
		if (strncmp(h->name, "env.", 4) != 0)
			ctx_error(ctx, h->line, "unknown section [%s]; known "
			    "sections: %s", h->name, SECTIONS);
		else if (!env_name_ok(h->name + 4))
			ctx_error(ctx, h->line, "[%s]: expected an environment "
			    "name of letters, digits, '_', '.' and '-', got "
			    "'%s'", h->name, h->name + 4);
	}
}

/* Check the key of an [env.NAME] section: SECTION.KEY of a known key. */
static void
check_override(struct ctx *ctx, struct entry *e)
{
	const char	*dot;
	char		*sect, *known;

	if ((dot = strchr(e->key, '.')) == NULL || dot[1] == '\0') {
		ctx_error(ctx, e->line, "[%s] %s: expected SECTION.KEY with "
		    "SECTION one of %s", e->section, e->key, OVERRIDABLE);
		e->bad = 1;
		return;
	}
	sect = xstrndup(e->key, (size_t)(dot - e->key));
	if (strcmp(sect, "supervisor") == 0) {
		ctx_error(ctx, e->line, "[%s] %s: [supervisor] keys apply to "
		    "every environment and cannot be overridden; only %s can",
		    e->section, e->key, OVERRIDABLE);
		e->bad = 1;
	} else if (!section_is_base(sect)) {
		ctx_error(ctx, e->line, "[%s] %s: expected SECTION.KEY with "
		    "SECTION one of %s", e->section, e->key, OVERRIDABLE);
		e->bad = 1;
	} else if ((e->def = key_find(sect, dot + 1)) == NULL) {
		known = key_list(sect);
		ctx_error(ctx, e->line, "unknown key '%s' in [%s]; known keys "
		    "of [%s]: %s", e->key, e->section, sect, known);
		free(known);
		e->bad = 1;
	}
	e->subkey = dot + 1;
	free(sect);
}

static void
check_entries(struct ctx *ctx)
{
	struct entry	*e, *o;
	char		*known;
	int		 i, j;

	for (i = 0; i < ctx->nentries; i++) {
		e = &ctx->entries[i];
		if (section_is_base(e->section)) {
			e->subkey = e->key;
			if ((e->def = key_find(e->section, e->key)) == NULL) {
				known = key_list(e->section);
				ctx_error(ctx, e->line, "unknown key '%s' in "
				    "[%s]; known keys: %s", e->key, e->section,
				    known);
				free(known);
				e->bad = 1;
				continue;
			}
		} else if (strncmp(e->section, "env.", 4) == 0 &&
		    env_name_ok(e->section + 4)) {
			check_override(ctx, e);
			if (e->bad)
				continue;
		} else {
			/* The section header has been reported. */
			e->bad = 1;
			continue;
		}
		for (j = 0; j < i; j++) {
			o = &ctx->entries[j];
			if (o->bad || strcmp(o->section, e->section) != 0 ||
			    strcmp(o->key, e->key) != 0)
				continue;
			ctx_error(ctx, e->line, "[%s] %s: duplicate key, "
			    "first set on line %d", e->section, e->key,
			    o->line);
			e->bad = 1;
			break;
		}
	}
}

/*
 * Building
 */

static void
build_defaults(struct build *b)
{
	struct config	*cf = b->cf;

	cf->path = xstrdup(b->ctx->path);
	cf->dir = xstrdup(b->ctx->dir);
	xasprintf(&cf->socket, "%s/pitstop.sock",
	    strcmp(cf->dir, "/") == 0 ? "" : cf->dir);
	cf->socket_mode = 0600;
	xasprintf(&cf->state_dir, "%s/pitstop-state",
	    strcmp(cf->dir, "/") == 0 ? "" : cf->dir);
	cf->log = xstrdup("stderr");
	cf->base_env = xstrdup("default");
	cf->directory = xstrdup(cf->dir);
	(void)parse_list("", &cf->listen, &cf->nlisten);
	cf->ready = READY_NONE;
	cf->ready_timeout_ms = 10 * 1000;
	cf->stop_signal = SIGTERM;
	cf->stop_timeout_ms = 5 * 1000;
	cf->restart = RESTART_ON_FAILURE;
	cf->backoff_min_ms = 100;
	cf->backoff_max_ms = 30 * 1000;
	cf->start_limit_burst = 5;
	cf->start_limit_interval_ms = 60 * 1000;
	if (b->ctx->home != NULL)
		cf->backup_dir = path_resolve(b, "/", "~/.pitstop/backups");
	cf->backup_keep = 20;
	cf->backup_keep_safety = 5;
	(void)parse_list("", &cf->watch_paths, &cf->nwatch_paths);
	(void)parse_list("", &cf->watch_ignore, &cf->nwatch_ignore);
	cf->watch_debounce_ms = 300;
}

static void
build_apply(struct build *b, struct entry *e)
{
	b->def = e->def;
	b->key = e->subkey;
	b->line = e->line;
	b->why = NULL;
	b->got = NULL;
	if (e->def->set(b, e->value) == -1)
		ctx_error(b->ctx, e->line, "[%s] %s: expected %s, got '%s'",
		    e->section, e->key, b->why != NULL ? b->why : "a valid value",
		    b->got != NULL ? b->got : e->value);
}

/* Checks that need the whole environment, once every key is applied. */
static void
build_finish(struct build *b)
{
	struct config	*cf = b->cf;
	char		*p;

	if (cf->command == NULL)
		ctx_error(b->ctx, 0, "[app] command: required key is missing");
	if (!b->socket_set && !socket_path_ok(b, cf->socket))
		ctx_error(b->ctx, 0, "[supervisor] socket: the default path "
		    "is too long: expected %s; set socket to a shorter path",
		    b->why);
	if (cf->backup_dir == NULL)
		ctx_error(b->ctx, 0, "[backup] dir: the default "
		    "~/.pitstop/backups needs $HOME, which is unset; set dir");

	/*
	 * A program given as a relative path runs from `directory`, like
	 * the app itself; a bare name is left to the PATH search.
	 */
	if (cf->argv != NULL && strchr(cf->argv[0], '/') != NULL &&
	    cf->argv[0][0] != '/') {
		if (strncmp(cf->argv[0], "~/", 2) == 0)
			p = path_resolve(b, "/", cf->argv[0]);
		else
			p = path_resolve(b, cf->directory, cf->argv[0]);
		if (p == NULL)
			ctx_error(b->ctx, 0, "[app] command: expected %s, got "
			    "'%s'", b->why, cf->argv[0]);
		else {
			free(cf->argv[0]);
			cf->argv[0] = p;
		}
	}
}

/*
 * Build the configuration of environment `env` (NULL: the plain sections
 * only). Errors go to ctx; the result is returned even then, to be freed.
 */
static struct config *
build(struct ctx *ctx, const char *env)
{
	struct build	 b;
	struct entry	*e;
	int		 i;

	memset(&b, 0, sizeof(b));
	b.ctx = ctx;
	b.cf = xcalloc(1, sizeof(*b.cf));
	build_defaults(&b);
	for (i = 0; i < ctx->nentries; i++) {
		e = &ctx->entries[i];
		if (!e->bad && section_is_base(e->section))
			build_apply(&b, e);
	}
	for (i = 0; env != NULL && i < ctx->nentries; i++) {
		e = &ctx->entries[i];
		if (!e->bad && strncmp(e->section, "env.", 4) == 0 &&
		    strcmp(e->section + 4, env) == 0)
			build_apply(&b, e);
	}
	build_finish(&b);
	free(b.dblines);
	return (b.cf);
}

/* Collect the environments: the base first, then [env.*] in file order. */
static void
collect_envs(struct ctx *ctx, const char *base)
{
	struct header	*h;
	struct entry	*e;
	int		 i, j;

	ctx->envs = xcalloc(1, sizeof(*ctx->envs));
	ctx->envs[ctx->nenvs++] = xstrdup(base);
	for (i = 0; i < ctx->nheaders; i++) {
		h = &ctx->headers[i];
		if (strncmp(h->name, "env.", 4) != 0 ||
		    !env_name_ok(h->name + 4))
			continue;
		if (strcmp(h->name + 4, base) == 0) {
			ctx_error(ctx, h->line, "[%s]: '%s' is the base "
			    "environment ([supervisor] env), which the plain "
			    "sections describe; it cannot have overrides",
			    h->name, base);
			for (j = 0; j < ctx->nentries; j++) {
				e = &ctx->entries[j];
				if (strcmp(e->section, h->name) == 0)
					e->bad = 1;
			}
			continue;
		}
		for (j = 0; j < ctx->nenvs; j++)
			if (strcmp(ctx->envs[j], h->name + 4) == 0)
				break;
		if (j < ctx->nenvs)
			continue;
		ctx->envs = xreallocarray(ctx->envs, (size_t)ctx->nenvs + 1,
		    sizeof(*ctx->envs));
		ctx->envs[ctx->nenvs++] = xstrdup(h->name + 4);
	}
}

static char *
home_dir(void)
{
	struct passwd	 pw, *res = NULL;
	const char	*h;
	char		 buf[4096];

	if ((h = getenv("HOME")) != NULL && h[0] == '/')
		return (xstrdup(h));
	/* Services started without HOME still have a passwd entry. */
	if (getpwuid_r(getuid(), &pw, buf, sizeof(buf), &res) == 0 &&
	    res != NULL && pw.pw_dir != NULL && pw.pw_dir[0] == '/')
		return (xstrdup(pw.pw_dir));
	return (NULL);
}

static void
ctx_free(struct ctx *ctx)
{
	int	 i;

	for (i = 0; i < ctx->nentries; i++) {
		free(ctx->entries[i].section);
		free(ctx->entries[i].key);
		free(ctx->entries[i].value);
	}
	free(ctx->entries);
	for (i = 0; i < ctx->nheaders; i++)
		free(ctx->headers[i].name);
	free(ctx->headers);
	for (i = 0; i < ctx->nerrors; i++)
		free(ctx->errors[i].msg);
	free(ctx->errors);
	for (i = 0; i < ctx->nenvs; i++)
		free(ctx->envs[i]);
	free(ctx->envs);
	free(ctx->path);
	free(ctx->dir);
	free(ctx->home);
}

struct config *
config_load(const char *path, const char *env, char **err)
{
	struct ctx	 ctx;
	struct config	*base = NULL, *cf, *chosen = NULL;
	char		*slash, *known, *t;
	int		 i, saved_errno = EINVAL;

	if (err != NULL)
		*err = NULL;
	memset(&ctx, 0, sizeof(ctx));
	ctx.file = path;
	if ((ctx.path = realpath(path, NULL)) == NULL) {
		saved_errno = errno;
		ctx_error(&ctx, 0, "cannot read: %s", strerror(errno));
		goto fail;
	}
	ctx.dir = xstrdup(ctx.path);
	slash = strrchr(ctx.dir, '/');
	slash[slash == ctx.dir ? 1 : 0] = '\0';
	ctx.home = home_dir();
	if (config_read(&ctx) == -1) {
		saved_errno = errno;
		goto fail;
	}
	check_headers(&ctx);
	check_entries(&ctx);

	base = build(&ctx, NULL);
	collect_envs(&ctx, base->base_env);
	if (env == NULL || strcmp(env, base->base_env) == 0)
		chosen = base;
	/* Build every environment, so that a bad override is always seen. */
	for (i = 1; i < ctx.nenvs; i++) {
		cf = build(&ctx, ctx.envs[i]);
		if (env != NULL && strcmp(env, ctx.envs[i]) == 0)
			chosen = cf;
		else
			config_free(cf);
	}
	if (ctx.nerrors > 0)
		goto fail;
	if (chosen == NULL) {
		known = xstrdup("");
		for (i = 0; i < ctx.nenvs; i++) {
			xasprintf(&t, "%s%s%s", known, i == 0 ? "" : ", ",
			    ctx.envs[i]);
			free(known);
			known = t;
		}
		ctx_error(&ctx, 0, "unknown environment '%s'; known: %s", env,
		    known);
		free(known);
		saved_errno = ENOENT;
		goto fail;
	}
	if (chosen != base)
		config_free(base);
	chosen->env = xstrdup(env != NULL ? env : chosen->base_env);
	chosen->env_names = strv_dup(ctx.envs, ctx.nenvs);
	chosen->nenv_names = ctx.nenvs;
	ctx_free(&ctx);
	return (chosen);
fail:
	if (chosen != base)
		config_free(chosen);
	config_free(base);
	if (err != NULL)
		*err = ctx_errors_join(&ctx);
	ctx_free(&ctx);
	errno = saved_errno;
	return (NULL);
}

int
config_has_env(const struct config *cf, const char *name)
{
	int	 i;

	for (i = 0; i < cf->nenv_names; i++)
		if (strcmp(cf->env_names[i], name) == 0)
			return (1);
	return (0);
}

static void
pairs_free(struct config_pair *pairs, int n)
{
	int	 i;

	for (i = 0; i < n; i++) {
		free(pairs[i].name);
		free(pairs[i].value);
	}
	free(pairs);
}

void
config_free(struct config *cf)
{
	if (cf == NULL)
		return;
	free(cf->path);
	free(cf->dir);
	free(cf->socket);
	free(cf->socket_group);
	free(cf->state_dir);
	free(cf->log);
	free(cf->base_env);
	free(cf->env);
	parse_free_words(cf->env_names);
	free(cf->command);
	parse_free_words(cf->argv);
	free(cf->directory);
	parse_free_words(cf->listen);
	free(cf->ready_url);
	free(cf->ready_host);
	free(cf->ready_path);
	free(cf->output);
	pairs_free(cf->environment, cf->nenvironment);
	pairs_free(cf->databases, cf->ndatabases);
	free(cf->backup_dir);
	free(cf->post_backup);
	parse_free_words(cf->watch_paths);
	parse_free_words(cf->watch_ignore);
	free(cf);
}
