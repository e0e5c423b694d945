/*
 * text: the stub's own JSON and HTML escaping and the little JSON reading
 * it needs (one string member of a request body). The stub links nothing
 * from supervisor/, so this is a deliberately small local copy; building
 * whole documents is left to routes.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "app-stub.h"

#define TEXT_MAX_DEPTH	32

struct text_in {
	const unsigned char	*p;
	const unsigned char	*end;
};

static size_t	text_utf8_len(const unsigned char *, size_t);
static void	text_skip_ws(struct text_in *);
static int	text_hex4(struct text_in *, unsigned int *);
static void	text_put_utf8(struct evbuffer *, unsigned int);
static int	text_string(struct text_in *, struct evbuffer *);
static int	text_skip_value(struct text_in *, int);

/*
 * Length of the valid UTF-8 sequence at `s`, or 0 if it is not one
 * (overlong forms, surrogates and code points past U+10FFFF included).
 */
static size_t
text_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char	 lo = 0x80, hi = 0xbf;
	size_t		 len, i;

	if (s[0] < 0x80)
		return (1);
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else
		return (0);
	if (n < len || s[1] < lo || s[1] > hi)
		return (0);
	for (i = 2; i < len; i++) {
		if (s[i] < 0x80 || s[i] > 0xbf)
			return (0);
	}
	return (len);
}

void
text_json(struct evbuffer *b, const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	const unsigned char	*end = p + len;
	size_t			 n;

	evbuffer_add(b, "\"", 1);
	while (p < end) {
		switch (*p) {
		case '"':
			evbuffer_add(b, "\\\"", 2);
			break;
		case '\\':
			evbuffer_add(b, "\\\\", 2);
			break;
		case '\b':
			evbuffer_add(b, "\\b", 2);
			break;
		case '\f':
			evbuffer_add(b, "\\f", 2);
			break;
		case '\n':
			evbuffer_add(b, "\\n", 2);
			break;
		case '\r':
			evbuffer_add(b, "\\r", 2);
			break;
		case '\t':
			evbuffer_add(b, "\\t", 2);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				evbuffer_add_printf(b, "\\u%04x", *p);
				break;
			}
			if ((n = text_utf8_len(p, (size_t)(end - p))) == 0) {
				/* Valid JSON out, whatever was stored. */
				evbuffer_add(b, "\\ufffd", 6);
				break;
			}
			/*
			 * U+2028 and U+2029 are legal in JSON but end a line
			 * in JavaScript source; escape them for pages that
			 * inline our output.
			 */
			if (n == 3 && p[0] == 0xe2 && p[1] == 0x80 &&
			    (p[2] == 0xa8 || p[2] == 0xa9))
				evbuffer_add_printf(b, "\\u%04x",
				    0x2000 | (p[2] - 0xa8 + 0x28));
			else
				evbuffer_add(b, p, n);
			p += n;
			continue;
		}
		p++;
	}
	evbuffer_add(b, "\"", 1);
}

void
text_html(struct evbuffer *b, const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		switch (s[i]) {
		case '&':
			evbuffer_add(b, "&amp;", 5);
			break;
		case '<':
			evbuffer_add(b, "&lt;", 4);
			break;
		case '>':
			evbuffer_add(b, "&gt;", 4);
			break;
		case '"':
			evbuffer_add(b, "&quot;", 6);
			break;
		case '\'':
			evbuffer_add(b, "&#39;", 5);
			break;
		default:
			evbuffer_add(b, &s[i], 1);
			break;
		}
	}
}

static void
text_skip_ws(struct text_in *in)
{
	while (in->p < in->end && (*in->p == ' ' || *in->p == '\t' ||
	    *in->p == '\n' || *in->p == '\r'))
		in->p++;
}

static int
text_hex4(struct text_in *in, unsigned int *cp)
{
	unsigned int	 v = 0;
	int		 i, c;

	if (in->end - in->p < 4)
		return (-1);
	for (i = 0; i < 4; i++) {
		c = *in->p++;
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned int)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned int)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned int)(c - 'A' + 10);
		else
			return (-1);
	}
	*cp = v;
	return (0);
}

static void
text_put_utf8(struct evbuffer *b, unsigned int cp)
{
	unsigned char	 u[4];
	size_t		 n;

	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xc0 | (cp >> 6));
		u[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xe0 | (cp >> 12));
		u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (unsigned char)(0xf0 | (cp >> 18));
		u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	evbuffer_add(b, u, n);
}

/*
 * Read the string at in->p (which is at its opening quote) and append its
 * decoded bytes to `out`, which may be NULL to only skip it.
 */
