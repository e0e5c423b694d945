/*
 * tap: the few lines every unit test needs to print TAP for meson.
 * ok(cond, fmt, ...) prints one test line; done() prints the plan and
 * returns the exit status.
 */
#ifndef TAP_H
#define TAP_H

#include <stdarg.h>
#include <stdio.h>

static int	tap_n, tap_failed;

static int __attribute__((format(printf, 2, 3), unused))
ok(int cond, const char *fmt, ...)
{
	va_list	ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		tap_failed++;
	return (cond);
}

static int __attribute__((unused))
done(void)
{
	printf("1..%d\n", tap_n);
	return (tap_failed != 0);
}

#endif
