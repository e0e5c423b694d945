/*
 * pitbench: the small timing tools of scripts/bench, one per row of
 * cmds[]. Each prints one line of key=value results on stdout; times are
 * in microseconds.
 *
 *   pitbench status SOCKET N [conn]
 *	N GET /v1/status round trips on one keep-alive connection to the
 *	Unix socket (or a new connection each with "conn"): n, errors,
 *	min/median/p99/max and requests per second.
 *   pitbench restart ADDR TIMEOUT_MS CMD [ARG...]
 *	Note the app's pid from GET /healthz on ADDR, run CMD, and poll
 *	/healthz until a different pid answers: latency from CMD's exec to
 *	that answer, and CMD's own run time and exit status.
 *   pitbench backup SOCKET [MARK...]
 *	POST /v1/backup on the Unix socket and, while it runs, poll GET
 *	/v1/status on a second connection every millisecond: the request's
 *	time, and when the operation's progress first reached each MARK
 *	(a fraction such as 0.8; -1 if never seen), and the slowest status
 *	round trip meanwhile (SPEC §5: the daemon keeps answering).
 *   pitbench exec N CMD [ARG...]
 *	Run CMD N times (fork, exec, wait; output to /dev/null): min,
 *	median, p95, max and how many runs exited non-zero.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http.h"

#define BUF_SIZE	(64 * 1024)

static int	cmd_status(int, char **);
static int	cmd_restart(int, char **);
static int	cmd_exec(int, char **);
static int	cmd_backup(int, char **);

static const struct {
	const char	*name;
	int		 minargs;
	int		(*fn)(int, char **);
	const char	*usage;
} cmds[] = {
	{ "status", 2, cmd_status, "status SOCKET N [conn]" },
	{ "restart", 3, cmd_restart, "restart ADDR TIMEOUT_MS CMD [ARG...]" },
	{ "exec", 2, cmd_exec, "exec N CMD [ARG...]" },
	{ "backup", 1, cmd_backup, "backup SOCKET [MARK...]" },
};

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t	 x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x < y ? -1 : x > y);
}

/* Nearest-rank percentile of sorted v[0..n). */
static double
pct_us(const uint64_t *v, size_t n, double p)
{
	size_t	 i;

	if (n == 0)
		return (0);
	i = (size_t)(p * (double)n + 0.999999);
	if (i < 1)
		i = 1;
	if (i > n)
		i = n;
	return ((double)v[i - 1] / 1e3);
}

static double
median_us(const uint64_t *v, size_t n)
{
	if (n == 0)
		return (0);
	if (n % 2 == 1)
		return ((double)v[n / 2] / 1e3);
	return ((double)(v[n / 2 - 1] + v[n / 2]) / 2e3);
}

static int
cmd_status(int argc, char **argv)
{
	static const char req_ka[] = "GET /v1/status HTTP/1.1\r\n"
	    "Host: localhost\r\n\r\n";
	static const char req_close[] = "GET /v1/status HTTP/1.1\r\n"
	    "Host: localhost\r\nConnection: close\r\n\r\n";
	struct http_addr	 a;
	struct http_answer	 ans;
	const char		*req;
	char			*buf;
	uint64_t		*t, start, t0, end;
	size_t			 n, i, done = 0, reqlen;
	unsigned long		 errors = 0;
	int			 fd = -1, conn;

	if (http_addr_parse(&a, argv[0]) == -1) {
		fprintf(stderr, "pitbench: bad socket %s\n", argv[0]);
		return (2);
	}
	n = strtoul(argv[1], NULL, 10);
	conn = argc > 2 && strcmp(argv[2], "conn") == 0;
	req = conn ? req_close : req_ka;
	reqlen = strlen(req);
	if (n == 0 || (t = calloc(n, sizeof *t)) == NULL ||
	    (buf = malloc(BUF_SIZE)) == NULL)
		return (1);
	t0 = http_now_ns();
	for (i = 0; i < n; i++) {
		start = http_now_ns();
		if (fd == -1 && (fd = http_connect(&a,
		    start + 10000000000ULL)) == -1) {
			errors++;
			continue;
		}
		memset(&ans, 0, sizeof ans);
		if (http_exchange(fd, req, reqlen, buf, BUF_SIZE,
		    start + 10000000000ULL, conn, &ans) == -1 ||
		    ans.status != 200) {
			errors++;
			close(fd);
			fd = -1;
			continue;
		}
		end = http_now_ns();
		t[done++] = end - start;
		if (conn || ans.close) {
			close(fd);
			fd = -1;
		}
	}
	end = http_now_ns();
	if (fd != -1)
		close(fd);
	qsort(t, done, sizeof *t, cmp_u64);
	printf("n=%zu errors=%lu min_us=%.1f median_us=%.1f p99_us=%.1f "
	    "max_us=%.1f rps=%.0f\n", done, errors,
	    done ? (double)t[0] / 1e3 : 0.0, median_us(t, done),
	    pct_us(t, done, 0.99), done ? (double)t[done - 1] / 1e3 : 0.0,
	    (double)done / ((double)(end - t0) / 1e9));
	free(buf);
	free(t);
	return (errors == n);
}

