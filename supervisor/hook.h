/*
 * hook: user commands pitstopd runs on events (post_backup). A hook runs
 * in the background; its exit is logged, and its failure never fails the
 * operation that triggered it.
 */
#ifndef HOOK_H
#define HOOK_H

#include <sys/types.h>

/*
 * Run `command` (split into words like [app] command, no shell) in `dir`
 * with pitstopd's environment plus `env` ("NAME=value", NULL-terminated).
 * Returns its pid, or -1 with errno set (logged).
 */
pid_t	hook_run(const char *what, const char *command, const char *dir,
	    char *const env[]);
/* From the SIGCHLD loop: log the exit if `pid` is a hook. */
void	hook_reaped(pid_t pid, int status);

#endif
