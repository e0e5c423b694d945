/*
 * loadgen: the load generator of scripts/bench. N worker threads send
 * short requests (a new connection per request unless -k) to one HTTP
 * address as fast as they can, and count every answer: ok (2xx), or a
 * failure by kind: connect refused, reset (RST, or closed before a whole
 * answer), timeout, bad status, other (the last such errno is named).
 * It also tracks the longest client-seen gap: the longest time during
 * which no request anywhere completed successfully.
 *
 * usage: loadgen [-c workers] [-t timeout_ms] [-k] [-m METHOD] [-b BODY]
 *                [-d seconds] ADDR PATH
 *
 * ADDR is HOST:PORT or unix:PATH. It runs until SIGINT or SIGTERM (or -d
 * seconds), then prints one line of key=value totals on stdout. SIGUSR1
 * prints the same line for the window since the previous SIGUSR1 (or the
 * start) and starts a new window: scripts/bench uses it to read a
 * writer's worst latency during one backup.
 */
#include <sys/types.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http.h"

#define MAX_WORKERS	256
#define BUF_SIZE	(64 * 1024)

enum kind { K_OK, K_REFUSED, K_RESET, K_TIMEOUT, K_STATUS, K_OTHER, K_MAX };

static const char *kind_names[K_MAX] = {
	"ok", "refused", "reset", "timeout", "bad_status", "other"
};

struct stats {
	unsigned long long	 count[K_MAX];
	uint64_t		 max_gap_ns;
	uint64_t		 max_latency_ns;
	uint64_t		 start_ns;
	int			 other_errno;
	int			 bad_status;
};

static struct http_addr	 addr;
static char		*request;
static size_t		 request_len;
static int		 keepalive;
static uint64_t		 timeout_ns = 10000000000ULL;
static volatile int	 stopping;

static pthread_mutex_t	 lock = PTHREAD_MUTEX_INITIALIZER;
static struct stats	 total, window;
static uint64_t		 last_ok_ns;

static void
usage(void)
{
	fprintf(stderr, "usage: loadgen [-c workers] [-t timeout_ms] [-k] "
	    "[-m METHOD] [-b BODY] [-d seconds] ADDR PATH\n");
	exit(2);
}

static void
stats_add(struct stats *s, enum kind k, uint64_t latency, uint64_t gap,
    int err, int status)
{
	s->count[k]++;
	if (latency > s->max_latency_ns)
		s->max_latency_ns = latency;
	if (gap > s->max_gap_ns)
		s->max_gap_ns = gap;
	if (k == K_OTHER)
		s->other_errno = err;
	if (k == K_STATUS)
		s->bad_status = status;
}

static void
record(enum kind k, uint64_t start, uint64_t end, int err, int status)
{
	uint64_t	 gap = 0, latency = end - start;

	pthread_mutex_lock(&lock);
	if (k == K_OK && end > last_ok_ns) {
		gap = end - last_ok_ns;
		last_ok_ns = end;
	}
	stats_add(&total, k, latency, gap, err, status);
	stats_add(&window, k, latency, gap, err, status);
	pthread_mutex_unlock(&lock);
}

static enum kind
classify(int err)
{
	switch (err) {
	case ECONNREFUSED:
		return (K_REFUSED);
	case ECONNRESET:
	case EPIPE:
	case ECONNABORTED:
		return (K_RESET);
	case ETIMEDOUT:
		return (K_TIMEOUT);
	default:
		return (K_OTHER);
	}
}

static void *
worker(void *arg)
{
	struct http_answer	 ans;
	char			*buf;
	uint64_t		 start, end;
	int			 fd = -1, rv;

	(void)arg;
	if ((buf = malloc(BUF_SIZE)) == NULL)
		return (NULL);
	while (!stopping) {
		start = http_now_ns();
		if (fd == -1 &&
		    (fd = http_connect(&addr, start + timeout_ns)) == -1) {
			end = http_now_ns();
			record(classify(errno), start, end, errno, 0);
			continue;
		}
		memset(&ans, 0, sizeof ans);
		rv = http_exchange(fd, request, request_len, buf, BUF_SIZE,
		    start + timeout_ns, !keepalive, &ans);
		end = http_now_ns();
		if (rv == -1) {
			record(classify(errno), start, end, errno, 0);
			close(fd);
			fd = -1;
			continue;
		}
		if (ans.status >= 200 && ans.status < 300)
			record(K_OK, start, end, 0, ans.status);
		else
			record(K_STATUS, start, end, 0, ans.status);
		if (!keepalive || ans.close) {
			close(fd);
			fd = -1;
		}
	}
	if (fd != -1)
		close(fd);
	free(buf);
	return (NULL);
}

