/*
 * test-api: the route table (method and path to handler, 404 and 405).
 * Requests over a real socket are covered by tests/integration.
 */
#include <string.h>

#include "api.h"
#include "tap.h"

static const struct {
	const char	*method, *path;
	const char	*name;		/* expected route, NULL for an error */
	int		 status;	/* expected error status */
} cases[] = {
	{ "GET",    "/v1/status",   "status",  0 },
	{ "POST",   "/v1/start",    "start",   0 },
	{ "POST",   "/v1/stop",     "stop",    0 },
	{ "POST",   "/v1/restart",  "restart", 0 },
	{ "POST",   "/v1/backup",   "backup",  0 },
	{ "GET",    "/v1/backups",  "backups", 0 },
	{ "POST",   "/v1/restore",  "restore", 0 },
	{ "GET",    "/v1/env",      "env",     0 },
	{ "POST",   "/v1/env",      "env-switch", 0 },
	{ "DELETE", "/v1/env",      NULL,      405 },
	{ "GET",    "/v1/backup",   NULL,      405 },
	{ "POST",   "/v1/backups",  NULL,      405 },
	{ "GET",    "/v1/restore",  NULL,      405 },
	{ "POST",   "/v1/status",   NULL,      405 },
	{ "GET",    "/v1/restart",  NULL,      405 },
	{ "DELETE", "/v1/start",    NULL,      405 },
	{ "GET",    "/v1/nope",     NULL,      404 },
	{ "GET",    "/",            NULL,      404 },
	{ "GET",    "/v1/status/",  NULL,      404 },
	{ "GET",    "/v1/STATUS",   NULL,      404 },
	{ "GET",    "/v1/status/..", NULL,     404 },
	{ "GET",    "",             NULL,      404 },
};

int
main(void)
{
	size_t	i;
	int	idx, status;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		status = 0;
		idx = api_route_find(cases[i].method, cases[i].path, &status);
		if (cases[i].name != NULL)
			ok(idx >= 0 && strcmp(api_route_name(idx),
			    cases[i].name) == 0, "%s %s routes to %s",
			    cases[i].method, cases[i].path, cases[i].name);
		else
			ok(idx == -1 && status == cases[i].status,
			    "%s %s gives %d (got %d)", cases[i].method,
			    cases[i].path, cases[i].status, status);
	}
	ok(api_route_name(-1) == NULL && api_route_name(1000) == NULL,
	    "route names out of range are NULL");
	return (done());
}
