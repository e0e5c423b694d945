/*
 * config: reads pitstop.ini with inih into a struct config, validates every
 * section and key (SPEC §3), resolves relative paths and applies the
 * [env.NAME] overrides of the chosen environment. No other file includes
 * ini.h. A config is immutable once loaded: a reload builds a new one and
 * the caller swaps them.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stdint.h>
#include <sys/types.h>

enum ready_kind { READY_NONE, READY_NOTIFY, READY_HTTP };
enum restart_policy { RESTART_ALWAYS, RESTART_ON_FAILURE, RESTART_NEVER };

struct config_pair {
	char	*name;
	char	*value;
};

struct config {
	char		*path;		/* absolute path of the file */
	char		*dir;		/* its directory, absolute */

	/* [supervisor] */
	char		*socket;	/* absolute */
	mode_t		 socket_mode;
	char		*socket_group;	/* NULL when unset */
	gid_t		 socket_gid;	/* valid when socket_group != NULL */
	char		*state_dir;	/* absolute */
	char		*log;		/* "stderr" or an absolute path */
	char		*base_env;	/* [supervisor] env, default "default" */

	/* the environment this config was built for */
	char		*env;
	char		**env_names;	/* base_env first, then [env.*] order */
	int		 nenv_names;

	/* [app] */
	char		*command;	/* as written */
	char		**argv;		/* split; argv[0] resolved against directory */
	int		 argc;
	char		*directory;	/* absolute */
	char		**listen;	/* addresses as written; may be empty */
	int		 nlisten;
	enum ready_kind	 ready;
	char		*ready_url;	/* READY_HTTP: the URL as written */
	char		*ready_host;	/* READY_HTTP: host (no brackets) */
	int		 ready_port;	/* READY_HTTP */
	char		*ready_path;	/* READY_HTTP: path with query, "/" default */
	uint64_t	 ready_timeout_ms;
	int		 stop_signal;
	uint64_t	 stop_timeout_ms;
	enum restart_policy restart;
	uint64_t	 backoff_min_ms;
	uint64_t	 backoff_max_ms;
	unsigned	 start_limit_burst;
	uint64_t	 start_limit_interval_ms;
	char		*output;	/* NULL for inherit, else absolute path */

	/* [environment] and [databases], in file order */
	struct config_pair *environment;
	int		 nenvironment;
	struct config_pair *databases;	/* value: absolute path */
	int		 ndatabases;

	/* [backup] */
	char		*backup_dir;	/* absolute */
	unsigned	 backup_keep;
	unsigned	 backup_keep_safety;
	uint64_t	 backup_interval_ms;	/* 0: off */
	char		*post_backup;	/* NULL when unset */

	/* [watch] */
	char		**watch_paths;	/* absolute */
	int		 nwatch_paths;
	char		**watch_ignore;	/* globs as written */
	int		 nwatch_ignore;
	uint64_t	 watch_debounce_ms;
};

/*
 * Load and validate `path` for environment `env` (NULL: the base
 * environment named by [supervisor] env). Every [env.*] section is
 * validated too, whichever is chosen. Returns a new config, or NULL with
 * *err set to an allocated message (caller frees) naming the file, the
 * line, the section and key, and what was expected; one error per line
 * when there are several. An unknown `env` gives ENOENT in errno and a
 * message saying so.
 */
struct config	*config_load(const char *path, const char *env, char **err);
/* Non-zero when `name` is one of the file's environments. */
int		 config_has_env(const struct config *, const char *name);
void		 config_free(struct config *);

#endif
