/*
 * sdnotify: pitstopd's own messages to its service manager when started
 * with NOTIFY_SOCKET (systemd Type=notify or notify-reload): READY=1,
 * STATUS=, RELOADING=1 with MONOTONIC_USEC, STOPPING=1, and WATCHDOG=1
 * every half of WATCHDOG_USEC. Without NOTIFY_SOCKET every call does
 * nothing.
 */
#ifndef SDNOTIFY_H
#define SDNOTIFY_H

struct event_base;

/* Read the environment and start the watchdog timer. 0 or -1/errno. */
int	sdnotify_init(struct event_base *);
void	sdnotify_ready(void);
void	sdnotify_reloading(void);
void	sdnotify_stopping(void);
void	sdnotify_status(const char *, ...) __attribute__((format(printf, 1, 2)));
void	sdnotify_free(void);

#endif
