/*
 * api: the control API on the Unix socket: the socket, access checks,
 * connection limits, the route table and the app's lifecycle routes
 * (status, start, stop, restart); the data routes live in api_data.c.
 * Requests are matched against one route table; every handler ends in
 * exactly one reply. Operations
 * that change the app (start, stop, restart, ...) are serialized: while
 * one runs, another gets 409 at once. An accepted operation finishes even
 * if its client goes away; evhttp keeps the request alive until we reply.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "api.h"
#include "api_priv.h"
#include "child.h"
#include "config.h"
#include "json.h"
#include "log.h"
#include "restore.h"
#include "util.h"
#include "xmalloc.h"

#define API_MAX_HEADERS		8192
#define API_MAX_BODY		65536
#define API_IDLE_SECONDS	10
#define API_BACKLOG		128

typedef void (*route_fn)(struct api_call *);

struct route {
	enum evhttp_cmd_type	 method;
	const char		*method_name;
	const char		*path;
	const char		*name;
	route_fn		 fn;
};

static void	route_status(struct api_call *);
static void	route_start(struct api_call *);
static void	route_stop(struct api_call *);
static void	route_restart(struct api_call *);

static const struct route routes[] = {
	{ EVHTTP_REQ_GET,  "GET",  "/v1/status",  "status",  route_status },
	{ EVHTTP_REQ_POST, "POST", "/v1/start",   "start",   route_start },
	{ EVHTTP_REQ_POST, "POST", "/v1/stop",    "stop",    route_stop },
	{ EVHTTP_REQ_POST, "POST", "/v1/restart", "restart", route_restart },
	{ EVHTTP_REQ_POST, "POST", "/v1/backup",  "backup",  route_backup },
	{ EVHTTP_REQ_GET,  "GET",  "/v1/backups", "backups", route_backups },
	{ EVHTTP_REQ_POST, "POST", "/v1/restore", "restore", route_restore },
	{ EVHTTP_REQ_GET,  "GET",  "/v1/env",     "env",     route_env_get },
	{ EVHTTP_REQ_POST, "POST", "/v1/env",     "env-switch", route_env_post },
};
#define NROUTES	((int)(sizeof routes / sizeof routes[0]))

/* errno and HTTP status to the error codes of SPEC §7. */
static const struct {
	int		 status;
	const char	*code;
} error_codes[] = {
	{ 400, "bad_request" },
	{ 403, "forbidden" },
	{ 404, "not_found" },
	{ 405, "method_not_allowed" },
	{ 409, "busy" },
	{ 413, "too_large" },
	{ 422, "invalid_backup" },
	{ 500, "failed" },
	{ 503, "unavailable" },
};

int
errno_status(int err)
{
	switch (err) {
	case ENOENT:
		return (404);
	case EBUSY:
		return (409);
	case EINVAL:
		return (400);
	case EACCES:
	case EPERM:
		return (403);
	case EBADMSG:
		return (422);
	case EEXIST:
		return (409);
	default:
		return (500);
	}
}

const char *
reason_phrase(int status)
{
	switch (status) {
	case 200: return ("OK");
	case 201: return ("Created");
	case 202: return ("Accepted");
	case 400: return ("Bad Request");
	case 403: return ("Forbidden");
	case 404: return ("Not Found");
	case 405: return ("Method Not Allowed");
	case 409: return ("Conflict");
	case 413: return ("Payload Too Large");
	case 422: return ("Unprocessable Entity");
	case 503: return ("Service Unavailable");
	default: return ("Internal Server Error");
	}
}

int
api_route_find(const char *method, const char *path, int *status)
{
	int	i, path_known = 0;

	for (i = 0; i < NROUTES; i++) {
		if (strcmp(routes[i].path, path) != 0)
			continue;
		if (strcmp(routes[i].method_name, method) == 0)
			return (i);
		path_known = 1;
	}
	*status = path_known ? 405 : 404;
	return (-1);
}

const char *
api_route_name(int i)
{
	return (i >= 0 && i < NROUTES ? routes[i].name : NULL);
}

/* --- replies --- */

