/*
 * config_priv: what config.c (reading, checking, building, errors) and
 * config_keys.c (the key table and each key's parser) share. Not for
 * other modules: they use config.h.
 */
#ifndef CONFIG_PRIV_H
#define CONFIG_PRIV_H

#include <sys/un.h>

#include <stddef.h>

#include "config.h"

#define SUN_PATH_MAX	(sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

struct keydef;

struct entry {
	char			*section;	/* between the brackets */
	char			*key;
	char			*value;
	int			 line;
	int			 bad;		/* reported: never applied */
	const struct keydef	*def;		/* set by check_entries() */
	const char		*subkey;	/* key within def's section */
};

struct header {
	char	*name;
	int	 line;
};

struct error {
	int	 line;		/* 0: about the file as a whole */
	int	 seq;
	char	*msg;
};

/* What one config_load() call reads and reports. */
struct ctx {
	const char	*file;		/* as the caller named it */
	char		*path;		/* absolute */
	char		*dir;		/* absolute */
	char		*home;		/* NULL when unknown */
	struct entry	*entries;
	int		 nentries;
	struct header	*headers;
	int		 nheaders;
	struct error	*errors;
	int		 nerrors;
	char		**envs;		/* base environment first */
	int		 nenvs;
};

/* One environment being built. */
struct build {
	struct ctx	*ctx;
	struct config	*cf;
	const struct keydef *def;	/* of the key being applied */
	const char	*key;		/* its name within the section */
	int		 line;		/* where it is set */
	const char	*why;		/* what a bad value should have been */
	const char	*got;		/* what to quote instead of the value */
	char		 whybuf[256];
	char		 gotbuf[256];
	int		*dblines;	/* line of each database */
	int		 socket_set;
};

struct keydef {
	const char	*section;
	const char	*name;		/* NULL: any name; set() checks it */
	int		(*set)(struct build *, const char *value);
	size_t		 off;		/* field for the generic setters */
};

/* config_keys.c */
const struct keydef	*key_find(const char *section, const char *name);
/* The known keys of `section`, comma-separated, allocated. */
char			*key_list(const char *section);
int			 env_name_ok(const char *);
char			*path_resolve(struct build *, const char *base,
			    const char *v);
int			 socket_path_ok(struct build *, const char *abs);
char			**strv_dup(char *const *, int);

#endif
