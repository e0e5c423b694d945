/*
 * test-parse: every parser in parse.c against tables of good and bad
 * values. A bad value must fail and say what was expected.
 */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "tap.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static const struct {
	const char	*in;
	int		 ok;
	uint64_t	 ms;
} durations[] = {
	{ "0",			1, 0 },
	{ "0ms",		1, 0 },
	{ "250ms",		1, 250 },
	{ "5",			1, 5000 },
	{ "5s",			1, 5000 },
	{ "2m",			1, 120000 },
	{ "1h",			1, 3600000 },
	{ "18446744073709551615ms", 1, UINT64_MAX },
	{ "18446744073709551616ms", 0, 0 },	/* overflows the number */
	{ "18446744073709552s",	0, 0 },		/* overflows the product */
	{ "",			0, 0 },
	{ "-5s",		0, 0 },
	{ "+5s",		0, 0 },
	{ " 5s",		0, 0 },
	{ "5 s",		0, 0 },
	{ "5s ",		0, 0 },
	{ "1.5s",		0, 0 },
	{ "5x",			0, 0 },
	{ "5sec",		0, 0 },
	{ "ms",			0, 0 },
	{ "0x10",		0, 0 },
	{ "1m30s",		0, 0 },
};

static const struct {
	const char	*in;
	int		 ok;
	uint64_t	 bytes;
} sizes[] = {
	{ "0",		1, 0 },
	{ "512",	1, 512 },
	{ "512B",	1, 512 },
	{ "64K",	1, 65536 },
	{ "64k",	1, 65536 },
	{ "64KB",	1, 65536 },
	{ "64KiB",	1, 65536 },
	{ "16M",	1, 16777216 },
	{ "1G",		1, 1073741824 },
	{ "1GiB",	1, 1073741824 },
	{ "17179869184G", 0, 0 },
	{ "",		0, 0 },
	{ "-1",		0, 0 },
	{ "K",		0, 0 },
	{ "1T",		0, 0 },
	{ "1 K",	0, 0 },
	{ "1iB",	0, 0 },
	{ "1KBx",	0, 0 },
};

static const struct {
	const char	*in;
	int		 ok;
	mode_t		 mode;
} modes[] = {
	{ "0600",	1, 0600 },
	{ "600",	1, 0600 },
	{ "0660",	1, 0660 },
	{ "0",		1, 0 },
	{ "777",	1, 0777 },
	{ "00777",	1, 0777 },
	{ "1000",	0, 0 },
	{ "01777",	0, 0 },
	{ "0800",	0, 0 },
	{ "",		0, 0 },
	{ "rw",		0, 0 },
	{ "-600",	0, 0 },
	{ "0x1ff",	0, 0 },
};

static const struct {
	const char	*in;
	int		 ok;
	int		 signo;
} sigs[] = {
	{ "TERM",	1, SIGTERM },
	{ "SIGTERM",	1, SIGTERM },
	{ "term",	1, SIGTERM },
	{ "sigterm",	1, SIGTERM },
	{ "INT",	1, SIGINT },
	{ "HUP",	1, SIGHUP },
	{ "QUIT",	1, SIGQUIT },
	{ "USR1",	1, SIGUSR1 },
	{ "SIGUSR2",	1, SIGUSR2 },
	{ "KILL",	1, SIGKILL },
	{ "15",		1, 15 },
	{ "1",		1, 1 },
	{ "64",		1, 64 },
	{ "0",		0, 0 },
	{ "65",		0, 0 },
	{ "-15",	0, 0 },
	{ "",		0, 0 },
	{ "SIG",	0, 0 },
	{ "TERMX",	0, 0 },
	{ "SIGSIGTERM",	0, 0 },
	{ "15x",	0, 0 },
};

static const struct {
	const char	*in;
	int		 ok;
	uint64_t	 min, max;
} backoffs[] = {
	{ "100ms..30s",	1, 100, 30000 },
	{ "1s..1s",	1, 1000, 1000 },
	{ "1..2",	1, 1000, 2000 },
	{ "0..30s",	0, 0, 0 },
	{ "30s..1s",	0, 0, 0 },
	{ "100ms",	0, 0, 0 },
	{ "100ms..",	0, 0, 0 },
	{ "..30s",	0, 0, 0 },
	{ "100ms...30s", 0, 0, 0 },
	{ "100ms-30s",	0, 0, 0 },
};

static const struct {
	const char	*in;
	int		 ok;
	unsigned	 burst;
	uint64_t	 ms;
} limits[] = {
	{ "5/60s",	1, 5, 60000 },
	{ "1/1m",	1, 1, 60000 },
	{ "10/60",	1, 10, 60000 },
	{ "0/60s",	0, 0, 0 },
	{ "5/0",	0, 0, 0 },
	{ "5",		0, 0, 0 },
	{ "5/",		0, 0, 0 },
	{ "/60s",	0, 0, 0 },
	{ "-1/60s",	0, 0, 0 },
	{ "5/60x",	0, 0, 0 },
	{ "99999999999/60s", 0, 0, 0 },
};

