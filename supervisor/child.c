/*
 * child: the app process. Owns its pid, pidfd and process group, the
 * timers of its lifecycle (backoff, readiness deadline, stop deadline) and
 * the HTTP readiness probe. State changes go through child_set_state() so
 * that observers see each one. Reaping is fed in from outside
 * (child_reaped()), because pitstopd, as a subreaper, reaps every
 * descendant in one SIGCHLD loop.
 */
#include <sys/types.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/http.h>

#include "child.h"
#include "config.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

#define CHILD_STABLE_MS		10000	/* run this long: backoff resets */
#define CHILD_MAX_FAILURES	64
#define CHILD_PROBE_MAX_MS	50	/* HTTP readiness poll interval, at most */

extern char **environ;

enum child_op { OP_NONE, OP_START, OP_STOP, OP_RESTART };

struct child {
	struct event_base	*base;
	const struct config	*config;
	enum child_state	 state;

	pid_t			 pid;
	int			 pidfd;
	uint64_t		 spawned_at;
	int			 exit_expected;	/* we asked it to stop */
	int			 stop_is_failure; /* stopping after a failed start */
	int			 start_after_stop;

	struct event		*timer;		/* backoff, ready or stop deadline */
	struct event		*probe_timer;
	struct event		*probe_ok;	/* a 2xx answer came in */
	struct evhttp_connection *probe_conn;
	unsigned		 probe_ms;	/* next poll interval */

	uint64_t		 failures[CHILD_MAX_FAILURES];
	int			 nfailures;
	unsigned		 backoff_step;
	unsigned		 restarts;

	int			 has_exit;
	int			 last_code;
	int			 last_signal;
	uint64_t		 last_exit_at;
	char			*status_text;

	enum child_op		 op;
	child_done_cb		 done;
	void			*done_arg;
	uint64_t		 op_started;
	uint64_t		 last_downtime_ms;

	char			**extra_env;
	const int		*fds;
	int			 nfds;

	child_state_cb		 state_cb;
	void			*state_arg;
};

static void	child_timer_cb(evutil_socket_t, short, void *);
static void	child_probe_cb(evutil_socket_t, short, void *);
static void	child_probe_ok_cb(evutil_socket_t, short, void *);
static void	child_spawn_or_fail(struct child *);

static const char *state_names[] = {
	[CHILD_STOPPED] = "stopped",
	[CHILD_STARTING] = "starting",
	[CHILD_RUNNING] = "running",
	[CHILD_STOPPING] = "stopping",
	[CHILD_BACKOFF] = "backoff",
	[CHILD_FAILED] = "failed",
};

const char *
child_state_name(enum child_state s)
{
	return (state_names[s]);
}

struct child *
child_new(struct event_base *base, const struct config *config)
{
	struct child	*c;

	c = xcalloc(1, sizeof *c);
	c->base = base;
	c->config = config;
	c->pidfd = -1;
	c->state = CHILD_STOPPED;
	c->timer = evtimer_new(base, child_timer_cb, c);
	c->probe_timer = evtimer_new(base, child_probe_cb, c);
	c->probe_ok = evtimer_new(base, child_probe_ok_cb, c);
	if (c->timer == NULL || c->probe_timer == NULL || c->probe_ok == NULL) {
		child_free(c);
		errno = ENOMEM;
		return (NULL);
	}
	return (c);
}

void
child_set_config(struct child *c, const struct config *config)
{
	c->config = config;
}

void
child_set_state_cb(struct child *c, child_state_cb cb, void *arg)
{
	c->state_cb = cb;
	c->state_arg = arg;
}

void
child_set_handoff(struct child *c, char **extra_env, const int *fds, int nfds)
{
	c->extra_env = extra_env;
	c->fds = fds;
	c->nfds = nfds;
}

static void
child_set_state(struct child *c, enum child_state s)
{
	if (c->state == s)
		return;
	log_debug("app: %s -> %s", state_names[c->state], state_names[s]);
	c->state = s;
	if (c->state_cb != NULL)
		c->state_cb(c->state_arg, s);
}

static void
child_timer_set(struct child *c, uint64_t ms)
{
	struct timeval	tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(c->timer, &tv);
}