void
reply_json(struct evhttp_request *req, int status, struct json *j)
{
	struct evbuffer	*buf;

	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	buf = evbuffer_new();
	evbuffer_add(buf, json_text(j), json_len(j));
	evbuffer_add(buf, "\n", 1);
	evhttp_send_reply(req, status, reason_phrase(status), buf);
	evbuffer_free(buf);
	json_free(j);
}

void
reply_error(struct evhttp_request *req, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

void
reply_error(struct evhttp_request *req, int status, const char *fmt, ...)
{
	struct json	*j;
	const char	*code = "failed";
	char		 msg[512];
	va_list		 ap;
	size_t		 i;

	for (i = 0; i < sizeof error_codes / sizeof error_codes[0]; i++)
		if (error_codes[i].status == status)
			code = error_codes[i].code;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	j = json_new();
	json_obj_open(j, NULL);
	json_str(j, "error", code);
	json_str(j, "message", msg);
	json_obj_close(j);
	reply_json(req, status, j);
}

/* --- arguments --- */

/*
 * The value of argument `name`: from the JSON body when there is one,
 * else from the query string. NULL when absent.
 */
const char *
call_arg(struct api_call *call, const char *name)
{
	const struct json_value	*v;
	static char		 num[32];

	if (call->body != NULL && (v = json_get(call->body, name)) != NULL) {
		if (v->type == JSON_STRING)
			return (v->string);
		if (v->type == JSON_NUMBER) {
			snprintf(num, sizeof num, "%g", v->number);
			return (num);
		}
		if (v->type == JSON_BOOL)
			return (v->boolean ? "1" : "0");
		return (NULL);
	}
	return (evhttp_find_header(&call->query, name));
}

/* wait=0 (or false): answer 202 at once and run in the background. */
int
call_waits(struct api_call *call)
{
	const char	*w = call_arg(call, "wait");

	return (w == NULL || !(strcmp(w, "0") == 0 ||
	    strcmp(w, "false") == 0 || strcmp(w, "no") == 0));
}

static int
call_parse(struct api_call *call)
{
	struct evbuffer	*in = evhttp_request_get_input_buffer(call->req);
	const char	*uri = evhttp_request_get_uri(call->req), *why;
	const char	*q;
	size_t		 len = evbuffer_get_length(in);
	char		*text;

	TAILQ_INIT(&call->query);
	if ((q = strchr(uri, '?')) != NULL &&
	    evhttp_parse_query_str(q + 1, &call->query) == -1) {
		reply_error(call->req, 400, "the query string is malformed");
		return (-1);
	}
	if (len == 0)
		return (0);
	text = xmalloc(len);
	evbuffer_remove(in, text, len);
	call->body = json_parse(text, len, &why);
	free(text);
	if (call->body == NULL) {
		reply_error(call->req, 400, "the body is not valid JSON: %s",
		    why);
		return (-1);
	}
	if (call->body->type != JSON_OBJECT) {
		reply_error(call->req, 400, "the body must be a JSON object");
		return (-1);
	}
	return (0);
}

/* --- access --- */

/* Root, pitstopd's own user, and members of socket_group may control. */
static int
api_peer_allowed(struct api *api, int fd, struct ucred *cred)
{
	gid_t		groups[256];
	socklen_t	len = sizeof *cred;
	int		i, n;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, &len) == -1)
		return (0);
	if (cred->uid == 0 || cred->uid == geteuid())
		return (1);
	if (api->config->socket_group == NULL)
		return (0);
	if (cred->gid == api->config->socket_gid)
		return (1);
	len = sizeof groups;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == -1)
		return (0);
	n = (int)(len / sizeof groups[0]);
	for (i = 0; i < n; i++)
		if (groups[i] == api->config->socket_gid)
			return (1);
	return (0);
}

static int
request_fd(struct evhttp_request *req)
{
	struct evhttp_connection	*conn;
	struct bufferevent		*bev;

	if ((conn = evhttp_request_get_connection(req)) == NULL)
		return (-1);
	if ((bev = evhttp_connection_get_bufferevent(conn)) == NULL)
		return (-1);
	return (bufferevent_getfd(bev));
}

/* --- operations --- */

static void
reply_accepted(struct evhttp_request *req, const char *name)
{
	struct json	*j = json_new();

	json_obj_open(j, NULL);
	json_str(j, "operation", name);
	json_obj_close(j);
	reply_json(req, 202, j);
}