static int
text_string(struct text_in *in, struct evbuffer *out)
{
	const unsigned char	*run;
	unsigned int		 cp, lo;
	unsigned char		 c;

	in->p++;
	for (;;) {
		for (run = in->p; in->p < in->end && *in->p != '"' &&
		    *in->p != '\\' && *in->p >= 0x20; in->p++)
			;
		if (out != NULL && in->p > run)
			evbuffer_add(out, run, (size_t)(in->p - run));
		if (in->p == in->end || *in->p < 0x20)
			return (-1);
		if (*in->p++ == '"')
			return (0);
		if (in->p == in->end)
			return (-1);
		switch ((c = *in->p++)) {
		case '"':
		case '\\':
		case '/':
			break;
		case 'b':
			c = '\b';
			break;
		case 'f':
			c = '\f';
			break;
		case 'n':
			c = '\n';
			break;
		case 'r':
			c = '\r';
			break;
		case 't':
			c = '\t';
			break;
		case 'u':
			if (text_hex4(in, &cp) == -1)
				return (-1);
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return (-1);
			if (cp >= 0xd800 && cp <= 0xdbff) {
				/* A high surrogate needs a low one next. */
				if (in->end - in->p < 6 || in->p[0] != '\\' ||
				    in->p[1] != 'u')
					return (-1);
				in->p += 2;
				if (text_hex4(in, &lo) == -1 ||
				    lo < 0xdc00 || lo > 0xdfff)
					return (-1);
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
			}
			if (out != NULL)
				text_put_utf8(out, cp);
			continue;
		default:
			return (-1);
		}
		if (out != NULL)
			evbuffer_add(out, &c, 1);
	}
}

static int
text_skip_value(struct text_in *in, int depth)
{
	static const char	*const words[] = { "true", "false", "null" };
	const unsigned char	*start;
	size_t			 i, n;
	int			 close;

	if (depth > TEXT_MAX_DEPTH)
		return (-1);
	text_skip_ws(in);
	if (in->p == in->end)
		return (-1);
	switch (*in->p) {
	case '"':
		return (text_string(in, NULL));
	case '{':
	case '[':
		close = *in->p == '{' ? '}' : ']';
		in->p++;
		text_skip_ws(in);
		if (in->p < in->end && *in->p == close) {
			in->p++;
			return (0);
		}
		for (;;) {
			if (close == '}') {
				text_skip_ws(in);
				if (in->p == in->end || *in->p != '"' ||
				    text_string(in, NULL) == -1)
					return (-1);
				text_skip_ws(in);
				if (in->p == in->end || *in->p++ != ':')
					return (-1);
			}
			if (text_skip_value(in, depth + 1) == -1)
				return (-1);
			text_skip_ws(in);
			if (in->p == in->end)
				return (-1);
			if (*in->p == close) {
				in->p++;
				return (0);
			}
			if (*in->p++ != ',')
				return (-1);
		}
	default:
		break;
	}
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		n = strlen(words[i]);
		if ((size_t)(in->end - in->p) >= n &&
		    memcmp(in->p, words[i], n) == 0) {
			in->p += n;
			return (0);
		}
	}
	/* A number; being lenient about its exact grammar is harmless here. */
	for (start = in->p; in->p < in->end &&
	    strchr("+-0123456789.eE", *in->p) != NULL; in->p++)
		;
	return (in->p > start ? 0 : -1);
}

int
text_json_member(const char *buf, size_t len, const char *key, char **out,
    size_t *outlen)
{
	struct text_in	 in;
	struct evbuffer	*name = NULL, *value = NULL;
	size_t		 klen = strlen(key), n;
	int		 match;

	in.p = (const unsigned char *)buf;
	in.end = in.p + len;
	if ((name = evbuffer_new()) == NULL)
		goto fail;
	text_skip_ws(&in);
	if (in.p == in.end || *in.p++ != '{')
		goto invalid;
	text_skip_ws(&in);
	if (in.p < in.end && *in.p == '}') {
		in.p++;
		goto end;
	}
	for (;;) {
		text_skip_ws(&in);
		if (in.p == in.end || *in.p != '"')
			goto invalid;
		evbuffer_drain(name, evbuffer_get_length(name));
		if (text_string(&in, name) == -1)
			goto invalid;
		text_skip_ws(&in);
		if (in.p == in.end || *in.p++ != ':')
			goto invalid;
		text_skip_ws(&in);
		match = value == NULL && evbuffer_get_length(name) == klen &&
		    memcmp(evbuffer_pullup(name, -1), key, klen) == 0;
		if (match) {
			if (in.p == in.end || *in.p != '"') {
				errno = EINVAL;
				goto fail;
			}
			if ((value = evbuffer_new()) == NULL)
				goto fail;
			if (text_string(&in, value) == -1)
				goto invalid;
		} else if (text_skip_value(&in, 1) == -1)
			goto invalid;
		text_skip_ws(&in);
		if (in.p == in.end)
			goto invalid;
		if (*in.p == '}') {
			in.p++;
			break;
		}
		if (*in.p++ != ',')
			goto invalid;
	}
end:
	text_skip_ws(&in);
	if (in.p != in.end)
		goto invalid;
	if (value == NULL) {
		errno = ENOENT;
		goto fail;
	}
	n = evbuffer_get_length(value);
	if ((*out = malloc(n + 1)) == NULL)
		goto fail;
	evbuffer_remove(value, *out, n);
	(*out)[n] = '\0';
	*outlen = n;
	evbuffer_free(value);
	evbuffer_free(name);
	return (0);
invalid:
	errno = EINVAL;
fail:
	if (value != NULL)
		evbuffer_free(value);
	if (name != NULL)
		evbuffer_free(name);
	return (-1);
}
