/*
 * config_keys: the configuration's keys, one row each in keys[] with the
 * function that parses, checks and stores its value (SPEC §3), and the
 * name and path rules they share. config.c decides which keys apply in
 * which order; a setter only judges one value and says what it expected.
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

#include "config.h"
#include "config_priv.h"
#include "parse.h"
#include "xmalloc.h"

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

/* Variables pitstop sets for the app itself (SPEC §4). */
static const char *const reserved_vars[] = {
	"NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
};

/*
 * Names and paths
 */

int
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
char *
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

int
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

char **
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


const struct keydef *
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
char *
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

