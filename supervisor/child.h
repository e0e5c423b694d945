/*
 * child: the app process and its lifecycle (SPEC §4). Forks and execs the
 * command in its own process group, tracks it by pidfd, stops it
 * gracefully (stop_signal, then SIGKILL to the group), restarts it per the
 * restart policy with exponential backoff and a start limit, and waits for
 * readiness (none, http; notify through child_notify_ready()). It knows
 * nothing about backups or the API; it reports through callbacks.
 */
#ifndef CHILD_H
#define CHILD_H

#include <stdint.h>
#include <sys/types.h>

struct event_base;
struct config;
struct child;

enum child_state {
	CHILD_STOPPED,
	CHILD_STARTING,
	CHILD_RUNNING,
	CHILD_STOPPING,
	CHILD_BACKOFF,
	CHILD_FAILED,
};

/*
 * Completion of a start, stop or restart: `ok` is 1 when the app reached
 * the wanted state (running and ready, or stopped), 0 otherwise with
 * `message` saying why (valid only during the call).
 */
typedef void (*child_done_cb)(void *arg, int ok, const char *message);
/* Called on every state change (for sd_notify STATUS= and logging). */
typedef void (*child_state_cb)(void *arg, enum child_state);

struct child_info {
	enum child_state state;
	pid_t		 pid;		/* 0 when no process */
	uint64_t	 uptime_ms;	/* since spawn; 0 when no process */
	unsigned	 restarts;	/* automatic restarts since pitstopd start */
	int		 has_exit;	/* last_* are valid */
	int		 last_code;	/* -1 when killed by a signal */
	int		 last_signal;	/* 0 when it exited */
	uint64_t	 last_exit_ago_ms;
	const char	*status_text;	/* last STATUS= from the app, or NULL */
};

/*
 * Create the supervisor of one app, stopped. `socket_path` is what the app
 * receives as PITSTOP_SOCKET. Returns NULL with errno set.
 */
struct child	*child_new(struct event_base *, const struct config *);
/* Use `config` from the next start on (the caller keeps it alive). */
void		 child_set_config(struct child *, const struct config *);
void		 child_set_state_cb(struct child *, child_state_cb, void *);
/*
 * Extra environment for every start, "NAME=value" strings, NULL-terminated
 * (NOTIFY_SOCKET, LISTEN_*); the caller owns them. `fds` are passed as fds
 * 3.. in the app (held listen sockets), `nfds` of them.
 */
void		 child_set_handoff(struct child *, char **extra_env,
		    const int *fds, int nfds);

/*
 * Kill an app left behind by a previous pitstopd that died without
 * stopping it (recorded in state_dir), and wait until it is gone.
 * Returns 0, or -1 with errno set when it could not be killed.
 */
int		 child_kill_leftover(struct child *);

/*
 * Start, stop or restart. `done` (may be NULL) is called once the
 * operation completes, possibly before these functions return. Only one
 * operation may wait at a time: -1 with EBUSY otherwise. Starting a
 * running app or stopping a stopped one completes at once with ok = 1.
 * child_start() from `failed` resets the failure count.
 */
int		 child_start(struct child *, child_done_cb, void *);
int		 child_stop(struct child *, child_done_cb, void *);
int		 child_restart(struct child *, child_done_cb, void *);

/* Stop for pitstopd's exit: a waiting operation fails, then stop. */
int		 child_shutdown(struct child *, child_done_cb, void *);

/* Feed a reaped process (from the SIGCHLD loop). */
void		 child_reaped(struct child *, pid_t, int status);
/* The app said READY=1 / STATUS=text (from the notify listener). */
void		 child_notify_ready(struct child *);
void		 child_notify_status(struct child *, const char *);
/* Non-zero when `pid` belongs to the app's process group. */
int		 child_owns_pid(const struct child *, pid_t);

void		 child_info(const struct child *, struct child_info *);
enum child_state child_state(const struct child *);
const char	*child_state_name(enum child_state);
/* Time the last restart took from stop to ready, in ms. */
uint64_t	 child_last_downtime_ms(const struct child *);
void		 child_free(struct child *);

#endif
