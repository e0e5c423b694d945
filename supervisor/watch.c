/*
 * watch: inotify on the [watch] paths, read from the one event_base. It
 * owns the inotify descriptor, one record per watched directory and the
 * debounce timer; it decides what counts as a change and when a burst is
 * over. It does not restart anything: the caller gets one callback per
 * burst and decides (pitstopd restarts the app unless it is busy).
 *
 * Every path here is absolute with the symlinks of its directories
 * resolved: the watch paths are resolved once, and the walk builds the
 * rest by appending names without ever following a symlink. So the
 * never-count rules (the filter) compare plain strings, without a system
 * call per event.
 */
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "log.h"
#include "util.h"
#include "watch.h"
#include "xmalloc.h"

/*
 * IN_MODIFY is left out on purpose: a file counts once, when the writer
 * closes it (IN_CLOSE_WRITE), not for every write(2) on the way. It also
 * keeps files that stay open for appending (logs) from counting at all.
 * IN_EXCL_UNLINK stops events from files that were unlinked while open.
 */
#define WATCH_MASK	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | \
			    IN_CREATE | IN_DELETE | IN_ATTRIB | \
			    IN_DELETE_SELF | IN_MOVE_SELF | \
			    IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK)

/* The kernel's old default, for when /proc does not tell us. */
#define WATCH_MAX_USER_DEFAULT	8192
/* Reads per callback, so a flood of events cannot starve the loop. */
#define WATCH_READS_MAX		64

/*
 * Which path a burst reports: a file written or moved into place says
 * more than the editor's temporary files being created and deleted
 * around it. Among equals, the last one wins.
 */
enum rank { RANK_NONE, RANK_OTHER, RANK_WRITTEN };

/* What never counts (see watch_ignored()). */
struct filter {
	char	**roots;	/* the watch paths */
	int	  nroots;
	char	**globs;
	int	  nglobs;
	char	**dbs;		/* databases, companions included */
	int	  ndbs;
	char	**files;	/* log, app output, socket */
	int	  nfiles;
	char	**dirs;		/* backup_dir, state_dir (trees) */
	int	  ndirs;
};

/* One inotify watch: a directory. */
struct wdir {
	int	  wd;
	char	 *path;
	dev_t	  dev;
	ino_t	  ino;
	int	  recursive;	/* every entry counts, subdirs too */
	int	  stale;	/* moved or deleted: paths wrong */
	char	**names;	/* else only these (watch paths) */
	int	  nnames;
};

struct watch {
	struct event_base	*base;
	watch_changed_cb	 changed;
	void			*arg;
	struct filter		 filter;
	struct timeval		 debounce;
	int			 fd;
	struct event		*ev_read;
	struct event		*ev_quiet;

	struct wdir		**dirs;		/* sorted by wd */
	int			 ndirs;
	int			 dirs_size;
	long			 max_user;	/* max_user_watches */
	int			 limit;		/* the most we take */
	int			 warned;	/* about the limit */

	char			*pending;	/* the burst's report */
	enum rank		 pending_rank;
	int			 noted;		/* changes in this read */
};

static void	watch_tree(struct watch *, const char *, int);

/*
 * Paths
 */

static char *
path_join(const char *dir, const char *name)
{
	char	*p;
	size_t	 n = strlen(dir);

	xasprintf(&p, "%s%s%s", dir, n > 0 && dir[n - 1] == '/' ? "" : "/",
	    name);
	return (p);
}

/* Non-zero when `path` is `dir` or lies below it. */
static int
path_under(const char *path, const char *dir)
{
	size_t	n = strlen(dir);

	if (n == 1 && dir[0] == '/')
		return (path[0] == '/');
	return (strncmp(path, dir, n) == 0 &&
	    (path[n] == '\0' || path[n] == '/'));
}

/*
 * `p` with every symlink resolved. A tail that does not exist yet (a
 * backup_dir or database made later) is kept as written on top of its
 * longest existing ancestor, resolved, so it compares equal to what the
 * watch sees once it is created.
 */
