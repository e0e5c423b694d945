/*
 * log: formatting and writing of diagnostic lines. Owns the log file
 * descriptor; knows nothing about what is being logged.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int	 log_fd = STDERR_FILENO;
static char	*log_path;
static int	 log_debug_on;
static int	 log_journal = -1;	/* -1: not yet looked at */

static int
log_is_journal(void)
{
	if (log_journal == -1)
		log_journal = getenv("JOURNAL_STREAM") != NULL;
	return (log_journal && log_fd == STDERR_FILENO);
}

int
log_open(const char *path)
{
	int	 fd;
	char	*copy;

	if (path == NULL || strcmp(path, "stderr") == 0) {
		log_close();
		return (0);
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd == -1)
		return (-1);
	if ((copy = strdup(path)) == NULL) {
		close(fd);
		return (-1);
	}
	log_close();
	log_fd = fd;
	log_path = copy;
	return (0);
}

int
log_reopen(void)
{
	char	*path;
	int	 rv;

	if (log_path == NULL)
		return (0);
	if ((path = strdup(log_path)) == NULL)
		return (-1);
	rv = log_open(path);
	free(path);
	return (rv);
}

void
log_close(void)
{
	if (log_fd != STDERR_FILENO)
		close(log_fd);
	log_fd = STDERR_FILENO;
	free(log_path);
	log_path = NULL;
}

void
log_set_debug(int on)
{
	log_debug_on = on;
}

void
log_vwrite(int prio, const char *fmt, va_list ap)
{
	char		 line[2048];
	size_t		 len = 0;
	int		 n, saved_errno = errno;
	struct timespec	 ts;
	struct tm	 tm;

	if (prio == LOG_DEBUG && !log_debug_on)
		return;
	if (log_is_journal())
		len = snprintf(line, sizeof line, "<%d>", prio);
	else {
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		len = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
		len += snprintf(line + len, sizeof line - len, ".%03ldZ pitstopd: ",
		    ts.tv_nsec / 1000000);
	}
	n = vsnprintf(line + len, sizeof line - len - 1, fmt, ap);
	if (n < 0)
		n = 0;
	len += (size_t)n;
	if (len > sizeof line - 2)
		len = sizeof line - 2;
	line[len++] = '\n';
	/* One write per line so that concurrent writers never interleave. */
	(void)write(log_fd, line, len);
	errno = saved_errno;
}

#define LOG_FN(name, prio)					\
void								\
name(const char *fmt, ...)					\
{								\
	va_list	ap;						\
								\
	va_start(ap, fmt);					\
	log_vwrite(prio, fmt, ap);				\
	va_end(ap);						\
}

LOG_FN(log_debug, LOG_DEBUG)
LOG_FN(log_info, LOG_INFO)
LOG_FN(log_notice, LOG_NOTICE)
LOG_FN(log_warnx, LOG_WARNING)

static void
log_print(int prio, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(prio, fmt, ap);
	va_end(ap);
}

/* Format the caller's message, then append the text of the saved errno. */
static void
log_verr(int prio, const char *fmt, va_list ap)
{
	char	buf[1024];
	int	saved_errno = errno;

	vsnprintf(buf, sizeof buf, fmt, ap);
	log_print(prio, "%s: %s", buf, strerror(saved_errno));
	errno = saved_errno;
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_verr(LOG_WARNING, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_verr(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}
