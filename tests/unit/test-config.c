/*
 * test-config: config_load() on generated files. Every error path must be
 * refused with a message naming the file, the line (found by a "<--"
 * marker in the test's text) and the key; valid files must come out with
 * the documented defaults, absolute paths and environment overrides.
 * Each test writes into its own mkdtemp() directory, which is also $HOME.
 */
#include <sys/stat.h>

#include <errno.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "tap.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* The example configuration of SPEC §3, comments and all. */
static const char spec_example[] =
"; conf/pitstop.ini: relative paths are relative to this file's directory\n"
"[supervisor]\n"
"socket = ../run/pitstop.sock  ; the Unix control socket\n"
"socket_mode = 0600            ; 0660 with socket_group\n"
"socket_group =                ; optional group allowed to control\n"
"state_dir = ../var/pitstop    ; restore journal, active environment\n"
"log = stderr                  ; or a file path (reopened on SIGHUP)\n"
"env = default                 ; name of the environment the plain\n"
"                              ; configuration describes (see [env.NAME])\n"
"\n"
"[app]\n"
"command = build/app-stub/app-stub   ; run in `directory`; finds its\n"
"                                    ; databases in PITSTOP_DB_* (§4)\n"
"directory = ..                ; the project root\n"
"listen = 127.0.0.1:5001       ; optional, space-separated; held by pitstopd\n"
"ready = notify                ; notify | http://HOST:PORT/PATH | none\n"
"ready_timeout = 10s\n"
"stop_signal = TERM\n"
"stop_timeout = 5s\n"
"restart = on-failure          ; always | on-failure | never\n"
"backoff = 100ms..30s          ; exponential between these bounds\n"
"start_limit = 5/60s           ; more failures than this: state \"failed\"\n"
"output = inherit              ; or a file path for the app's stdout+stderr\n"
"\n"
"[environment]                 ; variables for the app, NAME = value\n"
"APP_MODE = development\n"
"\n"
"[databases]                   ; the files pitstop backs up and restores\n"
"main = ../var/app.db\n"
"keychain = ../var/keychain.db\n"
"\n"
"[backup]\n"
"dir = ~/.pitstop/backups\n"
"keep = 20                     ; manual + scheduled generations kept\n"
"keep_safety = 5               ; safety generations kept\n"
"interval = 0                  ; scheduled backups; 0 = off\n"
"post_backup =                 ; optional command, e.g. ship off-host\n"
"\n"
"[watch]                       ; developer restarts on file change\n"
"paths =                       ; space-separated files or directories\n"
"ignore = *.pyc .git           ; globs matched against every path component\n"
"debounce = 300ms              ; restart once changes are quiet this long\n"
"\n"
"[env.prod]                    ; a named environment: overrides SECTION.KEY\n"
"databases.main = ../var/prod.db\n"
"environment.APP_MODE = production\n";

#define APP	"[app]\ncommand = app\n"

/*
 * Files that must be refused. The error must be on the line marked "<--"
 * (or, with no marker, be about the whole file) and contain every needle.
 */