static char *
path_real(const char *p)
{
	char	*r, *head, *slash, *out;

	if ((r = realpath(p, NULL)) != NULL)
		return (r);
	if (errno != ENOENT && errno != ENOTDIR)
		return (xstrdup(p));
	head = xstrdup(p);
	if ((slash = strrchr(head, '/')) == NULL || slash == head) {
		free(head);
		return (xstrdup(p));
	}
	*slash = '\0';
	r = path_real(head);
	out = path_join(r, slash + 1);
	free(r);
	free(head);
	return (out);
}

/*
 * `p` with the symlinks of its directory resolved, but not the last
 * name: a database path may be a symlink, and its -wal appears next to
 * the link, not next to the target.
 */
static char *
path_real_dir(const char *p)
{
	char	*copy, *slash, *base, *dir, *out;
	size_t	 n;

	copy = xstrdup(p);
	n = strlen(copy);
	while (n > 1 && copy[n - 1] == '/')
		copy[--n] = '\0';
	if ((slash = strrchr(copy, '/')) == NULL) {
		base = copy;
		dir = xstrdup(".");
	} else {
		base = slash + 1;
		dir = slash == copy ? xstrdup("/") : xstrndup(copy,
		    (size_t)(slash - copy));
	}
	if (*base == '\0' || strcmp(base, ".") == 0 ||
	    strcmp(base, "..") == 0)
		out = path_real(copy);
	else {
		out = path_real(dir);
		free(dir);
		dir = out;
		out = path_join(dir, base);
	}
	free(dir);
	free(copy);
	return (out);
}

/*
 * Filter
 */

static void
strv_add(char ***v, int *n, char *s)
{
	*v = xreallocarray(*v, (size_t)*n + 1, sizeof(**v));
	(*v)[(*n)++] = s;
}

static void
strv_free(char **v, int n)
{
	int	i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
filter_init(struct filter *f, const struct config *cf)
{
	int	i;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < cf->nwatch_paths; i++)
		strv_add(&f->roots, &f->nroots, path_real(cf->watch_paths[i]));
	for (i = 0; i < cf->nwatch_ignore; i++)
		strv_add(&f->globs, &f->nglobs, xstrdup(cf->watch_ignore[i]));
	for (i = 0; i < cf->ndatabases; i++)
		strv_add(&f->dbs, &f->ndbs,
		    path_real_dir(cf->databases[i].value));
	/*
	 * The log is reopened on SIGHUP and the output file is closed each
	 * time the app exits: both give IN_CLOSE_WRITE, and the second would
	 * restart the app after every restart, for ever.
	 */
	if (cf->log != NULL && cf->log[0] == '/')
		strv_add(&f->files, &f->nfiles, path_real_dir(cf->log));
	if (cf->output != NULL)
		strv_add(&f->files, &f->nfiles, path_real_dir(cf->output));
	if (cf->socket != NULL)
		strv_add(&f->files, &f->nfiles, path_real_dir(cf->socket));
	if (cf->backup_dir != NULL)
		strv_add(&f->dirs, &f->ndirs, path_real(cf->backup_dir));
	if (cf->state_dir != NULL)
		strv_add(&f->dirs, &f->ndirs, path_real(cf->state_dir));
}

static void
filter_clear(struct filter *f)
{
	strv_free(f->roots, f->nroots);
	strv_free(f->globs, f->nglobs);
	strv_free(f->dbs, f->ndbs);
	strv_free(f->files, f->nfiles);
	strv_free(f->dirs, f->ndirs);
	memset(f, 0, sizeof(*f));
}

/*
 * Non-zero when `tail`, what follows a database's path, names one of its
 * companions: SQLite's -wal, -shm, -journal and -mjNNN (super-journal)
 * files, and restore's staged and safety copies with their own (the
 * suffixes restore.c uses).
 */
static int
db_companion(const char *tail)
{
	static const char *const pitstop[] = {
		".pitstop-staged", ".pitstop-safety"
	};
	static const char *const sqlite[] = { "", "-wal", "-shm", "-journal" };
	size_t	 i, n;

	for (i = 0; i < sizeof(pitstop) / sizeof(pitstop[0]); i++) {
		n = strlen(pitstop[i]);
		if (strncmp(tail, pitstop[i], n) == 0) {
			tail += n;
			break;
		}
	}
	if (strncmp(tail, "-mj", 3) == 0)
		return (1);
	for (i = 0; i < sizeof(sqlite) / sizeof(sqlite[0]); i++)
		if (strcmp(tail, sqlite[i]) == 0)
			return (1);
	return (0);
}

