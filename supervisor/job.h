/*
 * job: run one blocking function (a backup copy, a checksum pass, a
 * staging copy) on a worker thread, and get its completion back on the
 * event loop. The loop never blocks on long work, and the work needs no
 * knowledge of libevent.
 */
#ifndef JOB_H
#define JOB_H

struct event_base;
struct job;

typedef int	(*job_work_fn)(void *arg);	/* on the worker thread */
typedef void	(*job_done_fn)(void *arg, int rv);	/* on the loop */

/*
 * Start `work(arg)` on a new thread; `done(arg, rv)` runs on the event
 * loop once it returned rv. Returns the job (freed by the job module
 * after `done`), or NULL with errno set.
 */
struct job	*job_start(struct event_base *, job_work_fn, job_done_fn,
		    void *arg);

#endif
