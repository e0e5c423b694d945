/*
 * hook: background commands (see hook.h). Remembers the few hooks that
 * run so their exit can be logged by name.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hook.h"
#include "log.h"
#include "parse.h"
#include "xmalloc.h"

#define HOOK_MAX	16

extern char **environ;

static struct {
	pid_t		 pid;
	const char	*what;
} hooks[HOOK_MAX];

pid_t
hook_run(const char *what, const char *command, const char *dir,
    char *const env[])
{
	char		**argv, **envp;
	const char	 *why;
	sigset_t	  all, old;
	size_t		  n = 0, i, k;
	pid_t		  pid;
	int		  argc, fd;

	if (parse_words(command, &argv, &argc, &why) == -1) {
		log_warnx("%s: cannot run '%s': %s", what, command, why);
		errno = EINVAL;
		return (-1);
	}
	while (environ[n] != NULL)
		n++;
	for (k = 0; env[k] != NULL; k++)
		;
	envp = xcalloc(n + k + 1, sizeof *envp);
	memcpy(envp, environ, n * sizeof *envp);
	for (i = 0; i < k; i++)
		envp[n + i] = env[i];
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	if ((pid = fork()) == 0) {
		sigset_t	none;

		for (i = 1; i < NSIG; i++)
			(void)signal((int)i, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if ((fd = open("/dev/null", O_RDONLY)) != -1)
			(void)dup2(fd, 0);
		if (chdir(dir) == 0)
			execvpe(argv[0], argv, envp);
		_exit(127);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	free(envp);
	parse_free_words(argv);
	if (pid == -1) {
		log_warn("%s: fork", what);
		return (-1);
	}
	log_info("%s started (pid %d): %s", what, (int)pid, command);
	for (i = 0; i < HOOK_MAX; i++)
		if (hooks[i].pid == 0) {
			hooks[i].pid = pid;
			hooks[i].what = what;
			break;
		}
	return (pid);
}

void
hook_reaped(pid_t pid, int status)
{
	int	i;

	for (i = 0; i < HOOK_MAX; i++) {
		if (hooks[i].pid != pid)
			continue;
		hooks[i].pid = 0;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			log_info("%s (pid %d) done", hooks[i].what, (int)pid);
		else if (WIFEXITED(status))
			log_warnx("%s (pid %d) failed with exit code %d",
			    hooks[i].what, (int)pid, WEXITSTATUS(status));
		else
			log_warnx("%s (pid %d) killed by signal %d",
			    hooks[i].what, (int)pid, WTERMSIG(status));
		return;
	}
}
