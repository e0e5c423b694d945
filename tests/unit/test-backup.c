/*
 * test-backup: the backup store on real SQLite files. Each case runs in its
 * own mkdtemp() directory: a take of a WAL and a rollback-mode database
 * checked field by field against the files, takes under a constant writer
 * in both modes (bounded time, consistent snapshot), incomplete
 * generations, ID validation, every kind of damage verify must catch,
 * retention, adoption of safety files, and unique, ordered IDs.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>
#include <xxhash.h>

#include "backup.h"
#include "json.h"
#include "tap.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define ENV		"default"

static char	*root;		/* this case's directory */
static char	*store;		/* root/store/default */

/* Helpers. */

static char *
path_of(const char *name)
{
	char	*p;

	if (asprintf(&p, "%s/%s", root, name) == -1)
		abort();
	return (p);
}

static int
sql(sqlite3 *db, const char *q)
{
	char	*e = NULL;

	if (sqlite3_exec(db, q, NULL, NULL, &e) != SQLITE_OK) {
		printf("# sql: %s: %s\n", q, e);
		sqlite3_free(e);
		return (-1);
	}
	return (0);
}

static sqlite3 *
db_open(const char *path)
{
	sqlite3	*db;

	if (sqlite3_open(path, &db) != SQLITE_OK) {
		printf("# open %s: %s\n", path, sqlite3_errmsg(db));
		abort();
	}
	sqlite3_busy_timeout(db, 10000);
	return (db);
}

/* A database at `path` in `mode` (wal or delete), running `q`. */
static int
db_make(const char *path, const char *mode, const char *q)
{
	sqlite3	*db = db_open(path);
	char	*pm;
	int	 rv;

	if (asprintf(&pm, "PRAGMA journal_mode=%s", mode) == -1)
		abort();
	rv = sql(db, pm) == 0 && sql(db, q) == 0 ? 0 : -1;
	free(pm);
	sqlite3_close(db);
	return (rv);
}

static int64_t
db_scalar(sqlite3 *db, const char *q)
{
	sqlite3_stmt	*st;
	int64_t		 v = -1;

	if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK) {
		printf("# %s: %s\n", q, sqlite3_errmsg(db));
		return (-1);
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return (v);
}

/* Open a store file read-only without creating any sidecar. */
static sqlite3 *
db_open_copy(const char *path)
{
	sqlite3	*db;
	char	*uri;

	if (asprintf(&uri, "file:%s?immutable=1", path) == -1)
		abort();
	if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI,
	    NULL) != SQLITE_OK)
		abort();
	free(uri);
	return (db);
}

static int64_t
copy_scalar(const char *path, const char *q)
{
	sqlite3	*db = db_open_copy(path);
	int64_t	 v = db_scalar(db, q);

	sqlite3_close(db);
	return (v);
}

static char *
slurp(const char *path, size_t *len)
{
	struct stat	 sb;
	char		*buf;
	int		 fd;

	if ((fd = open(path, O_RDONLY)) == -1 || fstat(fd, &sb) == -1)
		return (NULL);
	buf = malloc((size_t)sb.st_size + 1);
	if (read(fd, buf, (size_t)sb.st_size) != sb.st_size)
		abort();
	buf[sb.st_size] = '\0';
	close(fd);
	*len = (size_t)sb.st_size;
	return (buf);
}

static void
spit(const char *path, const void *data, size_t len)
{
	int	 fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    write(fd, data, len) != (ssize_t)len)
		abort();
	close(fd);
}

/* One-shot XXH3-128 of a whole file, independent of backup.c's stream. */
static void
file_xxh(const char *path, char hex[33])
{
	XXH128_canonical_t	 c;
	size_t			 len;
	char			*buf;
	int			 i;

	hex[0] = '\0';
	if ((buf = slurp(path, &len)) == NULL)
		return;
	XXH128_canonicalFromHash(&c, XXH3_128bits(buf, len));
	for (i = 0; i < 16; i++)
		sprintf(hex + 2 * i, "%02x", c.digest[i]);
	free(buf);
}

static off_t
file_size(const char *path)
{
	struct stat	 sb;

	return (stat(path, &sb) == -1 ? -1 : sb.st_size);
}

static int
exists(const char *path)
{
	return (access(path, F_OK) == 0);
}

static int
entries(const char *dir)
{
	struct dirent	*de;
	DIR		*d;
	int		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return (-1);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return (n);
}

static char *
gen_path(const char *id, const char *file)
{
	char	*p;

	if (asprintf(&p, "%s/%s/%s", store, id, file) == -1)
		abort();
	return (p);
}

static struct json_value *
manifest(const char *id)
{
	struct json_value	*v;
	char			*text;
	const char		*why;

	if ((text = backup_manifest(store, id)) == NULL)
		return (NULL);
	v = json_parse(text, strlen(text), &why);
	free(text);
	return (v);
}

static double
num(const struct json_value *v, const char *key)
{
	double	 d = -1;

	(void)json_get_num(v, key, &d);
	return (d);
}

