/*
 * parse: value parsers for durations, sizes, modes, signals, integers,
 * backoff ranges, start limits and shell-like words. They only look at the
 * string they are given: no I/O, no logging, no locale. What a value means
 * (a timeout, a socket mode) is the caller's business; on a bad value each
 * parser returns -1 and says in *why what it expected, so the caller can
 * wrap that in a message naming the file, line and key.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parse.h"
#include "xmalloc.h"

#define DURATION_WHY	"a duration such as 250ms, 5s, 2m or 1h"

static const struct {
	const char	*name;
	int		 signo;
} signals[] = {
	{ "HUP",	SIGHUP },
	{ "INT",	SIGINT },
	{ "QUIT",	SIGQUIT },
	{ "ILL",	SIGILL },
	{ "TRAP",	SIGTRAP },
	{ "ABRT",	SIGABRT },
	{ "IOT",	SIGIOT },
	{ "BUS",	SIGBUS },
	{ "FPE",	SIGFPE },
	{ "KILL",	SIGKILL },
	{ "USR1",	SIGUSR1 },
	{ "SEGV",	SIGSEGV },
	{ "USR2",	SIGUSR2 },
	{ "PIPE",	SIGPIPE },
	{ "ALRM",	SIGALRM },
	{ "TERM",	SIGTERM },
	{ "CHLD",	SIGCHLD },
	{ "CONT",	SIGCONT },
	{ "STOP",	SIGSTOP },
	{ "TSTP",	SIGTSTP },
	{ "TTIN",	SIGTTIN },
	{ "TTOU",	SIGTTOU },
	{ "URG",	SIGURG },
	{ "XCPU",	SIGXCPU },
	{ "XFSZ",	SIGXFSZ },
	{ "VTALRM",	SIGVTALRM },
	{ "PROF",	SIGPROF },
	{ "WINCH",	SIGWINCH },
	{ "IO",		SIGIO },
	{ "POLL",	SIGPOLL },
	{ "PWR",	SIGPWR },
	{ "SYS",	SIGSYS },
};

/*
 * Read the decimal digits at *sp into *v and advance *sp past them. The
 * libc strto*() functions accept blanks, signs and "0x", none of which
 * belongs in a configuration value, so the digits are read by hand.
 * Returns 0, or -1 when there is no digit or the number overflows.
 */
static int
parse_digits(const char **sp, uint64_t *v)
{
	const char	*s = *sp;
	uint64_t	 n = 0;

	if (*s < '0' || *s > '9')
		return (-1);
	for (; *s >= '0' && *s <= '9'; s++) {
		if (n > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return (-1);
		n = n * 10 + (uint64_t)(*s - '0');
	}
	*sp = s;
	*v = n;
	return (0);
}

int
parse_duration_ms(const char *s, uint64_t *ms, const char **why)
{
	uint64_t	 n, mult;

	if (parse_digits(&s, &n) == -1)
		goto fail;
	if (*s == '\0' || strcmp(s, "s") == 0)
		mult = 1000;
	else if (strcmp(s, "ms") == 0)
		mult = 1;
	else if (strcmp(s, "m") == 0)
		mult = 60 * 1000;
	else if (strcmp(s, "h") == 0)
		mult = 60 * 60 * 1000;
	else
		goto fail;
	if (n > UINT64_MAX / mult)
		goto fail;
	*ms = n * mult;
	return (0);
fail:
	*why = DURATION_WHY;
	return (-1);
}

int
parse_size(const char *s, uint64_t *bytes, const char **why)
{
	uint64_t	 n, mult = 1;

	if (parse_digits(&s, &n) == -1)
		goto fail;
	switch (*s) {
	case 'k':
	case 'K':
		mult = 1024;
		s++;
		break;
	case 'm':
	case 'M':
		mult = 1024 * 1024;
		s++;
		break;
	case 'g':
	case 'G':
		mult = 1024 * 1024 * 1024;
		s++;
		break;
	}
	/* "64KiB" and "64KB" both mean 64 * 1024, as in most tools. */
	if (mult != 1 && *s == 'i')
		s++;
	if (*s == 'B' || *s == 'b')
		s++;
	if (*s != '\0' || n > UINT64_MAX / mult)
		goto fail;
	*bytes = n * mult;
	return (0);
fail:
	*why = "a size such as 512, 64K, 16M or 1G";
	return (-1);
}

int
parse_mode(const char *s, mode_t *mode, const char **why)
{
	unsigned	 m = 0;

	if (*s == '\0')
		goto fail;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '7')
			goto fail;
		m = m * 8 + (unsigned)(*s - '0');
		if (m > 0777)
			goto fail;
	}
	*mode = (mode_t)m;
	return (0);
fail:
	*why = "an octal mode no wider than 0777, such as 0600";
	return (-1);
}

int
parse_signal(const char *s, int *signo, const char **why)
{
	const char	*name = s;
	uint64_t	 n;
	size_t		 i;

	if (*s >= '0' && *s <= '9') {
		if (parse_digits(&s, &n) == -1 || *s != '\0' || n < 1 ||
		    n > 64)
			goto fail;
		*signo = (int)n;
		return (0);
	}
	if (strncasecmp(name, "SIG", 3) == 0)
		name += 3;
	for (i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
		if (strcasecmp(name, signals[i].name) == 0) {
			*signo = signals[i].signo;
			return (0);
		}
	}
fail:
	*why = "a signal name such as TERM, INT or HUP, or a number 1..64";
	return (-1);
}