static const struct {
	const char	*name;
	const char	*text;
	const char	*needles[4];
} bad[] = {
	/* structure */
	{ "unknown section", APP "[bogus] ; <--\nx = 1\n",
	    { "unknown section [bogus]", "known sections", "app" } },
	{ "unknown section without keys", APP "[apps] ; <--\n",
	    { "unknown section [apps]" } },
	{ "unknown key in [app]", APP "comand = x ; <--\n",
	    { "unknown key 'comand'", "[app]", "known keys", "command" } },
	{ "unknown key in [supervisor]", APP "[supervisor]\nsock = x ; <--\n",
	    { "unknown key 'sock'", "[supervisor]", "socket_mode" } },
	{ "unknown key in [backup]", APP "[backup]\nkeeps = 3 ; <--\n",
	    { "unknown key 'keeps'", "[backup]", "keep_safety" } },
	{ "unknown key in [watch]", APP "[watch]\npath = x ; <--\n",
	    { "unknown key 'path'", "[watch]", "debounce" } },
	{ "duplicate key", APP "command = b ; <--\n",
	    { "[app] command", "duplicate", "line 2" } },
	{ "duplicate key in a repeated section",
	    APP "[backup]\nkeep = 3\n[app]\n[backup]\nkeep = 4 ; <--\n",
	    { "[backup] keep", "duplicate", "line 4" } },
	{ "duplicate variable",
	    APP "[environment]\nA = 1\nA = 2 ; <--\n",
	    { "[environment] A", "duplicate" } },
	{ "missing command", "[app]\ndirectory = .\n",
	    { "[app] command", "required key is missing" } },
	{ "missing command, no [app]", "[backup]\nkeep = 3\n",
	    { "[app] command", "required" } },
	{ "key outside any section", "command = app ; <--\n" APP,
	    { "'command'", "outside any section" } },

	/* syntax */
	{ "unclosed section", APP "[watch ; <--\n",
	    { "syntax error", "[section]" } },
	{ "text after a section", APP "[watch] paths ; <--\n",
	    { "syntax error", "[section]" } },
	{ "line without =", APP "directory ; <--\n",
	    { "syntax error", "key = value" } },
	{ "empty key", APP "= x ; <--\n",
	    { "syntax error", "key" } },
	{ "line too long", APP "directory = xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx ; <--\n",
	    { "line longer than 197" } },

	/* [supervisor] */
	{ "empty socket", APP "[supervisor]\nsocket = ; <--\n",
	    { "[supervisor] socket", "expected a path", "got ''" } },
	{ "socket path too long", APP "[supervisor]\nsocket = "
	    "sssssssssssssssssssssssssssssssssssssssssssssssssssssssssss"
	    "sssssssssssssssssssssssssssssssssssssssssssssssssssss.sock"
	    " ; <--\n",
	    { "[supervisor] socket", "at most 107 bytes", "got 'sss" } },
	{ "socket_mode not octal", APP "[supervisor]\nsocket_mode = 0x1ff ; <--\n",
	    { "[supervisor] socket_mode", "expected an octal mode",
	    "got '0x1ff'" } },
	{ "socket_mode too wide", APP "[supervisor]\nsocket_mode = 01777 ; <--\n",
	    { "[supervisor] socket_mode", "0777", "got '01777'" } },
	{ "unknown group", APP "[supervisor]\n"
	    "socket_group = pitstop-no-such-group ; <--\n",
	    { "[supervisor] socket_group", "expected an existing group",
	    "got 'pitstop-no-such-group'" } },
	{ "empty state_dir", APP "[supervisor]\nstate_dir = ; <--\n",
	    { "[supervisor] state_dir", "expected a path" } },
	{ "empty log", APP "[supervisor]\nlog = ; <--\n",
	    { "[supervisor] log", "expected stderr or a file path" } },
	{ "bad base env name", APP "[supervisor]\nenv = a/b ; <--\n",
	    { "[supervisor] env", "expected an environment name",
	    "got 'a/b'" } },
	{ "base env ..", APP "[supervisor]\nenv = .. ; <--\n",
	    { "[supervisor] env", "got '..'" } },
	{ "~user path", APP "[supervisor]\nstate_dir = ~bob/x ; <--\n",
	    { "[supervisor] state_dir", "~user is not supported" } },

	/* [app] */
	{ "empty command", "[app]\ncommand = ; <--\n",
	    { "[app] command", "expected a command line", "empty" } },
	{ "unterminated quote in command", "[app]\ncommand = app 'x ; <--\n",
	    { "[app] command", "unterminated single quote", "got 'app 'x'" } },
	{ "unterminated double quote", "[app]\ncommand = app \"x ; <--\n",
	    { "[app] command", "unterminated double quote" } },
	{ "empty directory", APP "directory = ; <--\n",
	    { "[app] directory", "expected a path" } },
	{ "listen without port", APP "listen = 127.0.0.1 ; <--\n",
	    { "[app] listen", "expected listen addresses",
	    "got '127.0.0.1'" } },
	{ "listen port 0", APP "listen = 127.0.0.1:0 ; <--\n",
	    { "[app] listen", "PORT 1..65535", "got '127.0.0.1:0'" } },
	{ "listen port too big", APP "listen = 127.0.0.1:65536 ; <--\n",
	    { "[app] listen", "got '127.0.0.1:65536'" } },
	{ "listen host name", APP "listen = 127.0.0.1:80 example.com:80 ; <--\n",
	    { "[app] listen", "got 'example.com:80'" } },
	{ "listen bad IPv4", APP "listen = 1.2.3:80 ; <--\n",
	    { "[app] listen", "got '1.2.3:80'" } },
	{ "listen unbracketed IPv6", APP "listen = ::1:80 ; <--\n",
	    { "[app] listen", "got '::1:80'" } },
	{ "listen bad IPv6", APP "listen = [::g]:80 ; <--\n",
	    { "[app] listen", "got '[::g]:80'" } },
	{ "listen IPv6 without port", APP "listen = [::1] ; <--\n",
	    { "[app] listen", "got '[::1]'" } },
	{ "listen empty unix path", APP "listen = unix: ; <--\n",
	    { "[app] listen", "got 'unix:'" } },
	{ "listen twice", APP "listen = localhost:80 localhost:80 ; <--\n",
	    { "[app] listen", "each listen address once" } },
	{ "listen unix path too long", APP "listen = unix:"
	    "uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu"
	    "uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu"
	    " ; <--\n",
	    { "[app] listen", "at most 107 bytes", "got 'unix:uuu" } },
	{ "ready word", APP "ready = yes ; <--\n",
	    { "[app] ready", "expected none, notify or http://HOST:PORT/PATH",
	    "got 'yes'" } },
	{ "ready without port", APP "ready = http://127.0.0.1/healthz ; <--\n",
	    { "[app] ready", "PORT", "got 'http://127.0.0.1/healthz'" } },
	{ "ready port 0", APP "ready = http://localhost:0/ ; <--\n",
	    { "[app] ready", "got 'http://localhost:0/'" } },
	{ "ready port garbage", APP "ready = http://localhost:80x/ ; <--\n",
	    { "[app] ready", "got 'http://localhost:80x/'" } },
	{ "ready https", APP "ready = https://localhost:443/ ; <--\n",
	    { "[app] ready", "got 'https://localhost:443/'" } },
	{ "ready empty host", APP "ready = http://:80/ ; <--\n",
	    { "[app] ready" } },
	{ "ready bad IPv6", APP "ready = http://[::1:80/ ; <--\n",
	    { "[app] ready" } },
	{ "ready bad host", APP "ready = http://a_b:80/ ; <--\n",
	    { "[app] ready", "got 'http://a_b:80/'" } },
	{ "ready bad dotted quad", APP "ready = http://300.1.1.1:80/ ; <--\n",
	    { "[app] ready" } },
	{ "ready path with a blank", APP "ready = http://h:80/a b ; <--\n",
	    { "[app] ready" } },
	{ "ready_timeout 0", APP "ready_timeout = 0 ; <--\n",
	    { "[app] ready_timeout", "above 0", "got '0'" } },
	{ "ready_timeout garbage", APP "ready_timeout = 10 s ; <--\n",
	    { "[app] ready_timeout", "expected a duration", "got '10 s'" } },
	{ "stop_signal", APP "stop_signal = TERMINATE ; <--\n",
	    { "[app] stop_signal", "expected a signal", "got 'TERMINATE'" } },
	{ "stop_timeout negative", APP "stop_timeout = -1s ; <--\n",
	    { "[app] stop_timeout", "expected a duration", "got '-1s'" } },
	{ "restart", APP "restart = sometimes ; <--\n",
	    { "[app] restart", "always, on-failure or never",
	    "got 'sometimes'" } },
	{ "backoff reversed", APP "backoff = 30s..1s ; <--\n",
	    { "[app] backoff", "MIN..MAX", "got '30s..1s'" } },
	{ "start_limit", APP "start_limit = 5 ; <--\n",
	    { "[app] start_limit", "5/60s", "got '5'" } },
	{ "empty output", APP "output = ; <--\n",
	    { "[app] output", "inherit or a file path" } },

	/* [environment] and [databases] */
	{ "variable starting with a digit", APP "[environment]\n1A = x ; <--\n",
	    { "[environment] 1A", "expected a variable name", "got '1A'" } },
	{ "variable with a dash", APP "[environment]\nA-B = x ; <--\n",
	    { "[environment] A-B", "got 'A-B'" } },
	{ "reserved variable", APP "[environment]\nPITSTOP_SOCKET = x ; <--\n",
	    { "[environment] PITSTOP_SOCKET", "reserved" } },
	{ "reserved NOTIFY_SOCKET", APP "[environment]\nNOTIFY_SOCKET = x ; <--\n",
	    { "[environment] NOTIFY_SOCKET", "reserved" } },
	{ "database name", APP "[databases]\nmy-db = x.db ; <--\n",
	    { "[databases] my-db", "expected a database name",
	    "got 'my-db'" } },
	{ "database empty path", APP "[databases]\nmain = ; <--\n",
	    { "[databases] main", "expected a path" } },
	{ "database names equal but for case",
	    APP "[databases]\nmain = a.db\nMAIN = b.db ; <--\n",
	    { "[databases] MAIN", "'main' (line 4)", "PITSTOP_DB_",
	    "got 'MAIN'" } },
	{ "two databases, one file",
	    APP "[databases]\nmain = a.db\nother = ./x/../a.db ; <--\n",
	    { "[databases] other", "no other database", "'main' on line 4" } },

	/* [backup] and [watch] */
	{ "backup dir ~user", APP "[backup]\ndir = ~bob/b ; <--\n",
	    { "[backup] dir", "~user" } },
	{ "keep 0", APP "[backup]\nkeep = 0 ; <--\n",
	    { "[backup] keep", "an integer from 1", "got '0'" } },
	{ "keep_safety word", APP "[backup]\nkeep_safety = five ; <--\n",
	    { "[backup] keep_safety", "an integer from 1", "got 'five'" } },
	{ "interval", APP "[backup]\ninterval = daily ; <--\n",
	    { "[backup] interval", "expected a duration", "got 'daily'" } },
	{ "post_backup quote", APP "[backup]\npost_backup = ship 'x ; <--\n",
	    { "[backup] post_backup", "unterminated single quote" } },
	{ "watch path ~user", APP "[watch]\npaths = src ~bob ; <--\n",
	    { "[watch] paths", "~user", "got '~bob'" } },
	{ "debounce", APP "[watch]\ndebounce = 1.5s ; <--\n",
	    { "[watch] debounce", "expected a duration", "got '1.5s'" } },

	/* [env.NAME] */
	{ "override of a supervisor key",
	    APP "[env.prod]\nsupervisor.socket = x.sock ; <--\n",
	    { "[env.prod] supervisor.socket", "cannot be overridden" } },
	{ "override without a section", APP "[env.prod]\nkeep = 3 ; <--\n",
	    { "[env.prod] keep", "SECTION.KEY" } },
	{ "override of an unknown section",
	    APP "[env.prod]\nbackups.keep = 3 ; <--\n",
	    { "[env.prod] backups.keep", "SECTION.KEY" } },
	{ "override with an empty key", APP "[env.prod]\napp. = 3 ; <--\n",
	    { "[env.prod] app.", "SECTION.KEY" } },
	{ "override of an unknown key",
	    APP "[env.prod]\napp.comand = x ; <--\n",
	    { "unknown key 'app.comand'", "[env.prod]", "command" } },
	{ "override with a bad value",
	    APP "[env.prod]\napp.ready = maybe ; <--\n",
	    { "[env.prod] app.ready", "expected none, notify",
	    "got 'maybe'" } },
	{ "override with a bad variable",
	    APP "[env.prod]\nenvironment.9X = 1 ; <--\n",
	    { "[env.prod] environment.9X", "variable name" } },
	{ "override with a database clash",
	    APP "[databases]\nmain = a.db\n[env.prod]\ndatabases.Main = b.db"
	    " ; <--\n",
	    { "[env.prod] databases.Main", "'main' (line 4)" } },
	{ "duplicate override",
	    APP "[env.prod]\nbackup.keep = 3\nbackup.keep = 4 ; <--\n",
	    { "[env.prod] backup.keep", "duplicate" } },
	{ "env section named after the default base env",
	    APP "[env.default] ; <--\napp.ready = notify\n",
	    { "[env.default]", "base environment" } },
	{ "env section named after a custom base env",
	    APP "[supervisor]\nenv = dev\n[env.prod]\n[env.dev] ; <--\n",
	    { "[env.dev]", "base environment" } },
	{ "env section with a bad name", APP "[env.a:b] ; <--\n",
	    { "[env.a:b]", "expected an environment name", "got 'a:b'" } },
	{ "env section with an empty name", APP "[env.] ; <--\n",
	    { "[env.]", "expected an environment name" } },
	{ "env section named ..", APP "[env...] ; <--\n",
	    { "[env...]", "got '..'" } },
};

