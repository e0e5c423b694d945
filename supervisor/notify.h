/*
 * notify: the sd_notify-protocol datagram socket pitstopd runs for its app
 * (NOTIFY_SOCKET). Accepts messages only from the app's process group,
 * judged by the sender's kernel-supplied credentials, and turns READY=1
 * and STATUS= into child events. Oversized or malformed datagrams are
 * dropped; file descriptors sent along are closed.
 */
#ifndef NOTIFY_H
#define NOTIFY_H

struct event_base;
struct child;
struct notify;

/* Create and bind the socket (abstract namespace). NULL with errno set. */
struct notify	*notify_new(struct event_base *, struct child *);
/* "NOTIFY_SOCKET=@..." for the app's environment; owned by notify. */
char		*notify_env(struct notify *);
void		 notify_free(struct notify *);

/*
 * Apply one datagram's text (exposed for the unit test): calls `ready`
 * for READY=1 and `status` for STATUS=; returns the number of lines
 * understood, or -1 when the text is not KEY=VALUE lines.
 */
int		 notify_parse(const char *buf, size_t len,
		    void (*ready)(void *), void (*status)(void *, const char *),
		    void *arg);

#endif