/* The pid in one /healthz answer from a, or -1 (errno says why). */
static long long
healthz_pid(const struct http_addr *a, char *buf, uint64_t deadline)
{
	static const char req[] = "GET /healthz HTTP/1.1\r\nHost: bench\r\n"
	    "Connection: close\r\n\r\n";
	struct http_answer	 ans;
	int			 fd, rv;

	if ((fd = http_connect(a, deadline)) == -1)
		return (-1);
	memset(&ans, 0, sizeof ans);
	rv = http_exchange(fd, req, sizeof req - 1, buf, BUF_SIZE, deadline,
	    0, &ans);
	close(fd);
	if (rv == -1)
		return (-1);
	if (ans.status != 200) {
		errno = EPROTO;
		return (-1);
	}
	return (http_json_int(ans.body, "pid"));
}

static pid_t
spawn(char **argv)
{
	pid_t	 pid;
	int	 fd;

	switch (pid = fork()) {
	case -1:
		return (-1);
	case 0:
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			if (fd > 2)
				close(fd);
		}
		execvp(argv[0], argv);
		_exit(127);
	default:
		return (pid);
	}
}

static int
cmd_restart(int argc, char **argv)
{
	struct http_addr	 a;
	char			*buf;
	uint64_t		 deadline, t0, seen = 0, cmd_end = 0, now;
	long long		 old = -1, pid;
	pid_t			 child;
	int			 status = 0, reaped = 0, rv;
	const struct timespec	 pause = { 0, 100000 };	/* 100 us */

	(void)argc;
	if (http_addr_parse(&a, argv[0]) == -1) {
		fprintf(stderr, "pitbench: bad address %s\n", argv[0]);
		return (2);
	}
	if ((buf = malloc(BUF_SIZE)) == NULL)
		return (1);
	deadline = http_now_ns() + (uint64_t)atoll(argv[1]) * 1000000ULL;
	while ((old = healthz_pid(&a, buf, deadline)) == -1) {
		if (http_now_ns() >= deadline) {
			printf("error=no_app_before\n");
			return (1);
		}
		nanosleep(&pause, NULL);
	}
	t0 = http_now_ns();
	if ((child = spawn(argv + 2)) == -1) {
		perror("pitbench: fork");
		return (1);
	}
	pid = old;
	while (seen == 0 || !reaped) {
		now = http_now_ns();
		if (now >= deadline)
			break;
		if (!reaped) {
			rv = waitpid(child, &status, WNOHANG);
			if (rv == child) {
				reaped = 1;
				cmd_end = http_now_ns();
			}
		}
		if (seen != 0) {
			if (!reaped)
				nanosleep(&pause, NULL);
			continue;
		}
		pid = healthz_pid(&a, buf, deadline);
		if (pid != -1 && pid != old)
			seen = http_now_ns();
		else
			nanosleep(&pause, NULL);
	}
	if (!reaped) {
		kill(child, SIGKILL);
		waitpid(child, &status, 0);
		cmd_end = http_now_ns();
	}
	if (seen == 0) {
		printf("error=timeout old_pid=%lld cmd_us=%.0f\n", old,
		    (double)(cmd_end - t0) / 1e3);
		free(buf);
		return (1);
	}
	printf("latency_us=%.0f cmd_us=%.0f cmd_status=%d old_pid=%lld "
	    "new_pid=%lld\n", (double)(seen - t0) / 1e3,
	    (double)(cmd_end - t0) / 1e3,
	    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
	    old, pid);
	free(buf);
	return (0);
}

static int
cmd_exec(int argc, char **argv)
{
	uint64_t	*t, start;
	size_t		 n, i;
	unsigned long	 nonzero = 0;
	pid_t		 child;
	int		 status;

	(void)argc;
	n = strtoul(argv[0], NULL, 10);
	if (n == 0 || (t = calloc(n, sizeof *t)) == NULL)
		return (2);
	for (i = 0; i < n; i++) {
		start = http_now_ns();
		if ((child = spawn(argv + 1)) == -1) {
			perror("pitbench: fork");
			return (1);
		}
		while (waitpid(child, &status, 0) == -1 && errno == EINTR)
			;
		t[i] = http_now_ns() - start;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			nonzero++;
	}
	qsort(t, n, sizeof *t, cmp_u64);
	printf("n=%zu nonzero=%lu min_us=%.1f median_us=%.1f p95_us=%.1f "
	    "max_us=%.1f\n", n, nonzero, (double)t[0] / 1e3,
	    median_us(t, n), pct_us(t, n, 0.95), (double)t[n - 1] / 1e3);
	free(t);
	return (0);
}

