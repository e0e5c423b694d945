/*
 * json: the writer and the reader of JSON text (see json.h). String
 * escaping and UTF-8 validation live here and nowhere else. The writer
 * keeps one flag per open container to know when a comma is due; the
 * reader is a recursive-descent parser that accepts strict RFC 8259 JSON
 * only, with a depth limit so that a hostile request body cannot exhaust
 * the stack. Neither half logs: the writer cannot fail (memory comes from
 * xmalloc) and the reader reports a static phrase to its caller.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "xmalloc.h"

#define JSON_MAX_DEPTH	32

/* A growing NUL-terminated byte buffer, shared by writer and reader. */
struct jbuf {
	char	*s;
	size_t	 len;
	size_t	 size;
};

struct json {
	struct jbuf	 out;
	/*
	 * more[d] is non-zero once level d holds a value, so the next one
	 * needs a comma. Level 0 is the top level, which should only ever
	 * hold one value but is treated like any other.
	 */
	unsigned char	*more;
	size_t		 depth;
	size_t		 maxdepth;
};

struct json_parser {
	const unsigned char	*p;
	const unsigned char	*end;
	const char		*why;
	struct jbuf		 tmp;	/* scratch for strings and numbers */
};

static void
jbuf_grow(struct jbuf *b, size_t n)
{
	size_t	 size;

	if (b->len + n + 1 <= b->size)
		return;
	size = b->size == 0 ? 256 : b->size;
	while (size < b->len + n + 1) {
		if (size > SIZE_MAX / 2)
			size = b->len + n + 1;
		else
			size *= 2;
	}
	b->s = xreallocarray(b->s, size, 1);
	b->size = size;
}

