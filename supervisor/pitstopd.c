/*
 * pitstopd: main() of the supervisor daemon. Wiring only: options, the
 * configuration, the one event_base, signals, and the modules (child, api)
 * that do the work. Shutdown and reload are driven from here.
 */
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "api.h"
#include "backup.h"
#include "child.h"
#include "hook.h"
#include "config.h"
#include "listen.h"
#include "log.h"
#include "notify.h"
#include "restore.h"
#include "sdnotify.h"
#include "watch.h"
#include "util.h"
#include "xmalloc.h"

struct daemon {
	struct event_base	*base;
	struct config		*config;
	const char		*config_path;
	struct child		*child;
	struct api		*api;
	struct restore		*restore;
	struct watch		*watch;
	struct notify		*notify;
	struct listeners	*listeners;
	char			*child_env[4];
	struct event		*sig_term, *sig_int, *sig_hup, *sig_chld;
	int			 lock_fd;
	int			 stopping;
};

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
	    "usage: pitstopd [-d] [-c CONFIG] [--check]\n"
	    "  -c, --config FILE  configuration (default ./pitstop.ini)\n"
	    "      --check        validate the configuration and exit\n"
	    "  -d, --debug        log debug messages\n"
	    "  -V, --version      print the version and exit\n");
	exit(status);
}

static struct config *
daemon_load_config(const char *path, const char *env)
{
	struct config	*cf;
	char		*err = NULL;

	if ((cf = config_load(path, env, &err)) == NULL) {
		log_warnx("%s", err != NULL ? err : "cannot load configuration");
		free(err);
	}
	return (cf);
}

/* --check: every error of the file on stderr, plainly; 0 valid, 1 not. */
static int
daemon_check(const char *path)
{
	struct config	*cf;
	char		*err = NULL;

	if ((cf = config_load(path, NULL, &err)) == NULL) {
		fprintf(stderr, "%s\n", err != NULL ? err : path);
		free(err);
		return (1);
	}
	printf("%s: configuration is valid\n", cf->path);
	config_free(cf);
	return (0);
}

/*
 * One pitstopd per state_dir: a second one would start a second app on
 * the same databases. The lock is held until exit (the fd is CLOEXEC so
 * the app never inherits it).
 */
static void
daemon_lock(struct daemon *d)
{
	char	*path;

	if (mkdir_p(d->config->state_dir, 0700) == -1)
		fatal("cannot create state_dir %s", d->config->state_dir);
	xasprintf(&path, "%s/pitstopd.lock", d->config->state_dir);
	d->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (d->lock_fd == -1)
		fatal("cannot open %s", path);
	if (flock(d->lock_fd, LOCK_EX | LOCK_NB) == -1)
		fatalx("another pitstopd is running on state_dir %s",
		    d->config->state_dir);
	free(path);
}

static void
daemon_exit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon	*d = arg;

	event_base_loopexit(d->base, NULL);
}

static void
daemon_stopped_cb(void *arg, int ok, const char *message)
{
	struct daemon	*d = arg;

	if (!ok)
		log_warnx("stopping the app: %s", message);
	/* Leave the loop from a fresh callback, not from inside child. */
	event_base_once(d->base, -1, EV_TIMEOUT, daemon_exit_cb, d, NULL);
}

static void
daemon_shutdown_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon	*d = arg;

	if (d->stopping) {
		log_notice("signal %d again: killing the app now", (int)sig);
		event_base_loopexit(d->base, NULL);
		return;
	}
	d->stopping = 1;
	sdnotify_stopping();
	sdnotify_status("stopping the app and exiting");
	log_notice("signal %d: stopping the app and exiting", (int)sig);
	/* A running operation is superseded: shutdown wins. */
	child_shutdown(d->child, daemon_stopped_cb, d);
}

/* Every app state change becomes the service manager's STATUS= line. */
static void
daemon_state_cb(void *arg, enum child_state state)
{
	struct daemon		*d = arg;
	struct child_info	 info;

	child_info(d->child, &info);
	if (info.pid > 0)
		sdnotify_status("app %s (pid %d), env %s",
		    child_state_name(state), (int)info.pid, d->config->env);
	else
		sdnotify_status("app %s, env %s", child_state_name(state),
		    d->config->env);
}

/*
 * A watched file changed (SPEC §10): restart the app like POST
 * /v1/restart; during another operation the restart follows it. An app
 * stopped on purpose stays stopped.
 */
static void
daemon_changed_cb(void *arg, const char *path)
{
	struct daemon	*d = arg;
	char		*why;

	if (d->stopping)
		return;
	if (child_state(d->child) == CHILD_STOPPED) {
		log_info("%s changed; the app is stopped and stays so", path);
		return;
	}
	xasprintf(&why, "%s changed", path);
	if (api_restart(d->api, why) == -1)
		log_warn("cannot restart the app after %s changed", path);
	free(why);
}

