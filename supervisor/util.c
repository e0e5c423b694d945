/*
 * util: clock and file helpers shared by the daemon's modules.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "util.h"
#include "xmalloc.h"

int
sun_set(struct sockaddr_un *sun, const char *path)
{
	memset(sun, 0, sizeof *sun);
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun->sun_path) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	memcpy(sun->sun_path, path, strlen(path));
	return (0);
}

uint64_t
mono_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
}

uint64_t
mono_ms(void)
{
	return (mono_us() / 1000);
}

int
mkdir_p(const char *path, mode_t mode)
{
	char	*copy, *p;
	int	 rv = 0;

	copy = xstrdup(path);
	for (p = copy + 1; rv == 0; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(copy, mode) == -1 && errno != EEXIST)
			rv = -1;
		*p = c;
		if (c == '\0')
			break;
	}
	free(copy);
	return (rv);
}

int
fsync_dir(const char *dir)
{
	int	 fd, rv, saved_errno;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return (-1);
	rv = fsync(fd);
	saved_errno = errno;
	close(fd);
	errno = saved_errno;
	return (rv);
}

int
fsync_parent(const char *path)
{
	char	*copy;
	int	 rv;

	copy = xstrdup(path);
	rv = fsync_dir(dirname(copy));
	free(copy);
	return (rv);
}

int
write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
    int durable)
{
	char		*tmp;
	const char	*p = data;
	ssize_t		 n;
	int		 fd, saved_errno;

	xasprintf(&tmp, "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd == -1)
		goto fail;
	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		p += n;
		len -= (size_t)n;
	}
	if (durable && fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto fail;
	free(tmp);
	return (durable ? fsync_parent(path) : 0);
fail:
	saved_errno = errno;
	if (fd != -1)
		close(fd);
	(void)unlink(tmp);
	free(tmp);
	errno = saved_errno;
	return (-1);
}

char *
read_file(const char *path, size_t max, size_t *lenp)
{
	char	*buf;
	size_t	 len = 0;
	ssize_t	 n;
	int	 fd, saved_errno;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (NULL);
	buf = xmalloc(max + 1);
	while (len < max) {
		n = read(fd, buf + len, max - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			saved_errno = errno;
			free(buf);
			close(fd);
			errno = saved_errno;
			return (NULL);
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return (buf);
}
