/*
 * sdnotify: the client side of the sd_notify protocol for pitstopd itself
 * (see sdnotify.h). One datagram per message; a manager that is gone is
 * not our problem, so send errors are logged once at debug level.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "sdnotify.h"
#include "util.h"

static int			 sd_fd = -1;
static struct sockaddr_un	 sd_addr;
static socklen_t		 sd_addrlen;
static struct event		*sd_watchdog;

static void
sd_send(const char *msg)
{
	if (sd_fd == -1)
		return;
	if (sendto(sd_fd, msg, strlen(msg), MSG_NOSIGNAL,
	    (struct sockaddr *)&sd_addr, sd_addrlen) == -1)
		log_debug("sd_notify: %s: %s", msg, strerror(errno));
}

static void
sd_watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	sd_send("WATCHDOG=1");
}

/* WATCHDOG_USEC applies to us unless WATCHDOG_PID names another process. */
static void
sd_watchdog_start(struct event_base *base)
{
	const char		*usec_s = getenv("WATCHDOG_USEC");
	const char		*pid_s = getenv("WATCHDOG_PID");
	unsigned long long	 usec;
	struct timeval		 tv;

	if (usec_s == NULL || (usec = strtoull(usec_s, NULL, 10)) == 0)
		return;
	if (pid_s != NULL && atol(pid_s) != (long)getpid())
		return;
	usec /= 2;
	tv.tv_sec = (time_t)(usec / 1000000);
	tv.tv_usec = (suseconds_t)(usec % 1000000);
	sd_watchdog = event_new(base, -1, EV_PERSIST, sd_watchdog_cb, NULL);
	if (sd_watchdog == NULL || event_add(sd_watchdog, &tv) == -1) {
		log_warnx("sd_notify: cannot start the watchdog timer");
		return;
	}
	log_info("sd_notify: watchdog ping every %llu ms", usec / 1000);
	sd_send("WATCHDOG=1");
}

int
sdnotify_init(struct event_base *base)
{
	const char	*path = getenv("NOTIFY_SOCKET");
	size_t		 len;

	if (path == NULL || *path == '\0')
		return (0);
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') ||
	    len >= sizeof sd_addr.sun_path) {
		log_warnx("sd_notify: unusable NOTIFY_SOCKET '%s'", path);
		errno = EINVAL;
		return (-1);
	}
	memset(&sd_addr, 0, sizeof sd_addr);
	sd_addr.sun_family = AF_UNIX;
	memcpy(sd_addr.sun_path, path, len);
	/* An abstract name counts every byte: no trailing NUL in the length. */
	if (path[0] == '@')
		sd_addr.sun_path[0] = '\0';
	sd_addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
	    (path[0] == '/' ? 1 : 0));
	sd_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sd_fd == -1)
		return (-1);
	sd_watchdog_start(base);
	return (0);
}

void
sdnotify_ready(void)
{
	sd_send("READY=1");
}

void
sdnotify_reloading(void)
{
	char	msg[96];

	snprintf(msg, sizeof msg, "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)mono_us());
	sd_send(msg);
}

void
sdnotify_stopping(void)
{
	sd_send("STOPPING=1");
}

void
sdnotify_status(const char *fmt, ...)
{
	char	msg[512];
	va_list	ap;
	int	n;

	if (sd_fd == -1)
		return;
	n = snprintf(msg, sizeof msg, "STATUS=");
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
	va_end(ap);
	sd_send(msg);
}

void
sdnotify_free(void)
{
	if (sd_watchdog != NULL)
		event_free(sd_watchdog);
	sd_watchdog = NULL;
	if (sd_fd != -1)
		close(sd_fd);
	sd_fd = -1;
}
