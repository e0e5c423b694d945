/*
 * parse: small value parsers shared by the configuration and the API:
 * durations, sizes, file modes, signal names, and shell-like word
 * splitting. Pure functions, no I/O, no logging: each returns 0 or -1 and,
 * on -1, points *why at a static phrase saying what was expected.
 */
#ifndef PARSE_H
#define PARSE_H

#include <stdint.h>
#include <sys/types.h>

/* "250ms", "5s", "2m", "1h", "0"; a bare number is seconds. */
int	parse_duration_ms(const char *, uint64_t *ms, const char **why);
/* "512", "64K", "16M", "1G" (binary multiples); bytes. */
int	parse_size(const char *, uint64_t *bytes, const char **why);
/* Octal mode such as "0600" or "660"; at most 0777. */
int	parse_mode(const char *, mode_t *, const char **why);
/* "TERM", "SIGTERM", "15", "INT", "HUP", "QUIT", "USR1", "USR2", "KILL". */
int	parse_signal(const char *, int *signo, const char **why);
/* Decimal integer in [min, max]. */
int	parse_int(const char *, long long min, long long max, long long *,
	    const char **why);
/* "100ms..30s": min <= max, min > 0. */
int	parse_backoff(const char *, uint64_t *min_ms, uint64_t *max_ms,
	    const char **why);
/* "5/60s": at most 5 failures in 60 seconds. */
int	parse_start_limit(const char *, unsigned *burst, uint64_t *interval_ms,
	    const char **why);
/*
 * Split `s` into words as a POSIX shell does for a simple command: blanks
 * separate words; single quotes keep everything literally; double quotes
 * keep blanks and honour \" \\ \$ \`; a backslash outside quotes escapes
 * the next character. No expansion of any kind. On success *argv is a
 * NULL-terminated array (free with parse_free_words) and *argc its length.
 * An empty command or an unterminated quote is an error.
 */
int	parse_words(const char *s, char ***argv, int *argc, const char **why);
void	parse_free_words(char **);
/* Split on blanks without quoting (listen addresses, globs, paths). */
int	parse_list(const char *s, char ***items, int *count);

#endif