/* Expected words joined with '|'; NULL when splitting must fail. */
static const struct {
	const char	*in;
	const char	*words;
	const char	*why;		/* part of the reason on failure */
} words[] = {
	{ "app",			"app", NULL },
	{ "  a   b\tc  ",		"a|b|c", NULL },
	{ "build/app --listen 127.0.0.1:5001",
	    "build/app|--listen|127.0.0.1:5001", NULL },
	{ "a 'b c' d",			"a|b c|d", NULL },
	{ "a 'it''s'",			"a|its", NULL },
	{ "a '\\n $x'",			"a|\\n $x", NULL },
	{ "a \"b c\"",			"a|b c", NULL },
	{ "a \"\\\"q\\\" \\\\ \\$ \\`\"", "a|\"q\" \\ $ `", NULL },
	{ "a \"\\n\"",			"a|\\n", NULL },
	{ "a b\\ c",			"a|b c", NULL },
	{ "a \\'b\\'",			"a|'b'", NULL },
	{ "a ''",			"a|", NULL },
	{ "a \"\" b",			"a||b", NULL },
	{ "x'y'\"z\"w",			"xyzw", NULL },
	{ "a $HOME *",			"a|$HOME|*", NULL },
	{ "",				NULL, "empty" },
	{ "   \t ",			NULL, "empty" },
	{ "a 'b",			NULL, "unterminated single quote" },
	{ "a \"b",			NULL, "unterminated double quote" },
	{ "a \"b\\\"",			NULL, "unterminated double quote" },
	{ "a b\\",			NULL, "backslash" },
};

static char *
join(char **v)
{
	static char	 buf[256];
	size_t		 len = 0;
	int		 i;

	buf[0] = '\0';
	for (i = 0; v[i] != NULL && len < sizeof(buf); i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s",
		    i > 0 ? "|" : "", v[i]);
	return (buf);
}

static void
test_durations(void)
{
	const char	*why;
	uint64_t	 ms;
	size_t		 i;
	int		 rv;

	for (i = 0; i < NITEMS(durations); i++) {
		why = NULL;
		ms = 12345;
		rv = parse_duration_ms(durations[i].in, &ms, &why);
		if (durations[i].ok)
			ok(rv == 0 && ms == durations[i].ms,
			    "duration '%s' is %llu ms (got %llu)",
			    durations[i].in,
			    (unsigned long long)durations[i].ms,
			    (unsigned long long)ms);
		else
			ok(rv == -1 && why != NULL && strstr(why, "duration") &&
			    ms == 12345, "duration '%s' is refused: %s",
			    durations[i].in, why ? why : "(no reason)");
	}
}

static void
test_sizes(void)
{
	const char	*why;
	uint64_t	 n;
	size_t		 i;
	int		 rv;

	for (i = 0; i < NITEMS(sizes); i++) {
		why = NULL;
		n = 7;
		rv = parse_size(sizes[i].in, &n, &why);
		if (sizes[i].ok)
			ok(rv == 0 && n == sizes[i].bytes,
			    "size '%s' is %llu bytes", sizes[i].in,
			    (unsigned long long)sizes[i].bytes);
		else
			ok(rv == -1 && why != NULL && strstr(why, "size") &&
			    n == 7, "size '%s' is refused", sizes[i].in);
	}
}

static void
test_modes(void)
{
	const char	*why;
	mode_t		 m;
	size_t		 i;
	int		 rv;

	for (i = 0; i < NITEMS(modes); i++) {
		why = NULL;
		m = 01234;
		rv = parse_mode(modes[i].in, &m, &why);
		if (modes[i].ok)
			ok(rv == 0 && m == modes[i].mode, "mode '%s' is %04o",
			    modes[i].in, (unsigned)modes[i].mode);
		else
			ok(rv == -1 && why != NULL && strstr(why, "octal") &&
			    m == 01234, "mode '%s' is refused", modes[i].in);
	}
}

static void
test_signals(void)
{
	const char	*why;
	size_t		 i;
	int		 rv, s;

	for (i = 0; i < NITEMS(sigs); i++) {
		why = NULL;
		s = -7;
		rv = parse_signal(sigs[i].in, &s, &why);
		if (sigs[i].ok)
			ok(rv == 0 && s == sigs[i].signo, "signal '%s' is %d",
			    sigs[i].in, sigs[i].signo);
		else
			ok(rv == -1 && why != NULL && strstr(why, "signal") &&
			    s == -7, "signal '%s' is refused", sigs[i].in);
	}
}

