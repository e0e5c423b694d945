/*
 * json: the only place that writes or reads JSON text. The writer builds a
 * document in memory with string escaping done here and nowhere else; the
 * reader parses a document into a small tree (for request bodies in
 * pitstopd and responses in pitstop).
 */
#ifndef JSON_H
#define JSON_H

#include <stddef.h>
#include <stdint.h>

/* Writer. `key` is the member name inside an object, NULL inside an array
 * or at the top level. Output is compact UTF-8; invalid UTF-8 bytes in
 * strings are replaced by U+FFFD so the output is always valid JSON. */
struct json;

struct json	*json_new(void);
void		 json_obj_open(struct json *, const char *key);
void		 json_obj_close(struct json *);
void		 json_arr_open(struct json *, const char *key);
void		 json_arr_close(struct json *);
void		 json_str(struct json *, const char *key, const char *);	/* NULL: null */
void		 json_int(struct json *, const char *key, int64_t);
void		 json_uint(struct json *, const char *key, uint64_t);
void		 json_double(struct json *, const char *key, double);
void		 json_bool(struct json *, const char *key, int);
void		 json_null(struct json *, const char *key);
/* The text so far, NUL-terminated; owned by the writer. */
const char	*json_text(const struct json *);
size_t		 json_len(const struct json *);
void		 json_free(struct json *);

/* Reader. */
enum json_type {
	JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT
};

struct json_value {
	enum json_type		  type;
	int			  boolean;
	double			  number;
	char			 *string;	/* JSON_STRING, NUL-terminated */
	size_t			  n;		/* members or elements */
	char			**keys;		/* JSON_OBJECT: member names */
	struct json_value	**items;	/* members or elements */
};

/*
 * Parse `len` bytes of `text` as one JSON value (trailing blanks allowed,
 * nesting at most 32 deep). Returns the tree (free with json_value_free),
 * or NULL with *why set to a static phrase on a syntax error.
 */
struct json_value	*json_parse(const char *text, size_t len, const char **why);
void			 json_value_free(struct json_value *);
/* Member `key` of an object, or NULL (also when `v` is not an object). */
const struct json_value	*json_get(const struct json_value *v, const char *key);
/* Member `key` as a string, or NULL when absent or not a string. */
const char		*json_get_str(const struct json_value *v, const char *key);
/* Member `key` as a number: 0, or -1 when absent or not a number. */
int			 json_get_num(const struct json_value *v, const char *key,
			    double *);

#endif
