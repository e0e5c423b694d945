/*
 * job: a worker thread per long operation. Completion crosses back to the
 * event loop through a pipe, so libevent needs no thread support and the
 * worker never touches loop state. Only one operation runs at a time
 * (the API serializes them), so a thread per job is cheap enough.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <event2/event.h>

#include "job.h"
#include "log.h"
#include "xmalloc.h"

struct job {
	job_work_fn	 work;
	job_done_fn	 done;
	void		*arg;
	int		 rv;
	int		 pipe[2];
	pthread_t	 thread;
	struct event	*ev;
};

static void *
job_thread(void *p)
{
	struct job	*job = p;
	char		 c = 1;

	job->rv = job->work(job->arg);
	/* The write publishes rv: the loop reads it after the byte. */
	while (write(job->pipe[1], &c, 1) == -1 && errno == EINTR)
		;
	return (NULL);
}

static void
job_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct job	*job = arg;
	char		 c;

	if (read(fd, &c, 1) != 1)
		return;
	pthread_join(job->thread, NULL);
	event_free(job->ev);
	close(job->pipe[0]);
	close(job->pipe[1]);
	job->done(job->arg, job->rv);
	free(job);
	/*
	 * A job's SQLite page caches and buffers are freed by now, but the
	 * allocator keeps the pages; give them back, so that pitstopd's
	 * memory after a backup or restore is what it was before.
	 */
	(void)malloc_trim(0);
}

struct job *
job_start(struct event_base *base, job_work_fn work, job_done_fn done,
    void *arg)
{
	struct job	*job;
	sigset_t	 all, old;
	int		 rv;

	job = xcalloc(1, sizeof *job);
	job->work = work;
	job->done = done;
	job->arg = arg;
	if (pipe2(job->pipe, O_CLOEXEC) == -1) {
		free(job);
		return (NULL);
	}
	job->ev = event_new(base, job->pipe[0], EV_READ, job_done_cb, job);
	if (job->ev == NULL || event_add(job->ev, NULL) == -1)
		goto fail;
	/* Signals belong to the loop thread: the worker blocks them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rv = pthread_create(&job->thread, NULL, job_thread, job);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rv != 0) {
		errno = rv;
		goto fail;
	}
	return (job);
fail:
	log_warn("%s", __func__);
	if (job->ev != NULL)
		event_free(job->ev);
	close(job->pipe[0]);
	close(job->pipe[1]);
	free(job);
	return (NULL);
}
