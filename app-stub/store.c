/*
 * store: the stub's two SQLite databases and its in-memory profile cache.
 * The cache is filled once at open and never re-read: that staleness is
 * the point of the stub (SPEC §9), so only a new process sees rows that
 * appeared on disk behind its back. HTTP and JSON are left to routes.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "app-stub.h"

#define STORE_BUSY_MS	5000

struct store {
	sqlite3		*main;
	sqlite3		*keychain;
	sqlite3_stmt	*ins;		/* main: add a profile */
	sqlite3_stmt	*del;		/* main: delete a profile */
	sqlite3_stmt	*kget;		/* keychain: read one key */
	sqlite3_stmt	*kput;		/* keychain: upsert one key */

	struct profile	*profiles;
	size_t		 n;
	size_t		 cap;
	sqlite3_int64	 max_id;	/* no cached id is larger */
};

/*
 * `bulk` is never read here; benchmarks fill it so that a large database
 * measures pitstop's restore rather than this cache's warm-up.
 */
static const char main_schema[] =
    "CREATE TABLE IF NOT EXISTS profiles("
    "id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS bulk(id INTEGER PRIMARY KEY, data BLOB);";

static const char keychain_schema[] =
    "CREATE TABLE IF NOT EXISTS keychain(key TEXT PRIMARY KEY, value TEXT);";

static void	*store_xrealloc(void *, size_t, size_t);
static char	*store_xstrndup(const char *, size_t);
static int	 store_errno(int);
static int	 store_db_open(const char *, const char *, sqlite3 **);
static int	 store_prepare(sqlite3 *, const char *, sqlite3_stmt **);
static int	 store_load(struct store *);
static struct profile *store_cache_find(struct store *, sqlite3_int64);
static struct profile *store_cache_put(struct store *, sqlite3_int64,
		    const char *, size_t);

/* Out of memory in a small web app: better to die and be restarted. */
static void *
store_xrealloc(void *p, size_t n, size_t size)
{
	void	*q;

	if ((q = reallocarray(p, n, size)) == NULL) {
		stub_log("%s: out of memory", __func__);
		abort();
	}
	return (q);
}

static char *
store_xstrndup(const char *s, size_t len)
{
	char	*p;

	p = store_xrealloc(NULL, len + 1, 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return (p);
}

/* Our error vocabulary is errno; a locked database is worth telling apart. */
static int
store_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return (EBUSY);
	default:
		return (EIO);
	}
}

/*
 * Open one database. journal_mode=WAL is set on every open, not only at
 * creation: a restored file may come from VACUUM INTO, which writes a
 * rollback-journal database, and the app must keep running in WAL.
 */
static int
store_db_open(const char *path, const char *schema, sqlite3 **out)
{
	sqlite3		*db = NULL;
	sqlite3_stmt	*st = NULL;
	const char	*mode;
	int		 rc;

	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	sqlite3_extended_result_codes(db, 1);
	if ((rc = sqlite3_busy_timeout(db, STORE_BUSY_MS)) != SQLITE_OK)
		goto fail;
	rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW)
		goto fail;
	mode = (const char *)sqlite3_column_text(st, 0);
	if (mode == NULL || strcmp(mode, "wal") != 0) {
		stub_log("%s: %s: journal mode is %s, not wal", __func__,
		    path, mode == NULL ? "unknown" : mode);
		goto close;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((rc = sqlite3_exec(db, schema, NULL, NULL, NULL)) != SQLITE_OK)
		goto fail;
	*out = db;
	return (0);
fail:
	stub_log("%s: %s: %s", __func__, path,
	    db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
close:
	sqlite3_finalize(st);
	sqlite3_close(db);
	errno = store_errno(rc);
	return (-1);
}

static int
store_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st)
{
	int	 rc;

	rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st,
	    NULL);
	if (rc != SQLITE_OK) {
		stub_log("%s: %s: %s", __func__, sql, sqlite3_errmsg(db));
		errno = store_errno(rc);
		return (-1);
	}
	return (0);
}

static int
store_load(struct store *s)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (store_prepare(s->main, "SELECT id, name FROM profiles ORDER BY id",
	    &st) == -1)
		return (-1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		(void)store_cache_put(s, sqlite3_column_int64(st, 0),
		    (const char *)sqlite3_column_text(st, 1),
		    (size_t)sqlite3_column_bytes(st, 1));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		stub_log("%s: %s", __func__, sqlite3_errmsg(s->main));
		errno = store_errno(rc);
		return (-1);
	}
	return (0);
}

static struct profile *
store_cache_find(struct store *s, sqlite3_int64 id)
{
	size_t	 i;

	for (i = 0; i < s->n; i++) {
		if (s->profiles[i].id == id)
			return (&s->profiles[i]);
	}
	return (NULL);
}

/*
 * A stale cache can still hold an id that was deleted on disk and then
 * handed out again by SQLite; replace that entry instead of showing the
 * id twice. Ids above max_id, every row at load, skip the search.
 */
static struct profile *
store_cache_put(struct store *s, sqlite3_int64 id, const char *name,
    size_t len)
{
	struct profile	*p = NULL;

	if (name == NULL)
		len = 0;
	if ((s->n > 0 && id <= s->max_id) &&
	    (p = store_cache_find(s, id)) != NULL)
		free(p->name);
	else {
		if (s->n == s->cap) {
			s->cap = s->cap == 0 ? 16 : s->cap * 2;
			s->profiles = store_xrealloc(s->profiles, s->cap,
			    sizeof(*s->profiles));
		}
		p = &s->profiles[s->n++];
		p->id = id;
		if (s->n == 1 || id > s->max_id)
			s->max_id = id;
	}
	p->name = store_xstrndup(name == NULL ? "" : name, len);
	p->len = len;
	return (p);
}