/* Finish the waiting operation, if any, with `ok` and `message`. */
static void
child_complete(struct child *c, int ok, const char *message)
{
	child_done_cb	 done = c->done;
	void		*arg = c->done_arg;

	if (c->op == OP_NONE)
		return;
	if (ok && c->op == OP_RESTART)
		c->last_downtime_ms = mono_ms() - c->op_started;
	c->op = OP_NONE;
	c->done = NULL;
	c->done_arg = NULL;
	if (done != NULL)
		done(arg, ok, message);
}

/* --- leftover record: lets the next pitstopd kill an orphaned app --- */

static char *
child_record_path(const struct child *c)
{
	char	*path;

	xasprintf(&path, "%s/app.pid", c->config->state_dir);
	return (path);
}

/* Field 22 of /proc/PID/stat: start time in clock ticks since boot. */
static unsigned long long
proc_starttime(pid_t pid)
{
	char			 path[64], *buf, *p;
	unsigned long long	 start = 0;
	int			 field;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if ((buf = read_file(path, 4096, NULL)) == NULL)
		return (0);
	/* The command name may hold spaces: count fields after its ')'. */
	if ((p = strrchr(buf, ')')) != NULL) {
		for (field = 2; *p != '\0' && field < 22; p++)
			if (*p == ' ')
				field++;
		start = strtoull(p, NULL, 10);
	}
	free(buf);
	return (start);
}

static void
child_record_write(struct child *c)
{
	char	*path, line[64];
	int	 n;

	path = child_record_path(c);
	n = snprintf(line, sizeof line, "%d %llu\n", (int)c->pid,
	    proc_starttime(c->pid));
	/* Not fsynced: after a machine crash no orphan can exist anyway. */
	if (write_file_atomic(path, line, (size_t)n, 0600, 0) == -1)
		log_warn("%s: %s", __func__, path);
	free(path);
}

static void
child_record_remove(struct child *c)
{
	char	*path;

	path = child_record_path(c);
	if (unlink(path) == -1 && errno != ENOENT)
		log_warn("%s: %s", __func__, path);
	free(path);
}

/* Wait up to `ms` for process group `pgid` to have no member left. */
static int
group_wait_gone(pid_t pgid, int ms)
{
	struct timespec	tick = { 0, 10 * 1000 * 1000 };

	while (kill(-pgid, 0) == 0 || errno == EPERM) {
		if ((ms -= 10) <= 0)
			return (-1);
		(void)kill(-pgid, SIGKILL);
		nanosleep(&tick, NULL);
	}
	return (0);
}

int
child_kill_leftover(struct child *c)
{
	char			*path, *buf;
	int			 pid = 0;
	unsigned long long	 start = 0, now_start;

	path = child_record_path(c);
	if ((buf = read_file(path, 128, NULL)) == NULL) {
		free(path);
		return (0);
	}
	if (sscanf(buf, "%d %llu", &pid, &start) != 2 || pid <= 1)
		pid = 0;
	free(buf);
	/*
	 * The app was the leader of process group `pid`. While the group has
	 * members, the kernel never hands that number out as a new pid, so:
	 * the leader alive with the recorded start time, or no process with
	 * that pid at all, means any member of the group is ours. A different
	 * process holding the pid means our group died out long ago.
	 */
	now_start = pid > 0 ? proc_starttime(pid) : 1;
	if (pid > 0 && (now_start == start || now_start == 0) &&
	    kill(-pid, SIGKILL) == 0) {
		log_notice("killed process group %d left behind by a previous "
		    "pitstopd", pid);
		if (group_wait_gone(pid, 5000) == -1) {
			log_warnx("process group %d left behind survives "
			    "SIGKILL", pid);
			free(path);
			errno = EBUSY;
			return (-1);
		}
	}
	(void)unlink(path);
	free(path);
	return (0);
}

/* --- spawning --- */

static int
env_name_is(const char *entry, const char *name)
{
	size_t	len = strlen(name);

	return (strncmp(entry, name, len) == 0 && entry[len] == '=');
}

/*
 * Variables of pitstopd's own environment that must never reach the app:
 * systemd's protocol variables addressed to pitstopd itself.
 */
static int
env_is_private(const char *entry)
{
	static const char *names[] = {
		"NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
		"WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM",
	};
	size_t	i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (env_name_is(entry, names[i]))
			return (1);
	return (strncmp(entry, "PITSTOP_", 8) == 0);
}