/*
 * Claim the operation slot for `name`, or answer 409 on `req`. With `wait`
 * the reply is sent when the operation ends; without, 202 at once.
 */
int
api_op_begin(struct api *api, struct evhttp_request *req, const char *name,
    int wait)
{
	if (api->op != NULL) {
		reply_error(req, 409, "another operation is running: %s",
		    api->op);
		return (-1);
	}
	api->op = name;
	api->op_req = wait ? req : NULL;
	api->op_started = mono_ms();
	api->op_progress = 0;
	if (!wait)
		reply_accepted(req, name);
	return (0);
}

/* Record how the operation ended; the reply is the caller's. */
struct evhttp_request *
api_op_end(struct api *api, int ok, const char *message)
{
	struct evhttp_request	*req = api->op_req;

	free(api->last_op);
	free(api->last_message);
	api->last_op = xstrdup(api->op);
	api->last_ok = ok;
	api->last_message = message != NULL ? xstrdup(message) : NULL;
	if (!ok)
		log_warnx("%s failed: %s", api->op, message);
	api->op = NULL;
	api->op_req = NULL;
	/* A restart queued meanwhile goes next, from a fresh callback. */
	if (api->pending_restart != NULL)
		event_active(api->pending_ev, EV_TIMEOUT, 0);
	return (req);
}

static void
reply_app(struct api *api, struct evhttp_request *req, const char *op)
{
	struct child_info	 info;
	struct json		*j = json_new();

	child_info(api->child, &info);
	json_obj_open(j, NULL);
	if (strcmp(op, "restart") == 0) {
		json_int(j, "pid", info.pid);
		json_uint(j, "downtime_ms",
		    child_last_downtime_ms(api->child));
	} else {
		json_str(j, "state", child_state_name(info.state));
		if (info.pid > 0)
			json_int(j, "pid", info.pid);
	}
	json_obj_close(j);
	reply_json(req, 200, j);
}

static void
api_child_done_cb(void *arg, int ok, const char *message)
{
	struct api		*api = arg;
	const char		*op = api->op;
	struct evhttp_request	*req;

	req = api_op_end(api, ok, message);
	if (req == NULL)
		return;
	if (ok)
		reply_app(api, req, op);
	else
		reply_error(req, 500, "%s", message);
}

int
api_restart(struct api *api, const char *why)
{
	if (api->op != NULL) {
		/* One is enough: a later change replaces the earlier reason. */
		free(api->pending_restart);
		api->pending_restart = xstrdup(why);
		log_notice("%s while %s runs: restarting the app after it", why,
		    api->op);
		return (0);
	}
	api->op = "restart";
	api->op_req = NULL;
	api->op_started = mono_ms();
	api->op_progress = 0;
	log_notice("restarting the app: %s", why);
	if (child_restart(api->child, api_child_done_cb, api) == -1) {
		(void)api_op_end(api, 0, strerror(errno));
		return (-1);
	}
	return (0);
}

static void
api_pending_cb(evutil_socket_t fd, short what, void *arg)
{
	struct api	*api = arg;
	char		*why = api->pending_restart;

	if (why == NULL || api->op != NULL)
		return;
	api->pending_restart = NULL;
	/* An app stopped on purpose meanwhile stays stopped. */
	if (child_state(api->child) == CHILD_STOPPED)
		log_info("%s, but the app was stopped meanwhile", why);
	else if (api_restart(api, why) == -1)
		log_warn("restart after %s", why);
	free(why);
}

typedef int (*child_op_fn)(struct child *, child_done_cb, void *);

static void
route_child_op(struct api_call *call, const char *name, child_op_fn fn)
{
	struct api	*api = call->api;

	if (api_op_begin(api, call->req, name, call_waits(call)) == -1)
		return;
	log_info("%s requested", name);
	if (fn(api->child, api_child_done_cb, api) == -1) {
		struct evhttp_request *req = api_op_end(api, 0, strerror(errno));

		if (req != NULL)
			reply_error(req, errno_status(errno), "cannot %s: %s",
			    name, strerror(errno));
	}
}

static void
route_start(struct api_call *call)
{
	route_child_op(call, "start", child_start);
}

static void
route_stop(struct api_call *call)
{
	route_child_op(call, "stop", child_stop);
}

