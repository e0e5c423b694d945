/*
 * backup: the backup store of one environment. Owns the layout of the
 * store (generation directories, manifest.json, temp and deletion names),
 * the online copy with SQLite's backup API, checksums and checks. It
 * knows nothing about the app, the event loop or the API: callers decide
 * when to back up and what to do with a failure. Failures are returned as
 * errno plus a message for the caller to log or send; only trouble the
 * caller cannot see (a damaged manifest skipped by the listing, a source
 * file that could not be unlinked) is logged here.
 *
 * Crash safety rests on one rule: a generation exists when its
 * manifest.json does. backup_take() and backup_adopt() therefore
 *
 *	1. reserve the ID by mkdir(<id>): atomic, so two takers (threads or
 *	   processes) never share an ID, and no later rename can collide;
 *	2. write every <name>.db into it (backup API, or a hard link or
 *	   copy for adopted files);
 *	3. hash and fsync each file, then look into it through SQLite:
 *	   integrity_check (takes only), page size and count, rows per
 *	   table, all on the file in the store, never the live one;
 *	4. fsync the generation directory, so the files' names are durable
 *	   before anything refers to them;
 *	5. write manifest.json: temp file, fsync, rename, fsync the
 *	   generation directory. The rename is the commit point;
 *	6. fsync the store directory, so the generation's own name is
 *	   durable before we report success.
 *
 * A crash before step 5 leaves a directory without manifest.json, which
 * backup_list() skips and backup_clean() removes at start-up. Building in
 * a `.tmp-<id>` directory and renaming it would add a second commit point
 * without making anything safer. Deletion is the mirror image: rename
 * <id> to .del-<id> (it leaves the listing atomically), fsync the store,
 * then remove the files; backup_clean() finishes an interrupted one.
 *
 * Live database files are only ever opened through SQLite here: close()
 * of a plain descriptor on a file drops every POSIX lock this process
 * holds on it, SQLite's included. Plain I/O touches generation files
 * only, and only while no SQLite connection has them open.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>
#include <xxhash.h>

#include "backup.h"
#include "json.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

#ifndef PITSTOP_VERSION
#define PITSTOP_VERSION		"0"
#endif

#define BACKUP_ID_LEN		21	/* 20261128T093502Z-0007 */
#define BACKUP_STAMP_LEN	16	/* 20261128T093502Z */
#define BACKUP_SEQ_MAX		9999
#define BACKUP_NAME_MAX		64
#define BACKUP_STEP_PAGES	1024	/* 4 MiB of 4 KiB pages per step */
#define BACKUP_BUSY_MS		5000	/* busy_timeout and retry budget */
#define BACKUP_RETRY_MS		10
#define BACKUP_MANIFEST		"manifest.json"
#define BACKUP_MANIFEST_MAX	(4 << 20)
#define BACKUP_BUF		(1 << 20)
#define BACKUP_COPY_SHARE	0.8	/* of a take's progress; checks after */
#define BACKUP_TMP_PREFIX	".tmp-"
#define BACKUP_DEL_PREFIX	".del-"

static const char	 sqlite_magic[16] = "SQLite format 3";

static const char	*const backup_kinds[] = {
	"manual", "scheduled", "safety"
};

struct progress {
	volatile double	*out;
	double		 last;
};

struct table_count {
	char		*name;
	uint64_t	 rows;
};

/* One database of a generation being built or verified. */
struct gen_file {
	const char		*name;
	const char		*src;		/* live or adopted file */
	char			*path;		/* in the generation */
	sqlite3			*sdb;		/* take: source connection */
	int64_t			 src_pages;	/* take: snapshot size */
	int			 raw;		/* take: the file itself is the
						 * snapshot: copy its bytes */
	uint64_t		 bytes;
	char			 hash[33];
	unsigned char		 head[16];
	int64_t			 page_size;
	int64_t			 page_count;
	struct table_count	*tables;
	int			 ntables;
	uint64_t		 records;
};

static int __attribute__((format(printf, 3, 4)))
failf(char **msg, int error, const char *fmt, ...)
{
	char	 buf[1024];
	va_list	 ap;

	if (msg != NULL && *msg == NULL) {
		va_start(ap, fmt);
		(void)vsnprintf(buf, sizeof buf, fmt, ap);
		va_end(ap);
		*msg = xstrdup(buf);
	}
	errno = error;
	return (-1);
}

static void
progress_init(struct progress *p, volatile double *out)
{
	p->out = out;
	p->last = 0;
	if (out != NULL)
		*out = 0;
}

/* Progress only ever rises, whatever the phases' estimates say. */
static void
progress_set(struct progress *p, double v)
{
	if (v > 1)
		v = 1;
	if (p->out == NULL || v <= p->last)
		return;
	p->last = v;
	*p->out = v;
}

static void
sleep_ms(long ms)
{
	struct timespec	 ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* "20261128T093502Z-0007": only digits, T, Z and -, so never a path. */
static int
id_valid(const char *s)
{
	static const char	 pat[] = "dddddddd" "T" "dddddd" "Z" "-" "dddd";
	size_t			 i;

	if (s == NULL || strlen(s) != BACKUP_ID_LEN)
		return (0);
	for (i = 0; i < BACKUP_ID_LEN; i++) {
		if (pat[i] == 'd') {
			if (s[i] < '0' || s[i] > '9')
				return (0);
		} else if (s[i] != pat[i])
			return (0);
	}
	return (1);
}

/* A database name becomes a file name in the generation. */
static int
name_valid(const char *s)
{
	size_t	 len;

	if (s == NULL || (len = strlen(s)) == 0 || len > BACKUP_NAME_MAX ||
	    s[0] == '.' || strchr(s, '/') != NULL)
		return (0);
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return (0);
	return (1);
}

static int
kind_valid(const char *kind)
{
	size_t	 i;

	for (i = 0; i < sizeof backup_kinds / sizeof backup_kinds[0]; i++)
		if (kind != NULL && strcmp(kind, backup_kinds[i]) == 0)
			return (1);
	return (0);
}

/*
 * Map an SQLite result code to errno. The VFS remembers the system error
 * behind an I/O failure; prefer it when there is one.
 */
static int
sqlite_errno(sqlite3 *db, int rc)
{
	int	 e;

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return (EBUSY);
	case SQLITE_NOMEM:
		return (ENOMEM);
	case SQLITE_FULL:
		return (ENOSPC);
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return (EACCES);
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return (EBADMSG);
	case SQLITE_CANTOPEN:
	case SQLITE_IOERR:
		if (db != NULL && (e = sqlite3_system_errno(db)) != 0)
			return (e);
		return ((rc & 0xff) == SQLITE_CANTOPEN ? ENOENT : EIO);
	default:
		return (EIO);
	}
}

/*
 * A "file:" URI for `path` with `query` appended, every byte outside the
 * unreserved set percent-encoded so that '?', '#' and '%' in a path stay
 * part of the path.
 */
static char *
sqlite_uri(const char *path, const char *query)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*s;
	char			*uri, *p;

	uri = xmalloc(5 + 3 * strlen(path) + 1 + strlen(query) + 1);
	p = uri + sprintf(uri, "file:");
	for (s = (const unsigned char *)path; *s != '\0'; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr("/-._~", *s) != NULL)
			*p++ = (char)*s;
		else {
			*p++ = '%';
			*p++ = hex[*s >> 4];
			*p++ = hex[*s & 0xf];
		}
	}
	sprintf(p, "?%s", query);
	return (uri);
}