static int
env_overridden(const struct config *cf, const char *entry)
{
	int	i;

	for (i = 0; i < cf->nenvironment; i++)
		if (env_name_is(entry, cf->environment[i].name))
			return (1);
	return (0);
}

struct envbuf {
	char	**v;
	size_t	  n, cap;
};

static void
envbuf_add(struct envbuf *e, char *s)
{
	if (e->n + 2 > e->cap) {
		e->cap = e->cap == 0 ? 64 : e->cap * 2;
		e->v = xreallocarray(e->v, e->cap, sizeof *e->v);
	}
	e->v[e->n++] = s;
	e->v[e->n] = NULL;
}

static void
envbuf_free(struct envbuf *e)
{
	size_t	i;

	for (i = 0; i < e->n; i++)
		free(e->v[i]);
	free(e->v);
}

/* The app's environment, built before fork so the child only execs. */
static void
child_build_env(struct child *c, struct envbuf *e)
{
	const struct config	*cf = c->config;
	char			**ep, *s, *p;
	int			 i;

	for (ep = environ; *ep != NULL; ep++)
		if (!env_is_private(*ep) && !env_overridden(cf, *ep))
			envbuf_add(e, xstrdup(*ep));
	xasprintf(&s, "PITSTOP_SOCKET=%s", cf->socket);
	envbuf_add(e, s);
	xasprintf(&s, "PITSTOP_ENV=%s", cf->env);
	envbuf_add(e, s);
	for (i = 0; i < cf->ndatabases; i++) {
		xasprintf(&s, "PITSTOP_DB_%s=%s", cf->databases[i].name,
		    cf->databases[i].value);
		for (p = s + 11; *p != '='; p++)
			if (*p >= 'a' && *p <= 'z')
				*p -= 'a' - 'A';
		envbuf_add(e, s);
	}
	for (i = 0; i < cf->nenvironment; i++) {
		xasprintf(&s, "%s=%s", cf->environment[i].name,
		    cf->environment[i].value);
		envbuf_add(e, s);
	}
	for (ep = c->extra_env; ep != NULL && *ep != NULL; ep++)
		envbuf_add(e, xstrdup(*ep));
}

/* Look a bare program name up in $PATH, as execvp would. */
static char *
child_find_program(const char *name)
{
	const char	*path, *p, *end;
	char		*candidate;

	if (strchr(name, '/') != NULL)
		return (xstrdup(name));
	if ((path = getenv("PATH")) == NULL)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; *p != '\0'; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		xasprintf(&candidate, "%.*s/%s", (int)(end - p), p, name);
		if (access(candidate, X_OK) == 0)
			return (candidate);
		free(candidate);
	}
	errno = ENOENT;
	return (NULL);
}

/* Write the decimal `v` into `buf` without allocating (after fork). */
static void
fmt_pid(char *buf, pid_t v)
{
	char	tmp[16];
	int	n = 0;

	do
		tmp[n++] = '0' + v % 10;
	while ((v /= 10) > 0);
	while (n > 0)
		*buf++ = tmp[--n];
	*buf = '\0';
}

/*
 * The forked child: new process group, die with pitstopd, default signal
 * handling, stdio, held sockets as fds 3.., everything else closed on
 * exec. Only async-signal-safe calls here. On failure the errno goes to
 * pitstopd through `errfd` and the child exits 127.
 */