static char	*root;		/* this test's directory */

static int
rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return (remove(path));
}

/* A fresh directory for one test, which is also its $HOME. */
static void
tmp_begin(void)
{
	const char	*t = getenv("TMPDIR");
	char		*tmpl, *real;

	if (t == NULL || *t == '\0')
		t = "/tmp";
	if (asprintf(&tmpl, "%s/test-config.XXXXXX", t) == -1 ||
	    mkdtemp(tmpl) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	/* config_load() reports real paths: compare with those. */
	if ((real = realpath(tmpl, NULL)) == NULL) {
		perror("realpath");
		exit(1);
	}
	free(tmpl);
	root = real;
	setenv("HOME", root, 1);
}

static void
tmp_end(void)
{
	(void)nftw(root, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	free(root);
	root = NULL;
}

/* Write `text` to root/rel (directories made as needed); return path. */
static char *
write_file(const char *rel, const char *text)
{
	char	*path, *p;
	FILE	*fp;

	if (asprintf(&path, "%s/%s", root, rel) == -1)
		exit(1);
	for (p = path + strlen(root) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		(void)mkdir(path, 0700);
		*p = '/';
	}
	if ((fp = fopen(path, "w")) == NULL || fputs(text, fp) == EOF ||
	    fclose(fp) == EOF) {
		perror(path);
		exit(1);
	}
	return (path);
}

/* Show a multi-line message as TAP diagnostics. */
static void
diag(const char *msg)
{
	const char	*nl;

	if (msg == NULL)
		msg = "(no message)";
	for (; *msg != '\0'; msg = *nl == '\0' ? nl : nl + 1) {
		nl = strchrnul(msg, '\n');
		printf("#   %.*s\n", (int)(nl - msg), msg);
	}
}

/* Line number of the first line containing "<--", or 0. */
static int
marked_line(const char *text)
{
	const char	*m;
	int		 line = 1;

	if ((m = strstr(text, "<--")) == NULL)
		return (0);
	for (; text < m; text++)
		if (*text == '\n')
			line++;
	return (line);
}

/*
 * Is there a line in `err` that starts with "FILE:LINE: " (or "FILE: "
 * when line is 0) and contains every needle?
 */
static int
has_error(const char *err, const char *file, int line,
    const char *const *needles, int nneedles)
{
	char		*copy, *l, *save, *prefix;
	int		 found = 0, i;

	if (err == NULL)
		return (0);
	if (line > 0) {
		if (asprintf(&prefix, "%s:%d: ", file, line) == -1)
			exit(1);
	} else if (asprintf(&prefix, "%s: ", file) == -1)
		exit(1);
	copy = strdup(err);
	for (l = strtok_r(copy, "\n", &save); l != NULL && !found;
	    l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, prefix, strlen(prefix)) != 0)
			continue;
		for (i = 0; i < nneedles && needles[i] != NULL; i++)
			if (strstr(l, needles[i]) == NULL)
				break;
		found = i == nneedles || needles[i] == NULL;
	}
	free(copy);
	free(prefix);
	return (found);
}

