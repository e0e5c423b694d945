/*
 * notify: the app's side of the sd_notify protocol (see notify.h). The
 * socket lives in the abstract namespace, so no file needs a home or a
 * cleanup and no path length limit applies.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "child.h"
#include "log.h"
#include "notify.h"
#include "util.h"
#include "xmalloc.h"

/* systemd allows larger messages, but nothing we act on needs more. */
#define NOTIFY_MAX	4096

struct notify {
	struct child	*child;
	int		 fd;
	struct event	*ev;
	char		*env;
};

int
notify_parse(const char *buf, size_t len, void (*ready)(void *),
    void (*status)(void *, const char *), void *arg)
{
	const char	*line = buf, *end = buf + len, *nl;
	char		 text[NOTIFY_MAX + 1];
	size_t		 n;
	int		 understood = 0;

	if (len == 0 || memchr(buf, '\0', len) != NULL)
		return (-1);
	for (; line < end; line = nl + 1) {
		if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
			nl = end;
		n = (size_t)(nl - line);
		if (n == 0)
			continue;
		if (memchr(line, '=', n) == NULL)
			return (-1);
		if (n == 7 && memcmp(line, "READY=1", 7) == 0) {
			ready(arg);
			understood++;
		} else if (n >= 7 && memcmp(line, "STATUS=", 7) == 0) {
			memcpy(text, line + 7, n - 7);
			text[n - 7] = '\0';
			status(arg, text);
			understood++;
		}
		else if (n == 10 && memcmp(line, "STOPPING=1", 10) == 0)
			log_info("the app says it is stopping");
		/* Other keys (MAINPID=, ERRNO=, ...) are not ours to act on. */
	}
	return (understood);
}

static void
notify_ready(void *arg)
{
	child_notify_ready(arg);
}

static void
notify_status(void *arg, const char *text)
{
	child_notify_status(arg, text);
}

/* Close every descriptor that came along: we never keep them. */
static void
notify_close_fds(struct msghdr *msg)
{
	struct cmsghdr	*cm;
	int		*fds;
	size_t		 i, n;

	for (cm = CMSG_FIRSTHDR(msg); cm != NULL; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		fds = (int *)CMSG_DATA(cm);
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++)
			close(fds[i]);
	}
}

static pid_t
notify_sender(struct msghdr *msg)
{
	struct cmsghdr	*cm;
	struct ucred	 cred;

	for (cm = CMSG_FIRSTHDR(msg); cm != NULL; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_CREDENTIALS &&
		    cm->cmsg_len == CMSG_LEN(sizeof cred)) {
			memcpy(&cred, CMSG_DATA(cm), sizeof cred);
			return (cred.pid);
		}
	}
	return (0);
}

static void
notify_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct notify	*n = arg;
	char		 buf[NOTIFY_MAX];
	union {
		struct cmsghdr	hdr;
		char		space[CMSG_SPACE(sizeof(struct ucred)) +
				    CMSG_SPACE(sizeof(int) * 16)];
	} control;
	struct iovec	 iov = { buf, sizeof buf };
	struct msghdr	 msg;
	ssize_t		 len;
	pid_t		 pid;

	for (;;) {
		memset(&msg, 0, sizeof msg);
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = &control;
		msg.msg_controllen = sizeof control;
		len = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC |
		    MSG_TRUNC);
		if (len == -1) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("%s: recvmsg", __func__);
			return;
		}
		notify_close_fds(&msg);
		pid = notify_sender(&msg);
		if ((size_t)len > sizeof buf || (msg.msg_flags & MSG_TRUNC)) {
			log_warnx("notify: dropped an oversized message from "
			    "pid %d", (int)pid);
			continue;
		}
		if (pid <= 0 || !child_owns_pid(n->child, pid)) {
			log_warnx("notify: ignored a message from pid %d, "
			    "not the app", (int)pid);
			continue;
		}
		if (notify_parse(buf, (size_t)len, notify_ready,
		    notify_status, n->child) == -1)
			log_warnx("notify: dropped a malformed message from "
			    "pid %d", (int)pid);
	}
}

struct notify *
notify_new(struct event_base *base, struct child *child)
{
	struct notify		*n;
	struct sockaddr_un	 sun;
	socklen_t		 len;
	int			 one = 1;
	char			 name[64];

	n = xcalloc(1, sizeof *n);
	n->child = child;
	n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (n->fd == -1)
		goto fail;
	if (setsockopt(n->fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) == -1)
		goto fail;
	/* Unique per pitstopd; random so other users cannot guess it early. */
	snprintf(name, sizeof name, "pitstopd/%d/%08lx/notify", (int)getpid(),
	    (unsigned long)random());
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path + 1, name, strlen(name));
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
	    strlen(name));
	if (bind(n->fd, (struct sockaddr *)&sun, len) == -1)
		goto fail;
	n->ev = event_new(base, n->fd, EV_READ | EV_PERSIST, notify_read_cb, n);
	if (n->ev == NULL || event_add(n->ev, NULL) == -1)
		goto fail;
	xasprintf(&n->env, "NOTIFY_SOCKET=@%s", name);
	return (n);
fail:
	log_warn("%s", __func__);
	notify_free(n);
	return (NULL);
}

char *
notify_env(struct notify *n)
{
	return (n->env);
}

void
notify_free(struct notify *n)
{
	if (n == NULL)
		return;
	if (n->ev != NULL)
		event_free(n->ev);
	if (n->fd != -1)
		close(n->fd);
	free(n->env);
	free(n);
}
