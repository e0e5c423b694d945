/*
 * api_data: the control API's routes that act on the app's data:
 * backups (manual and scheduled), the backup listing, restore, and
 * environment switches. The HTTP server, access checks and the operation
 * slot are api.c's; the work itself is backup.c's and restore.c's, run on
 * worker threads through job.c.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "api_priv.h"
#include "backup.h"
#include "child.h"
#include "config.h"
#include "hook.h"
#include "job.h"
#include "json.h"
#include "log.h"
#include "restore.h"
#include "util.h"
#include "xmalloc.h"


/* A manual backup in flight: what the worker needs, and what it found. */
struct backup_job {
	struct api		*api;
	char			*storedir;
	char			*env;
	struct backup_db	*dbs;	/* pointing into names and paths */
	char			**names;
	char			**paths;
	int			 ndbs;
	const char		*kind;
	char			*id;
	char			*err;
	int			 err_errno;
};

static int
backup_job_work(void *arg)
{
	struct backup_job	*bj = arg;

	if (backup_take(bj->storedir, bj->env, bj->kind, bj->dbs, bj->ndbs,
	    &bj->api->op_progress, &bj->id, &bj->err) == -1) {
		bj->err_errno = errno;
		return (-1);
	}
	return (0);
}

static void
backup_job_free(struct backup_job *bj)
{
	int	i;

	for (i = 0; i < bj->ndbs; i++) {
		free(bj->names[i]);
		free(bj->paths[i]);
	}
	free(bj->names);
	free(bj->paths);
	free(bj->storedir);
	free(bj->env);
	free(bj->dbs);
	free(bj->id);
	free(bj->err);
	free(bj);
}

/* post_backup runs once a generation is complete; it may fail alone. */
static void
api_post_backup(struct api *api, const char *storedir, const char *id)
{
	char	*env[3];

	if (api->config->post_backup == NULL)
		return;
	xasprintf(&env[0], "PITSTOP_BACKUP_DIR=%s/%s", storedir, id);
	xasprintf(&env[1], "PITSTOP_BACKUP_ID=%s", id);
	env[2] = NULL;
	(void)hook_run("post_backup", api->config->post_backup,
	    api->config->dir, env);
	free(env[0]);
	free(env[1]);
}

static void
backup_job_done(void *arg, int rv)
{
	struct backup_job	*bj = arg;
	struct api		*api = bj->api;
	struct evhttp_request	*req;
	struct evbuffer		*buf;
	char			*manifest = NULL;

	if (rv == 0) {
		log_info("backup %s taken", bj->id);
		if (backup_retain(bj->storedir, api->config->backup_keep,
		    api->config->backup_keep_safety) == -1)
			log_warn("backup retention in %s", bj->storedir);
		api_post_backup(api, bj->storedir, bj->id);
		manifest = backup_manifest(bj->storedir, bj->id);
	}
	req = api_op_end(api, rv == 0, rv == 0 ? NULL : bj->err);
	if (req != NULL && rv == 0 && manifest != NULL) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Content-Type", "application/json");
		buf = evbuffer_new();
		evbuffer_add_printf(buf, "%s\n", manifest);
		evhttp_send_reply(req, 201, reason_phrase(201), buf);
		evbuffer_free(buf);
	} else if (req != NULL)
		reply_error(req, rv == 0 ? 500 : errno_status(bj->err_errno),
		    "%s", rv == 0 ? "the backup was taken but its manifest "
		    "cannot be read" : bj->err);
	free(manifest);
	backup_job_free(bj);
}