static void
route_restart(struct api_call *call)
{
	route_child_op(call, "restart", child_restart);
}

static void
route_status(struct api_call *call)
{
	struct api		*api = call->api;
	struct child_info	 info;
	struct json		*j = json_new();
	const char		*sig;

	child_info(api->child, &info);
	json_obj_open(j, NULL);
	json_str(j, "state", child_state_name(info.state));
	if (info.pid > 0) {
		json_int(j, "pid", info.pid);
		json_uint(j, "uptime_ms", info.uptime_ms);
	} else {
		json_null(j, "pid");
		json_null(j, "uptime_ms");
	}
	json_uint(j, "restarts", info.restarts);
	if (info.has_exit) {
		json_obj_open(j, "last_exit");
		if (info.last_signal == 0) {
			json_int(j, "code", info.last_code);
			json_null(j, "signal");
		} else {
			sig = sigabbrev_np(info.last_signal);
			json_null(j, "code");
			json_str(j, "signal", sig != NULL ? sig : "?");
		}
		json_uint(j, "ago_ms", info.last_exit_ago_ms);
		json_obj_close(j);
	} else
		json_null(j, "last_exit");
	json_str(j, "status_text", info.status_text);
	json_str(j, "env", api->config->env);
	if (api->op != NULL) {
		json_obj_open(j, "operation");
		json_str(j, "name", api->op);
		json_double(j, "progress", strcmp(api->op, "restore") == 0 ?
		    restore_progress(api->restore) : api->op_progress);
		json_uint(j, "elapsed_ms", mono_ms() - api->op_started);
		json_obj_close(j);
	} else
		json_null(j, "operation");
	if (api->last_op != NULL) {
		json_obj_open(j, "last_operation");
		json_str(j, "name", api->last_op);
		json_str(j, "result", api->last_ok ? "ok" : "failed");
		json_str(j, "message", api->last_message);
		json_obj_close(j);
	} else
		json_null(j, "last_operation");
	json_obj_open(j, "pitstopd");
	json_int(j, "pid", getpid());
	json_str(j, "version", PITSTOP_VERSION);
	json_obj_close(j);
	json_obj_close(j);
	reply_json(call->req, 200, j);
}

/* --- connections --- */

#define API_REAP_MS	100

/* Has evhttp freed this connection (bufferevent_free clears callbacks)? */
static int
conn_is_freed(struct api_conn *conn)
{
	bufferevent_data_cb	 r, w;
	bufferevent_event_cb	 e;
	void			*arg;

	bufferevent_getcb(conn->bev, &r, &w, &e, &arg);
	return (r == NULL && w == NULL && e == NULL);
}

static void
conn_release(struct api *api, struct api_conn *conn)
{
	TAILQ_REMOVE(&api->conns, conn, entry);
	api->nconns--;
	bufferevent_decref(conn->bev);
	free(conn);
}

/* Drop our reference to connections evhttp is done with. */
static void
api_reap(struct api *api)
{
	struct api_conn	*conn, *next;

	for (conn = TAILQ_FIRST(&api->conns); conn != NULL; conn = next) {
		next = TAILQ_NEXT(conn, entry);
		if (conn_is_freed(conn))
			conn_release(api, conn);
	}
}

static void
api_reap_cb(evutil_socket_t fd, short what, void *arg)
{
	struct api	*api = arg;
	struct timeval	 tv = { 0, API_REAP_MS * 1000 };

	api_reap(api);
	if (!TAILQ_EMPTY(&api->conns))
		evtimer_add(api->reap_timer, &tv);
}

/* Is `conn` carrying the request of the running operation? */
static int
conn_is_busy(struct api *api, struct api_conn *conn)
{
	struct evhttp_connection	*evcon;

	if (api->op_req == NULL)
		return (0);
	evcon = evhttp_request_get_connection(api->op_req);
	return (evcon != NULL &&
	    evhttp_connection_get_bufferevent(evcon) == conn->bev);
}

/*
 * At the cap, close the connection that has been quiet longest, so that a
 * fresh request is still answered at once. Shutting its socket down makes
 * evhttp see the end of the connection and free it in its usual way.
 */
