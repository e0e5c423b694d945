/*
 * api: the control API (SPEC §7): HTTP/1.1 with evhttp on the Unix
 * control socket. Owns the socket file, the route table, the access check
 * (SO_PEERCRED), the request limits and the serialization of operations
 * that change the app. It drives `child`; it never forks or touches files
 * other than its socket.
 */
#ifndef API_H
#define API_H

struct event_base;
struct config;
struct child;
struct restore;
struct api;

/*
 * Create the API for `child`, configured by `config` (the caller keeps
 * both alive). Nothing listens until api_listen().
 */
struct api	*api_new(struct event_base *, const struct config *,
		    struct child *, struct restore *);
/*
 * How an environment switch applies a new configuration (pitstopd owns
 * the config): 0, or -1 with errno set and *err allocated.
 */
typedef int (*api_env_fn)(void *arg, const char *name, char **err);
void		 api_set_env_switch(struct api *, api_env_fn, void *);
/*
 * Restart the app as POST /v1/restart does, for a reason of pitstopd's
 * own (a watched file changed), logged with `why`. While another
 * operation runs, the restart is queued and follows it (one at most).
 * Returns -1 with errno set when the restart could not start.
 */
int		 api_restart(struct api *, const char *why);
/* Non-zero while an operation runs (a reload must keep its config). */
int		 api_busy(const struct api *);
/* Use `config` from now on (after a reload; the socket stays). */
void		 api_set_config(struct api *, const struct config *);
/*
 * Create the control socket at config->socket with socket_mode (never
 * wider, not even briefly) and start serving. A stale socket file is
 * replaced; a live one (another pitstopd answers) is EADDRINUSE. Returns
 * 0, or -1 with errno set.
 */
int		 api_listen(struct api *);
/* Stop serving and remove the socket file. api_free(NULL) is a no-op. */
void		 api_free(struct api *);

/*
 * Routing, exposed for the unit test: the handler index for `method`
 * ("GET", "POST", ...) and `path`, or -1 with *status set to 404 (no
 * such path) or 405 (path exists, other method).
 */
int		 api_route_find(const char *method, const char *path, int *status);
/* Name of route `i` ("status", "restart", ...). */
const char	*api_route_name(int i);

#endif