/* Take a generation of `kind`; the caller has claimed the operation. */
static void
api_backup_start(struct api *api, const char *kind)
{
	const struct config	*cf = api->config;
	struct backup_job	*bj;
	int			 i;

	bj = xcalloc(1, sizeof *bj);
	bj->api = api;
	bj->kind = kind;
	bj->storedir = restore_storedir(cf);
	bj->env = xstrdup(cf->env);
	bj->ndbs = cf->ndatabases;
	bj->dbs = xcalloc((size_t)bj->ndbs, sizeof *bj->dbs);
	bj->names = xcalloc((size_t)bj->ndbs, sizeof *bj->names);
	bj->paths = xcalloc((size_t)bj->ndbs, sizeof *bj->paths);
	/* Copies: a reload may free this config while the job runs. */
	for (i = 0; i < bj->ndbs; i++) {
		bj->dbs[i].name = bj->names[i] = xstrdup(cf->databases[i].name);
		bj->dbs[i].path = bj->paths[i] = xstrdup(cf->databases[i].value);
	}
	log_info("%s backup started", kind);
	if (job_start(api->base, backup_job_work, backup_job_done, bj) ==
	    NULL) {
		bj->err = xstrdup("cannot start the backup thread");
		bj->err_errno = errno;
		backup_job_done(bj, -1);
	}
}

void
route_backup(struct api_call *call)
{
	struct api	*api = call->api;

	if (api->config->ndatabases == 0) {
		reply_error(call->req, 400, "no [databases] are configured");
		return;
	}
	if (api_op_begin(api, call->req, "backup", call_waits(call)) == -1)
		return;
	api_backup_start(api, "manual");
}

/* Scheduled backups: every `interval`, unless another operation runs. */
#define API_SCHEDULE_RETRY_MS	60000

void
api_schedule_arm(struct api *api, uint64_t ms)
{
	struct timeval	tv;

	evtimer_del(api->schedule_timer);
	if (ms == 0)
		return;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(api->schedule_timer, &tv);
}

void
api_schedule_cb(evutil_socket_t fd, short what, void *arg)
{
	struct api	*api = arg;
	uint64_t	 interval = api->config->backup_interval_ms;

	if (interval == 0 || api->config->ndatabases == 0)
		return;
	if (api->op != NULL) {
		log_info("scheduled backup postponed: %s is running", api->op);
		api_schedule_arm(api, interval < API_SCHEDULE_RETRY_MS ?
		    interval : API_SCHEDULE_RETRY_MS);
		return;
	}
	api->op = "backup";
	api->op_req = NULL;
	api->op_started = mono_ms();
	api->op_progress = 0;
	api_backup_start(api, "scheduled");
	api_schedule_arm(api, interval);
}

void
route_backups(struct api_call *call)
{
	struct api		*api = call->api;
	struct backup_gen	*gens;
	struct json		*j;
	char			*storedir;
	int			 i, n;

	storedir = restore_storedir(api->config);
	if (backup_list(storedir, &gens, &n) == -1) {
		reply_error(call->req, 500, "cannot list %s: %s", storedir,
		    strerror(errno));
		free(storedir);
		return;
	}
	j = json_new();
	json_arr_open(j, NULL);
	for (i = 0; i < n; i++) {
		json_obj_open(j, NULL);
		json_str(j, "id", gens[i].id);
		json_str(j, "kind", gens[i].kind);
		json_str(j, "created", gens[i].created);
		json_str(j, "env", gens[i].env);
		json_uint(j, "bytes", gens[i].bytes);
		json_uint(j, "records", gens[i].records);
		json_int(j, "files", gens[i].nfiles);
		json_obj_close(j);
	}
	json_arr_close(j);
	reply_json(call->req, 200, j);
	backup_gens_free(gens, n);
	free(storedir);
}

static void
api_restore_done(void *arg, const struct restore_result *res)
{
	struct api		*api = arg;
	struct evhttp_request	*req;
	struct json		*j;

	req = api_op_end(api, res->status == 200, res->message);
	if (req == NULL)
		return;
	if (res->status != 200 && !res->rolled_back) {
		reply_error(req, res->status, "%s", res->message);
		return;
	}
	j = json_new();
	json_obj_open(j, NULL);
	if (res->status != 200) {
		json_str(j, "error", "failed");
		json_str(j, "message", res->message);
		json_bool(j, "rolled_back", 1);
	}
	json_str(j, "restored", res->restored);
	json_str(j, "safety_backup", res->safety);
	json_uint(j, "records", res->records);
	json_uint(j, "downtime_ms", res->downtime_ms);
	json_int(j, "pid", res->pid);
	json_obj_close(j);
	reply_json(req, res->status, j);
}

