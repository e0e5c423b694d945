/*
 * routes: the stub's HTTP surface (SPEC §9). One table row per route plus
 * one function; the generic code here does method checks, 404/405, the
 * errno-to-status mapping, and the connection bookkeeping that lets
 * app-stub.c drain requests at shutdown. The /explicit-* routes ask
 * pitstopd through control.c and hold their request until it answers.
 * Listening sockets and the event loop belong to app-stub.c, the data to
 * store.c.
 */
#include <sys/queue.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "app-stub.h"

#define NAME_MAX_LEN	200
#define ID_MAX_LEN	128

/*
 * How long pitstopd may take. A backup answers when it is complete; a
 * restore with wait=0 answers once the generation is picked, at once.
 */
#define BACKUP_TIMEOUT_MS	60000
#define RESTORE_TIMEOUT_MS	10000

#define CT_JSON		"application/json"
#define CT_HTML		"text/html; charset=utf-8"

enum route_match {
	ROUTE_EXACT,		/* the path is exactly `path` */
	ROUTE_PREFIX		/* `path` then at least one more byte */
};

/* A request held until pitstopd answers it; on stub->pending. */
struct pending {
	LIST_ENTRY(pending)	 entry;
	struct stub		*stub;
	struct evhttp_request	*req;
	struct control_call	*call;
	const char		*target;	/* for the log */
};

struct route {
	enum evhttp_cmd_type	 method;
	const char		*path;
	enum route_match	 match;
	void			(*fn)(struct stub *, struct evhttp_request *,
				    const char *);
};

static void	route_index(struct stub *, struct evhttp_request *,
		    const char *);
static void	route_healthz(struct stub *, struct evhttp_request *,
		    const char *);
static void	route_profiles_list(struct stub *, struct evhttp_request *,
		    const char *);
static void	route_profiles_add(struct stub *, struct evhttp_request *,
		    const char *);
static void	route_profile_delete(struct stub *, struct evhttp_request *,
		    const char *);
static void	route_keychain_get(struct stub *, struct evhttp_request *,
		    const char *);
static void	route_keychain_put(struct stub *, struct evhttp_request *,
		    const char *);
static void	route_explicit_backup(struct stub *, struct evhttp_request *,
		    const char *);
static void	route_explicit_restore(struct stub *,
		    struct evhttp_request *, const char *);

/* HEAD is served by the GET row; evhttp leaves the body out. */
static const struct route routes[] = {
	{ EVHTTP_REQ_GET,    "/",	   ROUTE_EXACT,	 route_index },
	{ EVHTTP_REQ_GET,    "/healthz",   ROUTE_EXACT,	 route_healthz },
	{ EVHTTP_REQ_GET,    "/profiles",  ROUTE_EXACT,	 route_profiles_list },
	{ EVHTTP_REQ_POST,   "/profiles",  ROUTE_EXACT,	 route_profiles_add },
	{ EVHTTP_REQ_DELETE, "/profiles/", ROUTE_PREFIX, route_profile_delete },
	{ EVHTTP_REQ_GET,    "/keychain/", ROUTE_PREFIX, route_keychain_get },
	{ EVHTTP_REQ_PUT,    "/keychain/", ROUTE_PREFIX, route_keychain_put },
	{ EVHTTP_REQ_POST,   "/explicit-backup", ROUTE_EXACT,
	    route_explicit_backup },
	{ EVHTTP_REQ_POST,   "/explicit-restore", ROUTE_EXACT,
	    route_explicit_restore },
};

static const struct {
	enum evhttp_cmd_type	 method;
	const char		*name;
} methods[] = {
	{ EVHTTP_REQ_GET,	"GET" },
	{ EVHTTP_REQ_HEAD,	"HEAD" },
	{ EVHTTP_REQ_POST,	"POST" },
	{ EVHTTP_REQ_PUT,	"PUT" },
	{ EVHTTP_REQ_DELETE,	"DELETE" },
};