static void __attribute__((noreturn))
child_exec(struct child *c, const char *prog, char **envp, char *listen_pid,
    pid_t parent, int errfd)
{
	const struct config	*cf = c->config;
	sigset_t		 none;
	int			 i, fd, err, high;

	(void)setpgid(0, 0);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != parent)
		goto fail;
	for (i = 1; i < NSIG; i++)
		(void)signal(i, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	high = 3 + c->nfds + 8;
	if ((errfd = fcntl(errfd, F_DUPFD_CLOEXEC, high)) == -1)
		goto fail;
	/* Lift held sockets out of the way, then down to 3, 4, ... */
	for (i = 0; i < c->nfds; i++) {
		int	tmp = fcntl(c->fds[i], F_DUPFD_CLOEXEC, high + 1);

		if (tmp == -1 || dup2(tmp, 3 + i) == -1)
			goto fail;
	}
	if ((fd = open("/dev/null", O_RDONLY)) == -1 || dup2(fd, 0) == -1)
		goto fail;
	if (cf->output != NULL) {
		fd = open(cf->output, O_WRONLY | O_APPEND | O_CREAT, 0640);
		if (fd == -1 || dup2(fd, 1) == -1 || dup2(fd, 2) == -1)
			goto fail;
	}
	if (close_range(3 + c->nfds, ~0U, CLOSE_RANGE_CLOEXEC) == -1) {
		for (fd = 3 + c->nfds; fd < 4096; fd++)
			if (fd != errfd)
				(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	if (chdir(cf->directory) == -1)
		goto fail;
	if (listen_pid != NULL)
		fmt_pid(listen_pid + strlen("LISTEN_PID="), getpid());
	execve(prog, cf->argv, envp);
fail:
	err = errno;
	(void)write(errfd, &err, sizeof err);
	_exit(127);
}

/*
 * Fork and exec the app. Returns 0 once it runs (exec succeeded), or -1
 * with errno set and *why pointing at what failed.
 */
static int
child_spawn(struct child *c, const char **why)
{
	struct envbuf	 env = { NULL, 0, 0 };
	sigset_t	 all, old;
	char		*prog, *listen_pid = NULL;
	int		 pipefd[2], err = 0, saved_errno;
	ssize_t		 n;
	pid_t		 pid, parent = getpid();

	if ((prog = child_find_program(c->config->argv[0])) == NULL) {
		*why = "program not found in PATH";
		return (-1);
	}
	child_build_env(c, &env);
	if (c->nfds > 0) {
		listen_pid = xcalloc(1, 32);
		strcpy(listen_pid, "LISTEN_PID=0");
		envbuf_add(&env, listen_pid);
	}
	if (pipe2(pipefd, O_CLOEXEC) == -1) {
		*why = "pipe";
		goto fail;
	}
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0)
		child_exec(c, prog, env.v, listen_pid, parent, pipefd[1]);
	saved_errno = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(pipefd[1]);
	if (pid == -1) {
		close(pipefd[0]);
		errno = saved_errno;
		*why = "fork";
		goto fail;
	}
	/* Both sides set the group, so signals never race the child. */
	(void)setpgid(pid, pid);
	do
		n = read(pipefd[0], &err, sizeof err);
	while (n == -1 && errno == EINTR);
	close(pipefd[0]);
	if (n == sizeof err) {
		/* exec failed: reap it here; the SIGCHLD loop never sees it. */
		(void)waitpid(pid, NULL, 0);
		errno = err;
		*why = "exec";
		goto fail;
	}
	c->pid = pid;
	c->pidfd = pidfd_open(pid, 0);
	c->spawned_at = mono_ms();
	c->exit_expected = 0;
	c->stop_is_failure = 0;
	free(c->status_text);
	c->status_text = NULL;
	envbuf_free(&env);
	free(prog);
	child_record_write(c);
	log_info("app started: pid %d: %s", (int)pid, c->config->command);
	return (0);
fail:
	saved_errno = errno;
	envbuf_free(&env);
	free(prog);
	errno = saved_errno;
	return (-1);
}

/* --- readiness --- */

static void
child_probe_stop(struct child *c)
{
	evtimer_del(c->probe_timer);
	event_del(c->probe_ok);
	if (c->probe_conn != NULL) {
		evhttp_connection_free(c->probe_conn);
		c->probe_conn = NULL;
	}
}

static void
child_became_ready(struct child *c)
{
	if (c->state != CHILD_STARTING)
		return;
	evtimer_del(c->timer);
	child_probe_stop(c);
	child_set_state(c, CHILD_RUNNING);
	log_info("app ready: pid %d", (int)c->pid);
	if (c->op == OP_START || c->op == OP_RESTART)
		child_complete(c, 1, NULL);
}

/*
 * Poll again soon: 1 ms after the first miss, doubling up to 50 ms, so a
 * fast app is seen ready within a millisecond or two of binding its port
 * and a slow one costs few connection attempts.
 */
static void
child_probe_schedule(struct child *c)
{
	struct timeval	tv = { 0, 0 };

	c->probe_ms = c->probe_ms == 0 ? 1 : c->probe_ms * 2;
	if (c->probe_ms > CHILD_PROBE_MAX_MS)
		c->probe_ms = CHILD_PROBE_MAX_MS;
	tv.tv_usec = (suseconds_t)c->probe_ms * 1000;
	evtimer_add(c->probe_timer, &tv);
}

static void
child_probe_done_cb(struct evhttp_request *req, void *arg)
{
	struct child	*c = arg;
	int		 code;

	code = req == NULL ? 0 : evhttp_request_get_response_code(req);
	if (c->state != CHILD_STARTING)
		return;
	if (code >= 200 && code < 300) {
		/*
		 * Become ready from a fresh callback: that frees the probe's
		 * connection, which evhttp still uses after this returns.
		 */
		event_active(c->probe_ok, EV_TIMEOUT, 0);
		return;
	}
	child_probe_schedule(c);
}

static void
child_probe_ok_cb(evutil_socket_t fd, short what, void *arg)
{
	child_became_ready(arg);
}

static void
child_probe_cb(evutil_socket_t fd, short what, void *arg)
{
	struct child		*c = arg;
	const struct config	*cf = c->config;
	struct evhttp_request	*req;

	if (c->state != CHILD_STARTING)
		return;
	if (c->probe_conn != NULL)
		evhttp_connection_free(c->probe_conn);
	c->probe_conn = evhttp_connection_base_new(c->base, NULL,
	    cf->ready_host, (unsigned short)cf->ready_port);
	if (c->probe_conn == NULL) {
		child_probe_schedule(c);
		return;
	}
	evhttp_connection_set_timeout(c->probe_conn, 2);
	if ((req = evhttp_request_new(child_probe_done_cb, c)) == NULL) {
		child_probe_schedule(c);
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host",
	    cf->ready_host);
	if (evhttp_make_request(c->probe_conn, req, EVHTTP_REQ_GET,
	    cf->ready_path) == -1)
		child_probe_schedule(c);
}

/* --- the lifecycle --- */

static void
child_signal_group(struct child *c, int sig)
{
	if (c->pid <= 0)
		return;
	if (kill(-c->pid, sig) == -1 && errno == ESRCH && c->pidfd != -1)
		(void)pidfd_send_signal(c->pidfd, sig, NULL, 0);
}

/* Ask the app to stop: stop_signal (and CONT) now, SIGKILL at deadline. */
static void
child_begin_stop(struct child *c)
{
	evtimer_del(c->timer);
	child_probe_stop(c);
	c->exit_expected = 1;
	child_set_state(c, CHILD_STOPPING);
	child_signal_group(c, c->config->stop_signal);
	child_signal_group(c, SIGCONT);
	child_timer_set(c, c->config->stop_timeout_ms);
}

static void
child_started(struct child *c)
{
	const struct config	*cf = c->config;

	switch (cf->ready) {
	case READY_NONE:
		child_set_state(c, CHILD_STARTING);
		child_became_ready(c);
		break;
	case READY_HTTP:
		child_set_state(c, CHILD_STARTING);
		child_timer_set(c, cf->ready_timeout_ms);
		c->probe_ms = 0;
		event_active(c->probe_timer, EV_TIMEOUT, 0);
		break;
	case READY_NOTIFY:
		child_set_state(c, CHILD_STARTING);
		child_timer_set(c, cf->ready_timeout_ms);
		break;
	}
}

static uint64_t
child_backoff_ms(struct child *c)
{
	uint64_t	ms = c->config->backoff_min_ms;
	unsigned	i;

	for (i = 0; i < c->backoff_step && ms < c->config->backoff_max_ms; i++)
		ms *= 2;
	if (ms > c->config->backoff_max_ms)
		ms = c->config->backoff_max_ms;
	c->backoff_step++;
	/* Up to 10% jitter so that many supervised apps do not restart in step. */
	return (ms + (uint64_t)random() % (ms / 10 + 1));
}

/*
 * The app failed (exited on its own, could not exec, or was not ready in
 * time). Count it against the start limit and decide what comes next.
 */
static void
child_failed(struct child *c, int clean_exit, const char *why)
{
	const struct config	*cf = c->config;
	uint64_t		 now = mono_ms(), delay;
	int			 i, n = 0;

	/*
	 * Settle the next state first and complete the waiting operation
	 * last: its callback may start another operation on us at once.
	 */
	if (cf->restart == RESTART_NEVER ||
	    (cf->restart == RESTART_ON_FAILURE && clean_exit)) {
		child_set_state(c, CHILD_STOPPED);
		child_complete(c, 0, why);
		return;
	}
	for (i = 0; i < c->nfailures; i++)
		if (now - c->failures[i] < cf->start_limit_interval_ms)
			c->failures[n++] = c->failures[i];
	if (n == CHILD_MAX_FAILURES)
		n--;
	c->failures[n++] = now;
	c->nfailures = n;
	if ((unsigned)n > cf->start_limit_burst) {
		log_warnx("app failed %d times in %llu s: giving up until "
		    "`pitstop start`", n,
		    (unsigned long long)cf->start_limit_interval_ms / 1000);
		child_set_state(c, CHILD_FAILED);
	} else {
		delay = child_backoff_ms(c);
		log_info("app restarts in %llu ms", (unsigned long long)delay);
		child_set_state(c, CHILD_BACKOFF);
		child_timer_set(c, delay);
	}
	child_complete(c, 0, why);
}

static void
child_spawn_or_fail(struct child *c)
{
	const char	*why = NULL;
	char		 msg[512];

	if (child_spawn(c, &why) == 0) {
		child_started(c);
		return;
	}
	snprintf(msg, sizeof msg, "cannot start %s: %s: %s",
	    c->config->argv[0], why, strerror(errno));
	log_warnx("%s", msg);
	child_failed(c, 0, msg);
}

static void
child_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct child	*c = arg;

	switch (c->state) {
	case CHILD_BACKOFF:
		c->restarts++;
		child_spawn_or_fail(c);
		break;
	case CHILD_STARTING:
		log_warnx("app pid %d not ready after %llu ms: stopping it",
		    (int)c->pid,
		    (unsigned long long)c->config->ready_timeout_ms);
		child_begin_stop(c);
		c->stop_is_failure = 1;
		break;
	case CHILD_STOPPING:
		log_warnx("app pid %d still running %llu ms after stop "
		    "signal: killing its process group", (int)c->pid,
		    (unsigned long long)c->config->stop_timeout_ms);
		child_signal_group(c, SIGKILL);
		break;
	default:
		break;
	}
}