void
route_restore(struct api_call *call)
{
	struct api		*api = call->api;
	const char		*id = call_arg(call, "id");
	int			 wait = call_waits(call);
	char			 idbuf[64];

	if (id != NULL && (*id == '\0' || strlen(id) >= sizeof idbuf)) {
		reply_error(call->req, 404, "no such backup: '%s'", id);
		return;
	}
	/* call_arg's storage may not outlive the call: keep a copy. */
	if (id != NULL) {
		strcpy(idbuf, id);
		id = idbuf;
	}
	if (api->op != NULL) {
		reply_error(call->req, 409, "another operation is running: %s",
		    api->op);
		return;
	}
	if (restore_run(api->restore, id, api_restore_done, api) == -1) {
		if (errno == ENOENT)
			reply_error(call->req, 404, id == NULL ?
			    "there is no backup to restore in env %s" :
			    "no such backup in env %s: %s", api->config->env,
			    id == NULL ? "" : id);
		else if (errno == EEXIST)
			reply_error(call->req, 409, "a previous restore's "
			    "safety files are still next to the databases; "
			    "see the log");
		else
			reply_error(call->req, errno_status(errno),
			    "cannot restore: %s", strerror(errno));
		return;
	}
	(void)api_op_begin(api, call->req, "restore", wait);
	log_info("restore requested");
}


static void
reply_env(struct api *api, struct evhttp_request *req)
{
	const struct config	*cf = api->config;
	struct json		*j = json_new();
	struct child_info	 info;
	int			 i;

	child_info(api->child, &info);
	json_obj_open(j, NULL);
	json_str(j, "active", cf->env);
	json_arr_open(j, "environments");
	for (i = 0; i < cf->nenv_names; i++)
		json_str(j, NULL, cf->env_names[i]);
	json_arr_close(j);
	if (info.pid > 0)
		json_int(j, "pid", info.pid);
	json_obj_close(j);
	reply_json(req, 200, j);
}

void
route_env_get(struct api_call *call)
{
	reply_env(call->api, call->req);
}

static void
env_started_cb(void *arg, int ok, const char *message)
{
	struct api		*api = arg;
	struct evhttp_request	*req;

	req = api_op_end(api, ok, message);
	free(api->env_target);
	api->env_target = NULL;
	if (req == NULL)
		return;
	if (ok)
		reply_env(api, req);
	else
		reply_error(req, 500, "switched to env %s, but the app did not "
		    "start: %s", api->config->env, message);
}

static void
env_stopped_cb(void *arg, int ok, const char *message)
{
	struct api	*api = arg;
	char		*err = NULL;
	struct evhttp_request	*req;

	if (ok && api->env_switch(api->env_arg, api->env_target, &err) == 0) {
		if (child_start(api->child, env_started_cb, api) == -1)
			env_started_cb(api, 0, strerror(errno));
		return;
	}
	/* Nothing changed: bring the app back on the old environment. */
	child_start(api->child, NULL, NULL);
	req = api_op_end(api, 0, err != NULL ? err : message);
	if (req != NULL)
		reply_error(req, 500, "cannot switch to env %s: %s",
		    api->env_target, err != NULL ? err : message);
	free(err);
	free(api->env_target);
	api->env_target = NULL;
}

void
route_env_post(struct api_call *call)
{
	struct api	*api = call->api;
	const char	*name = call_arg(call, "name");

	if (name == NULL || *name == '\0') {
		reply_error(call->req, 400, "give the environment as name");
		return;
	}
	if (!config_has_env(api->config, name)) {
		reply_error(call->req, 404, "no such environment: %s", name);
		return;
	}
	if (api->env_switch == NULL) {
		reply_error(call->req, 503, "environments cannot be switched");
		return;
	}
	if (strcmp(name, api->config->env) == 0 && api->op == NULL) {
		reply_env(api, call->req);
		return;
	}
	if (api_op_begin(api, call->req, "env", call_waits(call)) == -1)
		return;
	api->env_target = xstrdup(name);
	log_info("switch to env %s requested", name);
	if (child_stop(api->child, env_stopped_cb, api) == -1)
		env_stopped_cb(api, 0, strerror(errno));
}

void
api_set_env_switch(struct api *api, api_env_fn fn, void *arg)
{
	api->env_switch = fn;
	api->env_arg = arg;
}

