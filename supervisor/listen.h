/*
 * listen: the app's listen sockets, bound once by pitstopd and held for
 * its whole life (SPEC §4). Every app process receives them as fds 3, 4,
 * ... with systemd's socket-activation variables, so while the app
 * restarts new connections wait in the kernel's backlog instead of being
 * refused.
 */
#ifndef LISTEN_H
#define LISTEN_H

struct config;
struct listeners;

/*
 * Bind and listen on every address of config->listen (backlog 1024).
 * Returns the set (possibly empty), or NULL with errno set and *err an
 * allocated message naming the address.
 */
struct listeners	*listen_open(const struct config *, char **err);
/* The descriptors, in configuration order, and their count. */
const int		*listen_fds(const struct listeners *, int *n);
/* "LISTEN_FDS=N", "LISTEN_FDNAMES=..." for the app; NULL-terminated. */
char			**listen_env(struct listeners *);
/* Non-zero when `config` asks for exactly the addresses already held. */
int			 listen_same(const struct listeners *,
			    const struct config *);
void			 listen_close(struct listeners *);

#endif