static void
print_stats(const struct stats *s, uint64_t now)
{
	unsigned long long	 n = 0;
	double			 secs = (double)(now - s->start_ns) / 1e9;
	int			 k;

	for (k = 0; k < K_MAX; k++)
		n += s->count[k];
	printf("requests=%llu", n);
	for (k = 0; k < K_MAX; k++)
		printf(" %s=%llu", kind_names[k], s->count[k]);
	printf(" failed=%llu", n - s->count[K_OK]);
	printf(" max_gap_ms=%.3f max_latency_ms=%.3f seconds=%.3f "
	    "rate=%.0f", (double)s->max_gap_ns / 1e6,
	    (double)s->max_latency_ns / 1e6, secs,
	    secs > 0 ? (double)s->count[K_OK] / secs : 0.0);
	if (s->count[K_OTHER] != 0)
		printf(" other_error=%s", strerror(s->other_errno));
	if (s->count[K_STATUS] != 0)
		printf(" last_bad_status=%d", s->bad_status);
	printf("\n");
	fflush(stdout);
}

int
main(int argc, char *argv[])
{
	pthread_t	 threads[MAX_WORKERS];
	const char	*method = "GET", *body = NULL;
	sigset_t	 set;
	struct timespec	 tmo;
	uint64_t	 now;
	int		 ch, workers = 4, i, sig, duration = 0;

	while ((ch = getopt(argc, argv, "b:c:d:km:t:")) != -1) {
		switch (ch) {
		case 'b':
			body = optarg;
			break;
		case 'c':
			workers = atoi(optarg);
			if (workers < 1 || workers > MAX_WORKERS)
				usage();
			break;
		case 'd':
			duration = atoi(optarg);
			break;
		case 'k':
			keepalive = 1;
			break;
		case 'm':
			method = optarg;
			break;
		case 't':
			timeout_ns = (uint64_t)atoll(optarg) * 1000000ULL;
			if (timeout_ns == 0)
				usage();
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2 || http_addr_parse(&addr, argv[0]) == -1)
		usage();
	if (body != NULL)
		i = asprintf(&request, "%s %s HTTP/1.1\r\nHost: bench\r\n"
		    "Connection: %s\r\nContent-Type: "
		    "application/x-www-form-urlencoded\r\n"
		    "Content-Length: %zu\r\n\r\n%s", method, argv[1],
		    keepalive ? "keep-alive" : "close", strlen(body), body);
	else
		i = asprintf(&request, "%s %s HTTP/1.1\r\nHost: bench\r\n"
		    "Connection: %s\r\n\r\n", method, argv[1],
		    keepalive ? "keep-alive" : "close");
	if (i == -1)
		return (1);
	request_len = strlen(request);

	/* Workers inherit the mask: only the main thread takes signals. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	total.start_ns = window.start_ns = last_ok_ns = http_now_ns();
	for (i = 0; i < workers; i++)
		if (pthread_create(&threads[i], NULL, worker, NULL) != 0) {
			perror("loadgen: pthread_create");
			return (1);
		}
	if (duration > 0)
		alarm((unsigned)duration);
	for (;;) {
		tmo.tv_sec = 1;
		tmo.tv_nsec = 0;
		sig = sigtimedwait(&set, NULL, &tmo);
		if (sig == SIGUSR1) {
			pthread_mutex_lock(&lock);
			now = http_now_ns();
			print_stats(&window, now);
			memset(&window, 0, sizeof window);
			window.start_ns = now;
			pthread_mutex_unlock(&lock);
		} else if (sig == SIGINT || sig == SIGTERM || sig == SIGALRM)
			break;
	}
	stopping = 1;
	for (i = 0; i < workers; i++)
		pthread_join(threads[i], NULL);
	print_stats(&total, http_now_ns());
	return (0);
}