#define MAX_MARKS	8

static int
cmd_backup(int argc, char **argv)
{
	static const char post[] = "POST /v1/backup HTTP/1.1\r\n"
	    "Host: localhost\r\nContent-Length: 0\r\n"
	    "Connection: close\r\n\r\n";
	static const char get[] = "GET /v1/status HTTP/1.1\r\n"
	    "Host: localhost\r\n\r\n";
	struct http_addr	 a;
	struct http_answer	 ans;
	struct pollfd		 pfd;
	const struct timespec	 ms1 = { 0, 1000000 };
	double			 mark[MAX_MARKS], progress;
	uint64_t		 seen[MAX_MARKS] = { 0 }, t0, deadline;
	const char		*p;
	char			*buf;
	int			 nmarks = argc - 1, i, fd, sfd = -1, n;
	unsigned long		 polls = 0;
	uint64_t		 q0, rtt, max_rtt = 0;

	if (http_addr_parse(&a, argv[0]) == -1 || nmarks > MAX_MARKS) {
		fprintf(stderr, "pitbench: bad arguments\n");
		return (2);
	}
	for (i = 0; i < nmarks; i++)
		mark[i] = strtod(argv[i + 1], NULL);
	if ((buf = malloc(BUF_SIZE)) == NULL)
		return (1);
	t0 = http_now_ns();
	deadline = t0 + 3600ULL * 1000000000ULL;
	if ((fd = http_connect(&a, deadline)) == -1 ||
	    http_send(fd, post, sizeof post - 1, deadline) == -1) {
		printf("error=%s\n", strerror(errno));
		return (1);
	}
	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if ((n = poll(&pfd, 1, 0)) == -1 && errno != EINTR)
			break;
		if (n > 0)
			break;		/* the answer is coming */
		if (sfd == -1)
			sfd = http_connect(&a, deadline);
		memset(&ans, 0, sizeof ans);
		q0 = http_now_ns();
		if (sfd != -1 && http_exchange(sfd, get, sizeof get - 1, buf,
		    BUF_SIZE, http_now_ns() + 10000000000ULL, 0, &ans) == 0) {
			polls++;
			if ((rtt = http_now_ns() - q0) > max_rtt)
				max_rtt = rtt;
			if ((p = strstr(ans.body, "\"progress\":")) != NULL) {
				progress = strtod(p + 11, NULL);
				for (i = 0; i < nmarks; i++)
					if (seen[i] == 0 && progress >= mark[i])
						seen[i] = http_now_ns();
			}
			if (ans.close) {
				close(sfd);
				sfd = -1;
			}
		} else if (sfd != -1) {
			close(sfd);
			sfd = -1;
		}
		nanosleep(&ms1, NULL);
	}
	memset(&ans, 0, sizeof ans);
	if (http_exchange(fd, NULL, 0, buf, BUF_SIZE, deadline, 0,
	    &ans) == -1) {
		printf("error=%s\n", strerror(errno));
		return (1);
	}
	printf("status=%d seconds=%.6f polls=%lu status_max_ms=%.3f "
	    "bytes=%lld", ans.status, (double)(http_now_ns() - t0) / 1e9,
	    polls, (double)max_rtt / 1e6, http_json_int(ans.body, "bytes"));
	for (i = 0; i < nmarks; i++)
		printf(" mark%d=%.6f", i, seen[i] ? (double)(seen[i] - t0) /
		    1e9 : -1.0);
	printf("\n");
	close(fd);
	if (sfd != -1)
		close(sfd);
	free(buf);
	return (ans.status == 201 ? 0 : 1);
}

int
main(int argc, char *argv[])
{
	size_t	 i;

	signal(SIGPIPE, SIG_IGN);
	if (argc >= 2)
		for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
			if (strcmp(argv[1], cmds[i].name) == 0) {
				if (argc - 2 < cmds[i].minargs)
					break;
				return (cmds[i].fn(argc - 2, argv + 2));
			}
	for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		fprintf(stderr, "%s pitbench %s\n", i ? "      " : "usage:",
		    cmds[i].usage);
	return (2);
}
