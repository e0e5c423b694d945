/*
 * listen: binding and holding the app's listen sockets (see listen.h).
 * Unix socket files are ours: a stale one is replaced at start and the
 * file is removed at exit.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "listen.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

#define LISTEN_BACKLOG	1024

struct listeners {
	int	 *fds;
	char	**addrs;	/* as in the configuration */
	int	  n;
	char	 *env[3];
};

static int
listen_unix(const char *path)
{
	struct sockaddr_un	sun;
	struct stat		st;
	int			fd;

	if (sun_set(&sun, path) == -1)
		return (-1);
	/* Only ever replace a socket file, never a regular file. */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		(void)unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) == -1 ||
	    listen(fd, LISTEN_BACKLOG) == -1) {
		int saved_errno = errno;
		close(fd);
		errno = saved_errno;
		return (-1);
	}
	return (fd);
}

static int
listen_inet(const char *addr)
{
	struct addrinfo	 hints, *res = NULL;
	char		*host, *port;
	int		 fd = -1, one = 1, rv, saved_errno;

	host = xstrdup(addr);
	port = strrchr(host, ':');
	*port++ = '\0';
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
	if ((rv = getaddrinfo(host, port, &hints, &res)) != 0) {
		free(host);
		errno = rv == EAI_SYSTEM ? errno : EADDRNOTAVAIL;
		return (-1);
	}
	fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, 0);
	if (fd == -1)
		goto fail;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (res->ai_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof one);
	if (bind(fd, res->ai_addr, res->ai_addrlen) == -1 ||
	    listen(fd, LISTEN_BACKLOG) == -1)
		goto fail;
	freeaddrinfo(res);
	free(host);
	return (fd);
fail:
	saved_errno = errno;
	if (fd != -1)
		close(fd);
	freeaddrinfo(res);
	free(host);
	errno = saved_errno;
	return (-1);
}

struct listeners *
listen_open(const struct config *cf, char **err)
{
	struct listeners	*l;
	size_t			 len = 0;
	int			 i;

	l = xcalloc(1, sizeof *l);
	l->fds = xcalloc((size_t)cf->nlisten + 1, sizeof *l->fds);
	l->addrs = xcalloc((size_t)cf->nlisten + 1, sizeof *l->addrs);
	for (i = 0; i < cf->nlisten; i++) {
		const char *a = cf->listen[i];

		l->fds[i] = strncmp(a, "unix:", 5) == 0 ?
		    listen_unix(a + 5) : listen_inet(a);
		if (l->fds[i] == -1) {
			int saved_errno = errno;

			xasprintf(err, "cannot listen on %s: %s", a,
			    strerror(errno));
			listen_close(l);
			errno = saved_errno;
			return (NULL);
		}
		l->addrs[i] = xstrdup(a);
		l->n++;
		len += 16;
	}
	xasprintf(&l->env[0], "LISTEN_FDS=%d", l->n);
	l->env[1] = xcalloc(1, len + 32);
	strcpy(l->env[1], "LISTEN_FDNAMES=");
	/* Names may not hold ':' (the separator): use listen0, listen1, ... */
	for (i = 0; i < l->n; i++)
		sprintf(l->env[1] + strlen(l->env[1]), "%slisten%d",
		    i == 0 ? "" : ":", i);
	return (l);
}

const int *
listen_fds(const struct listeners *l, int *n)
{
	*n = l->n;
	return (l->fds);
}

char **
listen_env(struct listeners *l)
{
	return (l->n > 0 ? l->env : NULL);
}

int
listen_same(const struct listeners *l, const struct config *cf)
{
	int	i;

	if (cf->nlisten != l->n)
		return (0);
	for (i = 0; i < l->n; i++)
		if (strcmp(cf->listen[i], l->addrs[i]) != 0)
			return (0);
	return (1);
}

void
listen_close(struct listeners *l)
{
	int	i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++) {
		close(l->fds[i]);
		if (strncmp(l->addrs[i], "unix:", 5) == 0)
			(void)unlink(l->addrs[i] + 5);
		free(l->addrs[i]);
	}
	free(l->fds);
	free(l->addrs);
	free(l->env[0]);
	free(l->env[1]);
	free(l);
}