/* A small manual generation of one database; its id, allocated. */
static char *
take_small(const char *kind)
{
	struct backup_db	 db;
	char			*id = NULL, *err = NULL;
	char			*p = path_of("small.db");

	if (!exists(p))
		(void)db_make(p, "wal", "CREATE TABLE t(x); "
		    "INSERT INTO t VALUES (1), (2);");
	db.name = "main";
	db.path = p;
	if (backup_take(store, ENV, kind, &db, 1, NULL, &id, &err) == -1) {
		printf("# take_small: %s\n", err);
		free(err);
	}
	free(p);
	return (id);
}

static int
id_shape(const char *s)
{
	int	 i;

	if (s == NULL || strlen(s) != 21)
		return (0);
	for (i = 0; i < 21; i++)
		if (i == 8 ? s[i] != 'T' : i == 15 ? s[i] != 'Z' :
		    i == 16 ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
			return (0);
	return (1);
}

/* Cases. */

static void
t_take_two(void)
{
	struct backup_db	 dbs[2];
	struct backup_gen	*gens = NULL;
	struct json_value	*m;
	const struct json_value	*files, *f, *tables;
	volatile double		 prog = -1;
	sqlite3			*hold;
	char			*mainp = path_of("app.db");
	char			*keyp = path_of("keychain.db");
	char			*id = NULL, *err = NULL, *p, *walp, hex[33];
	char			 digits[32];
	const char		*c, *names[2] = { "main", "keychain" };
	int			 i, n = 0, ok_files = 1;
	unsigned char		 hdr[20];
	off_t			 total = 0;

	ok(db_make(mainp, "wal",
	    "CREATE TABLE profiles(id INTEGER PRIMARY KEY AUTOINCREMENT, "
	    "name TEXT); CREATE INDEX pn ON profiles(name); "
	    "INSERT INTO profiles(name) VALUES ('a'), ('b'), ('c');"
	    "CREATE TABLE notes(x); INSERT INTO notes VALUES (1), (2);") == 0,
	    "take: WAL database made");
	ok(db_make(keyp, "delete",
	    "CREATE TABLE keys(k TEXT PRIMARY KEY, v TEXT);"
	    "INSERT INTO keys VALUES ('1','a'),('2','b'),('3','c'),('4','d'),"
	    "('5','e'); CREATE TABLE \"we\"\"ird\"(x);"
	    "INSERT INTO \"we\"\"ird\" VALUES (1);") == 0,
	    "take: rollback-mode database made");
	/* Rows that exist only in the -wal: the copy must have them. */
	hold = db_open(mainp);
	sql(hold, "PRAGMA wal_autocheckpoint=0; INSERT INTO profiles(name) "
	    "VALUES ('d'), ('e'), ('f'), ('g');");
	if (asprintf(&walp, "%s-wal", mainp) == -1)
		abort();
	ok(file_size(walp) > 0, "take: live main has rows in its -wal");

	dbs[0].name = "main";
	dbs[0].path = mainp;
	dbs[1].name = "keychain";
	dbs[1].path = keyp;
	i = backup_take(store, ENV, "manual", dbs, 2, &prog, &id, &err);
	ok(i == 0, "take: backup_take succeeds (%s)", err ? err : "ok");
	ok(prog == 1.0, "take: progress ends at 1 (%g)", prog);
	ok(id_shape(id), "take: id %s has the documented shape", id);
	if (id == NULL)
		goto out;
	ok(backup_list(store, &gens, &n) == 0 && n == 1 &&
	    strcmp(gens[0].id, id) == 0 &&
	    strcmp(gens[0].kind, "manual") == 0 &&
	    strcmp(gens[0].env, ENV) == 0 && gens[0].nfiles == 2 &&
	    gens[0].records == 7 + 2 + 5 + 1,
	    "take: listed with kind, env, 2 files and 15 records");

	p = gen_path(id, "");
	ok(entries(p) == 3, "take: generation holds exactly main.db, "
	    "keychain.db and manifest.json (%d entries)", entries(p));
	free(p);

	m = manifest(id);
	ok(m != NULL, "take: manifest parses");
	ok(m != NULL && strcmp(json_get_str(m, "id"), id) == 0 &&
	    strcmp(json_get_str(m, "kind"), "manual") == 0 &&
	    strcmp(json_get_str(m, "env"), ENV) == 0 &&
	    strcmp(json_get_str(m, "version"), "0.1.0") == 0,
	    "take: manifest id, kind, env and version");
	c = m != NULL ? json_get_str(m, "created") : NULL;
	for (i = 0; c != NULL && *c != '\0' && i < 30; c++)
		if (*c != '-' && *c != ':')
			digits[i++] = *c;
	digits[i] = '\0';
	if (m == NULL || (c = json_get_str(m, "created")) == NULL)
		c = "";
	ok(strlen(c) == 20 && c[4] == '-' && c[10] == 'T' &&
	    c[19] == 'Z' && strncmp(digits, id, 16) == 0,
	    "take: created %s is ISO-8601 UTC and matches the id", c);
	files = m != NULL ? json_get(m, "files") : NULL;
	ok(files != NULL && files->type == JSON_ARRAY && files->n == 2,
	    "take: manifest lists 2 files");
	for (i = 0; files != NULL && i < 2 && (size_t)i < files->n; i++) {
		char	*want;

		f = files->items[i];
		if (asprintf(&want, "%s.db", names[i]) == -1)
			abort();
		p = gen_path(id, want);
		file_xxh(p, hex);
		total += file_size(p);
		ok_files &= strcmp(json_get_str(f, "name"), names[i]) == 0 &&
		    strcmp(json_get_str(f, "file"), want) == 0 &&
		    num(f, "bytes") == (double)file_size(p) &&
		    strcmp(json_get_str(f, "xxh3_128"), hex) == 0 &&
		    num(f, "page_size") * num(f, "page_count") ==
		    (double)file_size(p);
		free(want);
		free(p);
	}
	ok(ok_files, "take: per file name, file, bytes, xxh3_128 and pages "
	    "match the files");
	ok(m != NULL && num(m, "bytes") == (double)total &&
	    num(m, "records") == 15, "take: totals bytes and records");
	tables = files != NULL && files->n == 2 ?
	    json_get(files->items[0], "tables") : NULL;
	ok(tables != NULL && tables->n == 2 &&
	    num(tables, "profiles") == 7 && num(tables, "notes") == 2,
	    "take: main's tables: profiles 7 (WAL rows included), notes 2, "
	    "no sqlite_sequence");
	tables = files != NULL && files->n == 2 ?
	    json_get(files->items[1], "tables") : NULL;
	ok(tables != NULL && tables->n == 2 && num(tables, "keys") == 5 &&
	    num(tables, "we\"ird") == 1,
	    "take: keychain's tables: keys 5, we\"ird 1");
	json_value_free(m);

	p = gen_path(id, "main.db");
	ok(copy_scalar(p, "SELECT count(*) FROM profiles") == 7 &&
	    copy_scalar(p, "SELECT max(name) FROM profiles WHERE name = 'g'")
	    != -1, "take: the copy holds the 7 profiles");
	i = open(p, O_RDONLY);
	ok(i != -1 && read(i, hdr, 20) == 20 && hdr[18] == 2 && hdr[19] == 2,
	    "take: the copy of the WAL database keeps WAL in its header");
	if (i != -1)
		close(i);
	free(p);
	p = gen_path(id, "keychain.db");
	i = open(p, O_RDONLY);
	ok(i != -1 && read(i, hdr, 20) == 20 && hdr[18] == 1,
	    "take: the rollback-mode copy stays in rollback mode");
	if (i != -1)
		close(i);
	free(p);
	ok(db_scalar(hold, "SELECT count(*) FROM profiles") == 7,
	    "take: the live database is unchanged");

	prog = -1;
	i = backup_verify(store, id, &prog, &err);
	ok(i == 0 && prog == 1.0,
	    "take: the new generation verifies (%s)", err ? err : "ok");
	p = gen_path(id, "");
	ok(entries(p) == 3, "take: verify leaves no -wal or -shm behind");
	free(p);
out:
	sqlite3_close(hold);
	backup_gens_free(gens, n);
	free(err);
	free(id);
	free(walp);
	free(mainp);
	free(keyp);
}

/* A writer committing 10 rows per transaction until told to stop. */
struct writer {
	const char	*path;
	volatile int	 stop;
	volatile long	 commits;
};

static void *
writer_run(void *arg)
{
	struct writer	*w = arg;
	sqlite3		*db = db_open(w->path);

	sqlite3_busy_timeout(db, 60000);
	while (!w->stop) {
		if (sql(db, "BEGIN IMMEDIATE; WITH RECURSIVE n(i) AS "
		    "(SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10) "
		    "INSERT INTO t(pad) SELECT randomblob(1500) FROM n; "
		    "COMMIT;") == -1) {
			(void)sql(db, "ROLLBACK");
			continue;
		}
		w->commits++;
	}
	sqlite3_close(db);
	return (NULL);
}

struct sampler {
	volatile double	*prog;
	volatile int	 stop;
	int		 decreased;
	int		 samples;
};

static void *
sampler_run(void *arg)
{
	struct sampler	*s = arg;
	struct timespec	 ts = { 0, 200000 };
	double		 last = 0, v;

	while (!s->stop) {
		v = *s->prog;
		if (v < last)
			s->decreased = 1;
		last = v;
		s->samples++;
		nanosleep(&ts, NULL);
	}
	return (NULL);
}

/*
 * About 12 MiB, so the copy takes several steps with commits in between:
 * without the held read transaction every step would restart the copy,
 * and the alarm in main() would end the test.
 */
static void
writer_case(const char *mode)
{
	struct backup_db	 db;
	struct writer		 w;
	struct sampler		 s;
	pthread_t		 wt, st;
	volatile double		 prog = 0;
	char			*p = path_of("busy.db");
	char			*id = NULL, *err = NULL;
	char			*copy;
	long			 before, after;
	int64_t			 rows;
	int			 i, rv;

	ok(db_make(p, mode, "CREATE TABLE t(id INTEGER PRIMARY KEY, pad BLOB);"
	    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
	    "WHERE i < 3000) INSERT INTO t(pad) SELECT randomblob(4000) "
	    "FROM n;") == 0, "writer/%s: 12 MiB database made", mode);
	memset(&w, 0, sizeof w);
	w.path = p;
	memset(&s, 0, sizeof s);
	s.prog = &prog;
	pthread_create(&wt, NULL, writer_run, &w);
	while (w.commits < 3)
		usleep(1000);
	pthread_create(&st, NULL, sampler_run, &s);
	db.name = "main";
	db.path = p;
	before = w.commits;
	rv = backup_take(store, ENV, "manual", &db, 1, &prog, &id, &err);
	ok(rv == 0, "writer/%s: the take finishes under constant writes "
	    "(%s)", mode, err ? err : "ok");
	after = w.commits;
	/* A writer blocked in rollback mode retries within its busy handler. */
	for (i = 0; i < 5000 && w.commits <= after; i++)
		usleep(1000);
	w.stop = 1;
	s.stop = 1;
	pthread_join(wt, NULL);
	pthread_join(st, NULL);
	ok(!s.decreased && prog == 1.0, "writer/%s: progress only rose, to 1 "
	    "(%d samples)", mode, s.samples);
	if (strcmp(mode, "wal") == 0)
		ok(after > before, "writer/wal: the writer kept committing "
		    "during the take (%ld commits)", after - before);
	else
		ok(w.commits > after, "writer/delete: the writer went on after "
		    "the take (%ld commits)", w.commits - after);
	if (id != NULL) {
		copy = gen_path(id, "main.db");
		rows = copy_scalar(copy, "SELECT count(*) FROM t");
		ok(rows >= 3000 && rows % 10 == 0, "writer/%s: the copy is a "
		    "snapshot between transactions (%lld rows)", mode,
		    (long long)rows);
		ok(copy_scalar(copy, "SELECT count(*) FROM "
		    "pragma_integrity_check WHERE integrity_check = 'ok'") == 1,
		    "writer/%s: the copy passes integrity_check", mode);
		ok(backup_verify(store, id, NULL, NULL) == 0,
		    "writer/%s: the generation verifies", mode);
		free(copy);
	}
	free(err);
	free(id);
	free(p);
}

static void
t_writer_wal(void)
{
	writer_case("wal");
}

static void
t_writer_delete(void)
{
	writer_case("delete");
}

static void
t_incomplete(void)
{
	struct backup_gen	*gens = NULL;
	char			*id = take_small("manual"), *p, *err = NULL;
	int			 n = 0, rv;
	static const char	*const leftovers[] = {
		"20200101T000000Z-0000/main.db",
		".tmp-20200101T000000Z-0001/main.db",
		".del-20200101T000000Z-0002/main.db",
		"20200101T000000Z-0003/manifest.json.tmp",
	};
	size_t			 i;

	ok(id != NULL, "incomplete: a complete generation exists");
	if (id == NULL)
		return;
	for (i = 0; i < NITEMS(leftovers); i++) {
		char	*dir;

		if (asprintf(&p, "%s/%s", store, leftovers[i]) == -1)
			abort();
		dir = strdup(p);
		*strrchr(dir, '/') = '\0';
		mkdir(dir, 0700);
		spit(p, "x", 1);
		free(dir);
		free(p);
	}
	p = gen_path(id, "manifest.json.tmp");
	spit(p, "{", 1);
	free(p);
	if (asprintf(&p, "%s/README", store) == -1)
		abort();
	spit(p, "mine", 4);

	rv = backup_list(store, &gens, &n);
	ok(rv == 0 && n == 1 && strcmp(gens[0].id, id) == 0,
	    "incomplete: only the complete generation is listed (%d)", n);
	backup_gens_free(gens, n);
	ok(backup_find(store, "20200101T000000Z-0000") == -1 && errno == ENOENT,
	    "incomplete: a directory without manifest is not found");
	rv = backup_verify(store, "20200101T000000Z-0000", NULL, &err);
	ok(rv == -1 && errno == ENOENT && err != NULL &&
	    strstr(err, "manifest.json") != NULL,
	    "incomplete: verify says the manifest is missing (%s)", err);
	free(err);
	rv = backup_clean(store);
	ok(rv == 5, "incomplete: backup_clean removes "
	    "3 directories, 1 .tmp-, 1 .del- and a manifest temp (%d)", rv);
	ok(entries(store) == 2 && exists(p),
	    "incomplete: the generation and README remain");
	ok(backup_verify(store, id, NULL, NULL) == 0,
	    "incomplete: the complete generation still verifies");
	ok(backup_clean(store) == 0, "incomplete: a second clean removes "
	    "nothing");
	free(p);
	p = path_of("nonexistent");
	ok(backup_clean(p) == 0, "incomplete: a missing store is clean");
	ok(backup_list(p, &gens, &n) == 0 && n == 0 && gens == NULL,
	    "incomplete: a missing store lists empty");
	free(p);
	free(id);
}

static void
t_find(void)
{
	char		*id = take_small("manual"), *p, bad[64];
	const char	*const rejects[] = {
		"", "foo", "../x", ".", "..", "/etc/passwd",
		"20200101T000000Z-0000", "20200101T000000Z-000",
		"manifest.json",
	};
	size_t		 i;
	int		 rejected = 1;

	ok(id != NULL && backup_find(store, id) == 0,
	    "find: a listed id is found");
	if (id == NULL)
		return;
	for (i = 0; i < NITEMS(rejects); i++)
		if (backup_find(store, rejects[i]) != -1 || errno != ENOENT) {
			printf("# accepted \"%s\"\n", rejects[i]);
			rejected = 0;
		}
	snprintf(bad, sizeof bad, "%s/", id);
	rejected &= backup_find(store, bad) == -1;
	snprintf(bad, sizeof bad, "../default/%s", id);
	rejected &= backup_find(store, bad) == -1;
	snprintf(bad, sizeof bad, "%s/../%s", id, id);
	rejected &= backup_find(store, bad) == -1;
	snprintf(bad, sizeof bad, "%.20s%c", id, id[20] == '9' ? '8' : '9');
	rejected &= backup_find(store, bad) == -1 && errno == ENOENT;
	ok(rejected, "find: \"\", \"foo\", \"../x\", unlisted and decorated "
	    "ids are ENOENT");
	ok(backup_find(store, NULL) == -1, "find: NULL is ENOENT");
	p = path_of("nonexistent");
	ok(backup_find(p, id) == -1 && errno == ENOENT,
	    "find: nothing is found in a missing store");
	free(p);
	p = backup_file_path(store, id, "main");
	ok(p != NULL && exists(p) && strstr(p, id) != NULL,
	    "find: backup_file_path names the file");
	free(p);
	errno = 0;
	ok(backup_file_path(store, "../x", "main") == NULL && errno == EINVAL &&
	    backup_file_path(store, id, "../main") == NULL &&
	    backup_manifest(store, "../x") == NULL,
	    "find: file path and manifest refuse malformed ids and names");
	free(id);
}

/* Replace the manifest's checksum of `file` by the file's actual one. */
static void
manifest_rehash(const char *id, const char *file)
{
	struct json_value	*m = manifest(id);
	const struct json_value	*files = json_get(m, "files");
	char			*mp = gen_path(id, "manifest.json");
	char			*fp = gen_path(id, file), *text, *at, hex[33];
	size_t			 i, len;

	file_xxh(fp, hex);
	text = slurp(mp, &len);
	for (i = 0; i < files->n; i++)
		if (strcmp(json_get_str(files->items[i], "file"), file) == 0 &&
		    (at = strstr(text, json_get_str(files->items[i],
		    "xxh3_128"))) != NULL)
			memcpy(at, hex, 32);
	spit(mp, text, len);
	free(text);
	free(fp);
	free(mp);
	json_value_free(m);
}

static char *
take_pair(void)
{
	struct backup_db	 dbs[2];
	char			*id = NULL, *err = NULL;
	char			*a = path_of("v-main.db");
	char			*b = path_of("v-key.db");

	if (!exists(a)) {
		(void)db_make(a, "wal", "CREATE TABLE t(x); "
		    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
		    "FROM n WHERE i < 200) INSERT INTO t SELECT "
		    "randomblob(100) FROM n;");
		(void)db_make(b, "delete", "CREATE TABLE k(x); "
		    "INSERT INTO k VALUES (1);");
	}
	dbs[0].name = "main";
	dbs[0].path = a;
	dbs[1].name = "keychain";
	dbs[1].path = b;
	if (backup_take(store, ENV, "manual", dbs, 2, NULL, &id, &err) == -1)
		printf("# take_pair: %s\n", err);
	free(err);
	free(a);
	free(b);
	return (id);
}

static int
verify_fails(const char *id, int want_errno, const char *w1, const char *w2)
{
	char	*err = NULL;
	int	 rv, e;

	rv = backup_verify(store, id, NULL, &err);
	e = errno;
	printf("# verify: %s\n", err ? err : "(no message)");
	rv = rv == -1 && e == want_errno && err != NULL &&
	    strstr(err, id) != NULL && strstr(err, w1) != NULL &&
	    (w2 == NULL || strstr(err, w2) != NULL);
	free(err);
	return (rv);
}

static void
t_verify(void)
{
	char	*id, *p, *buf;
	size_t	 len;
	int	 fd;

	id = take_pair();
	ok(id != NULL && backup_verify(store, id, NULL, NULL) == 0,
	    "verify: an untouched generation verifies");
	p = gen_path(id, "main.db");
	buf = slurp(p, &len);
	buf[len / 2] ^= 0x01;
	spit(p, buf, len);
	ok(verify_fails(id, EBADMSG, "main.db", "checksum"),
	    "verify: a flipped byte is a checksum mismatch naming main.db");
	free(buf);
	free(p);
	free(id);

	id = take_pair();
	p = gen_path(id, "keychain.db");
	ok(truncate(p, file_size(p) - 100) == 0 &&
	    verify_fails(id, EBADMSG, "keychain.db", "size"),
	    "verify: a truncated file is a size mismatch naming keychain.db");
	free(p);
	free(id);

	id = take_pair();
	p = gen_path(id, "manifest.json");
	unlink(p);
	ok(verify_fails(id, ENOENT, "manifest.json", NULL),
	    "verify: a missing manifest is ENOENT naming manifest.json");
	free(p);
	free(id);

	id = take_pair();
	p = gen_path(id, "keychain.db");
	unlink(p);
	ok(verify_fails(id, EBADMSG, "keychain.db", "missing"),
	    "verify: a missing file is named");
	free(p);
	free(id);

	/* Damage with a matching checksum: only SQLite can tell. */
	id = take_pair();
	p = gen_path(id, "main.db");
	buf = slurp(p, &len);
	memset(buf + 4096 + 8, 0xff, 4);	/* page 2's cell pointers */
	spit(p, buf, len);
	manifest_rehash(id, "main.db");
	ok(verify_fails(id, EBADMSG, "main.db", "quick_check"),
	    "verify: a damaged page with a matching checksum fails "
	    "quick_check");
	free(buf);
	free(p);
	free(id);

	id = take_pair();
	p = gen_path(id, "keychain.db");
	fd = open(p, O_WRONLY);
	if (fd == -1 || pwrite(fd, "SQLite format 2", 16, 0) != 16)
		abort();
	close(fd);
	manifest_rehash(id, "keychain.db");
	ok(verify_fails(id, EBADMSG, "keychain.db", "header"),
	    "verify: a wrong magic header with a matching checksum is caught");
	free(p);
	free(id);

	id = take_pair();
	p = gen_path(id, "manifest.json");
	spit(p, "{\"id\":", 6);
	ok(verify_fails(id, EBADMSG, "manifest.json", NULL),
	    "verify: an unparseable manifest is EBADMSG");
	ok(backup_find(store, id) == -1, "verify: ... and is not listed");
	free(p);
	free(id);

	ok(backup_verify(store, "20200101T000000Z-0000", NULL, NULL) == -1 &&
	    errno == ENOENT, "verify: an unknown id is ENOENT");
	ok(backup_verify(store, "../default", NULL, NULL) == -1 &&
	    errno == ENOENT, "verify: a path is ENOENT");
}

static void
t_retain(void)
{
	static const char	*const kinds[] = {
		"manual", "scheduled", "manual", "safety", "safety", "manual",
		"safety",
	};
	struct backup_gen	*gens = NULL;
	char			*ids[NITEMS(kinds)];
	size_t			 i;
	int			 n = 0, rv, sorted = 1;

	for (i = 0; i < NITEMS(kinds); i++)
		ids[i] = take_small(kinds[i]);
	for (i = 1; i < NITEMS(kinds); i++)
		sorted &= ids[i] != NULL && ids[i - 1] != NULL &&
		    strcmp(ids[i - 1], ids[i]) < 0;
	ok(sorted, "retain: 7 generations, ids in creation order");
	/* m1 s1 m2 f1 f2 m3 f3 */
	rv = backup_retain(store, 2, 1);
	ok(rv == 3,
	    "retain: keep 2 + 1 removes m1, f1, f2 (%d)", rv);
	ok(backup_list(store, &gens, &n) == 0 && n == 4 &&
	    strcmp(gens[0].id, ids[6]) == 0 &&
	    strcmp(gens[1].id, ids[5]) == 0 &&
	    strcmp(gens[2].id, ids[2]) == 0 && strcmp(gens[3].id, ids[1]) == 0,
	    "retain: f3, m3, m2 and s1 (the newest scheduled) remain");
	backup_gens_free(gens, n);
	ok(entries(store) == 4, "retain: no .del- leftovers (%d entries)",
	    entries(store));
	ok(backup_retain(store, 2, 1) == 0, "retain: a second pass removes "
	    "nothing");
	rv = backup_retain(store, 0, 0);
	ok(rv == 1,
	    "retain: keep 0 + 0 removes only m2 (%d)", rv);
	ok(backup_list(store, &gens, &n) == 0 && n == 3 &&
	    strcmp(gens[0].id, ids[6]) == 0 &&
	    strcmp(gens[1].id, ids[5]) == 0 &&
	    strcmp(gens[2].id, ids[1]) == 0,
	    "retain: the newest of each kind survives keep 0");
	backup_gens_free(gens, n);
	ok(backup_verify(store, ids[5], NULL, NULL) == 0,
	    "retain: a kept generation still verifies");
	for (i = 0; i < NITEMS(kinds); i++)
		free(ids[i]);
}

/* A WAL database whose rows are only in its -wal, as after a crash. */
static void
wal_only(const char *path)
{
	pid_t	 pid;
	int	 status;

	(void)db_make(path, "wal", "CREATE TABLE profiles(id INTEGER PRIMARY "
	    "KEY, name TEXT); INSERT INTO profiles(name) VALUES ('a'), ('b');");
	if ((pid = fork()) == 0) {
		sqlite3	*db;

		sqlite3_open(path, &db);
		sqlite3_exec(db, "PRAGMA wal_autocheckpoint=0; INSERT INTO "
		    "profiles(name) VALUES ('c'), ('d'), ('e');", NULL, NULL,
		    NULL);
		_exit(0);	/* no close: the -wal stays */
	}
	waitpid(pid, &status, 0);
}

static void
t_adopt(void)
{
	struct backup_db	 files[2];
	struct backup_gen	*gens = NULL;
	struct json_value	*m;
	const struct json_value	*fl;
	struct stat		 sb;
	char			*a = path_of("app.db.pitstop-safety");
	char			*b = path_of("keychain.db.pitstop-safety");
	char			*id = NULL, *err = NULL, *p, *walp, hex[33];
	char			 shm[PATH_MAX], sdir[] = "/dev/shm/tb.XXXXXX";
	int			 n = 0, rv;

	wal_only(a);
	(void)db_make(b, "delete", "CREATE TABLE k(x); "
	    "INSERT INTO k VALUES (1), (2), (3);");
	if (asprintf(&walp, "%s-wal", a) == -1)
		abort();
	ok(file_size(walp) > 0, "adopt: the safety file has rows in a -wal");

	/* A failure leaves every file where it was. */
	file_xxh(b, hex);
	files[0].name = "keychain";
	files[0].path = b;
	files[1].name = "main";
	files[1].path = "/nonexistent/app.db";
	rv = backup_adopt(store, ENV, "safety", files, 2, &id, &err);
	ok(rv == -1 && errno == ENOENT && err != NULL && id == NULL,
	    "adopt: a missing file fails with ENOENT (%s)", err);
	free(err);
	err = NULL;
	{
		char	 again[33];

		file_xxh(b, again);
		ok(exists(b) && strcmp(hex, again) == 0 && entries(store) == 0,
		    "adopt: ... the other file is untouched, the store empty");
	}

	files[0].name = "main";
	files[0].path = a;
	files[1].name = "keychain";
	files[1].path = b;
	rv = backup_adopt(store, ENV, "safety", files, 2, &id, &err);
	ok(rv == 0, "adopt: succeeds (%s)", err ? err : "ok");
	if (id == NULL)
		goto out;
	ok(!exists(a) && !exists(b) && !exists(walp),
	    "adopt: the files and the -wal are gone from their paths");
	ok(backup_list(store, &gens, &n) == 0 && n == 1 &&
	    strcmp(gens[0].kind, "safety") == 0 && gens[0].records == 8 &&
	    gens[0].nfiles == 2,
	    "adopt: listed as safety with 5 + 3 records (WAL rows settled in)");
	backup_gens_free(gens, n);
	m = manifest(id);
	fl = json_get(m, "files");
	ok(fl != NULL && fl->n == 2 &&
	    num(json_get(fl->items[0], "tables"), "profiles") == 5 &&
	    strcmp(json_get_str(fl->items[0], "file"), "main.db") == 0,
	    "adopt: the manifest counts main's profiles");
	json_value_free(m);
	p = gen_path(id, "main.db");
	ok(stat(p, &sb) == 0 && sb.st_nlink == 1,
	    "adopt: the generation's file has no other link");
	free(p);
	rv = backup_verify(store, id, NULL, &err);
	ok(rv == 0, "adopt: the safety generation verifies (%s)",
	    err ? err : "ok");
	free(err);
	err = NULL;
	free(id);
	id = NULL;

	/* Another filesystem: copied, and the source unlinked after. */
	if (mkdtemp(sdir) == NULL || stat(sdir, &sb) == -1 ||
	    sb.st_dev == (stat(store, &sb) == 0 ? sb.st_dev : 0)) {
		ok(1, "# SKIP adopt: no second filesystem at /dev/shm");
	} else {
		snprintf(shm, sizeof shm, "%s/x.db", sdir);
		(void)db_make(shm, "delete", "CREATE TABLE k(x); "
		    "INSERT INTO k VALUES (1);");
		files[0].name = "main";
		files[0].path = shm;
		rv = backup_adopt(store, ENV, "safety", files, 1, &id, &err);
		ok(rv == 0 && !exists(shm) &&
		    backup_verify(store, id, NULL, NULL) == 0,
		    "adopt: across filesystems it copies (%s)",
		    err ? err : "ok");
		rmdir(sdir);
	}
out:
	free(err);
	free(id);
	free(walp);
	free(a);
	free(b);
}

static void
t_take_errors(void)
{
	struct backup_db	 dbs[2];
	char			*id = NULL, *err = NULL;
	char			*p = path_of("gone.db");
	char			*q = path_of("small.db");
	size_t			 i;
	int			 all = 1, rv;
	static const char	*const bad[] = { "", "../x", "a/b", ".hidden" };

	dbs[0].name = "main";
	dbs[0].path = p;
	rv = backup_take(store, ENV, "manual", dbs, 1, NULL, &id, &err);
	ok(rv == -1 && errno == ENOENT && id == NULL && err != NULL &&
	    strstr(err, "main") != NULL && strstr(err, p) != NULL,
	    "errors: a missing database is ENOENT, named (%s)", err);
	free(err);
	err = NULL;
	ok(!exists(p), "errors: ... and is not created");
	ok(entries(store) == 0, "errors: ... and leaves no directory");
	(void)db_make(q, "wal", "CREATE TABLE t(x);");
	dbs[0].path = q;
	for (i = 0; i < NITEMS(bad); i++) {
		dbs[0].name = bad[i];
		all &= backup_take(store, ENV, "manual", dbs, 1, NULL, &id,
		    NULL) == -1 && errno == EINVAL;
	}
	ok(all, "errors: names \"\", \"../x\", \"a/b\", \".hidden\" are "
	    "EINVAL");
	dbs[0].name = dbs[1].name = "main";
	dbs[1].path = q;
	ok(backup_take(store, ENV, "manual", dbs, 2, NULL, &id, NULL) == -1 &&
	    errno == EINVAL, "errors: a name twice is EINVAL");
	ok(backup_take(store, ENV, "weekly", dbs, 1, NULL, &id, NULL) == -1 &&
	    errno == EINVAL, "errors: an unknown kind is EINVAL");
	ok(backup_take(store, ENV, "manual", dbs, 0, NULL, &id, NULL) == -1 &&
	    errno == EINVAL, "errors: no databases is EINVAL");
	ok(entries(store) == 0, "errors: nothing was left in the store");

	/* A database that never had a table: a 0-byte file. */
	free(p);
	p = path_of("empty.db");
	spit(p, "", 0);
	dbs[0].path = p;
	rv = backup_take(store, ENV, "manual", dbs, 1, NULL, &id, &err);
	ok(rv == 0 && backup_verify(store, id, NULL, NULL) == 0,
	    "errors: an empty database backs up and verifies (%s)",
	    err ? err : "ok");
	free(err);
	free(id);
	free(p);
	free(q);
}

struct taker {
	pthread_t	 t;
	char		*ids[3];
};

static void *
taker_run(void *arg)
{
	struct taker	*tk = arg;
	int		 i;

	for (i = 0; i < 3; i++)
		tk->ids[i] = take_small("manual");
	return (NULL);
}

static int
str_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

static void
t_ids(void)
{
	struct taker	 tk[4];
	struct tm	 tm;
	time_t		 now;
	char		*all[12], *a, *b, *c, *p, stamp[2][20];
	int		 i, j, distinct = 1, n;
	struct backup_gen *gens;

	free(take_small("manual"));	/* the source exists before threads */
	backup_retain(store, 0, 0);
	for (i = 0; i < 4; i++)
		pthread_create(&tk[i].t, NULL, taker_run, &tk[i]);
	for (i = 0; i < 4; i++) {
		pthread_join(tk[i].t, NULL);
		for (j = 0; j < 3; j++)
			all[3 * i + j] = tk[i].ids[j];
	}
	for (i = 0; i < 12; i++)
		distinct &= all[i] != NULL && id_shape(all[i]);
	if (distinct) {
		qsort(all, 12, sizeof all[0], str_cmp);
		for (i = 1; i < 12; i++)
			distinct &= strcmp(all[i - 1], all[i]) != 0;
	}
	ok(distinct, "ids: 4 threads x 3 takes give 12 distinct ids");
	i = backup_list(store, &gens, &n);
	ok(i == 0 && n == 13,
	    "ids: all 13 generations are listed (%d)", n);
	backup_gens_free(gens, n);
	for (i = 0; i < 12; i++)
		free(all[i]);

	/*
	 * After a deletion the next ID of that second still sorts last:
	 * leftovers of this second and the next claim sequences up to 5.
	 */
	now = time(NULL);
	for (i = 0; i < 2; i++) {
		time_t	 t = now + i;

		gmtime_r(&t, &tm);
		strftime(stamp[i], sizeof stamp[i], "%Y%m%dT%H%M%SZ", &tm);
		if (asprintf(&p, "%s/.del-%s-0005", store, stamp[i]) == -1)
			abort();
		mkdir(p, 0700);
		free(p);
	}
	a = take_small("manual");
	ok(a != NULL && atoi(a + 17) >= 6,
	    "ids: the sequence continues past a .del- leftover (%s)",
	    a ? a : "none");
	b = take_small("manual");
	ok(a != NULL && b != NULL && strcmp(a, b) < 0,
	    "ids: the next one sorts after it (%s)", b ? b : "none");
	backup_retain(store, 1, 0);	/* removes a, keeps b */
	c = take_small("manual");
	ok(b != NULL && c != NULL && strcmp(b, c) < 0 && backup_find(store,
	    a) == -1, "ids: after a is removed, a new id still sorts after b "
	    "(%s)", c ? c : "none");
	free(a);
	free(b);
	free(c);
}

static int
rm_cb(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	return (remove(path) == -1 ? -1 : 0);
}

static const struct {
	const char	*name;
	void		(*fn)(void);
} cases[] = {
	{ "take_two", t_take_two },
	{ "writer_wal", t_writer_wal },
	{ "writer_delete", t_writer_delete },
	{ "incomplete", t_incomplete },
	{ "find", t_find },
	{ "verify", t_verify },
	{ "retain", t_retain },
	{ "adopt", t_adopt },
	{ "take_errors", t_take_errors },
	{ "ids", t_ids },
};

int
main(int argc, char **argv)
{
	const char	*tmp;
	char		*tmpl;
	size_t		 i;

	/* A take that never finishes must fail the test, not hang it. */
	alarm(120);
	if ((tmp = getenv("TMPDIR")) == NULL)
		tmp = "/tmp";
	for (i = 0; i < NITEMS(cases); i++) {
		if (argc > 1 && strcmp(argv[1], cases[i].name) != 0)
			continue;
		if (asprintf(&tmpl, "%s/test-backup.XXXXXX", tmp) == -1 ||
		    (root = mkdtemp(tmpl)) == NULL) {
			perror("mkdtemp");
			return (1);
		}
		if (asprintf(&store, "%s/store/%s", root, ENV) == -1)
			abort();
		printf("# %s in %s\n", cases[i].name, root);
		cases[i].fn();
		(void)nftw(root, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
		free(store);
		free(root);
	}
	return (done());
}
