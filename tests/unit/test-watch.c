/*
 * test-watch: watch_ignored() on a table of paths, then the watch end to
 * end on a real event_base and a temp tree: a burst is reported once,
 * the databases, their companions, backup_dir and state_dir never count,
 * and new, renamed, moved-away and re-created directories are followed.
 * A burst's report names its last written file, so each step writes the
 * file it expects last but one when what follows must not count: a
 * wrong count would then show as the wrong name. Time limits only guard
 * against a hang; nothing is measured. Each test works in its own
 * mkdtemp() directory.
 */
#include <sys/stat.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "watch.h"
#include "tap.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static char	*root;

static int
rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return (remove(path));
}

static void
tmp_begin(void)
{
	const char	*t = getenv("TMPDIR");
	char		*tmpl;

	if (t == NULL || *t == '\0')
		t = "/tmp";
	if (asprintf(&tmpl, "%s/test-watch.XXXXXX", t) == -1 ||
	    mkdtemp(tmpl) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	/* The watch reports resolved paths: compare with those. */
	if ((root = realpath(tmpl, NULL)) == NULL) {
		perror("realpath");
		exit(1);
	}
	free(tmpl);
	setenv("HOME", root, 1);
}

static void
tmp_end(void)
{
	(void)nftw(root, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	free(root);
	root = NULL;
}

/* root/rel, in a static buffer (two of them, for rename). */
static const char *
at(const char *rel)
{
	static char	buf[2][4096];
	static int	i;

	i = !i;
	(void)snprintf(buf[i], sizeof(buf[i]), "%s/%s", root, rel);
	return (buf[i]);
}

static void
md(const char *rel)
{
	char	path[4096], *p;

	(void)snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (p = path + strlen(root) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		(void)mkdir(path, 0700);
		*p = '/';
	}
	if (mkdir(path, 0700) == -1 && errno != EEXIST) {
		perror(path);
		exit(1);
	}
}

static void
wf(const char *rel)
{
	FILE	*fp;

	if ((fp = fopen(at(rel), "w")) == NULL || fputs(rel, fp) == EOF ||
	    fclose(fp) == EOF) {
		perror(rel);
		exit(1);
	}
}

static void
mv(const char *from, const char *to)
{
	if (rename(at(from), at(to)) == -1) {
		perror(from);
		exit(1);
	}
}

static struct config *
load(const char *text)
{
	struct config	*cf;
	FILE		*fp;
	char		*err = NULL;

	if ((fp = fopen(at("pitstop.ini"), "w")) == NULL ||
	    fputs(text, fp) == EOF || fclose(fp) == EOF) {
		perror("pitstop.ini");
		exit(1);
	}
	if ((cf = config_load(at("pitstop.ini"), NULL, &err)) == NULL) {
		printf("# config_load: %s\n", err);
		exit(1);
	}
	return (cf);
}

/* Everything that must never count lives inside the watched "src". */
static const char config_text[] =
"[supervisor]\n"
"socket = src/ctl.sock\n"
"state_dir = src/state\n"
"log = src/pitstopd.log\n"
"[app]\n"
"command = app\n"
"output = src/app.out\n"
"[databases]\n"
"main = src/var/app.db\n"
"keychain = later/kc.db\n"
"[backup]\n"
"dir = src/backups\n"
"[watch]\n"
"paths = src lib/keep.pyc tools.pyc gen\n"
"ignore = *.pyc .git node_modules\n"
"debounce = 100ms\n";

static void
test_ignored(void)
{
	static const struct {
		const char	*rel;
		int		 ignored;
		const char	*why;
	} cases[] = {
		{ "src/main.c", 0, "a source file" },
		{ "src/sub/deep/x.c", 0, "a source file deep down" },
		{ "src/sub/x.pyc", 1, "a glob on the last name" },
		{ "src/.git/HEAD", 1, "a glob on a directory" },
		{ "src/a/node_modules/b/c.js", 1, "a glob in the middle" },
		{ "src/var/app.db", 1, "the database" },
		{ "src/var/app.db-wal", 1, "its -wal" },
		{ "src/var/app.db-shm", 1, "its -shm" },
		{ "src/var/app.db-journal", 1, "its -journal" },
		{ "src/var/app.db-mj0A1B2C3D", 1, "its super-journal" },
		{ "src/var/app.db.pitstop-staged", 1, "its staged copy" },
		{ "src/var/app.db.pitstop-safety", 1, "its safety copy" },
		{ "src/var/app.db.pitstop-safety-wal", 1,
		    "the safety copy's -wal" },
		{ "src/var/app.db2", 0, "a longer name" },
		{ "src/var/app.dbx-wal", 0, "a longer name's -wal" },
		{ "src/var/other.db", 0, "another file beside it" },
		{ "alias/app.db-wal", 1,
		    "the -wal through a symlinked directory" },
		{ "src/var/./app.db-wal", 1, "an unclean path" },
		{ "later/kc.db-journal", 1,
		    "a database whose directory does not exist yet" },
		{ "later/kc.db.bak", 0, "a file beside it" },
		{ "src/backups", 1, "backup_dir" },
		{ "src/backups/default/1/main.db", 1, "inside backup_dir" },
		{ "src/backupsX/f", 0, "a name that starts like it" },
		{ "src/state/pitstopd.lock", 1, "inside state_dir" },
		{ "src/pitstopd.log", 1, "the log file" },
		{ "src/app.out", 1, "the app's output file" },
		{ "src/ctl.sock", 1, "the control socket" },
		{ "lib/keep.pyc", 0,
		    "a watch path, whatever the globs say" },
		{ "lib/other.pyc", 1, "its neighbour, globbed" },
		{ "tools.pyc/run.sh", 0,
		    "globs look below the watch path only" },
		{ "tools.pyc/run.pyc", 1, "but they do look there" },
	};
	struct config	*cf;
	size_t		 i;

	tmp_begin();
	md("src/var");
	md("lib");
	if (symlink(at("src/var"), at("alias")) == -1) {
		perror("symlink");
		exit(1);
	}
	cf = load(config_text);
	for (i = 0; i < NITEMS(cases); i++)
		ok(watch_ignored(cf, at(cases[i].rel)) == cases[i].ignored,
		    "%s %s: %s", cases[i].ignored ? "ignored" : "counts",
		    cases[i].rel, cases[i].why);
	config_free(cf);
	tmp_end();
}

static void
never_cb(void *arg, const char *path)
{
	int	*called = arg;

	(*called)++;
}

static void
test_no_paths(void)
{
	struct event_base	*base;
	struct config		*cf;
	struct watch		*w;
	int			 called = 0;

	tmp_begin();
	cf = load("[app]\ncommand = app\n");
	base = event_base_new();
	w = watch_new(base, cf, never_cb, &called);
	ok(w != NULL, "a config without watch paths gives a watch");
	wf("file.c");
	ok(event_base_loop(base, EVLOOP_NONBLOCK) >= 0 && called == 0,
	    "that does nothing");
	watch_free(w);
	watch_free(NULL);
	ok(1, "watch_free(NULL) does nothing");
	event_base_free(base);
	config_free(cf);
	tmp_end();
}

/* The end-to-end test's state, shared with the callbacks. */
static struct {
	struct event_base	*base;
	struct watch		*w;
	int			 calls;
	int			 want;
	int			 free_in_cb;
	char			*last;
} e;

static void
changed_cb(void *arg, const char *path)
{
	e.calls++;
	free(e.last);
	e.last = strdup(path);
	if (e.free_in_cb) {
		watch_free(e.w);
		e.w = NULL;
	}
	if (e.calls >= e.want)
		event_base_loopbreak(e.base);
}

static void
guard_cb(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopbreak(e.base);
}

/*
 * Run the loop until the report of the changes just made, and check it
 * is the `n`th one and names `rel`.
 */
static void
expect(int n, const char *rel, const char *what)
{
	struct timeval	 tv = { 10, 0 };
	struct event	*guard;

	e.want = n;
	guard = evtimer_new(e.base, guard_cb, NULL);
	evtimer_add(guard, &tv);
	if (e.calls < n)
		event_base_dispatch(e.base);
	event_free(guard);
	if (!ok(e.calls == n && e.last != NULL &&
	    strcmp(e.last, at(rel)) == 0, "%s", what))
		printf("# report %d of %d names %s, expected %s\n", e.calls,
		    n, e.last != NULL ? e.last : "nothing", at(rel));
}

static void
test_debounce(void)
{
	struct config	*cf;
	char		 rel[64];
	int		 i;

	tmp_begin();
	md("src/var");
	md("src/state");
	md("src/backups");
	md("src/.git");
	md("lib");
	md("gen");
	md("outside");
	cf = load(config_text);
	e.base = event_base_new();
	e.w = watch_new(e.base, cf, changed_cb, NULL);
	ok(e.w != NULL, "watch_new");

	for (i = 0; i < 100; i++) {
		(void)snprintf(rel, sizeof(rel), "src/f%03d.c", i);
		wf(rel);
	}
	expect(1, "src/f099.c", "100 files written: one report, the last");

	wf("src/sentinel.c");
	wf("src/var/app.db");
	wf("src/var/app.db-wal");
	wf("src/var/app.db-shm");
	wf("src/var/app.db-journal");
	wf("src/var/app.db.pitstop-staged");
	mv("src/var/app.db", "src/var/app.db.pitstop-safety");
	mv("src/var/app.db.pitstop-staged", "src/var/app.db");
	wf("src/x.pyc");
	wf("src/.git/index");
	md("src/node_modules/pkg");
	wf("src/node_modules/pkg/index.js");
	wf("src/state/restore.journal");
	md("src/backups/default/1");
	wf("src/backups/default/1/main.db");
	wf("src/pitstopd.log");
	wf("src/app.out");
	wf("lib/other.py");
	expect(2, "src/sentinel.c", "databases, companions, globs, "
	    "backup_dir, state_dir, log and output never count");

	md("src/newdir");
	wf("src/newdir/file.c");
	expect(3, "src/newdir/file.c", "a new directory and a file in it: "
	    "one report naming the file");

	md("src/n1/n2/n3");
	wf("src/n1/n2/n3/deep.c");
	expect(4, "src/n1/n2/n3/deep.c", "a new tree: its file counts");
	wf("src/n1/n2/later.c");
	expect(5, "src/n1/n2/later.c", "and the new tree is watched");

	wf("lib/keep.pyc.new");
	mv("lib/keep.pyc.new", "lib/keep.pyc");
	wf("lib/zzz.py");
	expect(6, "lib/keep.pyc", "a watched file saved by rename counts, "
	    "its neighbours do not");

	mv("src/newdir", "src/moved");
	wf("src/moved/x.c");
	expect(7, "src/moved/x.c", "a directory renamed in the tree: "
	    "events carry the new name");
	wf("src/moved/y.c");
	expect(8, "src/moved/y.c", "and it stays watched");

	wf("src/after.c");
	mv("src/n1", "outside/n1");
	wf("outside/n1/n2/z.c");
	expect(9, "src/after.c", "a directory moved out of the tree no "
	    "longer counts");

	mv("gen", "gen.old");
	md("gen");
	wf("gen/out.c");
	expect(10, "gen/out.c", "a watched directory re-created: its "
	    "files count");
	wf("gen/again.c");
	expect(11, "gen/again.c", "and it is watched again");

	e.free_in_cb = 1;
	wf("src/last.c");
	expect(12, "src/last.c", "the callback may free the watch");

	event_base_free(e.base);
	free(e.last);
	config_free(cf);
	tmp_end();
}

int
main(void)
{
	test_ignored();
	test_no_paths();
	test_debounce();
	return (done());
}
