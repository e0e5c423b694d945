/*
 * api_priv: what the control API's files share (api.c: the HTTP server,
 * routing, access, connections and the app's lifecycle routes;
 * api_data.c: the routes that act on the app's data). Not for other
 * modules: they use api.h.
 */
#ifndef API_PRIV_H
#define API_PRIV_H

#include <sys/queue.h>

#include <stdint.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "api.h"

#define API_MAX_CONNECTIONS	256

struct json;
struct json_value;

/*
 * A client connection, from accept on. libevent 2.1's evhttp has neither
 * a connection limit nor a hook when it frees a connection, so we create
 * each connection's bufferevent ourselves (evhttp_set_bevcb) and hold a
 * reference to it: when evhttp frees the connection, the bufferevent
 * stays allocated with its callbacks cleared, which is how we tell, and
 * our reference is dropped then (closing the socket).
 */
struct api_conn {
	struct api			*api;
	struct bufferevent		*bev;
	uint64_t			 last_active;
	TAILQ_ENTRY(api_conn)		 entry;
};
TAILQ_HEAD(api_conns, api_conn);

struct api {
	struct event_base	*base;
	const struct config	*config;
	struct child		*child;
	struct restore		*restore;
	struct evhttp		*http;
	char			*socket_path;	/* ours to unlink */
	struct api_conns	 conns;		/* oldest activity first */
	int			 nconns;
	struct event		*reap_timer;	/* while conns is not empty */
	struct event		*schedule_timer; /* scheduled backups */

	/* The one operation that may run at a time. */
	const char		*op;		/* route name, NULL when idle */
	struct evhttp_request	*op_req;	/* NULL with wait=0 */
	uint64_t		 op_started;
	volatile double		 op_progress;	/* backup: the worker's */
	char			*last_op;
	int			 last_ok;
	char			*last_message;

	char			*pending_restart; /* why, once the op ends */
	struct event		*pending_ev;

	api_env_fn		 env_switch;
	void			*env_arg;
	char			*env_target;	/* during an env switch */
};

/* One request being handled: its arguments from the body or the query. */
struct api_call {
	struct api		*api;
	struct evhttp_request	*req;
	struct json_value	*body;
	struct evkeyvalq	 query;
};

/* Replies: exactly one per request. */
void		 reply_json(struct evhttp_request *, int status, struct json *);
void		 reply_error(struct evhttp_request *, int status, const char *fmt,
		    ...) __attribute__((format(printf, 3, 4)));
int		 errno_status(int);
const char	*reason_phrase(int status);

/* Request arguments from the JSON body, else the query string. */
const char	*call_arg(struct api_call *, const char *name);
/* 0 when the request asked not to wait (wait=0). */
int		 call_waits(struct api_call *);

/*
 * The operation slot: claim it for `name` or answer 409 on `req`; with
 * `wait` the caller replies when it ends, without 202 goes out at once.
 * api_op_end() records the outcome and returns the request still waiting
 * for its reply, if any.
 */
int		 api_op_begin(struct api *, struct evhttp_request *,
		    const char *name, int wait);
struct evhttp_request *api_op_end(struct api *, int ok, const char *message);

/* Routes of api_data.c. */
void		 route_backup(struct api_call *);
void		 route_backups(struct api_call *);
void		 route_restore(struct api_call *);
void		 route_env_get(struct api_call *);
void		 route_env_post(struct api_call *);
/* The scheduled-backup timer's callback and arming (api_data.c). */
void		 api_schedule_cb(evutil_socket_t, short, void *);
void		 api_schedule_arm(struct api *, uint64_t ms);

#endif