/* Non-zero when a component of `rel` matches an ignore glob. */
static int
filter_globbed(const struct filter *f, const char *rel)
{
	char		 comp[NAME_MAX + 1];
	const char	*e;
	size_t		 n;
	int		 i;

	while (*rel != '\0') {
		while (*rel == '/')
			rel++;
		if (*rel == '\0')
			break;
		e = strchrnul(rel, '/');
		n = (size_t)(e - rel);
		if (n < sizeof(comp)) {
			memcpy(comp, rel, n);
			comp[n] = '\0';
			for (i = 0; i < f->nglobs; i++)
				if (fnmatch(f->globs[i], comp, 0) == 0)
					return (1);
		}
		rel = e;
	}
	return (0);
}

static int
filter_match(const struct filter *f, const char *path)
{
	const char	*rel = path;
	size_t		 n, best = 0;
	int		 i;

	for (i = 0; i < f->ndirs; i++)
		if (path_under(path, f->dirs[i]))
			return (1);
	for (i = 0; i < f->nfiles; i++)
		if (strcmp(path, f->files[i]) == 0)
			return (1);
	for (i = 0; i < f->ndbs; i++) {
		n = strlen(f->dbs[i]);
		if (strncmp(path, f->dbs[i], n) == 0 &&
		    db_companion(path + n))
			return (1);
	}
	/*
	 * Globs look only below the watch path (the deepest that holds
	 * this one): a project that itself lives under, say, "build" must
	 * not go deaf because "build" is ignored inside it, and a file
	 * named as a watch path is watched whatever the globs say.
	 */
	for (i = 0; i < f->nroots; i++) {
		n = strlen(f->roots[i]);
		if (n >= best && path_under(path, f->roots[i])) {
			best = n;
			rel = path + n;
		}
	}
	return (filter_globbed(f, rel));
}

int
watch_ignored(const struct config *cf, const char *path)
{
	struct filter	 f;
	char		*real;
	int		 rv;

	filter_init(&f, cf);
	real = path_real_dir(path);
	rv = filter_match(&f, real);
	free(real);
	filter_clear(&f);
	return (rv);
}

/*
 * Directory records
 */

/* Index of `wd` in w->dirs, or where it would go; 1 when found. */
static int
watch_find(const struct watch *w, int wd, int *at)
{
	int	lo = 0, hi = w->ndirs, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (w->dirs[mid]->wd < wd)
			lo = mid + 1;
		else
			hi = mid;
	}
	*at = lo;
	return (lo < w->ndirs && w->dirs[lo]->wd == wd);
}

static int
wdir_has_name(const struct wdir *d, const char *name)
{
	int	i;

	for (i = 0; i < d->nnames; i++)
		if (strcmp(d->names[i], name) == 0)
			return (1);
	return (0);
}

static void
wdir_free(struct wdir *d)
{
	strv_free(d->names, d->nnames);
	free(d->path);
	free(d);
}

static void
watch_drop(struct watch *w, int wd)
{
	int	at;

	if (!watch_find(w, wd, &at))
		return;
	wdir_free(w->dirs[at]);
	memmove(&w->dirs[at], &w->dirs[at + 1],
	    (size_t)(w->ndirs - at - 1) * sizeof(*w->dirs));
	w->ndirs--;
}

static void
watch_warn_limit(struct watch *w, const char *path, int enospc)
{
	if (w->warned)
		return;
	w->warned = 1;
	if (enospc)
		log_warnx("watch: cannot watch %s: the inotify watch limit "
		    "(fs.inotify.max_user_watches = %ld) is used up by "
		    "pitstopd and other programs, so changes there and in "
		    "other unwatched directories go unnoticed; add ignore "
		    "globs for big trees (node_modules, .git) or raise the "
		    "limit with sysctl", path, w->max_user);
	else
		log_warnx("watch: not watching %s and further directories: "
		    "%d are watched, half of fs.inotify.max_user_watches "
		    "(%ld), the rest being left to editors and other "
		    "programs; add ignore globs for big trees (node_modules, "
		    ".git) or raise the limit with sysctl", path, w->ndirs,
		    w->max_user);
}

