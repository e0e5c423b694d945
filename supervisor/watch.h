/*
 * watch: the developer file watch of [watch] (SPEC §10). Watches every
 * directory under each configured path with inotify, new directories
 * included, on the caller's event_base, and reports a burst of changes
 * once it has been quiet for `debounce`. Files pitstop or the app write
 * on their own (the databases and their SQLite companions, pitstop's
 * staged and safety files, backup_dir, state_dir, the log and output
 * files, the control socket) never count, so the app's own writes cannot
 * restart it in a loop. What to do about a change is the caller's.
 */
#ifndef WATCH_H
#define WATCH_H

struct event_base;
struct config;
struct watch;

/*
 * Called once per burst, after no change for watch_debounce_ms. `path`
 * is absolute with symlinks resolved, and valid only during the call: the
 * last file of the burst whose content was written or moved into place,
 * or, in a burst of only creations, deletions and attribute changes, the
 * last path that changed. After an inotify queue overflow (events lost)
 * it is the first watched path. The callback may free the watch.
 */
typedef void (*watch_changed_cb)(void *arg, const char *path);

/*
 * Start watching config->watch_paths. A file path is watched through
 * its directory, so editors that save by rename are seen; a path that
 * does not exist yet is picked up when it appears in its directory. The
 * config is not kept: after a reload, free the watch and make a new one.
 * A config without watch paths gives a watch that does nothing. Returns
 * NULL with errno set when inotify is unavailable (EMFILE: too many
 * inotify instances); paths that cannot be watched are logged and
 * skipped.
 */
struct watch	*watch_new(struct event_base *, const struct config *,
		    watch_changed_cb changed, void *arg);
/* Stop watching; a pending report is dropped. watch_free(NULL) is a no-op. */
void		 watch_free(struct watch *);

/*
 * Non-zero when a change of `path` (absolute) must never count: it has a
 * component below its watched path that matches an ignore glob, it is
 * one of the databases or their -wal, -shm, -journal, -mj* or pitstop
 * staged/safety files, the log, the app's output file or the control
 * socket, or it lies in backup_dir or state_dir. Paths are compared
 * with their directories' symlinks resolved, so a file that does not
 * exist yet still matches. Exposed for the unit test.
 */
int		 watch_ignored(const struct config *, const char *path);

#endif