static void
api_make_room(struct api *api)
{
	struct api_conn	*conn;
	int		 fd;

	TAILQ_FOREACH(conn, &api->conns, entry) {
		if (conn_is_freed(conn) || conn_is_busy(api, conn) ||
		    (fd = bufferevent_getfd(conn->bev)) == -1)
			continue;
		log_info("%d control connections: closing one idle for %llu ms",
		    api->nconns, (unsigned long long)(mono_ms() -
		    conn->last_active));
		(void)shutdown(fd, SHUT_RDWR);
		/* Move it to the end so the next eviction picks another. */
		TAILQ_REMOVE(&api->conns, conn, entry);
		TAILQ_INSERT_TAIL(&api->conns, conn, entry);
		return;
	}
}

static struct bufferevent *
api_bev_cb(struct event_base *base, void *arg)
{
	struct api		*api = arg;
	struct api_conn		*conn;
	struct timeval		 tv = { 0, API_REAP_MS * 1000 };

	api_reap(api);
	if (api->nconns >= API_MAX_CONNECTIONS)
		api_make_room(api);
	conn = xcalloc(1, sizeof *conn);
	conn->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (conn->bev == NULL) {
		free(conn);
		return (NULL);
	}
	bufferevent_incref(conn->bev);
	conn->api = api;
	conn->last_active = mono_ms();
	TAILQ_INSERT_TAIL(&api->conns, conn, entry);
	api->nconns++;
	if (!evtimer_pending(api->reap_timer, NULL))
		evtimer_add(api->reap_timer, &tv);
	return (conn->bev);
}

/* A request arrived on `evcon`: it is the most recently active now. */
static void
api_conn_seen(struct api *api, struct evhttp_connection *evcon)
{
	struct bufferevent	*bev;
	struct api_conn		*conn;

	if (evcon == NULL ||
	    (bev = evhttp_connection_get_bufferevent(evcon)) == NULL)
		return;
	TAILQ_FOREACH(conn, &api->conns, entry) {
		if (conn->bev != bev)
			continue;
		conn->last_active = mono_ms();
		TAILQ_REMOVE(&api->conns, conn, entry);
		TAILQ_INSERT_TAIL(&api->conns, conn, entry);
		return;
	}
}

/* --- dispatch --- */

static void
api_request_cb(struct evhttp_request *req, void *arg)
{
	struct api		*api = arg;
	struct api_call		 call;
	struct ucred		 cred;
	const struct evhttp_uri	*uri;
	const char		*path, *method;
	int			 i, status;

	memset(&call, 0, sizeof call);
	call.api = api;
	call.req = req;
	api_conn_seen(api, evhttp_request_get_connection(req));
	if (!api_peer_allowed(api, request_fd(req), &cred)) {
		log_warnx("refused control request from pid %d uid %d gid %d",
		    (int)cred.pid, (int)cred.uid, (int)cred.gid);
		reply_error(req, 403, "uid %d may not control this pitstopd",
		    (int)cred.uid);
		return;
	}
	uri = evhttp_request_get_evhttp_uri(req);
	path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	if (path == NULL || *path == '\0')
		path = "/";
	switch (evhttp_request_get_command(req)) {
	case EVHTTP_REQ_GET: method = "GET"; break;
	case EVHTTP_REQ_POST: method = "POST"; break;
	case EVHTTP_REQ_PUT: method = "PUT"; break;
	case EVHTTP_REQ_DELETE: method = "DELETE"; break;
	case EVHTTP_REQ_HEAD: method = "HEAD"; break;
	default: method = "OTHER"; break;
	}
	if ((i = api_route_find(method, path, &status)) == -1) {
		if (status == 405)
			reply_error(req, 405, "%s is not allowed on %s",
			    method, path);
		else
			reply_error(req, 404, "no such endpoint: %s", path);
		return;
	}
	if (call_parse(&call) == 0)
		routes[i].fn(&call);
	evhttp_clear_headers(&call.query);
	json_value_free(call.body);
}

/* --- the socket --- */

/*
 * Is someone answering on `path`? A connectable socket means another
 * pitstopd owns it; ECONNREFUSED means a stale file we may replace.
 */