/* errno from store.c to HTTP status; anything else is a 500. */
static const struct {
	int	 error;
	int	 status;
} errno_status[] = {
	{ EINVAL,	400 },
	{ ENOENT,	404 },
	{ EBUSY,	503 },
};

static const struct {
	int		 status;
	const char	*code;
} status_codes[] = {
	{ 400,	"bad_request" },
	{ 404,	"not_found" },
	{ 405,	"method_not_allowed" },
	{ 413,	"too_large" },
	{ 500,	"failed" },
	{ 502,	"bad_gateway" },
	{ 503,	"unavailable" },
	{ 504,	"timeout" },
};

static const char	*route_rest(const struct route *, const char *);
static void		 routes_dispatch_cb(struct evhttp_request *, void *);
static struct bufferevent *routes_bev_cb(struct event_base *, void *);
static void		 conn_fresh_cb(evutil_socket_t, short, void *);
static void		 conn_input_cb(struct evbuffer *,
			    const struct evbuffer_cb_info *, void *);
static void		 conn_closed_cb(struct evhttp_connection *, void *);
static struct conn	*conn_find(struct stub *, struct evhttp_connection *);
static void		 conn_done_cb(struct evhttp_request *, void *);
static void		 reply(struct stub *, struct evhttp_request *, int,
			    const char *, struct evbuffer *);
static void		 reply_reason(struct stub *, struct evhttp_request *,
			    int, const char *, const char *,
			    struct evbuffer *);
static void		 reply_error(struct stub *, struct evhttp_request *,
			    int, const char *);
static void		 reply_errno(struct stub *, struct evhttp_request *,
			    const char *);
static struct evbuffer	*body_new(void);
static const char	*body_data(struct evhttp_request *, size_t *);
static int		 body_is_json(struct evhttp_request *);
static int		 body_field(struct evhttp_request *, const char *,
			    char **, size_t *);
static int		 body_looks_json(struct evhttp_request *);
static char		*key_decode(const char *, size_t *);
static int		 request_arg(struct evhttp_request *, const char *,
			    char **, size_t *);
static void		 pitstopd_ask(struct stub *, struct evhttp_request *,
			    const char *, const char *, long);
static void		 pitstopd_done_cb(const struct control_result *,
			    void *);

static void
routes_dispatch_cb(struct evhttp_request *req, void *arg)
{
	struct stub		*stub = arg;
	struct conn		*c;
	const struct evhttp_uri	*uri;
	const struct route	*r;
	const char		*path, *rest;
	struct evbuffer		*allow;
	enum evhttp_cmd_type	 m;
	unsigned int		 allowed = 0;
	size_t			 i;

	/* The request is complete: bytes after this belong to the next. */
	if ((c = conn_find(stub, evhttp_request_get_connection(req))) != NULL)
		c->partial = 0;
	uri = evhttp_request_get_evhttp_uri(req);
	path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	if (path == NULL || *path == '\0')
		path = "/";
	m = evhttp_request_get_command(req);
	if (m == EVHTTP_REQ_HEAD)
		m = EVHTTP_REQ_GET;
	for (r = routes; r < routes + sizeof(routes) / sizeof(routes[0]);
	    r++) {
		if ((rest = route_rest(r, path)) == NULL)
			continue;
		if (r->method == m) {
			r->fn(stub, req, rest);
			return;
		}
		allowed |= r->method;
	}
	if (allowed == 0) {
		reply_error(stub, req, 404, "no such path");
		return;
	}
	if (allowed & EVHTTP_REQ_GET)
		allowed |= EVHTTP_REQ_HEAD;
	if ((allow = evbuffer_new()) != NULL) {
		for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
			if (allowed & methods[i].method)
				evbuffer_add_printf(allow, "%s%s",
				    evbuffer_get_length(allow) ? ", " : "",
				    methods[i].name);
		}
		evbuffer_add(allow, "", 1);
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", (const char *)evbuffer_pullup(allow, -1));
		evbuffer_free(allow);
	}
	reply_error(stub, req, 405, "method not allowed on this path");
}