static void
child_describe_exit(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with code %d", WEXITSTATUS(status));
	else
		snprintf(buf, len, "killed by signal %s",
		    sigabbrev_np(WTERMSIG(status)) ? sigabbrev_np(WTERMSIG(status))
		    : "?");
}

void
child_reaped(struct child *c, pid_t pid, int status)
{
	char		 what[64], msg[256];
	int		 expected, was_failure;
	uint64_t	 ran;

	if (pid != c->pid || c->pid <= 0)
		return;
	/* Whatever the leader left in its group goes with it. */
	(void)kill(-c->pid, SIGKILL);
	c->pid = 0;
	if (c->pidfd != -1)
		close(c->pidfd);
	c->pidfd = -1;
	evtimer_del(c->timer);
	child_probe_stop(c);
	child_record_remove(c);

	c->has_exit = 1;
	c->last_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	c->last_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	c->last_exit_at = mono_ms();
	ran = c->last_exit_at - c->spawned_at;
	if (ran >= CHILD_STABLE_MS)
		c->backoff_step = 0;
	child_describe_exit(status, what, sizeof what);

	expected = c->exit_expected;
	was_failure = c->stop_is_failure;
	if (expected && !was_failure) {
		log_info("app pid %d stopped (%s)", (int)pid, what);
		child_set_state(c, CHILD_STOPPED);
		if (c->start_after_stop) {
			c->start_after_stop = 0;
			child_spawn_or_fail(c);
		} else
			child_complete(c, 1, NULL);
		return;
	}
	if (was_failure)
		snprintf(msg, sizeof msg, "app was not ready within %llu ms",
		    (unsigned long long)c->config->ready_timeout_ms);
	else {
		snprintf(msg, sizeof msg, "app pid %d %s after %llu ms",
		    (int)pid, what, (unsigned long long)ran);
		log_warnx("%s", msg);
	}
	c->start_after_stop = 0;
	child_failed(c, !was_failure && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, msg);
}

