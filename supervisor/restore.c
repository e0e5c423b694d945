/*
 * restore: the restore transaction (SPEC §6). It owns the journal in
 * state_dir and the names next to each live database:
 *
 *	<live>.pitstop-staged	the generation's copy, waiting for the swap
 *	<live>.pitstop-safety	the pre-restore file
 *
 * Once the app has stopped, each live database is settled through SQLite
 * (a hot -journal rolled back, the -wal checkpointed into the file and
 * removed) so that it is one self-contained file: every later step is a
 * single rename(2), atomic on its own, and no stale -wal or -journal can
 * ever pair with a file it does not belong to. After a clean stop the app
 * has already done this, and settling costs about a millisecond.
 * Verification and staging read generation files only.
 *
 * The journal is the decision. Without one, nothing was touched and stray
 * staged files are removed. "prepared" (written after staging, before the
 * stop) means the swap goes ahead: recovery rolls it forward. "committed"
 * means the swap is done and only the safety generation is missing.
 * "rollback" means the restored data failed to come up and the safety
 * copies go back. Each step of recovery is idempotent: it looks at which
 * names exist, so a crash during recovery is recovered the same way.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "backup.h"
#include "child.h"
#include "config.h"
#include "job.h"
#include "json.h"
#include "log.h"
#include "restore.h"
#include "util.h"
#include "xmalloc.h"

#define STAGED_SUFFIX	".pitstop-staged"
#define SAFETY_SUFFIX	".pitstop-safety"
#define JOURNAL_NAME	"restore.journal"
#define COPY_CHUNK	(8 << 20)

/* SQLite's sidecar files, which must always move with their database. */
static const char *const sidecars[] = { "-wal", "-shm", "-journal" };
#define NSIDECARS	3

enum phase { PHASE_VERIFY, PHASE_STAGE, PHASE_SWAP, PHASE_SAFETY };

struct rdb {
	char	*name;
	char	*live;
	char	*staged;
	char	*safety;
	int	 had_live;	/* a live file existed at the swap */
	int	 swapped;	/* the staged file is live now */
};

struct restore {
	struct event_base	*base;
	const struct config	*config;
	struct child		*child;

	/* The running restore; `running` guards all of it. */
	int			 running;
	enum phase		 phase;
	volatile double		 step_progress;	/* written by the worker */
	char			*id;
	char			*env;
	char			*storedir;
	char			*journal;
	struct rdb		*dbs;
	int			 ndbs;
	uint64_t		 records;
	char			*err;		/* worker's message */
	int			 err_errno;
	uint64_t		 stop_at;
	uint64_t		 downtime_ms;
	pid_t			 pid;
	char			*safety_id;
	char			*fail_message;
	restore_done_cb		 done;
	void			*done_arg;
};

/*
 * PITSTOP_FAILPOINT is "POINT" or "POINT:N" (die at the N-th time POINT is
 * reached, for points passed once per database).
 */
void
failpoint(const char *point)
{
	static int	 hits;
	const char	*want = getenv("PITSTOP_FAILPOINT");
	size_t		 len = strlen(point);
	int		 nth = 1;

	if (want == NULL || strncmp(want, point, len) != 0)
		return;
	if (want[len] == ':')
		nth = atoi(want + len + 1);
	else if (want[len] != '\0')
		return;
	if (++hits != nth)
		return;
	log_warnx("failpoint %s: exiting abruptly", want);
	_exit(70);
}

char *
restore_storedir(const struct config *cf)
{
	char	*dir;

	xasprintf(&dir, "%s/%s", cf->backup_dir, cf->env);
	return (dir);
}

static char *
journal_path(const struct config *cf)
{
	char	*path;

	xasprintf(&path, "%s/%s", cf->state_dir, JOURNAL_NAME);
	return (path);
}

static int
path_exists(const char *path)
{
	struct stat	st;

	return (lstat(path, &st) == 0);
}

static char *
with_suffix(const char *path, const char *suffix)
{
	char	*s;

	xasprintf(&s, "%s%s", path, suffix);
	return (s);
}

/* Rename `from` to `to`, never replacing an existing `to`. */
static int
move_noreplace(const char *from, const char *to)
{
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return (0);
	if (errno != EINVAL && errno != ENOSYS)
		return (-1);
	/* The filesystem lacks RENAME_NOREPLACE: check, then rename. */
	if (path_exists(to)) {
		errno = EEXIST;
		return (-1);
	}
	return (rename(from, to));
}