static int
socket_in_use(const char *path)
{
	struct sockaddr_un	sun;
	int			fd, rv;

	if (sun_set(&sun, path) == -1 ||
	    (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (0);
	rv = connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0;
	close(fd);
	return (rv);
}

/* Bind under a umask that creates the file 0600, then widen to the mode. */
static int
api_bind(struct api *api)
{
	const struct config	*cf = api->config;
	struct sockaddr_un	 sun;
	struct stat		 st;
	mode_t			 old;
	int			 fd, rv, saved_errno;

	if (lstat(cf->socket, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			errno = EEXIST;
			return (-1);
		}
		if (socket_in_use(cf->socket)) {
			errno = EADDRINUSE;
			return (-1);
		}
		(void)unlink(cf->socket);
	}
	if (sun_set(&sun, cf->socket) == -1)
		return (-1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1)
		return (-1);
	old = umask(0177);
	rv = bind(fd, (struct sockaddr *)&sun, sizeof sun);
	umask(old);
	if (rv == -1)
		goto fail;
	if (cf->socket_group != NULL &&
	    chown(cf->socket, (uid_t)-1, cf->socket_gid) == -1)
		goto fail_unlink;
	if (chmod(cf->socket, cf->socket_mode) == -1)
		goto fail_unlink;
	if (listen(fd, API_BACKLOG) == -1)
		goto fail_unlink;
	return (fd);
fail_unlink:
	saved_errno = errno;
	(void)unlink(cf->socket);
	errno = saved_errno;
fail:
	saved_errno = errno;
	close(fd);
	errno = saved_errno;
	return (-1);
}

struct api *
api_new(struct event_base *base, const struct config *config,
    struct child *child, struct restore *restore)
{
	struct api	*api;

	api = xcalloc(1, sizeof *api);
	api->base = base;
	api->config = config;
	api->child = child;
	api->restore = restore;
	TAILQ_INIT(&api->conns);
	api->reap_timer = evtimer_new(base, api_reap_cb, api);
	api->schedule_timer = evtimer_new(base, api_schedule_cb, api);
	api->pending_ev = evtimer_new(base, api_pending_cb, api);
	api_schedule_arm(api, config->backup_interval_ms);
	return (api);
}

void
api_set_config(struct api *api, const struct config *config)
{
	uint64_t	old = api->config->backup_interval_ms;

	api->config = config;
	/* A new interval starts counting now; an unchanged one keeps going. */
	if (config->backup_interval_ms != old)
		api_schedule_arm(api, config->backup_interval_ms);
}

int
api_listen(struct api *api)
{
	struct evconnlistener	*lev;
	int			 fd;

	if ((fd = api_bind(api)) == -1)
		return (-1);
	api->socket_path = xstrdup(api->config->socket);
	lev = evconnlistener_new(api->base, NULL, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, API_BACKLOG, fd);
	if (lev == NULL) {
		close(fd);
		return (-1);
	}
	if ((api->http = evhttp_new(api->base)) == NULL) {
		evconnlistener_free(lev);
		return (-1);
	}
	evhttp_set_max_headers_size(api->http, API_MAX_HEADERS);
	evhttp_set_max_body_size(api->http, API_MAX_BODY);
	evhttp_set_timeout(api->http, API_IDLE_SECONDS);
	evhttp_set_allowed_methods(api->http, EVHTTP_REQ_GET |
	    EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_HEAD);
	evhttp_set_gencb(api->http, api_request_cb, api);
	evhttp_set_bevcb(api->http, api_bev_cb, api);
	if (evhttp_bind_listener(api->http, lev) == NULL) {
		evconnlistener_free(lev);
		return (-1);
	}
	return (0);
}

void
api_free(struct api *api)
{
	if (api == NULL)
		return;
	if (api->http != NULL)
		evhttp_free(api->http);
	/* evhttp freed every connection: drop our references. */
	while (!TAILQ_EMPTY(&api->conns))
		conn_release(api, TAILQ_FIRST(&api->conns));
	if (api->reap_timer != NULL)
		event_free(api->reap_timer);
	if (api->schedule_timer != NULL)
		event_free(api->schedule_timer);
	if (api->pending_ev != NULL)
		event_free(api->pending_ev);
	free(api->pending_restart);
	if (api->socket_path != NULL) {
		(void)unlink(api->socket_path);
		free(api->socket_path);
	}
	free(api->last_op);
	free(api->last_message);
	free(api->env_target);
	free(api);
}

int
api_busy(const struct api *api)
{
	return (api->op != NULL);
}