static int
child_begin_op(struct child *c, enum child_op op, child_done_cb done,
    void *arg)
{
	if (c->op != OP_NONE) {
		errno = EBUSY;
		return (-1);
	}
	c->op = op;
	c->done = done;
	c->done_arg = arg;
	c->op_started = mono_ms();
	return (0);
}

/* A start asked for by a user: the failure count and backoff reset. */
static void
child_fresh_start(struct child *c)
{
	evtimer_del(c->timer);
	c->nfailures = 0;
	c->backoff_step = 0;
	child_spawn_or_fail(c);
}

int
child_start(struct child *c, child_done_cb done, void *arg)
{
	if (child_begin_op(c, OP_START, done, arg) == -1)
		return (-1);
	switch (c->state) {
	case CHILD_RUNNING:
		child_complete(c, 1, NULL);
		break;
	case CHILD_STARTING:
		break;
	case CHILD_STOPPING:
		c->start_after_stop = 1;
		break;
	case CHILD_FAILED:
	case CHILD_BACKOFF:
	case CHILD_STOPPED:
		child_fresh_start(c);
		break;
	}
	return (0);
}

int
child_stop(struct child *c, child_done_cb done, void *arg)
{
	if (child_begin_op(c, OP_STOP, done, arg) == -1)
		return (-1);
	c->start_after_stop = 0;
	switch (c->state) {
	case CHILD_STARTING:
	case CHILD_RUNNING:
		child_begin_stop(c);
		break;
	case CHILD_STOPPING:
		/* A stop after a failed start becomes a plain stop. */
		c->stop_is_failure = 0;
		break;
	case CHILD_BACKOFF:
	case CHILD_FAILED:
	case CHILD_STOPPED:
		evtimer_del(c->timer);
		child_set_state(c, CHILD_STOPPED);
		child_complete(c, 1, NULL);
		break;
	}
	return (0);
}