/*
 * Open a file in the store read-only. immutable=1 makes SQLite take no
 * locks and create no -wal or -shm, even when the header (copied from a
 * WAL-mode source) says WAL: nothing else ever writes these files.
 */
static int
db_open_store(const char *path, sqlite3 **dbp)
{
	char	*uri;
	int	 rc;

	uri = sqlite_uri(path, "immutable=1");
	rc = sqlite3_open_v2(uri, dbp, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI |
	    SQLITE_OPEN_NOMUTEX, NULL);
	free(uri);
	return (rc);
}

static int
db_exec(sqlite3 *db, const char *sql)
{
	return (sqlite3_exec(db, sql, NULL, NULL, NULL));
}

/* The one integer that `sql` returns. */
static int
db_int(sqlite3 *db, const char *sql, int64_t *v)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL)) != SQLITE_OK)
		return (rc);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*v = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE)
		rc = SQLITE_ERROR;
	sqlite3_finalize(st);
	return (rc);
}

static int
rm_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	if (remove(path) == -1 && errno != ENOENT)
		return (-1);
	return (0);
}

/* rm -rf, without following symlinks or crossing mounts. */
static int
remove_tree(const char *path)
{
	if (nftw(path, rm_cb, 8, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) == -1)
		return (errno == ENOENT ? 0 : -1);
	return (0);
}

/* Read a manifest whole; a file at the size limit is refused, not cut. */
static char *
manifest_read(const char *path, size_t *lenp)
{
	char	*text;
	size_t	 len;

	if ((text = read_file(path, BACKUP_MANIFEST_MAX, &len)) == NULL)
		return (NULL);
	if (len == BACKUP_MANIFEST_MAX) {
		free(text);
		errno = EFBIG;
		return (NULL);
	}
	if (lenp != NULL)
		*lenp = len;
	return (text);
}

static int
gen_cmp(const void *a, const void *b)
{
	const struct backup_gen	*ga = a, *gb = b;

	return (strcmp(gb->id, ga->id));	/* newest first */
}

/*
 * Load generation `id` from its manifest. -1 with errno ENOENT when it has
 * none (incomplete), EBADMSG when the manifest is damaged.
 */
static int
gen_load(const char *storedir, const char *id, struct backup_gen *g)
{
	struct json_value	*root;
	const struct json_value	*files;
	const char		*why, *mid, *kind, *created, *env;
	char			*path, *text;
	size_t			 len;
	double			 bytes = 0, records = 0;

	xasprintf(&path, "%s/%s/%s", storedir, id, BACKUP_MANIFEST);
	text = manifest_read(path, &len);
	free(path);
	if (text == NULL)
		return (-1);
	root = json_parse(text, len, &why);
	free(text);
	if (root == NULL)
		goto bad;
	mid = json_get_str(root, "id");
	kind = json_get_str(root, "kind");
	created = json_get_str(root, "created");
	env = json_get_str(root, "env");
	files = json_get(root, "files");
	if (mid == NULL || strcmp(mid, id) != 0 || kind == NULL ||
	    created == NULL || files == NULL || files->type != JSON_ARRAY) {
		json_value_free(root);
		goto bad;
	}
	(void)json_get_num(root, "bytes", &bytes);
	(void)json_get_num(root, "records", &records);
	g->id = xstrdup(id);
	g->kind = xstrdup(kind);
	g->created = xstrdup(created);
	g->env = xstrdup(env != NULL ? env : "");
	g->bytes = bytes > 0 ? (uint64_t)bytes : 0;
	g->records = records > 0 ? (uint64_t)records : 0;
	g->nfiles = (int)files->n;
	json_value_free(root);
	return (0);
bad:
	errno = EBADMSG;
	return (-1);
}

int
backup_list(const char *storedir, struct backup_gen **gensp, int *np)
{
	struct backup_gen	*gens = NULL, g;
	struct dirent		*de;
	DIR			*d;
	int			 n = 0, saved_errno;

	*gensp = NULL;
	*np = 0;
	if ((d = opendir(storedir)) == NULL)
		return (errno == ENOENT ? 0 : -1);
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL)
			break;
		if (!id_valid(de->d_name))
			continue;
		if (gen_load(storedir, de->d_name, &g) == -1) {
			/* No manifest is an incomplete generation: silent. */
			if (errno != ENOENT && errno != ENOTDIR)
				log_warn("%s: %s/%s: skipped", __func__,
				    storedir, de->d_name);
			continue;
		}
		gens = xreallocarray(gens, n + 1, sizeof *gens);
		gens[n++] = g;
	}
	if (errno != 0) {
		saved_errno = errno;
		closedir(d);
		backup_gens_free(gens, n);
		errno = saved_errno;
		return (-1);
	}
	closedir(d);
	if (n > 0)
		qsort(gens, n, sizeof *gens, gen_cmp);
	*gensp = gens;
	*np = n;
	return (0);
}

void
backup_gens_free(struct backup_gen *gens, int n)
{
	int	 i;

	for (i = 0; i < n; i++) {
		free(gens[i].id);
		free(gens[i].kind);
		free(gens[i].created);
		free(gens[i].env);
	}
	free(gens);
}

int
backup_find(const char *storedir, const char *id)
{
	struct backup_gen	*gens;
	int			 i, n, found = 0;

	/* The listing is the authority; the pattern check only saves I/O. */
	if (!id_valid(id)) {
		errno = ENOENT;
		return (-1);
	}
	if (backup_list(storedir, &gens, &n) == -1)
		return (-1);
	for (i = 0; i < n && !found; i++)
		found = strcmp(gens[i].id, id) == 0;
	backup_gens_free(gens, n);
	if (!found) {
		errno = ENOENT;
		return (-1);
	}
	return (0);
}

char *
backup_manifest(const char *storedir, const char *id)
{
	char	*path, *text;
	int	 saved_errno;

	if (!id_valid(id)) {
		errno = ENOENT;
		return (NULL);
	}
	xasprintf(&path, "%s/%s/%s", storedir, id, BACKUP_MANIFEST);
	text = manifest_read(path, NULL);
	saved_errno = errno;
	free(path);
	errno = saved_errno;
	return (text);
}

char *
backup_file_path(const char *storedir, const char *id, const char *name)
{
	char	*path;

	if (!id_valid(id) || !name_valid(name)) {
		errno = EINVAL;
		return (NULL);
	}
	xasprintf(&path, "%s/%s/%s.db", storedir, id, name);
	return (path);
}

/*
 * The first free sequence number for `stamp`: one past the highest in
 * use, counting generations being built or deleted too, so that IDs of
 * one second keep sorting in creation order even after retention removed
 * an earlier one.
 */
static unsigned
gen_next_seq(const char *storedir, const char *stamp)
{
	struct dirent	*de;
	DIR		*d;
	const char	*name;
	unsigned	 seq, next = 0;

	if ((d = opendir(storedir)) == NULL)
		return (0);	/* mkdir() will tell what is wrong */
	while ((de = readdir(d)) != NULL) {
		name = de->d_name;
		if (strncmp(name, BACKUP_TMP_PREFIX, 5) == 0 ||
		    strncmp(name, BACKUP_DEL_PREFIX, 5) == 0)
			name += 5;
		if (!id_valid(name) ||
		    strncmp(name, stamp, BACKUP_STAMP_LEN) != 0)
			continue;
		seq = (unsigned)atoi(name + BACKUP_STAMP_LEN + 1);
		if (seq >= next)
			next = seq + 1;
	}
	closedir(d);
	return (next);
}