/*
 * Watch directory `path`: every entry when `recursive`, else only entry
 * `name`. Watching a directory again (after a rename, or a rescan) finds
 * the same wd, whose record then takes the new path. Returns the record,
 * or NULL when the directory cannot be watched (logged if it matters).
 */
static struct wdir *
watch_add(struct watch *w, const char *path, int recursive,
    const char *name)
{
	struct wdir	*d;
	struct stat	 st;
	int		 wd, at;

	if ((wd = inotify_add_watch(w->fd, path, WATCH_MASK)) == -1) {
		if (errno == ENOSPC)
			watch_warn_limit(w, path, 1);
		else if (errno == ENOENT || errno == ENOTDIR ||
		    errno == ELOOP)
			/* Gone or replaced since we saw it: events tell. */
			log_debug("watch: %s: %s", path, strerror(errno));
		else
			log_warn("watch: cannot watch %s", path);
		return (NULL);
	}
	if (watch_find(w, wd, &at)) {
		d = w->dirs[at];
		if (strcmp(d->path, path) != 0) {
			free(d->path);
			d->path = xstrdup(path);
		}
		d->stale = 0;
	} else {
		if (w->ndirs >= w->limit) {
			(void)inotify_rm_watch(w->fd, wd);
			watch_warn_limit(w, path, 0);
			return (NULL);
		}
		if (w->ndirs == w->dirs_size) {
			w->dirs_size = w->dirs_size == 0 ? 16 :
			    w->dirs_size * 2;
			w->dirs = xreallocarray(w->dirs, (size_t)w->dirs_size,
			    sizeof(*w->dirs));
		}
		d = xcalloc(1, sizeof(*d));
		d->wd = wd;
		d->path = xstrdup(path);
		memmove(&w->dirs[at + 1], &w->dirs[at],
		    (size_t)(w->ndirs - at) * sizeof(*w->dirs));
		w->dirs[at] = d;
		w->ndirs++;
	}
	if (stat(path, &st) == 0) {
		d->dev = st.st_dev;
		d->ino = st.st_ino;
	}
	if (recursive)
		d->recursive = 1;
	if (name != NULL && !wdir_has_name(d, name))
		strv_add(&d->names, &d->nnames, xstrdup(name));
	return (d);
}

/*
 * Changes and the debounce
 */

static void
watch_note(struct watch *w, const char *path, enum rank rank)
{
	log_debug("watch: %s changed", path);
	if (rank >= w->pending_rank) {
		free(w->pending);
		w->pending = xstrdup(path);
		w->pending_rank = rank;
	}
	w->noted = 1;
}

/*
 * Watch `path` and every directory below it, skipping what the filter
 * excludes (not even a watch inside backup_dir or state_dir). With
 * `report`, the tree is new: files already in it were written before
 * its watch existed, so they count as changes here.
 */