/* What follows the route's path in `path`, or NULL if it does not match. */
static const char *
route_rest(const struct route *r, const char *path)
{
	size_t	 len = strlen(r->path);

	if (r->match == ROUTE_EXACT)
		return (strcmp(path, r->path) == 0 ? path + len : NULL);
	if (strncmp(path, r->path, len) == 0 && path[len] != '\0')
		return (path + len);
	return (NULL);
}

/*
 * Connection bookkeeping for the drain at shutdown. evhttp hides its
 * connections, so we hand it each bufferevent (routes_bev_cb) and adopt
 * the connection once evhttp has built it around that bufferevent:
 * conn_fresh_cb runs at the base's top priority, before the connection's
 * I/O, and a reference held until then keeps the bufferevent valid even
 * if evhttp has dropped the connection meanwhile. From then on the input
 * buffer tells us when request bytes arrive, dispatch and on_complete
 * bracket the reply, and the close callback ends the record. A linear
 * list is fine for the handful of clients a stub has.
 */
int
routes_init(struct stub *stub)
{
	LIST_INIT(&stub->conns);
	LIST_INIT(&stub->pending);
	stub->fresh_ev = event_new(stub->base, -1, 0, conn_fresh_cb, stub);
	if (stub->fresh_ev == NULL || event_priority_set(stub->fresh_ev, 0)) {
		stub_log("%s: cannot set up the connection event", __func__);
		return (-1);
	}
	evhttp_set_gencb(stub->http, routes_dispatch_cb, stub);
	evhttp_set_bevcb(stub->http, routes_bev_cb, stub);
	return (0);
}

size_t
routes_conns(struct stub *stub, long recent_ms, long stall_ms, size_t *busy)
{
	struct conn	*c;
	long long	 idle;
	size_t		 n;

	/* Not yet adopted: nothing is known, so assume the worst. */
	n = *busy = stub->nfresh;
	LIST_FOREACH(c, &stub->conns, entry) {
		n++;
		idle = stub_now_ms() - c->active_ms;
		if (c->busy || idle < recent_ms || (c->partial &&
		    idle < stall_ms))
			(*busy)++;
	}
	return (n);
}

size_t
routes_stop(struct stub *stub)
{
	struct pending	*p;
	size_t		 n = 0;

	while ((p = LIST_FIRST(&stub->pending)) != NULL) {
		LIST_REMOVE(p, entry);
		control_cancel(p->call);
		reply_error(stub, p->req, 503, "app-stub is stopping");
		free(p);
		n++;
	}
	return (n);
}

void
routes_free(struct stub *stub)
{
	struct conn	*c;
	size_t		 i;

	while ((c = LIST_FIRST(&stub->conns)) != NULL) {
		LIST_REMOVE(c, entry);
		free(c);
	}
	for (i = 0; i < stub->nfresh; i++)
		bufferevent_decref(stub->fresh[i]);
	free(stub->fresh);
	stub->fresh = NULL;
	stub->nfresh = stub->fresh_cap = 0;
	if (stub->fresh_ev != NULL)
		event_free(stub->fresh_ev);
	stub->fresh_ev = NULL;
}

static struct bufferevent *
routes_bev_cb(struct event_base *base, void *arg)
{
	struct stub		 *stub = arg;
	struct bufferevent	 *bev, **p;
	size_t			  cap;

	if ((bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE)) ==
	    NULL)
		return (NULL);	/* evhttp makes its own; it goes untracked */
	if (stub->nfresh == stub->fresh_cap) {
		cap = stub->fresh_cap == 0 ? 16 : stub->fresh_cap * 2;
		if ((p = reallocarray(stub->fresh, cap, sizeof(*p))) == NULL) {
			stub_log("%s: out of memory", __func__);
			abort();
		}
		stub->fresh = p;
		stub->fresh_cap = cap;
	}
	bufferevent_incref(bev);
	stub->fresh[stub->nfresh++] = bev;
	event_active(stub->fresh_ev, EV_TIMEOUT, 0);
	return (bev);
}