struct store *
store_open(const char *main_path, const char *keychain_path)
{
	struct store	*s;

	s = store_xrealloc(NULL, 1, sizeof(*s));
	memset(s, 0, sizeof(*s));
	if (store_db_open(main_path, main_schema, &s->main) == -1)
		goto fail;
	if (store_db_open(keychain_path, keychain_schema, &s->keychain) == -1)
		goto fail;
	if (store_prepare(s->main,
	    "INSERT INTO profiles(name) VALUES(?1)", &s->ins) == -1 ||
	    store_prepare(s->main,
	    "DELETE FROM profiles WHERE id = ?1", &s->del) == -1 ||
	    store_prepare(s->keychain,
	    "SELECT value FROM keychain WHERE key = ?1", &s->kget) == -1 ||
	    store_prepare(s->keychain,
	    "INSERT INTO keychain(key, value) VALUES(?1, ?2) "
	    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	    &s->kput) == -1)
		goto fail;
	if (store_load(s) == -1)
		goto fail;
	return (s);
fail:
	(void)store_close(s);
	return (NULL);
}

int
store_close(struct store *s)
{
	size_t	 i;
	int	 rv = 0;

	if (s == NULL)
		return (0);
	sqlite3_finalize(s->kput);
	sqlite3_finalize(s->kget);
	sqlite3_finalize(s->del);
	sqlite3_finalize(s->ins);
	/*
	 * Plain sqlite3_close(), not _v2(): with every statement finalized
	 * it closes at once, and as the last connection it checkpoints the
	 * WAL into the database and removes -wal and -shm.
	 */
	if (s->keychain != NULL && sqlite3_close(s->keychain) != SQLITE_OK) {
		stub_log("%s: keychain: %s", __func__,
		    sqlite3_errmsg(s->keychain));
		rv = -1;
	}
	if (s->main != NULL && sqlite3_close(s->main) != SQLITE_OK) {
		stub_log("%s: main: %s", __func__, sqlite3_errmsg(s->main));
		rv = -1;
	}
	for (i = 0; i < s->n; i++)
		free(s->profiles[i].name);
	free(s->profiles);
	free(s);
	return (rv);
}

const struct profile *
store_profiles(const struct store *s, size_t *n)
{
	*n = s->n;
	return (s->profiles);
}

const struct profile *
store_profile_add(struct store *s, const char *name, size_t len)
{
	int	 rc;

	sqlite3_bind_text(s->ins, 1, name, (int)len, SQLITE_STATIC);
	if ((rc = sqlite3_step(s->ins)) != SQLITE_DONE)
		stub_log("%s: %s", __func__, sqlite3_errmsg(s->main));
	sqlite3_reset(s->ins);
	sqlite3_clear_bindings(s->ins);
	if (rc != SQLITE_DONE) {
		errno = store_errno(rc);
		return (NULL);
	}
	return (store_cache_put(s, sqlite3_last_insert_rowid(s->main), name,
	    len));
}

int
store_profile_delete(struct store *s, sqlite3_int64 id)
{
	struct profile	*p;
	int		 rc, changed;

	sqlite3_bind_int64(s->del, 1, id);
	if ((rc = sqlite3_step(s->del)) != SQLITE_DONE)
		stub_log("%s: %s", __func__, sqlite3_errmsg(s->main));
	changed = sqlite3_changes(s->main);
	sqlite3_reset(s->del);
	if (rc != SQLITE_DONE) {
		errno = store_errno(rc);
		return (-1);
	}
	/* What the page shows can be deleted, even if it is gone on disk. */
	if ((p = store_cache_find(s, id)) != NULL) {
		free(p->name);
		memmove(p, p + 1, (size_t)(&s->profiles[s->n] - (p + 1)) *
		    sizeof(*p));
		s->n--;
		changed = 1;
	}
	if (!changed) {
		errno = ENOENT;
		return (-1);
	}
	return (0);
}

int
store_key_get(struct store *s, const char *key, size_t klen, char **value,
    size_t *len)
{
	const char	*v;
	int		 rc;

	sqlite3_bind_text(s->kget, 1, key, (int)klen, SQLITE_STATIC);
	rc = sqlite3_step(s->kget);
	if (rc == SQLITE_ROW) {
		v = (const char *)sqlite3_column_text(s->kget, 0);
		*len = (size_t)sqlite3_column_bytes(s->kget, 0);
		*value = v == NULL ? NULL : store_xstrndup(v, *len);
	} else if (rc != SQLITE_DONE)
		stub_log("%s: %s", __func__, sqlite3_errmsg(s->keychain));
	sqlite3_reset(s->kget);
	sqlite3_clear_bindings(s->kget);
	if (rc == SQLITE_ROW)
		return (0);
	errno = rc == SQLITE_DONE ? ENOENT : store_errno(rc);
	return (-1);
}

int
store_key_put(struct store *s, const char *key, size_t klen,
    const char *value, size_t vlen)
{
	int	 rc;

	sqlite3_bind_text(s->kput, 1, key, (int)klen, SQLITE_STATIC);
	/* A NULL pointer would bind SQL NULL; an empty body is "". */
	sqlite3_bind_text(s->kput, 2, value == NULL ? "" : value, (int)vlen,
	    SQLITE_STATIC);
	if ((rc = sqlite3_step(s->kput)) != SQLITE_DONE)
		stub_log("%s: %s", __func__, sqlite3_errmsg(s->keychain));
	sqlite3_reset(s->kput);
	sqlite3_clear_bindings(s->kput);
	if (rc != SQLITE_DONE) {
		errno = store_errno(rc);
		return (-1);
	}
	return (0);
}