static void
test_ints(void)
{
	const char	*why = NULL;
	long long	 v = 0;

	ok(parse_int("20", 1, 100, &v, &why) == 0 && v == 20, "int 20");
	ok(parse_int("-3", -5, 5, &v, &why) == 0 && v == -3, "int -3");
	ok(parse_int("1", 1, 1, &v, &why) == 0 && v == 1, "int at min=max");
	ok(parse_int("-9223372036854775808", LLONG_MIN, 0, &v, &why) == 0 &&
	    v == LLONG_MIN, "int LLONG_MIN");
	ok(parse_int("9223372036854775808", 0, LLONG_MAX, &v, &why) == -1,
	    "int above LLONG_MAX is refused");
	v = 99;
	ok(parse_int("0", 1, 100, &v, &why) == -1 && v == 99 &&
	    strstr(why, "from 1 to 100") != NULL, "int below min: %s", why);
	ok(parse_int("101", 1, 100, &v, &why) == -1, "int above max");
	ok(parse_int("", 1, 100, &v, &why) == -1, "empty int");
	ok(parse_int("1x", 1, 100, &v, &why) == -1, "int with garbage");
	ok(parse_int(" 1", 1, 100, &v, &why) == -1, "int with a blank");
	ok(parse_int("+1", 1, 100, &v, &why) == -1, "int with a plus");
	ok(parse_int("-", -5, 5, &v, &why) == -1, "lone minus");
}

static void
test_backoffs(void)
{
	const char	*why;
	uint64_t	 a, b;
	size_t		 i;
	int		 rv;

	for (i = 0; i < NITEMS(backoffs); i++) {
		why = NULL;
		a = b = 3;
		rv = parse_backoff(backoffs[i].in, &a, &b, &why);
		if (backoffs[i].ok)
			ok(rv == 0 && a == backoffs[i].min &&
			    b == backoffs[i].max, "backoff '%s'",
			    backoffs[i].in);
		else
			ok(rv == -1 && why != NULL && strstr(why, "MIN..MAX") &&
			    a == 3 && b == 3, "backoff '%s' is refused",
			    backoffs[i].in);
	}
}

static void
test_limits(void)
{
	const char	*why;
	unsigned	 burst;
	uint64_t	 ms;
	size_t		 i;
	int		 rv;

	for (i = 0; i < NITEMS(limits); i++) {
		why = NULL;
		burst = 3;
		ms = 3;
		rv = parse_start_limit(limits[i].in, &burst, &ms, &why);
		if (limits[i].ok)
			ok(rv == 0 && burst == limits[i].burst &&
			    ms == limits[i].ms, "start_limit '%s'",
			    limits[i].in);
		else
			ok(rv == -1 && why != NULL && strstr(why, "5/60s") &&
			    burst == 3 && ms == 3, "start_limit '%s' is refused",
			    limits[i].in);
	}
}

static void
test_words(void)
{
	const char	 *why;
	char		**argv;
	int		  argc, rv;
	size_t		  i;

	for (i = 0; i < NITEMS(words); i++) {
		why = NULL;
		argv = NULL;
		argc = -1;
		rv = parse_words(words[i].in, &argv, &argc, &why);
		if (words[i].words != NULL) {
			ok(rv == 0 && argv != NULL && argv[argc] == NULL &&
			    strcmp(join(argv), words[i].words) == 0,
			    "words [%s] -> [%s] (got [%s])", words[i].in,
			    words[i].words, rv == 0 ? join(argv) : why);
			parse_free_words(argv);
		} else
			ok(rv == -1 && argv == NULL && why != NULL &&
			    strstr(why, words[i].why) != NULL,
			    "words [%s] refused: %s", words[i].in,
			    why ? why : "(no reason)");
	}
}

static void
test_lists(void)
{
	char	**items;
	int	  n;

	ok(parse_list("", &items, &n) == 0 && n == 0 && items != NULL &&
	    items[0] == NULL, "empty list");
	parse_free_words(items);
	ok(parse_list(" \t ", &items, &n) == 0 && n == 0, "blank list");
	parse_free_words(items);
	ok(parse_list("*.pyc .git", &items, &n) == 0 && n == 2 &&
	    strcmp(items[0], "*.pyc") == 0 && strcmp(items[1], ".git") == 0 &&
	    items[2] == NULL, "two globs");
	parse_free_words(items);
	ok(parse_list("\ta  'b c'\t", &items, &n) == 0 && n == 3 &&
	    strcmp(items[1], "'b") == 0, "no quoting in lists");
	parse_free_words(items);
	parse_free_words(NULL);
	ok(1, "parse_free_words(NULL) does nothing");
}

int
main(void)
{
	test_durations();
	test_sizes();
	test_modes();
	test_signals();
	test_ints();
	test_backoffs();
	test_limits();
	test_words();
	test_lists();
	return (done());
}