/* Reserve a new generation: a fresh, empty <storedir>/<id>. */
static int
gen_reserve(const char *storedir, char id[BACKUP_ID_LEN + 1],
    char created[32], char **gdir, char **msg)
{
	struct timespec	 ts;
	struct tm	 tm;
	char		 stamp[BACKUP_STAMP_LEN + 1];
	unsigned	 seq;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (gmtime_r(&ts.tv_sec, &tm) == NULL ||
	    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm) !=
	    BACKUP_STAMP_LEN ||
	    strftime(created, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return (failf(msg, EINVAL, "the system clock is out of range"));
	if (mkdir_p(storedir, 0700) == -1)
		return (failf(msg, errno, "cannot create %s: %s", storedir,
		    strerror(errno)));
	for (seq = gen_next_seq(storedir, stamp); seq <= BACKUP_SEQ_MAX;
	    seq++) {
		(void)snprintf(id, BACKUP_ID_LEN + 1, "%.16s-%04u", stamp, seq);
		xasprintf(gdir, "%s/%s", storedir, id);
		if (mkdir(*gdir, 0700) == 0)
			return (0);
		free(*gdir);
		*gdir = NULL;
		if (errno != EEXIST)
			return (failf(msg, errno, "cannot create %s/%s: %s",
			    storedir, id, strerror(errno)));
	}
	return (failf(msg, EAGAIN, "too many backups within one second"));
}

static int
gen_args(const char *storedir, const char *env, const char *kind,
    const struct backup_db *dbs, int n, char **msg)
{
	int	 i, j;

	if (storedir == NULL || *storedir == '\0' || env == NULL)
		return (failf(msg, EINVAL,
		    "no backup directory or environment"));
	if (!kind_valid(kind))
		return (failf(msg, EINVAL, "unknown backup kind \"%s\"",
		    kind == NULL ? "" : kind));
	if (dbs == NULL || n < 1)
		return (failf(msg, EINVAL, "no databases to back up"));
	for (i = 0; i < n; i++) {
		if (!name_valid(dbs[i].name))
			return (failf(msg, EINVAL,
			    "invalid database name \"%s\"",
			    dbs[i].name == NULL ? "" : dbs[i].name));
		if (dbs[i].path == NULL || *dbs[i].path == '\0')
			return (failf(msg, EINVAL, "database %s has no path",
			    dbs[i].name));
		for (j = 0; j < i; j++)
			if (strcmp(dbs[i].name, dbs[j].name) == 0)
				return (failf(msg, EINVAL,
				    "database %s is named twice", dbs[i].name));
	}
	return (0);
}

static struct gen_file *
gen_files_new(const char *gdir, const struct backup_db *dbs, int n)
{
	struct gen_file	*f;
	int		 i;

	f = xcalloc(n, sizeof *f);
	for (i = 0; i < n; i++) {
		f[i].name = dbs[i].name;
		f[i].src = dbs[i].path;
		xasprintf(&f[i].path, "%s/%s.db", gdir, dbs[i].name);
	}
	return (f);
}

static void
gen_files_free(struct gen_file *f, int n)
{
	int	 i, t;

	if (f == NULL)
		return;
	for (i = 0; i < n; i++) {
		if (f[i].sdb != NULL)
			sqlite3_close(f[i].sdb);
		free(f[i].path);
		for (t = 0; t < f[i].ntables; t++)
			free(f[i].tables[t].name);
		free(f[i].tables);
	}
	free(f);
}

/*
 * Hash the file at `path` with XXH3-128 (and fsync it when `sync`),
 * keeping its first 16 bytes for the header check. Progress runs from `lo`
 * to `hi` as the file is read. 0, or -1 with errno set.
 */
static int
file_hash(struct gen_file *f, const char *path, int sync,
    struct progress *pr, double lo, double hi)
{
	struct stat		 sb;
	XXH3_state_t		*st = NULL;
	XXH128_canonical_t	 canon;
	unsigned char		*buf;
	uint64_t		 total = 0;
	ssize_t			 r;
	int			 fd = -1, i, saved_errno;

	buf = xmalloc(BACKUP_BUF);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		goto fail;
	if (fstat(fd, &sb) == -1)
		goto fail;
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if ((st = XXH3_createState()) == NULL ||
	    XXH3_128bits_reset(st) != XXH_OK) {
		errno = ENOMEM;
		goto fail;
	}
	memset(f->head, 0, sizeof f->head);
	for (;;) {
		if ((r = read(fd, buf, BACKUP_BUF)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (r == 0)
			break;
		if (total < sizeof f->head)
			memcpy(f->head + total, buf, (size_t)r <
			    sizeof f->head - total ? (size_t)r :
			    sizeof f->head - total);
		(void)XXH3_128bits_update(st, buf, (size_t)r);
		total += (uint64_t)r;
		if (sb.st_size > 0)
			progress_set(pr, lo + (hi - lo) * (double)total /
			    (double)sb.st_size);
	}
	if (sync && fsync(fd) == -1)
		goto fail;
	XXH128_canonicalFromHash(&canon, XXH3_128bits_digest(st));
	for (i = 0; i < 16; i++)
		(void)snprintf(f->hash + 2 * i, 3, "%02x", canon.digest[i]);
	f->bytes = total;
	XXH3_freeState(st);
	close(fd);
	free(buf);
	progress_set(pr, hi);
	return (0);
fail:
	saved_errno = errno;
	if (st != NULL)
		XXH3_freeState(st);
	if (fd != -1)
		close(fd);
	free(buf);
	errno = saved_errno;
	return (-1);
}

/* Rows per user table. Virtual tables may need a module we lack. */
static int
file_count(struct gen_file *f, sqlite3 *db)
{
	sqlite3_stmt	*st, *cst;
	const char	*name;
	char		*sql;
	int		 rc;

	rc = sqlite3_prepare_v2(db, "SELECT name FROM sqlite_schema "
	    "WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
	    "AND coalesce(sql, '') NOT LIKE 'CREATE VIRTUAL%' ORDER BY name",
	    -1, &st, NULL);
	if (rc != SQLITE_OK)
		return (rc);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		name = (const char *)sqlite3_column_text(st, 0);
		if (name == NULL)
			continue;
		/* %w doubles the quotes inside an identifier. */
		if ((sql = sqlite3_mprintf("SELECT count(*) FROM \"%w\"",
		    name)) == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		rc = sqlite3_prepare_v2(db, sql, -1, &cst, NULL);
		sqlite3_free(sql);
		if (rc != SQLITE_OK)
			break;
		if ((rc = sqlite3_step(cst)) != SQLITE_ROW) {
			sqlite3_finalize(cst);
			break;
		}
		f->tables = xreallocarray(f->tables, f->ntables + 1,
		    sizeof *f->tables);
		f->tables[f->ntables].name = xstrdup(name);
		f->tables[f->ntables].rows =
		    (uint64_t)sqlite3_column_int64(cst, 0);
		f->records += f->tables[f->ntables].rows;
		f->ntables++;
		sqlite3_finalize(cst);
	}
	sqlite3_finalize(st);
	return (rc == SQLITE_DONE ? SQLITE_OK : rc);
}

/*
 * Look into a file of the store: run `check` ("integrity_check",
 * "quick_check" or NULL), read page size and count, and count rows when
 * `count`. 0, or -1 with errno set and *why an allocated phrase.
 */
static int
file_inspect(struct gen_file *f, const char *check, int count, char **why)
{
	sqlite3		*db = NULL;
	sqlite3_stmt	*st = NULL;
	const char	*row;
	char		*sql;
	int		 rc;

	if ((rc = db_open_store(f->path, &db)) != SQLITE_OK)
		goto fail;
	if (check != NULL) {
		xasprintf(&sql, "PRAGMA %s", check);
		rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
		free(sql);
		if (rc != SQLITE_OK)
			goto fail;
		if ((rc = sqlite3_step(st)) != SQLITE_ROW)
			goto fail;
		row = (const char *)sqlite3_column_text(st, 0);
		if (row == NULL || strcmp(row, "ok") != 0) {
			/*
			 * The answer starts "*** in database main ***" and
			 * may list many problems, a line each: the first
			 * one makes a message of one line.
			 */
			if (row == NULL)
				row = "no answer";
			else if (strncmp(row, "***", 3) == 0 &&
			    strchr(row, '\n') != NULL)
				row = strchr(row, '\n') + 1;
			xasprintf(why, "%s failed: %.*s", check,
			    (int)strcspn(row, "\n"), row);
			sqlite3_finalize(st);
			sqlite3_close(db);
			errno = EBADMSG;
			return (-1);
		}
		sqlite3_finalize(st);
		st = NULL;
	}
	if ((rc = db_int(db, "PRAGMA page_size", &f->page_size)) != SQLITE_OK ||
	    (rc = db_int(db, "PRAGMA page_count", &f->page_count)) != SQLITE_OK)
		goto fail;
	if (count && (rc = file_count(f, db)) != SQLITE_OK)
		goto fail;
	sqlite3_close(db);
	return (0);
fail:
	xasprintf(why, "%s%s%s", check != NULL ? check : "",
	    check != NULL ? " failed: " : "",
	    db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
	errno = sqlite_errno(db, rc);
	if (st != NULL)
		sqlite3_finalize(st);
	sqlite3_close(db);
	return (-1);
}

/*
 * Open a live database and start a read transaction on it. The snapshot
 * it pins is what the copy will contain: with the transaction held, every
 * backup step reads that one snapshot, so a foreign write never restarts
 * the copy and the copy ends in bounded time (notes §1). In WAL mode
 * writers carry on; in rollback-journal mode the SHARED lock makes them
 * wait until this database's copy is done.
 *
 * Read-write, though we never write: a read-only connection to a WAL
 * database needs an existing -shm, and would not checkpoint if it
 * happened to be the last one to close. No SQLITE_OPEN_CREATE: a missing
 * live file is an error, not an empty database.
 */
/*
 * Can the snapshot be copied as plain bytes? In rollback-journal mode the
 * held read transaction's SHARED lock keeps every writer out of the file.
 * In WAL mode only when the transaction reads the file alone (read-mark
 * 0): the -wal was checkpointed empty (TRUNCATE) before it began, so no
 * checkpoint can write into the file until it ends (walformat.html;
 * notes/sqlite-restore.md §2). Writers go on appending to the -wal.
 */
#define BACKUP_RAW_TRIES	20

static void	source_end(struct gen_file *);

static int
source_pin_raw(struct gen_file *f)
{
	struct stat	 st;
	char		*wal;
	int64_t		 busy;
	int		 i, raw = 0;

	xasprintf(&wal, "%s-wal", f->src);
	/*
	 * A TRUNCATE checkpoint holds new writers off while it waits for
	 * readers: wait only briefly, so the app's writers never stall.
	 */
	(void)sqlite3_busy_timeout(f->sdb, 10);
	for (i = 0; i < BACKUP_RAW_TRIES && !raw; i++) {
		if (db_int(f->sdb, "PRAGMA wal_checkpoint(TRUNCATE)", &busy) !=
		    SQLITE_OK)
			break;
		if (db_exec(f->sdb, "BEGIN") != SQLITE_OK)
			break;
		if (db_exec(f->sdb, "SELECT count(*) FROM sqlite_schema") ==
		    SQLITE_OK && busy == 0 &&
		    (stat(wal, &st) == -1 || st.st_size == 0))
			raw = 1;
		else {
			(void)db_exec(f->sdb, "COMMIT");
			sleep_ms(1 + i);
		}
	}
	(void)sqlite3_busy_timeout(f->sdb, BACKUP_BUSY_MS);
	free(wal);
	return (raw);
}

/*
 * Open the live database and pin the snapshot to copy: a read
 * transaction held until the copy is done, so the copy is consistent
 * however the app writes meanwhile, and the copy never restarts.
 */
static int
source_begin(struct gen_file *f, char **msg)
{
	sqlite3_stmt	*st = NULL;
	int		 rc, wal = 0;

	rc = sqlite3_open_v2(f->src, &f->sdb, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	(void)sqlite3_busy_timeout(f->sdb, BACKUP_BUSY_MS);
	if (sqlite3_prepare_v2(f->sdb, "PRAGMA journal_mode", -1, &st,
	    NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		wal = sqlite3_column_text(st, 0) != NULL &&
		    strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
	sqlite3_finalize(st);
	f->raw = wal ? source_pin_raw(f) : 0;
	if (!f->raw) {
		if ((rc = db_exec(f->sdb, "BEGIN")) != SQLITE_OK ||
		    (rc = db_exec(f->sdb, "SELECT count(*) FROM sqlite_schema"))
		    != SQLITE_OK)
			goto fail;
		/* Rollback journal: the SHARED lock now holds writers off. */
		f->raw = !wal;
	}
	if ((rc = db_int(f->sdb, "PRAGMA page_count", &f->src_pages)) !=
	    SQLITE_OK)
		goto fail;
	return (0);
fail:
	return (failf(msg, sqlite_errno(f->sdb, rc),
	    "cannot read database %s (%s): %s", f->name, f->src,
	    f->sdb != NULL ? sqlite3_errmsg(f->sdb) : sqlite3_errstr(rc)));
}

/*
 * Copy the bytes of `src` to a new `dst` in a child process: an open()
 * and close() of a live database in this process would drop every POSIX
 * lock SQLite holds on it, our read lock included. The child has no
 * connection of its own, and its locks would be its own. It is cloned
 * without an exit signal, so pitstopd's SIGCHLD loop (waitpid(-1), which
 * reaps only children that signal SIGCHLD) never takes it from us; it
 * makes only system calls. Progress follows the copy's size.
 */
static int
raw_copy(struct gen_file *f, struct progress *pr, uint64_t done,
    uint64_t total, char **msg)
{
	struct stat	 st;
	char		*buf;
	off_t		 size = 0;
	ssize_t		 n, w;
	pid_t		 pid;
	int		 status, in, out, err, use_cfr = 1;

	buf = xmalloc(BACKUP_BUF);
	pid = (pid_t)syscall(SYS_clone, 0UL, NULL, NULL, NULL, NULL);
	if (pid == 0) {
		err = 0;
		in = open(f->src, O_RDONLY | O_CLOEXEC);
		out = open(f->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0600);
		if (in == -1 || out == -1)
			_exit(errno);
		for (;;) {
			n = -1;
			if (use_cfr) {
				n = copy_file_range(in, NULL, out, NULL,
				    BACKUP_BUF * 8, 0);
				if (n == -1 && (errno == EXDEV ||
				    errno == EINVAL || errno == ENOSYS ||
				    errno == EOPNOTSUPP)) {
					use_cfr = 0;
					continue;
				}
			} else if ((n = read(in, buf, BACKUP_BUF)) > 0) {
				for (w = 0; w < n && err == 0; ) {
					ssize_t k = write(out, buf + w,
					    (size_t)(n - w));

					if (k > 0)
						w += k;
					else if (k == -1 && errno != EINTR)
						err = errno;
				}
			}
			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1)
				err = errno;
			if (n <= 0 || err != 0)
				break;
			/* Start writeback now: the fsync after it waits less. */
			(void)sync_file_range(out, 0, 0, SYNC_FILE_RANGE_WRITE);
		}
		_exit(err);
	}
	free(buf);
	if (pid == -1)
		return (failf(msg, errno, "cannot copy database %s (%s): "
		    "clone: %s", f->name, f->src, strerror(errno)));
	if (stat(f->src, &st) == 0)
		size = st.st_size;
	while (waitpid(pid, &status, __WCLONE | WNOHANG) == 0) {
		if (size > 0 && total > 0 && stat(f->path, &st) == 0)
			progress_set(pr, BACKUP_COPY_SHARE * ((double)done +
			    (double)f->src_pages * (double)st.st_size /
			    (double)size) / (double)total);
		sleep_ms(20);
	}
	err = WIFEXITED(status) ? WEXITSTATUS(status) : EIO;
	if (err != 0)
		return (failf(msg, err, "cannot copy database %s (%s) to %s: "
		    "%s", f->name, f->src, f->path, strerror(err)));
	source_end(f);
	return (0);
}

/* End the read transaction and close; errors no longer matter here. */
static void
source_end(struct gen_file *f)
{
	if (f->sdb == NULL)
		return;
	(void)db_exec(f->sdb, "COMMIT");
	sqlite3_close(f->sdb);
	f->sdb = NULL;
}

/*
 * Copy the snapshot of `f` into f->path with the backup API. The
 * destination is a fresh file with journal_mode=OFF and synchronous=OFF:
 * it is not trusted before file_hash() fsyncs it and integrity_check
 * passes, so it needs neither a journal nor syncs of its own. The header
 * is copied as it is, a WAL-mode source gives a WAL-mode copy.
 */
static int
source_copy(struct gen_file *f, struct progress *pr, uint64_t done,
    uint64_t total, char **msg)
{
	sqlite3_backup	*b = NULL;
	sqlite3		*dst = NULL;
	uint64_t	 deadline = 0;
	int		 rc, rc2, pages, left;

	if (f->raw)
		return (raw_copy(f, pr, done, total, msg));

	rc = sqlite3_open_v2(f->path, &dst, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK ||
	    (rc = db_exec(dst, "PRAGMA journal_mode = OFF")) != SQLITE_OK ||
	    (rc = db_exec(dst, "PRAGMA synchronous = OFF")) != SQLITE_OK)
		goto fail;
	if ((b = sqlite3_backup_init(dst, "main", f->sdb, "main")) == NULL) {
		rc = sqlite3_errcode(dst);
		goto fail;
	}
	for (;;) {
		rc = sqlite3_backup_step(b, BACKUP_STEP_PAGES);
		if (rc == SQLITE_OK || rc == SQLITE_DONE) {
			deadline = 0;
			pages = sqlite3_backup_pagecount(b);
			left = sqlite3_backup_remaining(b);
			if (total > 0)
				progress_set(pr, BACKUP_COPY_SHARE *
				    (double)(done + (uint64_t)(pages - left)) /
				    (double)total);
			if (rc == SQLITE_DONE)
				break;
			continue;
		}
		/*
		 * Busy should not happen with the read transaction held and
		 * the destination ours alone; retry briefly all the same.
		 */
		if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
			break;
		if (deadline == 0)
			deadline = mono_ms() + BACKUP_BUSY_MS;
		else if (mono_ms() > deadline)
			break;
		sleep_ms(BACKUP_RETRY_MS);
	}
	/* finish() leaves a step's error, from either side, on `dst`. */
	if ((rc2 = sqlite3_backup_finish(b)) != SQLITE_OK && rc == SQLITE_DONE)
		rc = rc2;
	if (rc != SQLITE_DONE)
		goto fail;
	source_end(f);
	/* Nothing is pending: synchronous=OFF, and file_hash() fsyncs. */
	sqlite3_close(dst);
	return (0);
fail:
	(void)failf(msg, sqlite_errno(dst, rc), "cannot copy database %s "
	    "(%s) to %s: %s", f->name, f->src, f->path, dst != NULL &&
	    sqlite3_errcode(dst) != SQLITE_OK ? sqlite3_errmsg(dst) :
	    sqlite3_errstr(rc));
	sqlite3_close(dst);
	return (-1);
}

/*
 * Steps 4 to 6 of the sequence at the top: make the files' names durable,
 * write the manifest, make the generation's name durable.
 */
static int
gen_publish(const char *storedir, const char *gdir, const char *id,
    const char *created, const char *env, const char *kind,
    struct gen_file *f, int n, char **msg)
{
	struct json	*j;
	char		*path;
	uint64_t	 bytes = 0, records = 0;
	int		 i, t, rv;

	for (i = 0; i < n; i++) {
		bytes += f[i].bytes;
		records += f[i].records;
	}
	j = json_new();
	json_obj_open(j, NULL);
	json_str(j, "id", id);
	json_str(j, "kind", kind);
	json_str(j, "created", created);
	json_str(j, "env", env);
	json_str(j, "version", PITSTOP_VERSION);
	json_uint(j, "records", records);
	json_uint(j, "bytes", bytes);
	json_arr_open(j, "files");
	for (i = 0; i < n; i++) {
		json_obj_open(j, NULL);
		json_str(j, "name", f[i].name);
		json_str(j, "file", strrchr(f[i].path, '/') + 1);
		json_uint(j, "bytes", f[i].bytes);
		json_str(j, "xxh3_128", f[i].hash);
		json_int(j, "page_size", f[i].page_size);
		json_int(j, "page_count", f[i].page_count);
		json_obj_open(j, "tables");
		for (t = 0; t < f[i].ntables; t++)
			json_uint(j, f[i].tables[t].name, f[i].tables[t].rows);
		json_obj_close(j);
		json_obj_close(j);
	}
	json_arr_close(j);
	json_obj_close(j);

	if (fsync_dir(gdir) == -1) {
		json_free(j);
		return (failf(msg, errno, "cannot sync %s: %s", gdir,
		    strerror(errno)));
	}
	xasprintf(&path, "%s/%s", gdir, BACKUP_MANIFEST);
	rv = write_file_atomic(path, json_text(j), json_len(j), 0600, 1);
	json_free(j);
	if (rv == -1) {
		(void)failf(msg, errno, "cannot write %s: %s", path,
		    strerror(errno));
		free(path);
		return (-1);
	}
	free(path);
	/*
	 * The generation is complete now even if these fail; report the
	 * failure anyway, since it may not survive a power cut.
	 */
	if (fsync_dir(storedir) == -1 || fsync_parent(storedir) == -1)
		return (failf(msg, errno, "cannot sync %s: %s", storedir,
		    strerror(errno)));
	return (0);
}

int
backup_take(const char *storedir, const char *env, const char *kind,
    const struct backup_db *dbs, int ndb, volatile double *progress,
    char **id, char **err)
{
	struct gen_file	*f = NULL;
	struct progress	 pr;
	char		 gid[BACKUP_ID_LEN + 1], created[32];
	char		*gdir = NULL, *msg = NULL, *why = NULL;
	uint64_t	 total = 0, done = 0;
	double		 lo, step;
	int		 i, saved_errno;

	*id = NULL;
	if (err != NULL)
		*err = NULL;
	progress_init(&pr, progress);
	if (gen_args(storedir, env, kind, dbs, ndb, &msg) == -1 ||
	    gen_reserve(storedir, gid, created, &gdir, &msg) == -1)
		goto fail;
	f = gen_files_new(gdir, dbs, ndb);

	/*
	 * Pin every snapshot before copying any, so the databases are
	 * captured as close together as possible. That is not atomic across
	 * databases: SQLite commits are atomic per database only, and a
	 * write may land between two BEGINs. Each source is released as
	 * soon as its copy is done. In rollback-journal mode a database's
	 * writers therefore wait from the first BEGIN to the end of its
	 * own copy; in WAL mode they never wait.
	 */
	for (i = 0; i < ndb; i++) {
		if (source_begin(&f[i], &msg) == -1)
			goto fail;
		total += (uint64_t)f[i].src_pages;
	}
	for (i = 0; i < ndb; i++) {
		if (source_copy(&f[i], &pr, done, total, &msg) == -1)
			goto fail;
		done += (uint64_t)f[i].src_pages;
	}

	/*
	 * Hashing also fsyncs the copy and warms the cache for the check.
	 * The check runs on the copy, never on the live file.
	 */
	step = (1 - BACKUP_COPY_SHARE) / ndb;
	for (i = 0; i < ndb; i++) {
		lo = BACKUP_COPY_SHARE + step * i;
		if (file_hash(&f[i], f[i].path, 1, &pr, lo,
		    lo + step / 4) == -1) {
			(void)failf(&msg, errno, "cannot read the copy of %s "
			    "(%s): %s", f[i].name, f[i].path, strerror(errno));
			goto fail;
		}
		if (file_inspect(&f[i], "integrity_check", 1, &why) == -1) {
			(void)failf(&msg, errno, "the copy of database %s is "
			    "damaged: %s", f[i].name, why);
			goto fail;
		}
		progress_set(&pr, lo + step);
	}
	if (gen_publish(storedir, gdir, gid, created, env, kind, f, ndb,
	    &msg) == -1)
		goto fail;
	gen_files_free(f, ndb);
	free(gdir);
	progress_set(&pr, 1);
	*id = xstrdup(gid);
	return (0);
fail:
	saved_errno = errno;
	gen_files_free(f, ndb);
	/* Without a manifest the directory is no generation: drop it. */
	if (gdir != NULL && remove_tree(gdir) == -1)
		log_warn("%s: %s", __func__, gdir);
	free(gdir);
	free(why);
	if (err != NULL)
		*err = msg;
	else
		free(msg);
	errno = saved_errno;
	return (-1);
}

/*
 * A file with a -wal or a -journal beside it is not self-contained: open
 * it with SQLite, which rolls a hot journal back on the first read, and
 * checkpoint the WAL into it; the close, as the last connection, removes
 * the -wal. A -wal that still has frames afterwards means someone else
 * has the file open. Files without sidecars are not touched.
 */
static int
adopt_settle(const struct gen_file *f, char **msg)
{
	struct stat	 sb;
	sqlite3		*db = NULL;
	char		*wal, *jnl;
	int		 rc, rv = 0;

	xasprintf(&wal, "%s-wal", f->src);
	xasprintf(&jnl, "%s-journal", f->src);
	if (access(wal, F_OK) == -1 &&
	    (stat(jnl, &sb) == -1 || sb.st_size == 0))
		goto out;
	rc = sqlite3_open_v2(f->src, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK) {
		(void)sqlite3_busy_timeout(db, BACKUP_BUSY_MS);
		if ((rc = db_exec(db, "SELECT count(*) FROM sqlite_schema")) ==
		    SQLITE_OK)
			rc = db_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
	}
	if (rc != SQLITE_OK) {
		rv = failf(msg, sqlite_errno(db, rc), "cannot settle %s into "
		    "its database: %s", f->src, db != NULL ?
		    sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		goto out;
	}
	sqlite3_close(db);
	if (stat(wal, &sb) == 0 && sb.st_size > 0)
		rv = failf(msg, EBUSY, "%s still has a -wal; is it open "
		    "elsewhere?", f->src);
out:
	free(wal);
	free(jnl);
	return (rv);
}

static int
copy_file(const char *src, const char *dst)
{
	char	*buf, *p;
	ssize_t	 r, w;
	int	 in, out = -1, saved_errno;

	if ((in = open(src, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	buf = xmalloc(BACKUP_BUF);
	if ((out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1)
		goto fail;
	(void)posix_fadvise(in, 0, 0, POSIX_FADV_SEQUENTIAL);
	for (;;) {
		if ((r = read(in, buf, BACKUP_BUF)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (r == 0)
			break;
		for (p = buf; r > 0; p += w, r -= w) {
			if ((w = write(out, p, (size_t)r)) == -1) {
				if (errno == EINTR) {
					w = 0;
					continue;
				}
				goto fail;
			}
		}
	}
	free(buf);
	close(in);
	if (close(out) == -1)
		return (-1);
	return (0);
fail:
	saved_errno = errno;
	free(buf);
	close(in);
	if (out != -1)
		close(out);
	errno = saved_errno;
	return (-1);
}

/*
 * Put `f->src` into the generation without removing it: a hard link when
 * the filesystem allows, a copy otherwise. The source is unlinked only
 * after the manifest is published; had it been renamed in, a crash before
 * that would leave the data in an incomplete generation, which
 * backup_clean() deletes.
 */
static int
adopt_place(struct gen_file *f, char **msg)
{
	struct stat	 sb;

	if (lstat(f->src, &sb) == -1)
		return (failf(msg, errno, "cannot adopt %s: %s", f->src,
		    strerror(errno)));
	if (!S_ISREG(sb.st_mode))
		return (failf(msg, EINVAL,
		    "cannot adopt %s: not a regular file", f->src));
	if (link(f->src, f->path) == 0)
		return (0);
	if (errno != EXDEV && errno != EPERM && errno != EMLINK &&
	    errno != EOPNOTSUPP)
		return (failf(msg, errno, "cannot link %s into %s: %s", f->src,
		    f->path, strerror(errno)));
	if (copy_file(f->src, f->path) == -1)
		return (failf(msg, errno, "cannot copy %s to %s: %s", f->src,
		    f->path, strerror(errno)));
	return (0);
}

/* After publishing: the generation holds the data, the sources may go. */
static void
adopt_unlink(const struct gen_file *f)
{
	char	*side;

	if (unlink(f->src) == -1 && errno != ENOENT) {
		log_warn("%s: %s", __func__, f->src);
		return;
	}
	/* Settled, so a -wal left is empty, and a -shm holds nothing. */
	xasprintf(&side, "%s-wal", f->src);
	(void)unlink(side);
	free(side);
	xasprintf(&side, "%s-shm", f->src);
	(void)unlink(side);
	free(side);
	if (fsync_parent(f->src) == -1)
		log_warn("%s: %s", __func__, f->src);
}

int
backup_adopt(const char *storedir, const char *env, const char *kind,
    const struct backup_db *files, int n, char **id, char **err)
{
	struct gen_file	*f = NULL;
	struct progress	 pr;
	char		 gid[BACKUP_ID_LEN + 1], created[32];
	char		*gdir = NULL, *msg = NULL, *why = NULL;
	int		 i, t, saved_errno;

	*id = NULL;
	if (err != NULL)
		*err = NULL;
	progress_init(&pr, NULL);
	if (gen_args(storedir, env, kind, files, n, &msg) == -1 ||
	    gen_reserve(storedir, gid, created, &gdir, &msg) == -1)
		goto fail;
	f = gen_files_new(gdir, files, n);
	for (i = 0; i < n; i++)
		if (adopt_settle(&f[i], &msg) == -1)
			goto fail;
	for (i = 0; i < n; i++)
		if (adopt_place(&f[i], &msg) == -1)
			goto fail;
	for (i = 0; i < n; i++) {
		if (file_hash(&f[i], f[i].path, 1, &pr, 0, 0) == -1) {
			(void)failf(&msg, errno, "cannot read %s: %s",
			    f[i].path, strerror(errno));
			goto fail;
		}
		/*
		 * These files are someone's data even when SQLite finds
		 * them damaged: keep them, with what could be learned.
		 * backup_verify() will refuse them later.
		 */
		if (file_inspect(&f[i], NULL, 1, &why) == -1) {
			log_warnx("%s: %s: %s", __func__, f[i].src, why);
			free(why);
			why = NULL;
			for (t = 0; t < f[i].ntables; t++)
				free(f[i].tables[t].name);
			free(f[i].tables);
			f[i].tables = NULL;
			f[i].ntables = 0;
			f[i].records = 0;
		}
	}
	if (gen_publish(storedir, gdir, gid, created, env, kind, f, n,
	    &msg) == -1)
		goto fail;
	for (i = 0; i < n; i++)
		adopt_unlink(&f[i]);
	gen_files_free(f, n);
	free(gdir);
	*id = xstrdup(gid);
	return (0);
fail:
	saved_errno = errno;
	gen_files_free(f, n);
	/* Links and copies only: every source is still in its place. */
	if (gdir != NULL && remove_tree(gdir) == -1)
		log_warn("%s: %s", __func__, gdir);
	free(gdir);
	if (err != NULL)
		*err = msg;
	else
		free(msg);
	errno = saved_errno;
	return (-1);
}

/* What the manifest says about one file. */
struct expect {
	const char	*file;
	const char	*sum;
	uint64_t	 bytes;
	int64_t		 pages;		/* -1: not recorded */
};

static int
verify_entry(const struct json_value *e, struct expect *x)
{
	double	 num;

	x->file = json_get_str(e, "file");
	x->sum = json_get_str(e, "xxh3_128");
	if (!name_valid(json_get_str(e, "name")) || !name_valid(x->file) ||
	    x->sum == NULL || strlen(x->sum) != 32 ||
	    json_get_num(e, "bytes", &num) == -1 || num < 0 ||
	    num != (double)(uint64_t)num)
		return (-1);
	x->bytes = (uint64_t)num;
	x->pages = -1;
	if (json_get_num(e, "page_count", &num) == 0 && num >= 0)
		x->pages = (int64_t)num;
	return (0);
}

/*
 * Hash and quick_check weigh 1 : 15 in the progress, roughly their costs
 * per byte (about 7.9 and 0.5 GB/s).
 */
#define VERIFY_HASH_SHARE	(1.0 / 16)

int
backup_verify(const char *storedir, const char *id,
    volatile double *progress, char **err)
{
	struct json_value	*root = NULL;
	const struct json_value	*files;
	struct expect		*x = NULL;
	struct gen_file		*f = NULL;
	struct progress		 pr;
	struct stat		 sb;
	const char		*jwhy, *mid;
	char			*gdir = NULL, *path = NULL, *text = NULL;
	char			*msg = NULL, *why = NULL;
	uint64_t		 total = 0, done = 0;
	size_t			 len;
	double			 lo, share;
	int			 i, nf = 0, saved_errno;

	if (err != NULL)
		*err = NULL;
	progress_init(&pr, progress);
	if (!id_valid(id)) {
		(void)failf(&msg, ENOENT, "no backup \"%s\"", id == NULL ?
		    "" : id);
		goto fail;
	}
	xasprintf(&gdir, "%s/%s", storedir, id);
	if (stat(gdir, &sb) == -1 || !S_ISDIR(sb.st_mode)) {
		(void)failf(&msg, ENOENT, "no backup %s", id);
		goto fail;
	}
	xasprintf(&path, "%s/%s", gdir, BACKUP_MANIFEST);
	if ((text = manifest_read(path, &len)) == NULL) {
		if (errno == ENOENT)
			(void)failf(&msg, ENOENT, "backup %s has no %s", id,
			    BACKUP_MANIFEST);
		else
			(void)failf(&msg, EBADMSG, "backup %s: cannot read "
			    "%s: %s", id, BACKUP_MANIFEST, strerror(errno));
		goto fail;
	}
	if ((root = json_parse(text, len, &jwhy)) == NULL) {
		(void)failf(&msg, EBADMSG, "backup %s: %s is not valid JSON: "
		    "%s", id, BACKUP_MANIFEST, jwhy);
		goto fail;
	}
	if ((mid = json_get_str(root, "id")) == NULL || strcmp(mid, id) != 0) {
		(void)failf(&msg, EBADMSG, "backup %s: %s names another "
		    "backup", id, BACKUP_MANIFEST);
		goto fail;
	}
	files = json_get(root, "files");
	if (files == NULL || files->type != JSON_ARRAY || files->n == 0) {
		(void)failf(&msg, EBADMSG, "backup %s: %s lists no files", id,
		    BACKUP_MANIFEST);
		goto fail;
	}
	nf = (int)files->n;
	x = xcalloc(nf, sizeof *x);
	f = xcalloc(nf, sizeof *f);

	/* Cheap checks first, so a missing file fails at once. */
	for (i = 0; i < nf; i++) {
		if (verify_entry(files->items[i], &x[i]) == -1) {
			(void)failf(&msg, EBADMSG, "backup %s: entry %d of %s "
			    "is malformed", id, i + 1, BACKUP_MANIFEST);
			goto fail;
		}
		f[i].name = x[i].file;
		xasprintf(&f[i].path, "%s/%s", gdir, x[i].file);
		if (stat(f[i].path, &sb) == -1) {
			(void)failf(&msg, EBADMSG, "backup %s: %s is missing",
			    id, x[i].file);
			goto fail;
		}
		if (!S_ISREG(sb.st_mode) ||
		    (uint64_t)sb.st_size != x[i].bytes) {
			(void)failf(&msg, EBADMSG, "backup %s: %s has %jd "
			    "bytes, the manifest says %ju (size mismatch)", id,
			    x[i].file, (intmax_t)sb.st_size,
			    (uintmax_t)x[i].bytes);
			goto fail;
		}
		total += x[i].bytes;
	}
	for (i = 0; i < nf; i++) {
		share = total > 0 ? (double)x[i].bytes / (double)total : 0;
		lo = VERIFY_HASH_SHARE * (double)done / (total > 0 ?
		    (double)total : 1);
		if (file_hash(&f[i], f[i].path, 0, &pr, lo,
		    lo + VERIFY_HASH_SHARE * share) == -1) {
			(void)failf(&msg, EBADMSG, "backup %s: cannot read %s: "
			    "%s", id, x[i].file, strerror(errno));
			goto fail;
		}
		if (f[i].bytes != x[i].bytes) {
			(void)failf(&msg, EBADMSG, "backup %s: %s changed size "
			    "while being read", id, x[i].file);
			goto fail;
		}
		if (strcasecmp(f[i].hash, x[i].sum) != 0) {
			(void)failf(&msg, EBADMSG, "backup %s: %s checksum "
			    "mismatch (xxh3_128 %s, the manifest says %s)", id,
			    x[i].file, f[i].hash, x[i].sum);
			goto fail;
		}
		/* An empty file is a valid, empty database. */
		if (x[i].bytes > 0 &&
		    memcmp(f[i].head, sqlite_magic, sizeof sqlite_magic) != 0) {
			(void)failf(&msg, EBADMSG, "backup %s: %s is not an "
			    "SQLite database (bad header)", id, x[i].file);
			goto fail;
		}
		done += x[i].bytes;
	}
	for (i = 0, done = 0; i < nf; i++) {
		if (file_inspect(&f[i], "quick_check", 0, &why) == -1) {
			(void)failf(&msg, errno == ENOMEM ? ENOMEM : EBADMSG,
			    "backup %s: %s: %s", id, x[i].file, why);
			goto fail;
		}
		if (x[i].pages != -1 && f[i].page_count != x[i].pages) {
			(void)failf(&msg, EBADMSG, "backup %s: %s has %jd "
			    "pages, the manifest says %jd", id, x[i].file,
			    (intmax_t)f[i].page_count, (intmax_t)x[i].pages);
			goto fail;
		}
		done += x[i].bytes;
		progress_set(&pr, VERIFY_HASH_SHARE + (1 - VERIFY_HASH_SHARE) *
		    (double)done / (total > 0 ? (double)total : 1));
	}
	gen_files_free(f, nf);
	free(x);
	json_value_free(root);
	free(text);
	free(path);
	free(gdir);
	progress_set(&pr, 1);
	return (0);
fail:
	saved_errno = errno;
	gen_files_free(f, nf);
	free(x);
	json_value_free(root);
	free(text);
	free(path);
	free(gdir);
	free(why);
	if (err != NULL)
		*err = msg;
	else
		free(msg);
	errno = saved_errno;
	return (-1);
}

/*
 * Remove generation `id`: out of the listing first (the rename is
 * atomic and made durable), its files after, so a crash in between
 * leaves a .del- directory for backup_clean(), never a half generation.
 */
static int
gen_delete(const char *storedir, const char *id)
{
	char	*from, *to;
	int	 rv = -1, saved_errno;

	xasprintf(&from, "%s/%s", storedir, id);
	xasprintf(&to, "%s/%s%s", storedir, BACKUP_DEL_PREFIX, id);
	if (rename(from, to) == -1) {
		/* A leftover of an earlier, interrupted deletion. */
		if ((errno != ENOTEMPTY && errno != EEXIST) ||
		    remove_tree(to) == -1 || rename(from, to) == -1)
			goto out;
	}
	if (fsync_dir(storedir) == -1)
		goto out;
	if (remove_tree(to) == -1)
		goto out;
	rv = 0;
out:
	saved_errno = errno;
	if (rv == -1)
		log_warn("%s: %s", __func__, from);
	free(from);
	free(to);
	errno = saved_errno;
	return (rv);
}

int
backup_retain(const char *storedir, unsigned keep, unsigned keep_safety)
{
	struct backup_gen	*gens;
	unsigned		 nregular = 0, nsafety = 0;
	int			 i, j, n, keepit, newest, removed = 0;
	int			 saved_errno;

	if (backup_list(storedir, &gens, &n) == -1)
		return (-1);
	for (i = 0; i < n; i++) {		/* newest first */
		if (strcmp(gens[i].kind, "safety") == 0)
			keepit = nsafety++ < keep_safety;
		else if (strcmp(gens[i].kind, "manual") == 0 ||
		    strcmp(gens[i].kind, "scheduled") == 0)
			keepit = nregular++ < keep;
		else
			keepit = 1;	/* not a kind we made: not ours */
		for (j = 0, newest = 1; j < i && newest; j++)
			newest = strcmp(gens[j].kind, gens[i].kind) != 0;
		if (keepit || newest)
			continue;
		if (gen_delete(storedir, gens[i].id) == -1) {
			saved_errno = errno;
			backup_gens_free(gens, n);
			errno = saved_errno;
			return (-1);
		}
		removed++;
	}
	backup_gens_free(gens, n);
	return (removed);
}

/* What backup_clean() does with one entry of the store. */
static int
clean_entry(const char *storedir, const char *name)
{
	struct stat	 sb;
	char		*path, *mpath;
	int		 removed = 0;

	xasprintf(&path, "%s/%s", storedir, name);
	if (strncmp(name, BACKUP_TMP_PREFIX, 5) == 0 ||
	    strncmp(name, BACKUP_DEL_PREFIX, 5) == 0) {
		if (remove_tree(path) == 0)
			removed = 1;
		else
			removed = -1;
	} else if (id_valid(name) && lstat(path, &sb) == 0 &&
	    S_ISDIR(sb.st_mode)) {
		xasprintf(&mpath, "%s/%s", path, BACKUP_MANIFEST);
		if (lstat(mpath, &sb) == -1 && errno == ENOENT)
			removed = remove_tree(path) == 0 ? 1 : -1;
		else {
			free(mpath);
			/* A crash inside write_file_atomic() leaves this. */
			xasprintf(&mpath, "%s/%s.tmp", path, BACKUP_MANIFEST);
			if (unlink(mpath) == 0)
				removed = 1;
			else if (errno != ENOENT)
				removed = -1;
		}
		free(mpath);
	}
	if (removed == -1)
		log_warn("%s: %s", __func__, path);
	free(path);
	return (removed);
}

int
backup_clean(const char *storedir)
{
	struct dirent	*de;
	DIR		*d;
	char		**names = NULL;
	int		 i, n = 0, r, removed = 0, rv = 0, saved_errno = 0;

	if ((d = opendir(storedir)) == NULL)
		return (errno == ENOENT ? 0 : -1);
	/* Collect first: removing entries while reading is unspecified. */
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL)
			break;
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		names = xreallocarray(names, n + 1, sizeof *names);
		names[n++] = xstrdup(de->d_name);
	}
	if (errno != 0) {
		saved_errno = errno;
		rv = -1;
	}
	closedir(d);
	for (i = 0; i < n && rv == 0; i++) {
		if ((r = clean_entry(storedir, names[i])) == -1) {
			saved_errno = errno;
			rv = -1;
		} else
			removed += r;
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (rv == 0 && removed > 0 && fsync_dir(storedir) == -1) {
		saved_errno = errno;
		rv = -1;
	}
	errno = saved_errno;
	return (rv == -1 ? -1 : removed);
}
