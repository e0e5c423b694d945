/*
 * app-stub: shared declarations of the reference application (SPEC §9).
 * One header for the whole program, grouped by the file that implements
 * each part, as tmux does with tmux.h. The stub is a separate program: it
 * links nothing from supervisor/.
 */
#ifndef APP_STUB_H
#define APP_STUB_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

struct event;
struct bufferevent;
struct event_base;
struct evbuffer;
struct evbuffer_cb_entry;
struct evhttp;
struct evhttp_connection;
struct evhttp_request;
struct control_call;
struct pending;
struct store;

/* One profile row as cached in memory. */
struct profile {
	sqlite3_int64	 id;
	char		*name;		/* NUL-terminated copy */
	size_t		 len;
};

/*
 * An accepted HTTP connection, tracked so that the drain at shutdown
 * knows whether a request or a reply is still under way on it.
 */
struct conn {
	LIST_ENTRY(conn)		 entry;
	struct evhttp_connection	*evcon;
	struct evbuffer_cb_entry	*input_cb;
	int				 partial;  /* input since dispatch */
	int				 busy;	   /* reply being written */
	long long			 active_ms; /* last input or reply */
};

/*
 * The running program. app-stub.c owns it, creates `base` and `http` and
 * fills `control_*` from the environment; routes.c reads `store`,
 * `started_*`, `draining` and `control_*`, and owns the requests waiting
 * on pitstopd and the connection bookkeeping below.
 */
struct stub {
	struct event_base		 *base;
	struct evhttp			 *http;
	struct store			 *store;
	long long			  started_sec;	/* wall clock */
	long				  started_ms;
	int				  draining;	/* SIGTERM seen */
	const char			 *control_path; /* PITSTOP_SOCKET */
	long				  control_timeout_ms;

	LIST_HEAD(, pending)		  pending;	/* on pitstopd */

	LIST_HEAD(, conn)		  conns;
	struct event			 *fresh_ev;	/* adopts `fresh` */
	struct bufferevent		**fresh;	/* not yet adopted */
	size_t				  nfresh;
	size_t				  fresh_cap;
};

/* app-stub.c */
void		stub_log(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
/* CLOCK_MONOTONIC in milliseconds. */
long long	stub_now_ms(void);

/* store.c */
/*
 * Open (creating if needed) both databases in WAL mode and load every
 * profile into memory. Returns NULL on failure, already logged.
 */
struct store	*store_open(const char *main_path, const char *keychain_path);
/*
 * Finalize statements and close both connections, so the last close
 * checkpoints and removes the -wal files. Returns 0, or -1 if a database
 * did not close cleanly (logged). store_close(NULL) does nothing.
 */
int		 store_close(struct store *);
/* The in-memory cache: never re-read from disk after store_open(). */
const struct profile *store_profiles(const struct store *, size_t *n);
/*
 * Insert a profile and append it to the cache. Returns the cached row,
 * valid until the next change, or NULL with errno set (EBUSY when the
 * database stayed locked, EIO otherwise; logged).
 */
const struct profile *store_profile_add(struct store *, const char *name,
		    size_t len);
/*
 * Delete profile `id` from the database and the cache. Returns 0, or -1
 * with errno ENOENT when neither had it, EBUSY or EIO on failure.
 */
int		 store_profile_delete(struct store *, sqlite3_int64 id);
/*
 * Read keychain entry `key`. On 0, *value is a malloc'd NUL-terminated
 * copy owned by the caller (NULL for an SQL NULL) and *len its length.
 * Returns -1 with errno ENOENT, EBUSY or EIO.
 */
int		 store_key_get(struct store *, const char *key, size_t klen,
		    char **value, size_t *len);
/* Insert or replace keychain entry `key`. Returns 0 or -1 (EBUSY, EIO). */
int		 store_key_put(struct store *, const char *key, size_t klen,
		    const char *value, size_t vlen);

/* routes.c */
/*
 * Route every request on stub->http and track its connections. The event
 * base must have two priorities (see main()). Returns 0, or -1 (logged).
 */
int	routes_init(struct stub *);
/*
 * Number of open connections; *busy gets how many of them are sending a
 * reply, receiving a request whose bytes last came less than `stall_ms`
 * ago, or were active less than `recent_ms` ago (their client may be
 * about to send the next request).
 */
size_t	routes_conns(struct stub *, long recent_ms, long stall_ms,
	    size_t *busy);
/*
 * Answer every request still waiting on pitstopd with 503 and drop its
 * call. The drain calls it when it gives up; main() again after the loop
 * and before evhttp_free(). Returns how many requests were answered.
 */
size_t	routes_stop(struct stub *);
/* Release the bookkeeping; call after evhttp_free(). */
void	routes_free(struct stub *);

/* control.c */
/*
 * How a call to pitstopd ended. With `failed` 0 it is pitstopd's answer:
 * `status`, `reason` (may be ""), `type` (Content-Type, may be NULL) and
 * `body`, which the callback may drain. With `failed` 1 there is no usable
 * answer: `status` is what the stub should answer (502 garbled, 503
 * unreachable, 504 no answer in time) and `message` says why in one
 * sentence. Everything is valid only during the callback.
 */
struct control_result {
	int		 failed;
	int		 status;
	const char	*reason;
	const char	*type;
	struct evbuffer	*body;
	const char	*message;
};
typedef void	(*control_done_cb)(const struct control_result *, void *);
/*
 * Send `method` `target` with the JSON `body` (NULL: none) to pitstopd's
 * control socket at `path` without blocking the loop, and call `done`
 * exactly once with the outcome: always later from the event loop, never
 * from within control_call(). Gives up after `timeout_ms`. The call frees
 * itself after `done` returns. Returns NULL only when out of memory
 * (logged); `done` is then never called.
 */
struct control_call *control_call(struct event_base *, const char *path,
		    const char *method, const char *target, const char *body,
		    long timeout_ms, control_done_cb, void *);
/* Drop a call that is still running; its `done` is never called. */
void		 control_cancel(struct control_call *);

/* page.c */
/*
 * Append the HTML page of GET /: the profiles `p[0..n-1]`, their add and
 * delete forms and the settings menu, with `pid`, the serving process,
 * for the page to tell when a new process has taken over.
 */
void	page_render(struct evbuffer *, const struct profile *p, size_t n,
	    long pid);

/* text.c */
/* Append `s` as a quoted JSON string; invalid UTF-8 becomes U+FFFD. */
void	text_json(struct evbuffer *, const char *s, size_t len);
/* Append `s` with the five HTML special characters escaped. */
void	text_html(struct evbuffer *, const char *s, size_t len);
/*
 * Find member `key` of the JSON object in `buf` and return its string
 * value, decoded and malloc'd (NUL-terminated, owned by the caller), in
 * *out and its length in *outlen. Returns 0, or -1 with errno ENOENT when
 * the member is absent or EINVAL when `buf` is not a JSON object or the
 * member is not a string.
 */
int	text_json_member(const char *buf, size_t len, const char *key,
	    char **out, size_t *outlen);

#endif /* APP_STUB_H */