static void
conn_fresh_cb(evutil_socket_t fd, short what, void *arg)
{
	struct stub		*stub = arg;
	struct evbuffer		*input;
	struct conn		*c;
	void			*evcon;
	size_t			 i;

	(void)fd;
	(void)what;
	for (i = 0; i < stub->nfresh; i++) {
		/*
		 * evhttp's callback argument is the connection itself; NULL
		 * means evhttp has already freed it.
		 */
		bufferevent_getcb(stub->fresh[i], NULL, NULL, NULL, &evcon);
		if (evcon == NULL) {
			bufferevent_decref(stub->fresh[i]);
			continue;
		}
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			stub_log("%s: out of memory", __func__);
			abort();
		}
		c->evcon = evcon;
		c->active_ms = stub_now_ms();
		input = bufferevent_get_input(stub->fresh[i]);
		c->partial = evbuffer_get_length(input) > 0;
		if ((c->input_cb = evbuffer_add_cb(input, conn_input_cb, c)) ==
		    NULL) {
			stub_log("%s: out of memory", __func__);
			abort();
		}
		evhttp_connection_set_closecb(c->evcon, conn_closed_cb, c);
		LIST_INSERT_HEAD(&stub->conns, c, entry);
		bufferevent_decref(stub->fresh[i]);
	}
	stub->nfresh = 0;
}

static void
conn_input_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct conn	*c = arg;

	(void)buf;
	if (info->n_added > 0) {
		c->partial = 1;
		c->active_ms = stub_now_ms();
	}
}

static void
conn_closed_cb(struct evhttp_connection *evcon, void *arg)
{
	struct conn		*c = arg;
	struct bufferevent	*bev;

	if ((bev = evhttp_connection_get_bufferevent(evcon)) != NULL)
		evbuffer_remove_cb_entry(bufferevent_get_input(bev),
		    c->input_cb);
	LIST_REMOVE(c, entry);
	free(c);
}

static struct conn *
conn_find(struct stub *stub, struct evhttp_connection *evcon)
{
	struct conn	*c;

	LIST_FOREACH(c, &stub->conns, entry) {
		if (c->evcon == evcon)
			return (c);
	}
	return (NULL);
}

static void
conn_done_cb(struct evhttp_request *req, void *arg)
{
	struct conn	*c = arg;

	(void)req;
	c->busy = 0;
	c->active_ms = stub_now_ms();
}

static void
reply(struct stub *stub, struct evhttp_request *req, int status,
    const char *type, struct evbuffer *body)
{
	reply_reason(stub, req, status, NULL, type, body);
}

/*
 * The one place that sends; `body` (may be NULL) is freed here. `reason`
 * NULL or "" means libevent's phrase for `status`.
 */
static void
reply_reason(struct stub *stub, struct evhttp_request *req, int status,
    const char *reason, const char *type, struct evbuffer *body)
{
	struct evkeyvalq		*h;
	struct evhttp_connection	*evcon;
	struct conn			*c;

	h = evhttp_request_get_output_headers(req);

	if (body != NULL && type != NULL)
		evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Cache-Control", "no-store");
	/*
	 * Once stopping, a kept-alive connection would bring its next
	 * request to a process about to exit; closing it sends the client
	 * back to the listen socket, where the next process will answer.
	 */
	if (stub->draining)
		evhttp_add_header(h, "Connection", "close");
	evcon = evhttp_request_get_connection(req);
	if ((c = conn_find(stub, evcon)) != NULL) {
		c->busy = 1;
		evhttp_request_set_on_complete_cb(req, conn_done_cb, c);
	}
	evhttp_send_reply(req, status, reason != NULL && *reason != '\0' ?
	    reason : NULL, body);
	if (body != NULL)
		evbuffer_free(body);
}

static void
reply_error(struct stub *stub, struct evhttp_request *req, int status,
    const char *message)
{
	struct evbuffer	*b;
	const char	*code = "failed";
	size_t		 i;

	for (i = 0; i < sizeof(status_codes) / sizeof(status_codes[0]); i++) {
		if (status_codes[i].status == status)
			code = status_codes[i].code;
	}
	if ((b = body_new()) != NULL) {
		evbuffer_add_printf(b, "{\"error\": \"%s\", \"message\": ",
		    code);
		text_json(b, message, strlen(message));
		evbuffer_add(b, "}\n", 2);
	}
	reply(stub, req, status, CT_JSON, b);
}

