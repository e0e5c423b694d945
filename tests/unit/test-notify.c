/*
 * test-notify: parsing of sd_notify datagrams. The socket, credentials
 * and the app's lifecycle are covered by tests/integration/notify.sh.
 */
#include <string.h>

#include "notify.h"
#include "tap.h"

static int	nready;
static char	last_status[256];

static void
on_ready(void *arg)
{
	nready++;
}

static void
on_status(void *arg, const char *text)
{
	strncpy(last_status, text, sizeof last_status - 1);
}

static int
parse(const char *s, size_t len)
{
	nready = 0;
	last_status[0] = '\0';
	return (notify_parse(s, len, on_ready, on_status, NULL));
}

int
main(void)
{
	ok(parse("READY=1", 7) == 1 && nready == 1, "READY=1");
	ok(parse("READY=1\n", 8) == 1 && nready == 1, "trailing newline");
	ok(parse("STATUS=serving 3 profiles\nREADY=1", 33) == 2 &&
	    nready == 1 && strcmp(last_status, "serving 3 profiles") == 0,
	    "STATUS= and READY=1 in one datagram");
	ok(parse("READY=0", 7) == 0 && nready == 0, "READY=0 is not ready");
	ok(parse("READY=10", 8) == 0 && nready == 0, "READY=10 is not ready");
	ok(parse("STOPPING=1\nMAINPID=4\nX_FOO=bar", 29) == 0 && nready == 0,
	    "other keys are ignored");
	ok(parse("STATUS=", 7) == 1 && last_status[0] == '\0',
	    "an empty STATUS= clears the text");
	ok(parse("garbage", 7) == -1 && nready == 0, "no '=' is malformed");
	ok(parse("READY=1\0junk", 12) == -1 && nready == 0,
	    "an embedded NUL is malformed, nothing applied");
	ok(parse("", 0) == -1, "an empty datagram is malformed");
	ok(parse("\n\nREADY=1\n\n", 11) == 1 && nready == 1,
	    "empty lines are skipped");
	return (done());
}