static void
jbuf_add(struct jbuf *b, const void *p, size_t n)
{
	jbuf_grow(b, n);
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
jbuf_addc(struct jbuf *b, char c)
{
	jbuf_add(b, &c, 1);
}

static void
jbuf_adds(struct jbuf *b, const char *s)
{
	jbuf_add(b, s, strlen(s));
}

/*
 * Check the UTF-8 sequence at s (n > 0 bytes available), following the
 * table of well-formed sequences in Unicode §3.9: no overlong forms, no
 * surrogates, nothing above U+10FFFF. Returns 1 with *len the length of
 * the sequence, or 0 with *len the length of the maximal ill-formed
 * prefix, which is what a decoder replaces by one U+FFFD.
 */
static int
utf8_check(const unsigned char *s, size_t n, size_t *len)
{
	unsigned char	 lo = 0x80, hi = 0xbf;
	size_t		 need, i;

	if (s[0] < 0x80) {
		*len = 1;
		return (1);
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 1;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 2;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 3;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else {
		*len = 1;
		return (0);
	}
	for (i = 1; i <= need; i++) {
		if (i >= n || s[i] < lo || s[i] > hi) {
			*len = i;
			return (0);
		}
		lo = 0x80;
		hi = 0xbf;
	}
	*len = need + 1;
	return (1);
}

static void
utf8_put(struct jbuf *b, uint32_t cp)
{
	char	 u[4];

	if (cp < 0x80)
		jbuf_addc(b, (char)cp);
	else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		jbuf_add(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		jbuf_add(b, u, 3);
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		jbuf_add(b, u, 4);
	}
}

/* Write `s` as a quoted JSON string. */
static void
json_quote(struct jbuf *b, const char *s)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n = strlen(s), len;
	char			 esc[6];

	jbuf_addc(b, '"');
	while (n > 0) {
		if (!utf8_check(p, n, &len)) {
			utf8_put(b, 0xfffd);
			p += len;
			n -= len;
			continue;
		}
		if (len > 1) {
			jbuf_add(b, p, len);
			p += len;
			n -= len;
			continue;
		}
		switch (*p) {
		case '"':
			jbuf_adds(b, "\\\"");
			break;
		case '\\':
			jbuf_adds(b, "\\\\");
			break;
		case '\b':
			jbuf_adds(b, "\\b");
			break;
		case '\f':
			jbuf_adds(b, "\\f");
			break;
		case '\n':
			jbuf_adds(b, "\\n");
			break;
		case '\r':
			jbuf_adds(b, "\\r");
			break;
		case '\t':
			jbuf_adds(b, "\\t");
			break;
		default:
			if (*p < 0x20) {
				memcpy(esc, "\\u00", 4);
				esc[4] = hex[*p >> 4];
				esc[5] = hex[*p & 0xf];
				jbuf_add(b, esc, sizeof esc);
			} else
				jbuf_addc(b, (char)*p);
			break;
		}
		p++;
		n--;
	}
	jbuf_addc(b, '"');
}

/*
 * json_new: an empty writer. Never fails; free with json_free().
 */
struct json *
json_new(void)
{
	struct json	*j;

	j = xcalloc(1, sizeof *j);
	j->maxdepth = 8;
	j->more = xcalloc(j->maxdepth, 1);
	jbuf_grow(&j->out, 0);
	j->out.s[0] = '\0';
	return (j);
}

/* Everything that starts a value: the comma if one is due, then the key. */
static void
json_begin(struct json *j, const char *key)
{
	if (j->more[j->depth])
		jbuf_addc(&j->out, ',');
	j->more[j->depth] = 1;
	if (key != NULL) {
		json_quote(&j->out, key);
		jbuf_addc(&j->out, ':');
	}
}

static void
json_open(struct json *j, const char *key, char c)
{
	json_begin(j, key);
	jbuf_addc(&j->out, c);
	if (j->depth + 1 == j->maxdepth) {
		j->more = xreallocarray(j->more, j->maxdepth, 2);
		j->maxdepth *= 2;
	}
	j->more[++j->depth] = 0;
}

/* Closing more than was opened is a caller bug; ignore it rather than
 * write text that no reader would accept. */
static void
json_close(struct json *j, char c)
{
	if (j->depth == 0)
		return;
	j->depth--;
	jbuf_addc(&j->out, c);
}

void
json_obj_open(struct json *j, const char *key)
{
	json_open(j, key, '{');
}

void
json_obj_close(struct json *j)
{
	json_close(j, '}');
}

void
json_arr_open(struct json *j, const char *key)
{
	json_open(j, key, '[');
}

void
json_arr_close(struct json *j)
{
	json_close(j, ']');
}

void
json_str(struct json *j, const char *key, const char *s)
{
	if (s == NULL) {
		json_null(j, key);
		return;
	}
	json_begin(j, key);
	json_quote(&j->out, s);
}

void
json_int(struct json *j, const char *key, int64_t v)
{
	char	 num[32];

	json_begin(j, key);
	snprintf(num, sizeof num, "%" PRId64, v);
	jbuf_adds(&j->out, num);
}

void
json_uint(struct json *j, const char *key, uint64_t v)
{
	char	 num[32];

	json_begin(j, key);
	snprintf(num, sizeof num, "%" PRIu64, v);
	jbuf_adds(&j->out, num);
}

/*
 * JSON has no NaN or infinity, so those become null. Otherwise use the
 * shortest of 15, 16 or 17 significant digits that reads back as the same
 * double: 0.1 stays "0.1" instead of "0.10000000000000001".
 */
void
json_double(struct json *j, const char *key, double v)
{
	char	 num[40];
	int	 prec;

	if (!isfinite(v)) {
		json_null(j, key);
		return;
	}
	json_begin(j, key);
	for (prec = 15; prec < 17; prec++) {
		snprintf(num, sizeof num, "%.*g", prec, v);
		if (strtod(num, NULL) == v)
			break;
	}
	if (prec == 17)
		snprintf(num, sizeof num, "%.17g", v);
	jbuf_adds(&j->out, num);
}

void
json_bool(struct json *j, const char *key, int v)
{
	json_begin(j, key);
	jbuf_adds(&j->out, v ? "true" : "false");
}

void
json_null(struct json *j, const char *key)
{
	json_begin(j, key);
	jbuf_adds(&j->out, "null");
}

const char *
json_text(const struct json *j)
{
	return (j->out.s);
}

size_t
json_len(const struct json *j)
{
	return (j->out.len);
}

void
json_free(struct json *j)
{
	if (j == NULL)
		return;
	free(j->out.s);
	free(j->more);
	free(j);
}

/* Reader. */

static struct json_value *json_parse_value(struct json_parser *, int);

static int
json_fail(struct json_parser *jp, const char *why)
{
	jp->why = why;
	return (-1);
}

static void
json_skip_blanks(struct json_parser *jp)
{
	while (jp->p < jp->end && (*jp->p == ' ' || *jp->p == '\t' ||
	    *jp->p == '\n' || *jp->p == '\r'))
		jp->p++;
}

static int
json_hex4(struct json_parser *jp, uint32_t *v)
{
	int	 i;
	char	 c;

	*v = 0;
	for (i = 0; i < 4; i++) {
		if (jp->p >= jp->end)
			return (json_fail(jp, "truncated \\u escape"));
		c = (char)*jp->p++;
		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (uint32_t)(c - 'A' + 10);
		else
			return (json_fail(jp,
			    "invalid hex digit in \\u escape"));
	}
	return (0);
}

/*
 * A \u escape, jp->p just past the "u". A UTF-16 surrogate pair becomes
 * one code point; a lone surrogate has no UTF-8 form and is refused.
 * \u0000 is refused too: every consumer handles C strings, and a NUL
 * inside one would silently cut a name short (a backup ID, a path).
 */
static int
json_unicode(struct json_parser *jp, uint32_t *cp)
{
	uint32_t	 lo;

	if (json_hex4(jp, cp) == -1)
		return (-1);
	if (*cp == 0)
		return (json_fail(jp, "\\u0000 is not allowed"));
	if (*cp >= 0xdc00 && *cp <= 0xdfff)
		return (json_fail(jp, "unpaired UTF-16 surrogate"));
	if (*cp < 0xd800 || *cp > 0xdbff)
		return (0);
	if (jp->end - jp->p < 2 || jp->p[0] != '\\' || jp->p[1] != 'u')
		return (json_fail(jp, "unpaired UTF-16 surrogate"));
	jp->p += 2;
	if (json_hex4(jp, &lo) == -1)
		return (-1);
	if (lo < 0xdc00 || lo > 0xdfff)
		return (json_fail(jp, "unpaired UTF-16 surrogate"));
	*cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
	return (0);
}

/* A string, jp->p on the opening quote; the result is allocated. */
static char *
json_parse_string(struct json_parser *jp)
{
	uint32_t	 cp;
	size_t		 len;
	unsigned char	 c;

	jp->p++;
	jp->tmp.len = 0;
	jbuf_grow(&jp->tmp, 0);
	for (;;) {
		if (jp->p >= jp->end) {
			json_fail(jp, "unterminated string");
			return (NULL);
		}
		c = *jp->p;
		if (c == '"')
			break;
		if (c < 0x20) {
			json_fail(jp, "control character in string");
			return (NULL);
		}
		if (c >= 0x80) {
			if (!utf8_check(jp->p, (size_t)(jp->end - jp->p),
			    &len)) {
				json_fail(jp, "invalid UTF-8 in string");
				return (NULL);
			}
			jbuf_add(&jp->tmp, jp->p, len);
			jp->p += len;
			continue;
		}
		jp->p++;
		if (c != '\\') {
			jbuf_addc(&jp->tmp, (char)c);
			continue;
		}
		if (jp->p >= jp->end) {
			json_fail(jp, "unterminated string");
			return (NULL);
		}
		switch ((c = *jp->p++)) {
		case '"':
		case '\\':
		case '/':
			jbuf_addc(&jp->tmp, (char)c);
			break;
		case 'b':
			jbuf_addc(&jp->tmp, '\b');
			break;
		case 'f':
			jbuf_addc(&jp->tmp, '\f');
			break;
		case 'n':
			jbuf_addc(&jp->tmp, '\n');
			break;
		case 'r':
			jbuf_addc(&jp->tmp, '\r');
			break;
		case 't':
			jbuf_addc(&jp->tmp, '\t');
			break;
		case 'u':
			if (json_unicode(jp, &cp) == -1)
				return (NULL);
			utf8_put(&jp->tmp, cp);
			break;
		default:
			json_fail(jp, "invalid escape in string");
			return (NULL);
		}
	}
	jp->p++;
	return (xstrndup(jp->tmp.s, jp->tmp.len));
}

static int
json_isdigit(const struct json_parser *jp, const unsigned char *q)
{
	return (q < jp->end && *q >= '0' && *q <= '9');
}

/*
 * A number. The grammar is checked here because strtod() accepts much
 * more than JSON does ("0x1p3", "inf", "+1", ".5", "1."); strtod() then
 * only converts text already known to be good. A number too large for a
 * double is refused rather than turned into infinity, which JSON cannot
 * express on the way back out.
 */
static int
json_parse_number(struct json_parser *jp, double *v)
{
	const unsigned char	*q = jp->p;

	if (q < jp->end && *q == '-')
		q++;
	if (!json_isdigit(jp, q))
		return (json_fail(jp, "invalid number"));
	if (*q == '0')
		q++;
	else
		while (json_isdigit(jp, q))
			q++;
	if (q < jp->end && *q == '.') {
		q++;
		if (!json_isdigit(jp, q))
			return (json_fail(jp, "invalid number"));
		while (json_isdigit(jp, q))
			q++;
	}
	if (q < jp->end && (*q == 'e' || *q == 'E')) {
		q++;
		if (q < jp->end && (*q == '+' || *q == '-'))
			q++;
		if (!json_isdigit(jp, q))
			return (json_fail(jp, "invalid number"));
		while (json_isdigit(jp, q))
			q++;
	}
	/* "01", "1.2.3", "1e5e5": the grammar stopped inside a token. */
	if (q < jp->end && ((*q >= '0' && *q <= '9') || *q == '.' ||
	    *q == 'e' || *q == 'E' || *q == '+' || *q == '-'))
		return (json_fail(jp, "invalid number"));

	/* The input need not be NUL-terminated: convert a copy. */
	jp->tmp.len = 0;
	jbuf_add(&jp->tmp, jp->p, (size_t)(q - jp->p));
	errno = 0;
	*v = strtod(jp->tmp.s, NULL);
	if (errno == ERANGE && isinf(*v))
		return (json_fail(jp, "number out of range"));
	jp->p = q;
	return (0);
}

static int
json_parse_literal(struct json_parser *jp, const char *word)
{
	size_t	 n = strlen(word);

	if ((size_t)(jp->end - jp->p) < n || memcmp(jp->p, word, n) != 0)
		return (json_fail(jp, "invalid literal"));
	jp->p += n;
	if (jp->p < jp->end && ((*jp->p >= 'a' && *jp->p <= 'z') ||
	    (*jp->p >= 'A' && *jp->p <= 'Z') || (*jp->p >= '0' &&
	    *jp->p <= '9')))
		return (json_fail(jp, "invalid literal"));
	return (0);
}

static void
json_push(struct json_value *v, char *key, struct json_value *item)
{
	if ((v->n & (v->n - 1)) == 0) {
		/* n is 0 or a power of two: time to double. */
		v->items = xreallocarray(v->items, v->n ? v->n * 2 : 1,
		    sizeof *v->items);
		if (v->type == JSON_OBJECT)
			v->keys = xreallocarray(v->keys, v->n ? v->n * 2 : 1,
			    sizeof *v->keys);
	}
	if (v->type == JSON_OBJECT)
		v->keys[v->n] = key;
	v->items[v->n++] = item;
}

/* The members of an object or elements of an array, jp->p past the
 * opening bracket. */
static int
json_parse_members(struct json_parser *jp, struct json_value *v, int depth)
{
	struct json_value	*item;
	char			*key = NULL;
	char			 close = v->type == JSON_OBJECT ? '}' : ']';

	json_skip_blanks(jp);
	if (jp->p < jp->end && *jp->p == close) {
		jp->p++;
		return (0);
	}
	for (;;) {
		if (v->type == JSON_OBJECT) {
			if (jp->p >= jp->end)
				return (json_fail(jp,
				    "unexpected end of input"));
			if (*jp->p != '"')
				return (json_fail(jp, "expected string key"));
			if ((key = json_parse_string(jp)) == NULL)
				return (-1);
			json_skip_blanks(jp);
			if (jp->p >= jp->end || *jp->p != ':') {
				free(key);
				return (json_fail(jp, jp->p >= jp->end ?
				    "unexpected end of input" :
				    "expected ':' after key"));
			}
			jp->p++;
		}
		if ((item = json_parse_value(jp, depth + 1)) == NULL) {
			free(key);
			return (-1);
		}
		json_push(v, key, item);
		key = NULL;
		json_skip_blanks(jp);
		if (jp->p >= jp->end)
			return (json_fail(jp, "unexpected end of input"));
		if (*jp->p == close) {
			jp->p++;
			return (0);
		}
		if (*jp->p != ',')
			return (json_fail(jp, close == '}' ?
			    "expected ',' or '}'" : "expected ',' or ']'"));
		jp->p++;
		json_skip_blanks(jp);
	}
}

/*
 * One value, leading blanks allowed. `depth` counts the containers around
 * it; a container at depth JSON_MAX_DEPTH would be one too many.
 */
static struct json_value *
json_parse_value(struct json_parser *jp, int depth)
{
	struct json_value	*v;
	int			 rv = 0;

	json_skip_blanks(jp);
	if (jp->p >= jp->end) {
		json_fail(jp, "unexpected end of input");
		return (NULL);
	}
	v = xcalloc(1, sizeof *v);
	switch (*jp->p) {
	case '{':
	case '[':
		v->type = *jp->p == '{' ? JSON_OBJECT : JSON_ARRAY;
		if (depth >= JSON_MAX_DEPTH) {
			rv = json_fail(jp, "nesting too deep");
			break;
		}
		jp->p++;
		rv = json_parse_members(jp, v, depth);
		break;
	case '"':
		v->type = JSON_STRING;
		if ((v->string = json_parse_string(jp)) == NULL)
			rv = -1;
		break;
	case 't':
	case 'f':
		v->type = JSON_BOOL;
		v->boolean = *jp->p == 't';
		rv = json_parse_literal(jp, v->boolean ? "true" : "false");
		break;
	case 'n':
		v->type = JSON_NULL;
		rv = json_parse_literal(jp, "null");
		break;
	default:
		v->type = JSON_NUMBER;
		if (*jp->p == '-' || (*jp->p >= '0' && *jp->p <= '9'))
			rv = json_parse_number(jp, &v->number);
		else
			rv = json_fail(jp, "unexpected character");
		break;
	}
	if (rv == -1) {
		json_value_free(v);
		return (NULL);
	}
	return (v);
}

struct json_value *
json_parse(const char *text, size_t len, const char **why)
{
	struct json_parser	 jp;
	struct json_value	*v = NULL;

	memset(&jp, 0, sizeof jp);
	jp.p = (const unsigned char *)text;
	jp.end = jp.p + (text == NULL ? 0 : len);
	json_skip_blanks(&jp);
	if (jp.p >= jp.end)
		json_fail(&jp, "empty input");
	else if ((v = json_parse_value(&jp, 0)) != NULL) {
		json_skip_blanks(&jp);
		if (jp.p < jp.end) {
			json_value_free(v);
			v = NULL;
			json_fail(&jp, "trailing characters after the value");
		}
	}
	free(jp.tmp.s);
	if (why != NULL)
		*why = v == NULL ? jp.why : NULL;
	return (v);
}

void
json_value_free(struct json_value *v)
{
	size_t	 i;

	if (v == NULL)
		return;
	for (i = 0; i < v->n; i++) {
		if (v->keys != NULL)
			free(v->keys[i]);
		json_value_free(v->items[i]);
	}
	free(v->keys);
	free(v->items);
	free(v->string);
	free(v);
}

/* With duplicate member names the first one wins, as in most readers. */
const struct json_value *
json_get(const struct json_value *v, const char *key)
{
	size_t	 i;

	if (v == NULL || v->type != JSON_OBJECT)
		return (NULL);
	for (i = 0; i < v->n; i++)
		if (strcmp(v->keys[i], key) == 0)
			return (v->items[i]);
	return (NULL);
}

const char *
json_get_str(const struct json_value *v, const char *key)
{
	const struct json_value	*m;

	if ((m = json_get(v, key)) == NULL || m->type != JSON_STRING)
		return (NULL);
	return (m->string);
}

int
json_get_num(const struct json_value *v, const char *key, double *num)
{
	const struct json_value	*m;

	if ((m = json_get(v, key)) == NULL || m->type != JSON_NUMBER)
		return (-1);
	*num = m->number;
	return (0);
}