static void
test_bad(void)
{
	struct config	*cf;
	char		*path, *err;
	size_t		 i;
	int		 line, e;

	for (i = 0; i < NITEMS(bad); i++) {
		tmp_begin();
		path = write_file("conf/pitstop.ini", bad[i].text);
		line = marked_line(bad[i].text);
		err = NULL;
		errno = 0;
		cf = config_load(path, NULL, &err);
		e = errno;
		if (!ok(cf == NULL && e == EINVAL && has_error(err, path, line,
		    bad[i].needles, (int)NITEMS(bad[i].needles)),
		    "refused: %s (line %d)", bad[i].name, line))
			diag(err);
		/* Whichever environment is asked for, the file is bad. */
		if (cf == NULL) {
			free(err);
			err = NULL;
			cf = config_load(path, "prod", &err);
			ok(cf == NULL && has_error(err, path, line,
			    bad[i].needles, (int)NITEMS(bad[i].needles)),
			    "refused for env prod too: %s", bad[i].name);
		}
		config_free(cf);
		free(err);
		free(path);
		tmp_end();
	}
}

/* Several errors: all reported, one per line, in file order. */
static void
test_many_errors(void)
{
	static const char text[] =
	    "[app]\n"
	    "ready = maybe\n"
	    "restart = sometimes\n"
	    "[bogus]\n"
	    "[backup]\n"
	    "keep = 0\n"
	    "[env.prod]\n"
	    "supervisor.log = x\n";
	struct config	*cf;
	char		*path, *err = NULL, *p;
	int		 nl = 0;

	tmp_begin();
	path = write_file("pitstop.ini", text);
	cf = config_load(path, NULL, &err);
	ok(cf == NULL && err != NULL, "a file with six errors is refused");
	for (p = err; p != NULL && *p != '\0'; p++)
		nl += *p == '\n';
	if (!ok(nl == 5, "six errors, one per line (%d newlines)", nl))
		diag(err);
	if (err != NULL) {
		ok(strstr(err, ":2: [app] ready") < strstr(err, ":3: [app] "
		    "restart") && strstr(err, ":3: ") < strstr(err, ":4: ") &&
		    strstr(err, ":4: ") < strstr(err, ":6: ") &&
		    strstr(err, ":6: ") < strstr(err, ":8: ") &&
		    strstr(err, ":8: ") < strstr(err, "[app] command: required"),
		    "in file order, file-wide errors last");
		ok(err[strlen(err) - 1] != '\n', "no trailing newline");
	}
	free(err);
	free(path);
	tmp_end();
}

