/*
 * restore: the restore transaction of SPEC §6. Verifies and stages a
 * generation while the app serves, writes a journal, stops the app, moves
 * the live files (with their -wal, -shm and -journal) aside as safety
 * copies, renames the staged files into place, starts the app and waits
 * for it to be ready, rolls back when it is not, and finally turns the
 * safety copies into a generation of kind "safety". The journal lets the
 * next pitstopd finish or undo a restore that a crash interrupted
 * (restore_recover()).
 */
#ifndef RESTORE_H
#define RESTORE_H

#include <stdint.h>
#include <sys/types.h>

struct event_base;
struct config;
struct child;
struct restore;

struct restore_result {
	int		 status;	/* HTTP status: 200, 404, 422, 500 */
	const char	*message;	/* why, when status != 200 */
	const char	*restored;	/* generation ID */
	const char	*safety;	/* safety generation ID, or NULL */
	uint64_t	 records;
	uint64_t	 downtime_ms;
	pid_t		 pid;
	int		 rolled_back;
};

/* Called once per restore_run(); `result` is valid during the call. */
typedef void (*restore_done_cb)(void *arg, const struct restore_result *);

struct restore	*restore_new(struct event_base *, const struct config *,
		    struct child *);
void		 restore_set_config(struct restore *, const struct config *);
/*
 * Before the app is first started: finish or undo a restore that a
 * crashed pitstopd left in its journal, and remove stray staged files.
 * Blocking. Returns 0, or -1 with errno set when the files could not be
 * put in a consistent state (pitstopd must not start the app then).
 */
int		 restore_recover(struct restore *);
/*
 * Restore generation `id` (NULL: the newest of the active environment).
 * Returns 0 once the restore is under way (`done` follows), or -1 with
 * errno set: ENOENT for an unknown ID or an empty store, EEXIST when a
 * previous restore's safety files are still in the way.
 */
int		 restore_run(struct restore *, const char *id, restore_done_cb,
		    void *);
/* Progress of the running restore, 0..1. */
double		 restore_progress(const struct restore *);
/* The active environment's backup store: <backup.dir>/<env>. */
char		*restore_storedir(const struct config *);
void		 restore_free(struct restore *);

/*
 * Test hook: when PITSTOP_FAILPOINT names `point`, pitstopd dies on the
 * spot (_exit) as if killed, so tests can check crash recovery at every
 * step. Points are listed in README.
 */
void		 failpoint(const char *point);

#endif