static void
watch_tree(struct watch *w, const char *path, int report)
{
	DIR		*dp;
	struct dirent	*de;
	struct stat	 st;
	char		**subdirs = NULL, *child;
	int		 nsubdirs = 0, isdir, i;

	if (watch_add(w, path, 1, NULL) == NULL)
		return;
	if ((dp = opendir(path)) == NULL) {
		if (errno != ENOENT && errno != ENOTDIR)
			log_warn("watch: cannot read %s", path);
		return;
	}
	while ((de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		child = path_join(path, de->d_name);
		if (filter_match(&w->filter, child)) {
			free(child);
			continue;
		}
		if (de->d_type != DT_UNKNOWN)
			isdir = de->d_type == DT_DIR;
		else
			isdir = lstat(child, &st) == 0 && S_ISDIR(st.st_mode);
		if (isdir)
			strv_add(&subdirs, &nsubdirs, child);
		else {
			if (report)
				watch_note(w, child, RANK_WRITTEN);
			free(child);
		}
	}
	closedir(dp);
	/* Descend with the directory closed: one open DIR at any depth. */
	for (i = 0; i < nsubdirs; i++)
		watch_tree(w, subdirs[i], report);
	strv_free(subdirs, nsubdirs);
}

/*
 * Watch one watch path. Its directory is watched too, for its name
 * only: that catches a file saved by rename (a new inode every save),
 * a path that does not exist yet, and a directory removed and made again.
 * Returns non-zero when something is watched for it.
 */
static int
watch_root(struct watch *w, const char *root, int report)
{
	struct stat	 st;
	char		*dir, *slash;
	int		 watched = 0;

	if (strcmp(root, "/") != 0 && (slash = strrchr(root, '/')) != NULL) {
		dir = slash == root ? xstrdup("/") :
		    xstrndup(root, (size_t)(slash - root));
		watched = watch_add(w, dir, 0, slash + 1) != NULL;
		free(dir);
	}
	if (stat(root, &st) == 0 && S_ISDIR(st.st_mode)) {
		watch_tree(w, root, report);
		watched = 1;
	}
	return (watched);
}

/*
 * A watched directory moved. If the move was inside the tree, its new
 * name has been watched already (same wd, new path): keep it. Otherwise
 * it and the directories we knew below it are gone from where we
 * thought, and their events would carry wrong paths: drop them.
 */
static void
watch_moved(struct watch *w, struct wdir *moved)
{
	struct wdir	*d;
	struct stat	 st;
	int		 i;

	for (i = 0; i < w->ndirs; i++) {
		d = w->dirs[i];
		if (d->stale || !path_under(d->path, moved->path))
			continue;
		if (stat(d->path, &st) == 0 && st.st_dev == d->dev &&
		    st.st_ino == d->ino)
			continue;
		/* The record goes with IN_IGNORED, which this triggers. */
		(void)inotify_rm_watch(w->fd, d->wd);
		d->stale = 1;
	}
}

static void
watch_event(struct watch *w, const struct inotify_event *ev)
{
	struct wdir	*d;
	char		*path;
	int		 at, i;

	if (ev->mask & IN_Q_OVERFLOW) {
		/*
		 * Events were lost, perhaps the creation of directories we
		 * therefore do not watch yet: watch everything again and
		 * count it as a change, since one surely happened.
		 */
		log_warnx("watch: the inotify queue overflowed and events "
		    "were lost; treating it as a change");
		for (i = 0; i < w->filter.nroots; i++)
			if (!filter_match(&w->filter, w->filter.roots[i]))
				(void)watch_root(w, w->filter.roots[i], 0);
		if (w->filter.nroots > 0)
			watch_note(w, w->filter.roots[0], RANK_OTHER);
		return;
	}
	if (!watch_find(w, ev->wd, &at))
		return;
	d = w->dirs[at];
	if (ev->mask & IN_IGNORED) {
		watch_drop(w, ev->wd);
		return;
	}
	if (d->stale)
		return;
	if (ev->mask & (IN_DELETE_SELF | IN_UNMOUNT)) {
		/* The parent's IN_DELETE reports it; IN_IGNORED follows. */
		d->stale = 1;
		return;
	}
	if (ev->mask & IN_MOVE_SELF) {
		watch_moved(w, d);
		return;
	}
	/* Events about the directory itself, not an entry. */
	if (ev->len == 0 || ev->name[0] == '\0')
		return;
	if (!d->recursive && !wdir_has_name(d, ev->name))
		return;
	path = path_join(d->path, ev->name);
	if (filter_match(&w->filter, path))
		goto done;
	if (ev->mask & IN_ISDIR) {
		/* A directory's mode or times say nothing about the code. */
		if (ev->mask & IN_ATTRIB)
			goto done;
		watch_note(w, path, RANK_OTHER);
		if (ev->mask & (IN_CREATE | IN_MOVED_TO))
			watch_tree(w, path, 1);
	} else if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO))
		watch_note(w, path, RANK_WRITTEN);
	else
		watch_note(w, path, RANK_OTHER);
done:
	free(path);
}

