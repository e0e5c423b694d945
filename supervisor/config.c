/*
 * config: turns pitstop.ini into a struct config (SPEC §3). Loading runs in
 * three passes. Reading feeds the file through inih with our own line
 * reader, so that every key, section header and syntax error is known with
 * its line number. Checking rejects unknown sections and keys, duplicates
 * and malformed [env.NAME] overrides once. Building applies the keys of the
 * plain sections, then the overrides of one environment, onto defaults,
 * and validates each value; it runs for every environment so that a bad
 * override is found whichever environment is chosen. All errors are
 * collected and returned as one message, one line each. The keys
 * themselves, a row and a parser each, live in config_keys.c. Nothing
 * here starts, opens or creates what the configuration describes: that
 * is left to the modules that use it; only the socket group is looked up.
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
#include "config_priv.h"
#include "parse.h"
#include "xmalloc.h"

#define SECTIONS	"supervisor, app, environment, databases, backup, " \
			"watch, env.NAME"
#define OVERRIDABLE	"app, environment, databases, backup, watch"

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

static const char *const base_sections[] = {
	"supervisor", "app", "environment", "databases", "backup", "watch",
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