/* The file watch follows the configuration (paths may differ per env). */
static void
daemon_watch(struct daemon *d)
{
	watch_free(d->watch);
	if ((d->watch = watch_new(d->base, d->config, daemon_changed_cb, d)) ==
	    NULL)
		log_warn("file watch disabled");
}

/* Use `cf` from now on in every module; the old config is freed. */
static void
daemon_apply(struct daemon *d, struct config *cf)
{
	if (strcmp(cf->socket, d->config->socket) != 0 ||
	    strcmp(cf->state_dir, d->config->state_dir) != 0)
		log_warnx("socket and state_dir changes apply at the next "
		    "start of pitstopd");
	if (!listen_same(d->listeners, cf))
		log_warnx("listen changes apply at the next start of pitstopd");
	if (strcmp(cf->log, d->config->log) != 0 && log_open(cf->log) == -1)
		log_warn("cannot open log %s", cf->log);
	child_set_config(d->child, cf);
	api_set_config(d->api, cf);
	restore_set_config(d->restore, cf);
	config_free(d->config);
	d->config = cf;
	if (d->api != NULL)
		daemon_watch(d);
}

static char *
env_file(const struct config *cf)
{
	char	*path;

	xasprintf(&path, "%s/env", cf->state_dir);
	return (path);
}

/*
 * Switch to environment `name` (the app is stopped by the caller): load
 * the file with its overrides, remember the choice in state_dir/env so it
 * survives a restart of pitstopd, and apply it. 0, or -1 with errno set
 * and *err allocated.
 */
static int
daemon_env_switch(void *arg, const char *name, char **err)
{
	struct daemon	*d = arg;
	struct config	*cf;
	char		*path, *line;
	int		 rv;

	if ((cf = config_load(d->config_path, name, err)) == NULL)
		return (-1);
	path = env_file(cf);
	xasprintf(&line, "%s\n", name);
	rv = write_file_atomic(path, line, strlen(line), 0600, 1);
	free(line);
	if (rv == -1) {
		xasprintf(err, "cannot record the environment in %s: %s", path,
		    strerror(errno));
		free(path);
		config_free(cf);
		return (-1);
	}
	free(path);
	log_notice("environment %s -> %s", d->config->env, name);
	daemon_apply(d, cf);
	daemon_state_cb(d, child_state(d->child));
	return (0);
}

/* The environment pitstopd ran last, from state_dir/env, if any. */
static void
daemon_restore_env(struct daemon *d)
{
	struct config	*cf;
	char		*path, *name;

	path = env_file(d->config);
	name = read_file(path, 256, NULL);
	free(path);
	if (name == NULL)
		return;
	name[strcspn(name, "\n")] = '\0';
	if (strcmp(name, d->config->env) != 0) {
		if (!config_has_env(d->config, name))
			log_warnx("environment %s from state_dir/env is no longer "
			    "in %s; using %s", name, d->config_path,
			    d->config->env);
		else if ((cf = daemon_load_config(d->config_path, name)) !=
		    NULL) {
			config_free(d->config);
			d->config = cf;
		}
	}
	free(name);
}

static void
daemon_reload_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon	*d = arg;
	struct config	*cf;

	log_notice("SIGHUP: reloading %s", d->config_path);
	sdnotify_reloading();
	if (log_reopen() == -1)
		log_warn("cannot reopen the log");
	cf = daemon_load_config(d->config_path, d->config->env);
	if (cf == NULL) {
		log_warnx("keeping the previous configuration");
		sdnotify_status("reload failed: %s is invalid; running on the "
		    "previous configuration", d->config_path);
		sdnotify_ready();
		return;
	}
	daemon_apply(d, cf);
	log_info("configuration reloaded; app changes apply at its next start");
	daemon_state_cb(d, child_state(d->child));
	sdnotify_ready();
}

/*
 * The first start has completed (ready, or failed): pitstopd is ready to
 * be driven. A failing app must not hold up the service manager; its
 * state shows in STATUS= and in `pitstop status`.
 */
static void
daemon_first_start_cb(void *arg, int ok, const char *message)
{
	if (!ok)
		log_warnx("the app did not start: %s", message);
	sdnotify_ready();
}

/* pitstopd is a subreaper: reap every descendant, report the app's exit. */
static void
daemon_sigchld_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon	*d = arg;
	pid_t		 pid;
	int		 status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		child_reaped(d->child, pid, status);
		hook_reaped(pid, status);
	}
}

/*
 * What every app process inherits: the notify socket's address and the
 * held listen sockets with their socket-activation variables.
 */
