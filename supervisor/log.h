/*
 * log: the only code that writes diagnostics. Lines go to stderr or to a
 * file; under systemd (JOURNAL_STREAM set) they carry sd-daemon "<N>"
 * priority prefixes instead of timestamps. Every function saves and
 * restores errno, so callers can log on an error path and still return -1
 * with the original cause.
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>

/*
 * Send log lines to `path` ("stderr" or NULL for stderr; otherwise a file
 * opened for appending). Returns 0, or -1 with errno set and the previous
 * destination kept.
 */
int	log_open(const char *path);
/* Reopen the current log file (after rotation, on SIGHUP). */
int	log_reopen(void);
void	log_close(void);
void	log_set_debug(int);

void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_notice(const char *, ...) __attribute__((format(printf, 1, 2)));
/* log_warn appends ": strerror(errno)"; log_warnx does not. */
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_vwrite(int prio, const char *, va_list);
/* Log and exit(1). Only pitstopd.c and pitstop.c call these. */
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