/* Answer for a failed store call; the route names what was missing. */
static void
reply_errno(struct stub *stub, struct evhttp_request *req,
    const char *not_found)
{
	int	 status = 500;
	size_t	 i;

	for (i = 0; i < sizeof(errno_status) / sizeof(errno_status[0]); i++) {
		if (errno_status[i].error == errno)
			status = errno_status[i].status;
	}
	switch (status) {
	case 404:
		reply_error(stub, req, status, not_found);
		break;
	case 503:
		reply_error(stub, req, status, "the database is locked");
		break;
	default:
		reply_error(stub, req, status, "the database failed");
		break;
	}
}

static struct evbuffer *
body_new(void)
{
	struct evbuffer	*b;

	if ((b = evbuffer_new()) == NULL)
		stub_log("%s: out of memory", __func__);
	return (b);
}

/* The request body as one contiguous run; "" when empty. */
static const char *
body_data(struct evhttp_request *req, size_t *len)
{
	struct evbuffer	*in = evhttp_request_get_input_buffer(req);
	const char	*p;

	*len = evbuffer_get_length(in);
	if (*len == 0 || (p = (const char *)evbuffer_pullup(in, -1)) == NULL) {
		*len = 0;
		return ("");
	}
	return (p);
}

/* Content-Type application/json, with or without parameters. */
static int
body_is_json(struct evhttp_request *req)
{
	const char	*ct;
	size_t		 len = strlen(CT_JSON);

	ct = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Content-Type");
	if (ct == NULL)
		return (0);
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return (strncasecmp(ct, CT_JSON, len) == 0 &&
	    (ct[len] == '\0' || ct[len] == ';' || ct[len] == ' ' ||
	    ct[len] == '\t'));
}

/*
 * Field `key` from a JSON object body or, for any other content type, a
 * urlencoded form. On 0, *out is malloc'd and owned by the caller. Returns
 * -1 with errno ENOENT (absent) or EINVAL (unreadable body).
 */
static int
body_field(struct evhttp_request *req, const char *key, char **out,
    size_t *outlen)
{
	struct evkeyvalq	 q;
	const char		*data, *v;
	char			*s;
	size_t			 len;
	int			 rv = -1;

	data = body_data(req, &len);
	if (body_is_json(req))
		return (text_json_member(data, len, key, out, outlen));
	/* evhttp_parse_query_str() wants a C string. */
	if ((s = malloc(len + 1)) == NULL)
		return (-1);
	memcpy(s, data, len);
	s[len] = '\0';
	TAILQ_INIT(&q);
	if (evhttp_parse_query_str(s, &q) == -1)
		errno = EINVAL;
	else if ((v = evhttp_find_header(&q, key)) == NULL)
		errno = ENOENT;
	else if ((*out = strdup(v)) != NULL) {
		*outlen = strlen(v);
		rv = 0;
	}
	evhttp_clear_headers(&q);
	free(s);
	return (rv);
}

/* A body that starts like a JSON object but is not labelled as JSON. */
static int
body_looks_json(struct evhttp_request *req)
{
	const char	*data;
	size_t		 len, i;

	if (body_is_json(req))
		return (0);
	data = body_data(req, &len);
	for (i = 0; i < len && strchr(" \t\r\n", data[i]) != NULL; i++)
		;
	return (i < len && data[i] == '{');
}

/* The percent-decoded key from the path; NULL with errno set. */
static char *
key_decode(const char *raw, size_t *len)
{
	char	*key;

	if ((key = evhttp_uridecode(raw, 0, len)) == NULL)
		return (NULL);
	if (*len == 0 || memchr(key, '\0', *len) != NULL) {
		free(key);
		errno = EINVAL;
		return (NULL);
	}
	return (key);
}