static void
test_unreadable(void)
{
	struct config	*cf;
	char		*path, *err = NULL;

	tmp_begin();
	if (asprintf(&path, "%s/missing.ini", root) == -1)
		exit(1);
	errno = 0;
	cf = config_load(path, NULL, &err);
	if (!ok(cf == NULL && errno == ENOENT && err != NULL &&
	    strncmp(err, path, strlen(path)) == 0 &&
	    strstr(err, ": cannot read: No such file or directory") != NULL,
	    "missing file: ENOENT, cannot read"))
		diag(err);
	free(err);
	err = NULL;
	cf = config_load(root, NULL, &err);
	if (!ok(cf == NULL && err != NULL && strstr(err, "cannot read: Is a "
	    "directory") != NULL, "a directory cannot be read"))
		diag(err);
	free(err);
	free(path);
	tmp_end();
}

static void
test_unknown_env(void)
{
	struct config	*cf;
	char		*path, *err = NULL, *want;

	tmp_begin();
	path = write_file("conf/pitstop.ini", spec_example);
	errno = 0;
	cf = config_load(path, "staging", &err);
	if (asprintf(&want, "%s: unknown environment 'staging'; known: "
	    "default, prod", path) == -1)
		exit(1);
	if (!ok(cf == NULL && errno == ENOENT && err != NULL &&
	    strcmp(err, want) == 0, "unknown env: ENOENT, known ones listed"))
		diag(err);
	free(want);
	free(err);
	free(path);
	tmp_end();
}

/* The default socket is next to the file: too deep a directory fails. */
static void
test_default_socket_too_long(void)
{
	struct config	*cf;
	char		*path, *err = NULL, rel[200];
	const char	*needles[] = { "[supervisor] socket", "too long",
			    "107" };

	tmp_begin();
	memset(rel, 'd', sizeof(rel));
	rel[50] = '/';
	memcpy(rel + 101, "/pitstop.ini", 13);
	path = write_file(rel, APP);
	cf = config_load(path, NULL, &err);
	if (!ok(cf == NULL && has_error(err, path, 0, needles, 3),
	    "default socket path too long"))
		diag(err);
	config_free(cf);
	free(err);
	free(path);
	tmp_end();
}

static const char *
pair(const struct config_pair *p, int n, const char *name)
{
	int	 i;

	for (i = 0; i < n; i++)
		if (strcmp(p[i].name, name) == 0)
			return (p[i].value);
	return (NULL);
}

static int
streq(const char *a, const char *fmt, ...)
{
	va_list	 ap;
	char	*b;
	int	 eq;

	va_start(ap, fmt);
	if (vasprintf(&b, fmt, ap) == -1)
		exit(1);
	va_end(ap);
	eq = a != NULL && strcmp(a, b) == 0;
	if (!eq)
		printf("#   got '%s', want '%s'\n", a ? a : "(null)", b);
	free(b);
	return (eq);
}