/*
 * Make the database at `path` one self-contained file: open it with
 * SQLite (which rolls a hot -journal back), checkpoint any -wal into it
 * and close it (the last close removes the -wal and -shm). A -wal or
 * -journal without its database cannot be settled; it is moved to the
 * safety name, kept, and reported. Returns 0, or -1 with errno set.
 */
static int
settle_db(const char *path, const char *safety)
{
	sqlite3	*db = NULL;
	char	*s, *t;
	int	 i, rc, rv = 0;

	if (!path_exists(path)) {
		for (i = 0; i < NSIDECARS; i++) {
			s = with_suffix(path, sidecars[i]);
			t = with_suffix(safety, sidecars[i]);
			if (path_exists(s)) {
				log_warnx("%s has no database beside it: kept "
				    "as %s", s, t);
				if (move_noreplace(s, t) == -1)
					rv = -1;
			}
			free(s);
			free(t);
		}
		return (rv);
	}
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_busy_timeout(db, 5000);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema;"
		    "PRAGMA wal_checkpoint(TRUNCATE);", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		log_warnx("%s: %s: %s", __func__, path, db != NULL ?
		    sqlite3_errmsg(db) : sqlite3_errstr(rc));
	if (sqlite3_close(db) != SQLITE_OK)
		rc = SQLITE_BUSY;
	for (i = 0; i < NSIDECARS; i++) {
		s = with_suffix(path, sidecars[i]);
		/* -shm holds nothing durable; -wal and -journal must be gone. */
		if (strcmp(sidecars[i], "-shm") == 0)
			(void)unlink(s);
		else if (path_exists(s)) {
			log_warnx("%s: %s remains: is another process using "
			    "the database?", __func__, s);
			rc = SQLITE_BUSY;
		}
		free(s);
	}
	if (rc != SQLITE_OK) {
		errno = EBUSY;
		return (-1);
	}
	return (0);
}

/* Remove a database file and its sidecars; missing ones are fine. */
static int
remove_db(const char *path)
{
	char	*s;
	int	 i, rv = 0;

	for (i = 0; i < NSIDECARS; i++) {
		s = with_suffix(path, sidecars[i]);
		if (unlink(s) == -1 && errno != ENOENT) {
			log_warn("%s: %s", __func__, s);
			rv = -1;
		}
		free(s);
	}
	if (unlink(path) == -1 && errno != ENOENT) {
		log_warn("%s: %s", __func__, path);
		rv = -1;
	}
	return (rv);
}

/* A database file or any of its sidecars exists under `path`. */
static int
db_exists_any(const char *path)
{
	char	*s;
	int	 i, found = path_exists(path);

	for (i = 0; i < NSIDECARS && !found; i++) {
		s = with_suffix(path, sidecars[i]);
		found = path_exists(s);
		free(s);
	}
	return (found);
}

static int
fsync_dirs(struct rdb *dbs, int n)
{
	int	i, rv = 0;

	for (i = 0; i < n; i++)
		if (fsync_parent(dbs[i].live) == -1) {
			log_warn("%s: %s", __func__, dbs[i].live);
			rv = -1;
		}
	return (rv);
}

/* --- the journal --- */

static const char *const phase_names[] = { "prepared", "committed",
    "rollback" };
enum jphase { J_PREPARED, J_COMMITTED, J_ROLLBACK };

static int
journal_write(const char *path, enum jphase ph, const char *id,
    const char *storedir, const char *env, struct rdb *dbs, int n)
{
	struct json	*j = json_new();
	int		 i, rv;

	json_obj_open(j, NULL);
	json_str(j, "phase", phase_names[ph]);
	json_str(j, "id", id);
	json_str(j, "env", env);
	json_str(j, "storedir", storedir);
	json_arr_open(j, "databases");
	for (i = 0; i < n; i++) {
		json_obj_open(j, NULL);
		json_str(j, "name", dbs[i].name);
		json_str(j, "live", dbs[i].live);
		json_str(j, "staged", dbs[i].staged);
		json_str(j, "safety", dbs[i].safety);
		json_bool(j, "had_live", dbs[i].had_live);
		json_obj_close(j);
	}
	json_arr_close(j);
	json_obj_close(j);
	rv = write_file_atomic(path, json_text(j), json_len(j), 0600, 1);
	if (rv == -1)
		log_warn("%s: %s", __func__, path);
	json_free(j);
	return (rv);
}