/*
 * Argument `key` of a request: a form field or JSON member of the body,
 * else a query parameter. On 0, *out is malloc'd and owned by the caller.
 * Returns -1 with errno ENOENT (absent), EINVAL (unreadable body or query)
 * or ENOMEM.
 */
static int
request_arg(struct evhttp_request *req, const char *key, char **out,
    size_t *outlen)
{
	const struct evhttp_uri	*uri;
	struct evkeyvalq	 q;
	const char		*query, *v;
	int			 rv = -1;

	if (body_field(req, key, out, outlen) == 0)
		return (0);
	if (errno != ENOENT)
		return (-1);
	uri = evhttp_request_get_evhttp_uri(req);
	if (uri == NULL || (query = evhttp_uri_get_query(uri)) == NULL)
		return (-1);	/* errno is still ENOENT */
	TAILQ_INIT(&q);
	if (evhttp_parse_query_str(query, &q) == -1)
		errno = EINVAL;
	else if ((v = evhttp_find_header(&q, key)) == NULL)
		errno = ENOENT;
	else if ((*out = strdup(v)) != NULL) {
		*outlen = strlen(v);
		rv = 0;
	}
	evhttp_clear_headers(&q);
	return (rv);
}

static void
route_index(struct stub *stub, struct evhttp_request *req, const char *rest)
{
	const struct profile	*p;
	struct evbuffer		*b;
	size_t			 n;

	(void)rest;
	if ((b = body_new()) == NULL) {
		reply_error(stub, req, 500, "out of memory");
		return;
	}
	p = store_profiles(stub->store, &n);
	page_render(b, p, n, (long)getpid());
	reply(stub, req, 200, CT_HTML, b);
}

static void
route_healthz(struct stub *stub, struct evhttp_request *req,
    const char *rest)
{
	struct evbuffer	*b;

	(void)rest;
	if ((b = body_new()) == NULL) {
		reply_error(stub, req, 500, "out of memory");
		return;
	}
	evbuffer_add_printf(b,
	    "{\"ok\": true, \"pid\": %ld, \"started\": %lld.%03ld}\n",
	    (long)getpid(), stub->started_sec, stub->started_ms);
	reply(stub, req, 200, CT_JSON, b);
}

static void
route_profiles_list(struct stub *stub, struct evhttp_request *req,
    const char *rest)
{
	const struct profile	*p;
	struct evbuffer		*b;
	size_t			 i, n;

	(void)rest;
	if ((b = body_new()) == NULL) {
		reply_error(stub, req, 500, "out of memory");
		return;
	}
	/* From the cache only, never the database: the stub goes stale. */
	p = store_profiles(stub->store, &n);
	evbuffer_add(b, "[", 1);
	for (i = 0; i < n; i++) {
		evbuffer_add_printf(b, "%s{\"id\": %lld, \"name\": ",
		    i == 0 ? "" : ", ", (long long)p[i].id);
		text_json(b, p[i].name, p[i].len);
		evbuffer_add(b, "}", 1);
	}
	evbuffer_add(b, "]\n", 2);
	reply(stub, req, 200, CT_JSON, b);
}

static void
route_profiles_add(struct stub *stub, struct evhttp_request *req,
    const char *rest)
{
	const struct profile	*p;
	struct evbuffer		*b;
	char			*name, loc[64];
	size_t			 len;

	(void)rest;
	if (body_field(req, "name", &name, &len) == -1) {
		if (errno == ENOENT)
			reply_error(stub, req, 400, "name is required");
		else if (errno == EINVAL)
			reply_error(stub, req, 400,
			    "body is not a form or a JSON object with a "
			    "string name");
		else
			reply_error(stub, req, 500, "out of memory");
		return;
	}
	if (len == 0 || len > NAME_MAX_LEN || memchr(name, '\0', len)) {
		free(name);
		reply_error(stub, req, 400,
		    "name must be 1 to 200 bytes without NUL");
		return;
	}
	p = store_profile_add(stub->store, name, len);
	free(name);
	if (p == NULL) {
		reply_errno(stub, req, "no such profile");
		return;
	}
	if ((b = body_new()) == NULL) {
		reply_error(stub, req, 500, "out of memory");
		return;
	}
	evbuffer_add_printf(b, "{\"id\": %lld, \"name\": ", (long long)p->id);
	text_json(b, p->name, p->len);
	evbuffer_add(b, "}\n", 2);
	(void)snprintf(loc, sizeof(loc), "/profiles/%lld", (long long)p->id);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Location",
	    loc);
	reply(stub, req, 201, CT_JSON, b);
}