static void
test_spec_example(void)
{
	struct config	*cf;
	char		*path, *err = NULL;

	tmp_begin();
	path = write_file("conf/pitstop.ini", spec_example);
	cf = config_load(path, NULL, &err);
	if (!ok(cf != NULL && err == NULL, "SPEC example loads"))
		diag(err);
	if (cf == NULL) {
		free(err);
		free(path);
		tmp_end();
		return;
	}
	ok(streq(cf->path, "%s/conf/pitstop.ini", root), "path is absolute");
	ok(streq(cf->dir, "%s/conf", root), "dir is the file's directory");
	ok(streq(cf->socket, "%s/run/pitstop.sock", root),
	    "socket relative to the file, .. resolved");
	ok(cf->socket_mode == 0600, "socket_mode 0600");
	ok(cf->socket_group == NULL, "empty socket_group is unset");
	ok(streq(cf->state_dir, "%s/var/pitstop", root), "state_dir");
	ok(streq(cf->log, "stderr"), "log stderr");
	ok(streq(cf->base_env, "default"), "base env");
	ok(streq(cf->env, "default"), "built for the base env");
	ok(cf->nenv_names == 2 && streq(cf->env_names[0], "default") &&
	    streq(cf->env_names[1], "prod") && cf->env_names[2] == NULL,
	    "env_names: default, prod");
	ok(config_has_env(cf, "prod") && config_has_env(cf, "default") &&
	    !config_has_env(cf, "staging"), "config_has_env");
	ok(streq(cf->command, "build/app-stub/app-stub"), "command as written");
	ok(cf->argc == 1 && streq(cf->argv[0], "%s/build/app-stub/app-stub",
	    root) && cf->argv[1] == NULL, "argv[0] resolved against directory");
	ok(streq(cf->directory, "%s", root), "directory .. is the project root");
	ok(cf->nlisten == 1 && streq(cf->listen[0], "127.0.0.1:5001") &&
	    cf->listen[1] == NULL, "listen");
	ok(cf->ready == READY_NOTIFY && cf->ready_url == NULL, "ready notify");
	ok(cf->ready_timeout_ms == 10000, "ready_timeout");
	ok(cf->stop_signal == SIGTERM, "stop_signal");
	ok(cf->stop_timeout_ms == 5000, "stop_timeout");
	ok(cf->restart == RESTART_ON_FAILURE, "restart");
	ok(cf->backoff_min_ms == 100 && cf->backoff_max_ms == 30000,
	    "backoff");
	ok(cf->start_limit_burst == 5 && cf->start_limit_interval_ms == 60000,
	    "start_limit");
	ok(cf->output == NULL, "output inherit");
	ok(cf->nenvironment == 1 && streq(cf->environment[0].name,
	    "APP_MODE") && streq(cf->environment[0].value, "development"),
	    "environment");
	ok(cf->ndatabases == 2 && streq(cf->databases[0].name, "main") &&
	    streq(cf->databases[0].value, "%s/var/app.db", root) &&
	    streq(cf->databases[1].name, "keychain") &&
	    streq(cf->databases[1].value, "%s/var/keychain.db", root),
	    "databases in file order, absolute");
	ok(streq(cf->backup_dir, "%s/.pitstop/backups", root),
	    "backup dir: ~ is $HOME");
	ok(cf->backup_keep == 20 && cf->backup_keep_safety == 5 &&
	    cf->backup_interval_ms == 0 && cf->post_backup == NULL,
	    "backup numbers, no post_backup");
	ok(cf->nwatch_paths == 0 && cf->watch_paths[0] == NULL,
	    "no watch paths");
	ok(cf->nwatch_ignore == 2 && streq(cf->watch_ignore[0], "*.pyc") &&
	    streq(cf->watch_ignore[1], ".git"), "watch ignore");
	ok(cf->watch_debounce_ms == 300, "debounce");
	config_free(cf);

	cf = config_load(path, "default", &err);
	ok(cf != NULL && streq(cf->env, "default") &&
	    streq(pair(cf->databases, cf->ndatabases, "main"),
	    "%s/var/app.db", root), "naming the base env gives the base");
	config_free(cf);

	cf = config_load(path, "prod", &err);
	ok(cf != NULL, "prod loads");
	if (cf != NULL) {
		ok(streq(cf->env, "prod") && cf->nenv_names == 2 &&
		    streq(cf->env_names[0], "default"), "built for prod");
		ok(streq(pair(cf->databases, cf->ndatabases, "main"),
		    "%s/var/prod.db", root), "prod: databases.main overridden");
		ok(streq(pair(cf->databases, cf->ndatabases, "keychain"),
		    "%s/var/keychain.db", root) && cf->ndatabases == 2,
		    "prod: keychain kept");
		ok(streq(pair(cf->environment, cf->nenvironment, "APP_MODE"),
		    "production") && cf->nenvironment == 1,
		    "prod: APP_MODE replaced");
		ok(streq(cf->socket, "%s/run/pitstop.sock", root),
		    "prod: supervisor unchanged");
	}
	config_free(cf);
	config_free(NULL);
	free(path);
	tmp_end();
}

static void
test_defaults(void)
{
	struct config	*cf;
	char		*path, *err = NULL;

	tmp_begin();
	path = write_file("c/p.ini", "[app]\ncommand = python3 app.py --x\n");
	cf = config_load(path, NULL, &err);
	if (!ok(cf != NULL, "minimal file loads"))
		diag(err);
	if (cf != NULL) {
		ok(streq(cf->socket, "%s/c/pitstop.sock", root),
		    "default socket next to the file");
		ok(cf->socket_mode == 0600 && cf->socket_group == NULL,
		    "default socket_mode 0600, no group");
		ok(streq(cf->state_dir, "%s/c/pitstop-state", root),
		    "default state_dir");
		ok(streq(cf->log, "stderr"), "default log");
		ok(streq(cf->base_env, "default") && streq(cf->env, "default")
		    && cf->nenv_names == 1, "default env");
		ok(cf->argc == 3 && streq(cf->argv[0], "python3") &&
		    streq(cf->argv[1], "app.py") && streq(cf->argv[2], "--x"),
		    "bare program left to PATH, arguments as written");
		ok(streq(cf->directory, "%s/c", root),
		    "default directory is the file's");
		ok(cf->nlisten == 0 && cf->listen != NULL &&
		    cf->listen[0] == NULL, "no listen");
		ok(cf->ready == READY_NONE && cf->ready_timeout_ms == 10000,
		    "ready none, 10s");
		ok(cf->stop_signal == SIGTERM && cf->stop_timeout_ms == 5000,
		    "TERM, 5s");
		ok(cf->restart == RESTART_ON_FAILURE, "on-failure");
		ok(cf->backoff_min_ms == 100 && cf->backoff_max_ms == 30000 &&
		    cf->start_limit_burst == 5 &&
		    cf->start_limit_interval_ms == 60000,
		    "backoff and start_limit");
		ok(cf->output == NULL, "output inherit");
		ok(cf->nenvironment == 0 && cf->ndatabases == 0,
		    "no variables, no databases");
		ok(streq(cf->backup_dir, "%s/.pitstop/backups", root) &&
		    cf->backup_keep == 20 && cf->backup_keep_safety == 5 &&
		    cf->backup_interval_ms == 0 && cf->post_backup == NULL,
		    "backup defaults");
		ok(cf->nwatch_paths == 0 && cf->nwatch_ignore == 0 &&
		    cf->watch_debounce_ms == 300, "watch defaults");
	}
	config_free(cf);
	free(err);
	free(path);
	tmp_end();
}