static void
watch_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct watch			*w = arg;
	char				 buf[16384]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event	*ev;
	const char			*p;
	ssize_t				 n;
	int				 reads;

	w->noted = 0;
	for (reads = 0; reads < WATCH_READS_MAX; reads++) {
		if ((n = read(fd, buf, sizeof(buf))) == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				log_warn("watch: read");
			break;
		}
		if (n == 0)
			break;
		/* The kernel pads each name, so every event is aligned. */
		for (p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)(const void *)p;
			watch_event(w, ev);
		}
	}
	/* Re-adding a pending timer restarts its timeout: the debounce. */
	if (w->noted)
		evtimer_add(w->ev_quiet, &w->debounce);
}

static void
watch_quiet_cb(evutil_socket_t fd, short what, void *arg)
{
	struct watch	*w = arg;
	char		*path = w->pending;

	if (path == NULL)
		return;
	w->pending = NULL;
	w->pending_rank = RANK_NONE;
	/* The callback may free w: nothing of w is used after it. */
	w->changed(w->arg, path);
	free(path);
}

static long
watch_max_user(void)
{
	char	*s;
	long	 v;

	s = read_file("/proc/sys/fs/inotify/max_user_watches", 32, NULL);
	if (s == NULL)
		return (WATCH_MAX_USER_DEFAULT);
	v = strtol(s, NULL, 10);
	free(s);
	return (v > 0 ? v : WATCH_MAX_USER_DEFAULT);
}

struct watch *
watch_new(struct event_base *base, const struct config *cf,
    watch_changed_cb changed, void *arg)
{
	struct watch	*w;
	const char	*root;
	int		 i, saved_errno;

	w = xcalloc(1, sizeof(*w));
	w->base = base;
	w->changed = changed;
	w->arg = arg;
	w->fd = -1;
	if (cf->nwatch_paths == 0)
		return (w);

	filter_init(&w->filter, cf);
	w->debounce.tv_sec = (time_t)(cf->watch_debounce_ms / 1000);
	w->debounce.tv_usec = (suseconds_t)(cf->watch_debounce_ms % 1000) *
	    1000;
	/*
	 * The limit is per user, shared with the developer's editor and
	 * every other tool: take at most half, so a huge tree makes us go
	 * partly blind rather than break the editor's own watches.
	 */
	w->max_user = watch_max_user();
	w->limit = w->max_user / 2 > INT_MAX ? INT_MAX :
	    (int)(w->max_user / 2);
	if (w->limit < 1)
		w->limit = 1;

	if ((w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1)
		goto fail;
	w->ev_read = event_new(base, w->fd, EV_READ | EV_PERSIST,
	    watch_read_cb, w);
	w->ev_quiet = evtimer_new(base, watch_quiet_cb, w);
	if (w->ev_read == NULL || w->ev_quiet == NULL) {
		errno = ENOMEM;
		goto fail;
	}
	for (i = 0; i < w->filter.nroots; i++) {
		root = w->filter.roots[i];
		if (filter_match(&w->filter, root))
			log_warnx("watch: %s is a database, in backup_dir or "
			    "state_dir, or ignored: not watched",
			    cf->watch_paths[i]);
		else if (!watch_root(w, root, 0))
			log_warnx("watch: %s: neither it nor its directory "
			    "can be watched", cf->watch_paths[i]);
	}
	if (event_add(w->ev_read, NULL) == -1) {
		errno = ENOMEM;
		goto fail;
	}
	log_info("watch: %d directories for %d paths, debounce %llu ms",
	    w->ndirs, cf->nwatch_paths,
	    (unsigned long long)cf->watch_debounce_ms);
	return (w);
fail:
	saved_errno = errno;
	watch_free(w);
	errno = saved_errno;
	return (NULL);
}

void
watch_free(struct watch *w)
{
	int	i;

	if (w == NULL)
		return;
	if (w->ev_quiet != NULL)
		event_free(w->ev_quiet);
	if (w->ev_read != NULL)
		event_free(w->ev_read);
	/* Closing the descriptor removes every watch at once. */
	if (w->fd != -1)
		close(w->fd);
	for (i = 0; i < w->ndirs; i++)
		wdir_free(w->dirs[i]);
	free(w->dirs);
	free(w->pending);
	filter_clear(&w->filter);
	free(w);
}