int
child_shutdown(struct child *c, child_done_cb done, void *arg)
{
	child_complete(c, 0, "pitstopd is shutting down");
	return (child_stop(c, done, arg));
}

int
child_restart(struct child *c, child_done_cb done, void *arg)
{
	if (child_begin_op(c, OP_RESTART, done, arg) == -1)
		return (-1);
	switch (c->state) {
	case CHILD_STARTING:
	case CHILD_RUNNING:
		c->start_after_stop = 1;
		child_begin_stop(c);
		break;
	case CHILD_STOPPING:
		c->stop_is_failure = 0;
		c->start_after_stop = 1;
		break;
	case CHILD_BACKOFF:
	case CHILD_FAILED:
	case CHILD_STOPPED:
		child_fresh_start(c);
		break;
	}
	return (0);
}

void
child_notify_ready(struct child *c)
{
	/* READY=1 counts only when readiness is notify: with http:// the
	 * URL answering is the contract, whatever the app says. */
	if (c->config->ready == READY_NOTIFY)
		child_became_ready(c);
}

void
child_notify_status(struct child *c, const char *text)
{
	free(c->status_text);
	c->status_text = xstrdup(text);
}

int
child_owns_pid(const struct child *c, pid_t pid)
{
	return (c->pid > 0 && (pid == c->pid || getpgid(pid) == c->pid));
}

void
child_info(const struct child *c, struct child_info *info)
{
	uint64_t	now = mono_ms();

	memset(info, 0, sizeof *info);
	info->state = c->state;
	info->pid = c->pid;
	info->uptime_ms = c->pid > 0 ? now - c->spawned_at : 0;
	info->restarts = c->restarts;
	info->has_exit = c->has_exit;
	info->last_code = c->last_code;
	info->last_signal = c->last_signal;
	info->last_exit_ago_ms = c->has_exit ? now - c->last_exit_at : 0;
	info->status_text = c->status_text;
}

enum child_state
child_state(const struct child *c)
{
	return (c->state);
}

uint64_t
child_last_downtime_ms(const struct child *c)
{
	return (c->last_downtime_ms);
}

void
child_free(struct child *c)
{
	if (c == NULL)
		return;
	child_probe_stop(c);
	if (c->probe_timer != NULL)
		event_free(c->probe_timer);
	if (c->probe_ok != NULL)
		event_free(c->probe_ok);
	if (c->timer != NULL)
		event_free(c->timer);
	if (c->pidfd != -1)
		close(c->pidfd);
	free(c->status_text);
	free(c);
}
