/*
 * util: small helpers with no better home: the monotonic clock and
 * crash-safe file writing (temp file, fsync, rename, fsync directory).
 */
#ifndef UTIL_H
#define UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct sockaddr_un;

/*
 * Fill `sun` with the Unix socket address `path`. -1 with ENAMETOOLONG
 * when the path does not fit sun_path (a truncated path would name
 * another socket).
 */
int		sun_set(struct sockaddr_un *sun, const char *path);
/* Milliseconds and microseconds of CLOCK_MONOTONIC. */
uint64_t	mono_ms(void);
uint64_t	mono_us(void);
/* Create `path` and its missing parents with `mode`. 0 or -1/errno. */
int		mkdir_p(const char *path, mode_t mode);
/* fsync the directory `dir`. 0 or -1/errno. */
int		fsync_dir(const char *dir);
/* fsync the directory that contains `path`. 0 or -1/errno. */
int		fsync_parent(const char *path);
/*
 * Replace `path` with `len` bytes of `data`: write `path.tmp`, fsync it,
 * rename it over `path`, fsync the directory when `durable`. Returns 0, or
 * -1 with errno set and `path` untouched.
 */
int		write_file_atomic(const char *path, const void *data, size_t len,
		    mode_t mode, int durable);
/* Read a whole small file into an allocated NUL-terminated string. */
char		*read_file(const char *path, size_t max, size_t *len);

#endif