static void
test_values(void)
{
	struct config	*cf;
	struct group	*gr;
	char		*path, *err = NULL, *text;
	const char	*head =
	    "[supervisor]\n"
	    "socket = /run/x.sock\n"
	    "socket_mode = 660\n"
	    "state_dir = ~/state\n"
	    "log = logs/pitstopd.log\n"
	    "env = dev\n"
	    "[app]\n"
	    "command = ./bin/app 'a b' rel/arg \"$X\"\n"
	    "directory = sub/dir/\n"
	    "listen = [::1]:80 localhost:8080 unix:s.sock 0.0.0.0:1\n"
	    "ready = http://[::1]:8080/healthz?deep=1\n"
	    "stop_signal = sigint\n"
	    "stop_timeout = 0\n"
	    "restart = always\n"
	    "backoff = 1s..1m\n"
	    "start_limit = 3/10s\n"
	    "output = ../out.log\n"
	    "[databases]\n"
	    "main = /abs/app.db\n"
	    "[backup]\n"
	    "dir = backups\n"
	    "keep = 1\n"
	    "keep_safety = 2\n"
	    "interval = 1h\n"
	    "post_backup = rsync -a \"$PITSTOP_BACKUP_DIR\" host:\n"
	    "[watch]\n"
	    "paths = src ~/lib /etc/x\n"
	    "debounce = 0\n";

	tmp_begin();
	gr = getgrgid(getgid());
	if (gr == NULL || asprintf(&text, "%s[supervisor]\nsocket_group = %s\n",
	    head, gr->gr_name) == -1)
		exit(1);
	path = write_file("conf/p.ini", text);
	cf = config_load(path, NULL, &err);
	if (!ok(cf != NULL, "every kind of value loads"))
		diag(err);
	if (cf == NULL)
		goto out;
	ok(streq(cf->socket, "/run/x.sock"), "absolute socket kept");
	ok(cf->socket_mode == 0660, "socket_mode 660");
	ok(gr != NULL && streq(cf->socket_group, "%s", gr->gr_name) &&
	    cf->socket_gid == gr->gr_gid, "socket_group resolved to its gid");
	ok(streq(cf->state_dir, "%s/state", root), "~/ expanded");
	ok(streq(cf->log, "%s/conf/logs/pitstopd.log", root), "log file");
	ok(streq(cf->env, "dev") && cf->nenv_names == 1 &&
	    streq(cf->env_names[0], "dev"), "base env renamed");
	ok(streq(cf->directory, "%s/conf/sub/dir", root),
	    "directory relative to the file");
	ok(cf->argc == 4 && streq(cf->argv[0], "%s/conf/sub/dir/bin/app",
	    root) && streq(cf->argv[1], "a b") &&
	    streq(cf->argv[2], "rel/arg") && streq(cf->argv[3], "$X"),
	    "argv: program against directory, words split, no expansion");
	ok(cf->nlisten == 4 && streq(cf->listen[0], "[::1]:80") &&
	    streq(cf->listen[1], "localhost:8080") &&
	    streq(cf->listen[2], "unix:%s/conf/s.sock", root) &&
	    streq(cf->listen[3], "0.0.0.0:1"), "listen addresses");
	ok(cf->ready == READY_HTTP &&
	    streq(cf->ready_url, "http://[::1]:8080/healthz?deep=1") &&
	    streq(cf->ready_host, "::1") && cf->ready_port == 8080 &&
	    streq(cf->ready_path, "/healthz?deep=1"), "ready URL with IPv6");
	ok(cf->stop_signal == SIGINT && cf->stop_timeout_ms == 0,
	    "stop_signal sigint, stop_timeout 0");
	ok(cf->restart == RESTART_ALWAYS, "restart always");
	ok(cf->backoff_min_ms == 1000 && cf->backoff_max_ms == 60000,
	    "backoff 1s..1m");
	ok(cf->start_limit_burst == 3 && cf->start_limit_interval_ms == 10000,
	    "start_limit 3/10s");
	ok(streq(cf->output, "%s/out.log", root), "output file");
	ok(streq(pair(cf->databases, cf->ndatabases, "main"), "/abs/app.db"),
	    "absolute database path kept");
	ok(streq(cf->backup_dir, "%s/conf/backups", root) &&
	    cf->backup_keep == 1 && cf->backup_keep_safety == 2 &&
	    cf->backup_interval_ms == 3600000, "backup values");
	ok(streq(cf->post_backup, "rsync -a \"$PITSTOP_BACKUP_DIR\" host:"),
	    "post_backup as written");
	ok(cf->nwatch_paths == 3 && streq(cf->watch_paths[0], "%s/conf/src",
	    root) && streq(cf->watch_paths[1], "%s/lib", root) &&
	    streq(cf->watch_paths[2], "/etc/x") && cf->watch_debounce_ms == 0,
	    "watch paths");
	config_free(cf);
out:
	free(err);
	free(text);
	free(path);
	tmp_end();
}