static void
rdbs_free(struct rdb *dbs, int n)
{
	int	i;

	for (i = 0; i < n; i++) {
		free(dbs[i].name);
		free(dbs[i].live);
		free(dbs[i].staged);
		free(dbs[i].safety);
	}
	free(dbs);
}

static void
rdb_set(struct rdb *d, const char *name, const char *live)
{
	d->name = xstrdup(name);
	d->live = xstrdup(live);
	d->staged = with_suffix(live, STAGED_SUFFIX);
	d->safety = with_suffix(live, SAFETY_SUFFIX);
}

/* --- copying (worker thread) --- */

/*
 * Copy `src` to a new `dst` and fsync it. copy_file_range lets the
 * filesystem reflink or copy in the kernel; read/write is the fallback.
 */
static int
copy_file(const char *src, const char *dst, mode_t mode,
    volatile double *progress, double from, double to)
{
	struct stat	 st;
	char		*buf = NULL;
	off_t		 done = 0;
	ssize_t		 n, w;
	int		 in, out = -1, saved_errno, use_cfr = 1;

	if ((in = open(src, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	if (fstat(in, &st) == -1)
		goto fail;
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (out == -1)
		goto fail;
	while (done < st.st_size) {
		n = -1;
		if (use_cfr) {
			n = copy_file_range(in, NULL, out, NULL, COPY_CHUNK, 0);
			if (n == -1 && (errno == EXDEV || errno == EINVAL ||
			    errno == ENOSYS || errno == EOPNOTSUPP)) {
				use_cfr = 0;
				buf = xmalloc(1 << 20);
				continue;
			}
		} else if ((n = read(in, buf, 1 << 20)) > 0) {
			for (w = 0; w < n; ) {
				ssize_t k = write(out, buf + w, (size_t)(n - w));

				if (k == -1 && errno != EINTR)
					goto fail;
				if (k > 0)
					w += k;
			}
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto fail;
		if (n == 0)
			break;
		done += n;
		if (progress != NULL)
			*progress = from + (to - from) * (double)done /
			    (double)st.st_size;
	}
	if (fsync(out) == -1 || close(out) == -1) {
		out = -1;
		goto fail;
	}
	close(in);
	free(buf);
	return (0);
fail:
	saved_errno = errno;
	close(in);
	if (out != -1)
		close(out);
	(void)unlink(dst);
	free(buf);
	errno = saved_errno;
	return (-1);
}

/* Verify, then stage every file of the generation (steps 2 and 3). */
static int
restore_prepare_work(void *arg)
{
	struct restore	*r = arg;
	struct stat	 st;
	char		*src;
	mode_t		 mode;
	int		 i;

	r->phase = PHASE_VERIFY;
	if (backup_verify(r->storedir, r->id, &r->step_progress,
	    &r->err) == -1) {
		r->err_errno = errno;
		return (-1);
	}
	failpoint("verified");
	r->phase = PHASE_STAGE;
	r->step_progress = 0;
	for (i = 0; i < r->ndbs; i++) {
		struct rdb *d = &r->dbs[i];

		/* The restored file keeps the live file's permissions. */
		mode = stat(d->live, &st) == 0 ? st.st_mode & 07777 : 0644;
		src = backup_file_path(r->storedir, r->id, d->name);
		if (src == NULL || copy_file(src, d->staged, mode,
		    &r->step_progress, (double)i / r->ndbs,
		    (double)(i + 1) / r->ndbs) == -1) {
			r->err_errno = errno;
			xasprintf(&r->err, "cannot stage %s of %s as %s: %s",
			    d->name, r->id, d->staged, strerror(errno));
			free(src);
			return (-1);
		}
		free(src);
	}
	if (fsync_dirs(r->dbs, r->ndbs) == -1) {
		r->err_errno = errno;
		xasprintf(&r->err, "cannot fsync the database directories: %s",
		    strerror(errno));
		return (-1);
	}
	failpoint("staged");
	return (0);
}

/* --- the transaction (event loop) --- */

static void	restore_stopped_cb(void *, int, const char *);
static void	restore_started_cb(void *, int, const char *);

static void
restore_reset(struct restore *r)
{
	rdbs_free(r->dbs, r->ndbs);
	r->dbs = NULL;
	r->ndbs = 0;
	free(r->id);
	free(r->env);
	free(r->storedir);
	free(r->journal);
	free(r->err);
	free(r->safety_id);
	free(r->fail_message);
	r->id = r->env = r->storedir = r->journal = r->err = NULL;
	r->safety_id = r->fail_message = NULL;
	r->running = 0;
}

static void
restore_finish(struct restore *r, int status, const char *message,
    int rolled_back)
{
	struct restore_result	 res;

	memset(&res, 0, sizeof res);
	res.status = status;
	res.message = message;
	res.restored = r->id;
	res.safety = r->safety_id;
	res.records = r->records;
	res.downtime_ms = r->downtime_ms;
	res.pid = r->pid;
	res.rolled_back = rolled_back;
	r->phase = PHASE_SAFETY;
	r->done(r->done_arg, &res);
	restore_reset(r);
}

static void
restore_unstage(struct restore *r)
{
	int	i;

	for (i = 0; i < r->ndbs; i++)
		if (unlink(r->dbs[i].staged) == -1 && errno != ENOENT)
			log_warn("%s: %s", __func__, r->dbs[i].staged);
}

static void
restore_prepared_cb(void *arg, int rv)
{
	struct restore	*r = arg;
	char		*msg;
	int		 status;

	if (rv == -1) {
		restore_unstage(r);
		status = r->err_errno == EBADMSG ? 422 :
		    r->err_errno == ENOENT ? 404 : 500;
		msg = r->err != NULL ? xstrdup(r->err) :
		    xstrdup(strerror(r->err_errno));
		log_warnx("restore of %s refused: %s", r->id, msg);
		restore_finish(r, status, msg, 0);
		free(msg);
		return;
	}
	r->phase = PHASE_SWAP;
	if (journal_write(r->journal, J_PREPARED, r->id, r->storedir, r->env,
	    r->dbs, r->ndbs) == -1) {
		restore_unstage(r);
		(void)unlink(r->journal);
		restore_finish(r, 500, "cannot write the restore journal", 0);
		return;
	}
	failpoint("journal");
	r->stop_at = mono_ms();
	if (child_stop(r->child, restore_stopped_cb, r) == -1) {
		/* The API serializes operations, so this is a bug if it happens. */
		log_warn("%s: child_stop", __func__);
		restore_unstage(r);
		(void)unlink(r->journal);
		restore_finish(r, 500, "the app is busy with another operation",
		    0);
	}
}

/*
 * Steps 6 and 7 for one database: the settled live file becomes the
 * safety copy, the staged file becomes the live file. Safe to repeat
 * after a crash: whatever already moved is skipped.
 */
static int
swap_one(struct rdb *d)
{
	if (!path_exists(d->staged))
		return (0);		/* swapped before a crash */
	if (settle_db(d->live, d->safety) == -1)
		return (-1);
	d->had_live = path_exists(d->live) || path_exists(d->safety);
	if (path_exists(d->live) && move_noreplace(d->live, d->safety) == -1) {
		log_warn("%s: %s -> %s", __func__, d->live, d->safety);
		return (-1);
	}
	failpoint("safety");
	if (rename(d->staged, d->live) == -1) {
		log_warn("%s: %s -> %s", __func__, d->staged, d->live);
		return (-1);
	}
	d->swapped = 1;
	return (0);
}

/*
 * Undo the swap of one database: the restored copy (recreatable from its
 * generation) and whatever the app wrote beside it go, and the safety
 * file is renamed back. Once the safety file is back, there is nothing
 * left to do, so repeating this after a crash is safe.
 */
static int
unswap_one(struct rdb *d)
{
	if (d->had_live && !path_exists(d->safety))
		return (0);		/* already put back */
	if (remove_db(d->live) == -1)
		return (-1);
	if (d->had_live && rename(d->safety, d->live) == -1) {
		log_warn("%s: %s -> %s", __func__, d->safety, d->live);
		return (-1);
	}
	return (0);
}

static void
restore_stopped_cb(void *arg, int ok, const char *message)
{
	struct restore	*r = arg;
	int		 i;

	if (!ok) {
		/* pitstopd is shutting down: the journal finishes it later. */
		restore_finish(r, 503, "pitstopd is shutting down; the restore "
		    "completes when it starts again", 0);
		return;
	}
	failpoint("stopped");
	for (i = 0; i < r->ndbs; i++) {
		if (swap_one(&r->dbs[i]) == -1) {
			struct rdb *d = &r->dbs[i];

			/* The failing one may have its live file moved aside. */
			if (!path_exists(d->live) && path_exists(d->safety))
				(void)rename(d->safety, d->live);
			while (--i >= 0)
				(void)unswap_one(&r->dbs[i]);
			(void)fsync_dirs(r->dbs, r->ndbs);
			(void)unlink(r->journal);
			restore_unstage(r);
			child_start(r->child, NULL, NULL);
			restore_finish(r, 500, "cannot swap the database files; "
			    "the previous files are back in place", 1);
			return;
		}
		failpoint("swapped-one");
	}
	if (fsync_dirs(r->dbs, r->ndbs) == -1 ||
	    journal_write(r->journal, J_COMMITTED, r->id, r->storedir, r->env,
	    r->dbs, r->ndbs) == -1)
		log_warnx("restore of %s: continuing without a durable commit "
		    "record", r->id);
	failpoint("committed");
	if (child_start(r->child, restore_started_cb, r) == -1)
		restore_started_cb(r, 0, "the app is busy");
}

static void	restore_rolled_back_cb(void *, int, const char *);

static void
restore_rollback_stopped_cb(void *arg, int ok, const char *message)
{
	struct restore	*r = arg;
	int		 i, failed = 0;

	failpoint("rollback-stopped");
	for (i = 0; i < r->ndbs; i++)
		if (unswap_one(&r->dbs[i]) == -1)
			failed = 1;
	(void)fsync_dirs(r->dbs, r->ndbs);
	if (failed) {
		log_warnx("restore of %s: rollback incomplete; the journal "
		    "%s stays for the next start", r->id, r->journal);
		restore_finish(r, 500, "the restored app did not become ready "
		    "and the rollback failed; see the log", 0);
		return;
	}
	(void)unlink(r->journal);
	if (child_start(r->child, restore_rolled_back_cb, r) == -1)
		restore_rolled_back_cb(r, 0, "the app is busy");
}

static void
restore_rolled_back_cb(void *arg, int ok, const char *message)
{
	struct restore	*r = arg;
	char		*msg;

	xasprintf(&msg, "the app did not become ready on %s (%s); the "
	    "previous data is back%s", r->id, r->fail_message,
	    ok ? " and the app runs on it" : ", but the app did not start");
	log_warnx("restore rolled back: %s", msg);
	restore_finish(r, 500, msg, 1);
	free(msg);
}

static int
restore_safety_work(void *arg)
{
	struct restore		*r = arg;
	struct backup_db	*files;
	int			 i, n = 0, rv = 0;

	files = xcalloc((size_t)r->ndbs, sizeof *files);
	for (i = 0; i < r->ndbs; i++) {
		if (!path_exists(r->dbs[i].safety))
			continue;
		files[n].name = r->dbs[i].name;
		files[n].path = r->dbs[i].safety;
		n++;
	}
	if (n > 0 && backup_adopt(r->storedir, r->env, "safety", files, n,
	    &r->safety_id, &r->err) == -1) {
		r->err_errno = errno;
		rv = -1;
	}
	free(files);
	return (rv);
}

static void
restore_safety_cb(void *arg, int rv)
{
	struct restore		*r = arg;
	const struct config	*cf = r->config;

	if (rv == -1)
		log_warnx("restore of %s: the pre-restore files stay next to "
		    "the live ones (%s): %s", r->id, SAFETY_SUFFIX, r->err);
	else if (backup_retain(r->storedir, cf->backup_keep,
	    cf->backup_keep_safety) == -1)
		log_warn("restore of %s: retention", r->id);
	failpoint("safety-generation");
	if (unlink(r->journal) == -1 && errno != ENOENT)
		log_warn("%s: %s", __func__, r->journal);
	log_notice("EXPLICIT_RESTORE: restored %llu records from %s in %llu ms "
	    "(pid %d)", (unsigned long long)r->records, r->id,
	    (unsigned long long)r->downtime_ms, (int)r->pid);
	restore_finish(r, 200, NULL, 0);
}

static void
restore_started_cb(void *arg, int ok, const char *message)
{
	struct restore		*r = arg;
	struct child_info	 info;

	if (!ok) {
		r->fail_message = xstrdup(message != NULL ? message : "?");
		log_warnx("restore of %s: %s: rolling back", r->id,
		    r->fail_message);
		if (journal_write(r->journal, J_ROLLBACK, r->id, r->storedir,
		    r->env, r->dbs, r->ndbs) == -1)
			log_warnx("restore of %s: rolling back without a "
			    "durable journal", r->id);
		if (child_stop(r->child, restore_rollback_stopped_cb, r) == -1)
			restore_rollback_stopped_cb(r, 0, "busy");
		return;
	}
	r->downtime_ms = mono_ms() - r->stop_at;
	child_info(r->child, &info);
	r->pid = info.pid;
	failpoint("started");
	r->phase = PHASE_SAFETY;
	if (job_start(r->base, restore_safety_work, restore_safety_cb, r) ==
	    NULL)
		restore_safety_cb(r, -1);
}

/* The generation to restore: `id` if listed, else the newest. */
static int
restore_pick(struct restore *r, const char *id)
{
	struct backup_gen	*gens;
	int			 i, n;

	if (backup_list(r->storedir, &gens, &n) == -1)
		return (-1);
	for (i = 0; i < n; i++)
		if (id == NULL || strcmp(gens[i].id, id) == 0)
			break;
	if (i == n) {
		backup_gens_free(gens, n);
		errno = ENOENT;
		return (-1);
	}
	r->id = xstrdup(gens[i].id);
	r->records = gens[i].records;
	backup_gens_free(gens, n);
	return (0);
}

int
restore_run(struct restore *r, const char *id, restore_done_cb done,
    void *arg)
{
	const struct config	*cf = r->config;
	int			 i;

	if (r->running) {
		errno = EBUSY;
		return (-1);
	}
	r->storedir = restore_storedir(cf);
	if (restore_pick(r, id) == -1)
		goto fail;
	r->env = xstrdup(cf->env);
	r->journal = journal_path(cf);
	r->ndbs = cf->ndatabases;
	r->dbs = xcalloc((size_t)r->ndbs, sizeof *r->dbs);
	for (i = 0; i < r->ndbs; i++) {
		rdb_set(&r->dbs[i], cf->databases[i].name,
		    cf->databases[i].value);
		/* Never overwrite what an earlier restore kept aside. */
		if (db_exists_any(r->dbs[i].safety)) {
			log_warnx("restore refused: %s exists from an earlier "
			    "restore; move it away first", r->dbs[i].safety);
			errno = EEXIST;
			goto fail;
		}
	}
	r->running = 1;
	r->done = done;
	r->done_arg = arg;
	r->downtime_ms = 0;
	r->pid = 0;
	r->step_progress = 0;
	r->phase = PHASE_VERIFY;
	log_info("restore of %s: verifying and staging", r->id);
	if (job_start(r->base, restore_prepare_work, restore_prepared_cb, r) ==
	    NULL)
		goto fail;
	return (0);
fail:
	i = errno;
	restore_reset(r);
	errno = i;
	return (-1);
}

double
restore_progress(const struct restore *r)
{
	switch (r->phase) {
	case PHASE_VERIFY:
		return (0.5 * r->step_progress);
	case PHASE_STAGE:
		return (0.5 + 0.4 * r->step_progress);
	case PHASE_SWAP:
		return (0.9);
	default:
		return (0.95);
	}
}

/* --- recovery --- */

static int
journal_load(const char *path, enum jphase *ph, char **id, char **storedir,
    char **env, struct rdb **dbsp, int *np)
{
	struct json_value	*v;
	const struct json_value	*arr, *d;
	const char		*s, *why;
	char			*text;
	size_t			 len, i;
	int			 k;

	if ((text = read_file(path, 1 << 20, &len)) == NULL)
		return (-1);
	v = json_parse(text, len, &why);
	free(text);
	if (v == NULL) {
		log_warnx("restore journal %s: %s", path, why);
		errno = EBADMSG;
		return (-1);
	}
	s = json_get_str(v, "phase");
	for (k = 0; k < 3; k++)
		if (s != NULL && strcmp(s, phase_names[k]) == 0)
			break;
	arr = json_get(v, "databases");
	if (k == 3 || json_get_str(v, "id") == NULL ||
	    json_get_str(v, "storedir") == NULL ||
	    json_get_str(v, "env") == NULL || arr == NULL ||
	    arr->type != JSON_ARRAY)
		goto bad;
	*ph = (enum jphase)k;
	*dbsp = xcalloc(arr->n + 1, sizeof **dbsp);
	*np = 0;
	for (i = 0; i < arr->n; i++) {
		d = arr->items[i];
		if (json_get_str(d, "name") == NULL ||
		    json_get_str(d, "live") == NULL) {
			rdbs_free(*dbsp, *np);
			goto bad;
		}
		rdb_set(&(*dbsp)[i], json_get_str(d, "name"),
		    json_get_str(d, "live"));
		(*dbsp)[i].had_live = json_get(d, "had_live") != NULL &&
		    json_get(d, "had_live")->type == JSON_BOOL &&
		    json_get(d, "had_live")->boolean;
		(*np)++;
	}
	*id = xstrdup(json_get_str(v, "id"));
	*storedir = xstrdup(json_get_str(v, "storedir"));
	*env = xstrdup(json_get_str(v, "env"));
	json_value_free(v);
	return (0);
bad:
	log_warnx("restore journal %s is malformed", path);
	json_value_free(v);
	errno = EBADMSG;
	return (-1);
}

/* No journal: staging may have been interrupted; drop what it left. */
static void
recover_unstaged(const struct config *cf)
{
	char	*staged;
	int	 i;

	for (i = 0; i < cf->ndatabases; i++) {
		staged = with_suffix(cf->databases[i].value, STAGED_SUFFIX);
		if (unlink(staged) == 0)
			log_notice("removed %s left by an interrupted restore",
			    staged);
		free(staged);
	}
}

int
restore_recover(struct restore *r)
{
	const struct config	*cf = r->config;
	enum jphase		 ph;
	struct rdb		*dbs = NULL;
	char			*id = NULL, *storedir = NULL, *env = NULL;
	char			*path;
	int			 i, n = 0, rv = -1;

	path = journal_path(cf);
	if (journal_load(path, &ph, &id, &storedir, &env, &dbs, &n) == -1) {
		if (errno == ENOENT) {
			recover_unstaged(cf);
			rv = 0;
		}
		goto out;
	}
	log_notice("restore journal found (%s, %s): finishing the restore "
	    "of %s", path, phase_names[ph], id);
	if (ph == J_PREPARED) {
		for (i = 0; i < n; i++)
			if (swap_one(&dbs[i]) == -1)
				goto out;
		if (fsync_dirs(dbs, n) == -1 || journal_write(path,
		    J_COMMITTED, id, storedir, env, dbs, n) == -1)
			goto out;
		ph = J_COMMITTED;
	}
	if (ph == J_ROLLBACK) {
		for (i = 0; i < n; i++)
			if (unswap_one(&dbs[i]) == -1)
				goto out;
		if (fsync_dirs(dbs, n) == -1)
			goto out;
		log_notice("restore of %s rolled back", id);
	} else {
		struct restore	 tmp;

		/* Step 10, synchronously: the app is not running yet. */
		memset(&tmp, 0, sizeof tmp);
		tmp.config = cf;
		tmp.storedir = storedir;
		tmp.env = env;
		tmp.dbs = dbs;
		tmp.ndbs = n;
		if (restore_safety_work(&tmp) == -1)
			log_warnx("the pre-restore files stay next to the live "
			    "ones (%s): %s", SAFETY_SUFFIX, tmp.err);
		else if (tmp.safety_id != NULL)
			log_notice("pre-restore data kept as safety generation "
			    "%s", tmp.safety_id);
		free(tmp.safety_id);
		free(tmp.err);
		log_notice("restore of %s completed after a restart", id);
	}
	if (unlink(path) == -1)
		log_warn("%s: %s", __func__, path);
	rv = 0;
out:
	rdbs_free(dbs, n);
	free(id);
	free(storedir);
	free(env);
	free(path);
	return (rv);
}

/* --- lifecycle --- */

struct restore *
restore_new(struct event_base *base, const struct config *cf,
    struct child *child)
{
	struct restore	*r;

	r = xcalloc(1, sizeof *r);
	r->base = base;
	r->config = cf;
	r->child = child;
	return (r);
}

void
restore_set_config(struct restore *r, const struct config *cf)
{
	r->config = cf;
}

void
restore_free(struct restore *r)
{
	if (r == NULL)
		return;
	restore_reset(r);
	free(r);
}
