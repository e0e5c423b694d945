/*
 * backup: the backup store of one environment, a directory
 * `<backup.dir>/<env>/` (the `storedir` of every function here) holding
 * generations `<id>/`: one `<name>.db` per database and a manifest.json
 * written last. A directory without manifest.json is incomplete: never
 * listed, never restored, removed by backup_clean().
 *
 * Blocking and synchronous, meant for a worker thread: no static mutable
 * state, every SQLite connection is opened and closed inside one call.
 * Calls on the same store may run concurrently, except backup_clean(),
 * which is for start-up, before any other call. Deciding when to back up,
 * post_backup and serializing operations are the caller's business.
 */
#ifndef BACKUP_H
#define BACKUP_H

#include <stdint.h>

/* A database to copy: `name` from [databases], `path` its file. */
struct backup_db {
	const char	*name;
	const char	*path;
};

/* One complete generation, as its manifest describes it. */
struct backup_gen {
	char		*id;		/* "20261128T093502Z-0007" */
	char		*kind;		/* manual, scheduled or safety */
	char		*created;	/* "2026-11-28T09:35:02Z" */
	char		*env;
	uint64_t	 bytes;		/* all files */
	uint64_t	 records;	/* rows of all user tables */
	int		 nfiles;
};

/*
 * Take a consistent online copy of each of the `ndb` live databases into
 * a new generation of `kind` ("manual", "scheduled" or "safety"). The app
 * may keep writing; in rollback-journal mode its writers wait until the
 * copy of that database is done. `*progress` (may be NULL) rises from 0 to
 * 1. Returns 0 with *id allocated, or -1 with errno set and, when `err` is
 * not NULL, *err an allocated one-sentence message; nothing is left behind.
 */
int	 backup_take(const char *storedir, const char *env, const char *kind,
	    const struct backup_db *dbs, int ndb, volatile double *progress,
	    char **id, char **err);

/*
 * Make a generation of `kind` (restore's "safety") out of existing files
 * that no SQLite connection in this process has open: each `path` becomes
 * `<name>.db` of the generation, by hard link on the same filesystem or
 * by copy, and is unlinked once the generation is complete. A file with a
 * -wal or hot -journal beside it is settled into it first. Returns 0 with
 * *id allocated, or -1 with errno and *err set and every file still at its
 * path.
 */
int	 backup_adopt(const char *storedir, const char *env, const char *kind,
	    const struct backup_db *files, int n, char **id, char **err);

/*
 * The complete generations, newest first, into an allocated array (free
 * with backup_gens_free). A missing storedir is an empty list. A
 * generation whose manifest cannot be read is left out and logged.
 * Returns 0, or -1 with errno set.
 */
int	 backup_list(const char *storedir, struct backup_gen **gens, int *n);
void	 backup_gens_free(struct backup_gen *gens, int n);

/*
 * Whether `id` names a complete generation, checked against the listing;
 * no path is built from an id that is not in it. 0, or -1 with errno
 * ENOENT (or the listing's error).
 */
int	 backup_find(const char *storedir, const char *id);

/*
 * Verify generation `id`: manifest present and well-formed, and for every
 * file its size, XXH3-128 checksum, SQLite header, page count and PRAGMA
 * quick_check. Returns 0, or -1 with errno ENOENT (no such generation, or
 * no manifest) or EBADMSG (damaged) and *err naming the generation, the
 * file and what did not match.
 */
int	 backup_verify(const char *storedir, const char *id,
	    volatile double *progress, char **err);

/* The manifest text of generation `id`, allocated; NULL with errno set. */
char	*backup_manifest(const char *storedir, const char *id);

/*
 * The path of database `name` in generation `id`, allocated; NULL with
 * errno EINVAL when `id` or `name` is malformed. Call after backup_find().
 */
char	*backup_file_path(const char *storedir, const char *id,
	    const char *name);

/*
 * At start-up: remove incomplete generations, `.tmp-*` and `.del-*`
 * leftovers and stray manifest temp files. Returns the number of entries
 * removed, or -1 with errno set. A missing storedir is fine.
 */
int	 backup_clean(const char *storedir);

/*
 * Keep the newest `keep` manual+scheduled and the newest `keep_safety`
 * safety generations, and always the newest generation of each kind;
 * remove the others. Returns the number removed, or -1 with errno set.
 */
int	 backup_retain(const char *storedir, unsigned keep,
	    unsigned keep_safety);

#endif