static void
route_profile_delete(struct stub *stub, struct evhttp_request *req,
    const char *rest)
{
	sqlite3_int64	 id = 0;
	const char	*s;

	/* Only plain decimal ids; anything else names no profile. */
	for (s = rest; *s != '\0'; s++) {
		if (!isdigit((unsigned char)*s) || s - rest >= 18) {
			reply_error(stub, req, 404, "no such profile");
			return;
		}
		id = id * 10 + (*s - '0');
	}
	if (store_profile_delete(stub->store, id) == -1) {
		reply_errno(stub, req, "no such profile");
		return;
	}
	reply(stub, req, 204, NULL, NULL);
}

static void
route_keychain_get(struct stub *stub, struct evhttp_request *req,
    const char *rest)
{
	struct evbuffer	*b;
	char		*key, *value;
	size_t		 klen, vlen;

	if ((key = key_decode(rest, &klen)) == NULL) {
		reply_error(stub, req, 400, "bad key");
		return;
	}
	if (store_key_get(stub->store, key, klen, &value, &vlen) == -1) {
		free(key);
		reply_errno(stub, req, "no such key");
		return;
	}
	if ((b = body_new()) != NULL) {
		evbuffer_add(b, "{\"key\": ", 8);
		text_json(b, key, klen);
		evbuffer_add(b, ", \"value\": ", 11);
		if (value == NULL)
			evbuffer_add(b, "null", 4);
		else
			text_json(b, value, vlen);
		evbuffer_add(b, "}\n", 2);
	}
	free(value);
	free(key);
	if (b == NULL)
		reply_error(stub, req, 500, "out of memory");
	else
		reply(stub, req, 200, CT_JSON, b);
}

static void
route_keychain_put(struct stub *stub, struct evhttp_request *req,
    const char *rest)
{
	struct evbuffer	*b;
	const char	*value;
	char		*key, *decoded = NULL;
	size_t		 klen, vlen;

	if ((key = key_decode(rest, &klen)) == NULL) {
		reply_error(stub, req, 400, "bad key");
		return;
	}
	if (body_is_json(req)) {
		value = body_data(req, &vlen);
		if (text_json_member(value, vlen, "value", &decoded,
		    &vlen) == -1) {
			free(key);
			reply_error(stub, req, errno == ENOMEM ? 500 : 400,
			    "body is not a JSON object with a string value");
			return;
		}
		value = decoded;
	} else
		value = body_data(req, &vlen);
	if (store_key_put(stub->store, key, klen, value, vlen) == -1) {
		free(decoded);
		free(key);
		reply_errno(stub, req, "no such key");
		return;
	}
	if ((b = body_new()) != NULL) {
		evbuffer_add(b, "{\"key\": ", 8);
		text_json(b, key, klen);
		evbuffer_add(b, ", \"value\": ", 11);
		text_json(b, value, vlen);
		evbuffer_add(b, "}\n", 2);
	}
	free(decoded);
	free(key);
	if (b == NULL)
		reply_error(stub, req, 500, "out of memory");
	else
		reply(stub, req, 200, CT_JSON, b);
}

/*
 * Hold `req` and ask pitstopd for POST `target` with the JSON `body`; the
 * answer, or why there is none, goes to the client in pitstopd_done_cb.
 */