int
parse_int(const char *s, long long min, long long max, long long *v,
    const char **why)
{
	/* Per thread, so that the API and a backup worker cannot mix. */
	static _Thread_local char	 buf[80];
	const char			*p = s;
	uint64_t			 n;
	long long			 x;
	int				 neg = 0;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	if (parse_digits(&p, &n) == -1 || *p != '\0')
		goto fail;
	if (neg) {
		if (n > (uint64_t)LLONG_MAX + 1)
			goto fail;
		x = n == (uint64_t)LLONG_MAX + 1 ? LLONG_MIN : -(long long)n;
	} else {
		if (n > (uint64_t)LLONG_MAX)
			goto fail;
		x = (long long)n;
	}
	if (x < min || x > max)
		goto fail;
	*v = x;
	return (0);
fail:
	(void)snprintf(buf, sizeof(buf), "an integer from %lld to %lld",
	    min, max);
	*why = buf;
	return (-1);
}

int
parse_backoff(const char *s, uint64_t *min_ms, uint64_t *max_ms,
    const char **why)
{
	const char	*dots, *dummy;
	char		*lo;
	uint64_t	 a, b;
	int		 bad;

	*why = "MIN..MAX with 0 < MIN <= MAX, such as 100ms..30s";
	if ((dots = strstr(s, "..")) == NULL)
		return (-1);
	lo = xstrndup(s, (size_t)(dots - s));
	bad = parse_duration_ms(lo, &a, &dummy) == -1 ||
	    parse_duration_ms(dots + 2, &b, &dummy) == -1;
	free(lo);
	if (bad || a == 0 || a > b)
		return (-1);
	*min_ms = a;
	*max_ms = b;
	return (0);
}

int
parse_start_limit(const char *s, unsigned *burst, uint64_t *interval_ms,
    const char **why)
{
	uint64_t	 n, ms;
	const char	*dummy;

	*why = "FAILURES/INTERVAL with both above 0, such as 5/60s";
	if (parse_digits(&s, &n) == -1 || *s != '/' || n < 1 || n > INT_MAX)
		return (-1);
	if (parse_duration_ms(s + 1, &ms, &dummy) == -1 || ms == 0)
		return (-1);
	*burst = (unsigned)n;
	*interval_ms = ms;
	return (0);
}

/* Append one character to the word being built. */
static void
words_putc(char **w, size_t *len, size_t *size, char c)
{
	if (*len + 1 >= *size) {
		*size = *size == 0 ? 32 : *size * 2;
		*w = xreallocarray(*w, *size, 1);
	}
	(*w)[(*len)++] = c;
	(*w)[*len] = '\0';
}

static void
words_push(char ***argv, int *argc, char *word)
{
	*argv = xreallocarray(*argv, (size_t)*argc + 2, sizeof(**argv));
	(*argv)[(*argc)++] = word;
	(*argv)[*argc] = NULL;
}

int
parse_words(const char *s, char ***argvp, int *argcp, const char **why)
{
	char	**argv = NULL, *w = NULL;
	size_t	  len = 0, size = 0;
	int	  argc = 0, inword = 0;

	for (; *s != '\0'; s++) {
		switch (*s) {
		case ' ':
		case '\t':
		case '\n':
			if (inword) {
				words_push(&argv, &argc, w);
				w = NULL;
				len = size = 0;
				inword = 0;
			}
			continue;
		case '\'':
			/* An empty pair of quotes still makes a word. */
			inword = 1;
			words_putc(&w, &len, &size, '\0');
			len--;
			for (s++; *s != '\'' && *s != '\0'; s++)
				words_putc(&w, &len, &size, *s);
			if (*s == '\0') {
				*why = "unterminated single quote";
				goto fail;
			}
			continue;
		case '"':
			inword = 1;
			words_putc(&w, &len, &size, '\0');
			len--;
			for (s++; *s != '"' && *s != '\0'; s++) {
				/*
				 * Inside double quotes a backslash only
				 * escapes the characters that would
				 * otherwise be special there; before any
				 * other character it stays literal.
				 */
				if (*s == '\\' && s[1] != '\0' &&
				    strchr("\"\\$`", s[1]) != NULL)
					s++;
				words_putc(&w, &len, &size, *s);
			}
			if (*s == '\0') {
				*why = "unterminated double quote";
				goto fail;
			}
			continue;
		case '\\':
			if (s[1] == '\0') {
				*why = "a character after the final backslash";
				goto fail;
			}
			s++;
			inword = 1;
			words_putc(&w, &len, &size, *s);
			continue;
		default:
			inword = 1;
			words_putc(&w, &len, &size, *s);
			continue;
		}
	}
	if (inword)
		words_push(&argv, &argc, w);
	if (argc == 0) {
		*why = "a command, not an empty string";
		return (-1);
	}
	*argvp = argv;
	*argcp = argc;
	return (0);
fail:
	free(w);
	parse_free_words(argv);
	return (-1);
}

void
parse_free_words(char **argv)
{
	char	**p;

	if (argv == NULL)
		return;
	for (p = argv; *p != NULL; p++)
		free(*p);
	free(argv);
}

int
parse_list(const char *s, char ***itemsp, int *countp)
{
	char	**items;
	int	  count = 0;
	size_t	  n;

	items = xcalloc(1, sizeof(*items));
	for (;;) {
		s += strspn(s, " \t\n");
		if (*s == '\0')
			break;
		n = strcspn(s, " \t\n");
		items = xreallocarray(items, (size_t)count + 2,
		    sizeof(*items));
		items[count++] = xstrndup(s, n);
		items[count] = NULL;
		s += n;
	}
	*itemsp = items;
	*countp = count;
	return (0);
}