static void
daemon_handoff(struct daemon *d)
{
	char		**lenv, *err = NULL;
	const int	 *fds;
	int		  n = 0, nfds;

	if ((d->listeners = listen_open(d->config, &err)) == NULL)
		fatalx("%s", err);
	d->child_env[n++] = notify_env(d->notify);
	if ((lenv = listen_env(d->listeners)) != NULL) {
		d->child_env[n++] = lenv[0];
		d->child_env[n++] = lenv[1];
	}
	d->child_env[n] = NULL;
	fds = listen_fds(d->listeners, &nfds);
	child_set_handoff(d->child, d->child_env, fds, nfds);
}

/*
 * Before the app first starts: finish or undo a restore a crash
 * interrupted, and drop incomplete backup generations.
 */
static void
daemon_recover(struct daemon *d)
{
	char	*storedir;

	d->restore = restore_new(d->base, d->config, d->child);
	if (restore_recover(d->restore) == -1)
		fatal("cannot recover the interrupted restore; the journal in "
		    "%s says what was under way", d->config->state_dir);
	storedir = restore_storedir(d->config);
	if (backup_clean(storedir) == -1 && errno != ENOENT)
		log_warn("cannot clean the backup store %s", storedir);
	free(storedir);
}

static void
daemon_signals(struct daemon *d)
{
	signal(SIGPIPE, SIG_IGN);
	d->sig_term = evsignal_new(d->base, SIGTERM, daemon_shutdown_cb, d);
	d->sig_int = evsignal_new(d->base, SIGINT, daemon_shutdown_cb, d);
	d->sig_hup = evsignal_new(d->base, SIGHUP, daemon_reload_cb, d);
	d->sig_chld = evsignal_new(d->base, SIGCHLD, daemon_sigchld_cb, d);
	if (d->sig_term == NULL || d->sig_int == NULL || d->sig_hup == NULL ||
	    d->sig_chld == NULL)
		fatalx("cannot set up signal handling");
	evsignal_add(d->sig_term, NULL);
	evsignal_add(d->sig_int, NULL);
	evsignal_add(d->sig_hup, NULL);
	evsignal_add(d->sig_chld, NULL);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config",	required_argument,	NULL, 'c' },
		{ "check",	no_argument,		NULL, 'k' },
		{ "debug",	no_argument,		NULL, 'd' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct daemon	 d;
	int		 ch, check = 0;

	memset(&d, 0, sizeof d);
	d.config_path = "pitstop.ini";
	d.lock_fd = -1;
	while ((ch = getopt_long(argc, argv, "c:dhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			d.config_path = optarg;
			break;
		case 'k':
			check = 1;
			break;
		case 'd':
			log_set_debug(1);
			break;
		case 'h':
			usage(0);
		case 'V':
			printf("pitstopd %s\n", PITSTOP_VERSION);
			return (0);
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);

	if (check)
		return (daemon_check(d.config_path));
	if ((d.config = daemon_load_config(d.config_path, NULL)) == NULL)
		return (1);
	daemon_restore_env(&d);
	if (log_open(d.config->log) == -1)
		fatal("cannot open log %s", d.config->log);
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	/* One malloc arena: worker threads' memory can then be trimmed. */
	(void)mallopt(M_ARENA_MAX, 1);
	daemon_lock(&d);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1)
		log_warn("cannot become a child subreaper");

	if ((d.base = event_base_new()) == NULL)
		fatalx("cannot create the event loop");
	daemon_signals(&d);
	if (sdnotify_init(d.base) == -1)
		log_warn("sd_notify disabled");
	if ((d.child = child_new(d.base, d.config)) == NULL)
		fatal("child_new");
	if ((d.notify = notify_new(d.base, d.child)) == NULL)
		fatal("cannot create the notify socket");
	daemon_handoff(&d);
	if (child_kill_leftover(d.child) == -1)
		fatalx("an app left behind by a previous pitstopd survives");
	daemon_recover(&d);
	d.api = api_new(d.base, d.config, d.child, d.restore);
	api_set_env_switch(d.api, daemon_env_switch, &d);
	if (api_listen(d.api) == -1)
		fatal("cannot listen on %s", d.config->socket);
	log_info("pitstopd %s: control socket %s, env %s", PITSTOP_VERSION,
	    d.config->socket, d.config->env);
	child_set_state_cb(d.child, daemon_state_cb, &d);
	child_start(d.child, daemon_first_start_cb, &d);
	daemon_watch(&d);

	event_base_dispatch(d.base);

	watch_free(d.watch);
	api_free(d.api);
	restore_free(d.restore);
	notify_free(d.notify);
	listen_close(d.listeners);
	child_free(d.child);
	sdnotify_free();
	event_free(d.sig_chld);
	event_free(d.sig_hup);
	event_free(d.sig_int);
	event_free(d.sig_term);
	event_base_free(d.base);
	config_free(d.config);
	log_info("pitstopd exits");
	log_close();
	return (0);
}