static void
pitstopd_ask(struct stub *stub, struct evhttp_request *req,
    const char *target, const char *body, long timeout_ms)
{
	struct pending	*p;
	struct conn	*c;

	if (stub->control_path == NULL || *stub->control_path == '\0') {
		reply_error(stub, req, 503, "PITSTOP_SOCKET is not set: "
		    "app-stub is not running under pitstopd");
		return;
	}
	if (stub->control_timeout_ms > 0)
		timeout_ms = stub->control_timeout_ms;
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		reply_error(stub, req, 500, "out of memory");
		return;
	}
	p->stub = stub;
	p->req = req;
	p->target = target;
	p->call = control_call(stub->base, stub->control_path, "POST", target,
	    body, timeout_ms, pitstopd_done_cb, p);
	if (p->call == NULL) {
		free(p);
		reply_error(stub, req, 500, "out of memory");
		return;
	}
	LIST_INSERT_HEAD(&stub->pending, p, entry);
	/* A drain at shutdown waits for this answer like for a reply. */
	if ((c = conn_find(stub, evhttp_request_get_connection(req))) != NULL)
		c->busy = 1;
}

/*
 * Pass pitstopd's answer through: status, reason, type and body. If the
 * client has gone meanwhile, evhttp has detached `req` from its
 * connection and the reply only frees it.
 */
static void
pitstopd_done_cb(const struct control_result *res, void *arg)
{
	struct pending		*p = arg;
	struct stub		*stub = p->stub;
	struct evhttp_request	*req = p->req;
	struct evbuffer		*b = NULL;

	LIST_REMOVE(p, entry);
	if (res->failed) {
		stub_log("%s: %s", p->target, res->message);
		free(p);
		reply_error(stub, req, res->status, res->message);
		return;
	}
	stub_log("%s: pitstopd answered %d", p->target, res->status);
	free(p);
	if (evbuffer_get_length(res->body) > 0) {
		if ((b = body_new()) == NULL) {
			reply_error(stub, req, 500, "out of memory");
			return;
		}
		evbuffer_add_buffer(b, res->body);
	}
	reply_reason(stub, req, res->status, res->reason,
	    res->type != NULL ? res->type : CT_JSON, b);
}

static void
route_explicit_backup(struct stub *stub, struct evhttp_request *req,
    const char *rest)
{
	(void)rest;
	pitstopd_ask(stub, req, "/v1/backup", NULL, BACKUP_TIMEOUT_MS);
}

/*
 * The app asks for its own restore: pitstopd will stop this very process,
 * so it must not wait for the restore to end (wait=0). pitstopd answers
 * 202 once it has picked the generation, and this process passes that on
 * before the stop reaches it: the drain at shutdown waits for replies.
 */
static void
route_explicit_restore(struct stub *stub, struct evhttp_request *req,
    const char *rest)
{
	struct evbuffer	*b;
	char		*id = NULL;
	size_t		 len = 0;

	(void)rest;
	if (request_arg(req, "id", &id, &len) == -1 && errno != ENOENT) {
		reply_error(stub, req, errno == ENOMEM ? 500 : 400,
		    "id must be a form field, a string JSON member or a "
		    "query parameter");
		return;
	}
	if (id == NULL && body_looks_json(req)) {
		/* As a form it names no id: the newest would be restored. */
		reply_error(stub, req, 400, "a JSON body needs Content-Type: "
		    "application/json");
		return;
	}
	if (len > ID_MAX_LEN || (id != NULL && memchr(id, '\0', len))) {
		free(id);
		reply_error(stub, req, 404, "no such backup");
		return;
	}
	if ((b = body_new()) == NULL) {
		free(id);
		reply_error(stub, req, 500, "out of memory");
		return;
	}
	/* An empty id, as an empty form field sends, means the newest. */
	evbuffer_add_printf(b, "{\"wait\": 0");
	if (len > 0) {
		evbuffer_add_printf(b, ", \"id\": ");
		text_json(b, id, len);
	}
	evbuffer_add(b, "}", 2);	/* with the NUL */
	free(id);
	pitstopd_ask(stub, req, "/v1/restore",
	    (const char *)evbuffer_pullup(b, -1), RESTORE_TIMEOUT_MS);
	evbuffer_free(b);
}