static void
test_ready_forms(void)
{
	static const struct {
		const char	*v;
		const char	*host;
		int		 port;
		const char	*path;
	} forms[] = {
		{ "http://127.0.0.1:5001/healthz", "127.0.0.1", 5001,
		    "/healthz" },
		{ "http://localhost:80", "localhost", 80, "/" },
		{ "http://app.internal:65535?x=1", "app.internal", 65535,
		    "/?x=1" },
		{ "HTTP://h:1/", "h", 1, "/" },
	};
	struct config	*cf;
	char		*path, *err = NULL, *text;
	size_t		 i;

	for (i = 0; i < NITEMS(forms); i++) {
		tmp_begin();
		if (asprintf(&text, APP "ready = %s\n", forms[i].v) == -1)
			exit(1);
		path = write_file("p.ini", text);
		cf = config_load(path, NULL, &err);
		ok(cf != NULL && cf->ready == READY_HTTP &&
		    streq(cf->ready_host, "%s", forms[i].host) &&
		    cf->ready_port == forms[i].port &&
		    streq(cf->ready_path, "%s", forms[i].path),
		    "ready %s", forms[i].v);
		config_free(cf);
		free(err);
		err = NULL;
		free(text);
		free(path);
		tmp_end();
	}
}

static void
test_overrides(void)
{
	static const char text[] =
	    "[supervisor]\n"
	    "env = dev\n"
	    "[app]\n"
	    "command = bin/app\n"
	    "ready = notify\n"
	    "[environment]\n"
	    "A = 1\n"
	    "[env.stage]\n"
	    "app.directory = stage\n"
	    "environment.B = 2\n"
	    "[env.prod]\n"
	    "app.command = ~/bin/prod --fast\n"
	    "app.ready = none\n"
	    "backup.keep = 99\n"
	    "watch.paths = w\n"
	    "[env.stage]\n"
	    "databases.main = s.db\n";
	struct config	*cf;
	char		*path, *err = NULL;

	tmp_begin();
	path = write_file("conf/p.ini", text);
	cf = config_load(path, NULL, &err);
	ok(cf != NULL && cf->nenv_names == 3 && streq(cf->env_names[0], "dev")
	    && streq(cf->env_names[1], "stage") &&
	    streq(cf->env_names[2], "prod"),
	    "env_names: base first, then file order, each once");
	ok(cf != NULL && cf->ready == READY_NOTIFY && cf->backup_keep == 20 &&
	    cf->nenvironment == 1 && cf->ndatabases == 0 &&
	    cf->nwatch_paths == 0 &&
	    streq(cf->argv[0], "%s/conf/bin/app", root),
	    "the base environment has no overrides");
	config_free(cf);

	cf = config_load(path, "stage", &err);
	ok(cf != NULL && streq(cf->env, "stage") &&
	    streq(cf->argv[0], "%s/conf/stage/bin/app", root),
	    "stage: argv[0] follows the overridden directory");
	ok(cf != NULL && cf->nenvironment == 2 &&
	    streq(pair(cf->environment, cf->nenvironment, "A"), "1") &&
	    streq(pair(cf->environment, cf->nenvironment, "B"), "2"),
	    "stage: environment.B added");
	ok(cf != NULL && streq(pair(cf->databases, cf->ndatabases, "main"),
	    "%s/conf/s.db", root), "stage: database added by a "
	    "repeated section, relative to the file");
	config_free(cf);

	cf = config_load(path, "prod", &err);
	ok(cf != NULL && streq(cf->command, "~/bin/prod --fast") &&
	    cf->argc == 2 && streq(cf->argv[0], "%s/bin/prod", root),
	    "prod: command replaced, ~ expanded in the program");
	ok(cf != NULL && cf->ready == READY_NONE && cf->backup_keep == 99 &&
	    cf->nwatch_paths == 1 && streq(cf->watch_paths[0], "%s/conf/w",
	    root) && cf->ndatabases == 0, "prod: its overrides only");
	config_free(cf);
	free(err);
	free(path);
	tmp_end();
}

/* Continuation lines, CRLF, a BOM and comments. */
static void
test_syntax(void)
{
	static const char text[] =
	    "\xEF\xBB\xBF; comment\r\n"
	    "# another comment\r\n"
	    "[app]\r\n"
	    "command = app --one\r\n"
	    "    --two 'three four' ; comment\r\n"
	    "\t; indented comment\r\n"
	    "restart = never\r\n"
	    "[environment]\n"
	    "URL = http://x/?a=1;b=2\n";
	struct config	*cf;
	char		*path, *err = NULL;

	tmp_begin();
	path = write_file("p.ini", text);
	cf = config_load(path, NULL, &err);
	if (!ok(cf != NULL, "BOM, CRLF and comments"))
		diag(err);
	ok(cf != NULL && cf->argc == 4 && streq(cf->argv[1], "--one") &&
	    streq(cf->argv[2], "--two") && streq(cf->argv[3], "three four"),
	    "an indented line continues the value");
	ok(cf != NULL && cf->restart == RESTART_NEVER, "restart never");
	ok(cf != NULL && streq(pair(cf->environment, cf->nenvironment, "URL"),
	    "http://x/?a=1;b=2"), "';' without a blank before is no comment");
	config_free(cf);
	free(err);
	free(path);
	tmp_end();
}

int
main(void)
{
	test_bad();
	test_many_errors();
	test_unreadable();
	test_unknown_env();
	test_default_socket_too_long();
	test_spec_example();
	test_defaults();
	test_values();
	test_ready_forms();
	test_overrides();
	test_syntax();
	return (done());
}
