/*
 * test-json: the writer's escaping, commas and numbers, and the reader's
 * grammar, error phrases, depth limit and \u handling, driven by tables.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "tap.h"

/* Writer: one function per document, with the text it must produce. */

static void
w_empty_obj(struct json *j)
{
	json_obj_open(j, NULL);
	json_obj_close(j);
}

static void
w_empty_arr(struct json *j)
{
	json_arr_open(j, NULL);
	json_arr_close(j);
}

static void
w_nested(struct json *j)
{
	json_obj_open(j, NULL);
	json_int(j, "a", 1);
	json_arr_open(j, "b");
	json_int(j, NULL, 1);
	json_int(j, NULL, 2);
	json_obj_open(j, NULL);
	json_null(j, "c");
	json_obj_close(j);
	json_arr_open(j, NULL);
	json_arr_close(j);
	json_arr_close(j);
	json_obj_open(j, "d");
	json_bool(j, "e", 1);
	json_bool(j, "f", 0);
	json_obj_close(j);
	json_str(j, "g", "x");
	json_obj_close(j);
}

static void
w_top_array(struct json *j)
{
	json_arr_open(j, NULL);
	json_str(j, NULL, "a");
	json_str(j, NULL, NULL);
	json_uint(j, NULL, UINT64_MAX);
	json_int(j, NULL, INT64_MIN);
	json_int(j, NULL, INT64_MAX);
	json_arr_close(j);
}

static void
w_escapes(struct json *j)
{
	json_obj_open(j, NULL);
	json_str(j, "k\"\\", "q\"b\\s/\x01\x1f\n\t\r\b\f\x7f");
	json_obj_close(j);
}

/* Deeper than the reader allows: the writer does not limit depth. */
static void
w_deep(struct json *j)
{
	int	 i;

	for (i = 0; i < 40; i++)
		json_arr_open(j, NULL);
	for (i = 0; i < 40; i++)
		json_arr_close(j);
}

static void
w_extra_close(struct json *j)
{
	json_arr_open(j, NULL);
	json_arr_close(j);
	json_arr_close(j);
	json_obj_close(j);
}

static void
w_doubles(struct json *j)
{
	json_arr_open(j, NULL);
	json_double(j, NULL, 0.1);
	json_double(j, NULL, 1.5);
	json_double(j, NULL, -0.0);
	json_double(j, NULL, 1e300);
	json_double(j, NULL, 0.30000000000000004);
	json_double(j, NULL, NAN);
	json_double(j, NULL, INFINITY);
	json_double(j, NULL, -INFINITY);
	json_double(j, NULL, 3);
	json_arr_close(j);
}

static void
w_nonfinite_member(struct json *j)
{
	json_obj_open(j, NULL);
	json_double(j, "x", NAN);
	json_double(j, "y", 2);
	json_obj_close(j);
}

static const struct {
	const char	*name;
	void		(*build)(struct json *);
	const char	*want;
} writer_cases[] = {
	{ "empty object", w_empty_obj, "{}" },
	{ "empty array", w_empty_arr, "[]" },
	{ "nesting and commas", w_nested,
	  "{\"a\":1,\"b\":[1,2,{\"c\":null},[]],"
	  "\"d\":{\"e\":true,\"f\":false},\"g\":\"x\"}" },
	{ "top-level array, null string, integer limits", w_top_array,
	  "[\"a\",null,18446744073709551615,-9223372036854775808,"
	  "9223372036854775807]" },
	{ "escapes in keys and values", w_escapes,
	  "{\"k\\\"\\\\\":\"q\\\"b\\\\s/\\u0001\\u001f\\n\\t\\r\\b\\f\x7f\"}" },
	{ "deep nesting", w_deep,
	  "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	  "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]" },
	{ "unbalanced close is ignored", w_extra_close, "[]" },
	{ "doubles, NaN and infinities as null", w_doubles,
	  "[0.1,1.5,-0,1e+300,0.30000000000000004,null,null,null,3]" },
	{ "NaN member", w_nonfinite_member, "{\"x\":null,\"y\":2}" },
};

/* Invalid UTF-8: each maximal ill-formed prefix becomes one U+FFFD. */
#define FFFD	"\xef\xbf\xbd"
static const struct {
	const char	*in;
	const char	*want;	/* without the quotes */
} utf8_cases[] = {
	{ "plain", "plain" },
	{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	  "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" },
	{ "a\xff" "b", "a" FFFD "b" },
	{ "\x80", FFFD },
	{ "\xc0\xaf", FFFD FFFD },		/* overlong '/' */
	{ "\xe0\x80\xaf", FFFD FFFD FFFD },	/* overlong '/' */
	{ "\xed\xa0\x80", FFFD FFFD FFFD },	/* surrogate D800 */
	{ "\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD }, /* above U+10FFFF */
	{ "\xe2\x82", FFFD },			/* truncated at the end */
	{ "\xe2\x82x", FFFD "x" },		/* truncated in the middle */
	{ "\xf0\x9f\x98", FFFD },
	{ "\xf5\x80", FFFD FFFD },
	{ "\xef\xbf\xbf", "\xef\xbf\xbf" },	/* U+FFFF is well-formed */
	{ "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf" }, /* U+10FFFF */
};

static void
test_writer(void)
{
	struct json	*j;
	char		*want;
	size_t		 i;

	for (i = 0; i < sizeof writer_cases / sizeof writer_cases[0]; i++) {
		j = json_new();
		writer_cases[i].build(j);
		if (!ok(strcmp(json_text(j), writer_cases[i].want) == 0,
		    "writer: %s", writer_cases[i].name))
			printf("# got  %s\n# want %s\n", json_text(j),
			    writer_cases[i].want);
		ok(json_len(j) == strlen(json_text(j)),
		    "writer: %s: json_len", writer_cases[i].name);
		json_free(j);
	}

	j = json_new();
	ok(strcmp(json_text(j), "") == 0 && json_len(j) == 0,
	    "writer: a new writer holds the empty string");
	json_free(j);
	json_free(NULL);

	for (i = 0; i < sizeof utf8_cases / sizeof utf8_cases[0]; i++) {
		j = json_new();
		json_str(j, NULL, utf8_cases[i].in);
		if (asprintf(&want, "\"%s\"", utf8_cases[i].want) == -1)
			abort();
		if (!ok(strcmp(json_text(j), want) == 0,
		    "writer: UTF-8 case %zu", i))
			printf("# got  %s\n# want %s\n", json_text(j), want);
		free(want);
		json_free(j);
	}
}

/* Reader: text that must be refused, and the phrase that says why. */
static const struct {
	const char	*in;
	const char	*why;
} error_cases[] = {
	{ "", "empty input" },
	{ " \t\r\n", "empty input" },
	{ "[", "unexpected end of input" },
	{ "[1", "unexpected end of input" },
	{ "[1,", "unexpected end of input" },
	{ "{", "unexpected end of input" },
	{ "{\"a\"", "unexpected end of input" },
	{ "{\"a\":", "unexpected end of input" },
	{ "{\"a\":1", "unexpected end of input" },
	{ "{\"a\":1,", "unexpected end of input" },
	{ "[1,]", "unexpected character" },
	{ "[,1]", "unexpected character" },
	{ "{\"a\":1,}", "expected string key" },
	{ "{1:2}", "expected string key" },
	{ "{'a':1}", "expected string key" },
	{ "{\"a\" 1}", "expected ':' after key" },
	{ "{\"a\":1 \"b\":2}", "expected ',' or '}'" },
	{ "[1 2]", "expected ',' or ']'" },
	{ "[1:2]", "expected ',' or ']'" },
	{ "{\"a\":1]", "expected ',' or '}'" },
	{ "[1}", "expected ',' or ']'" },
	{ "1 2", "trailing characters after the value" },
	{ "{} {}", "trailing characters after the value" },
	{ "nul", "invalid literal" },
	{ "tru", "invalid literal" },
	{ "True", "unexpected character" },
	{ "falsey", "invalid literal" },
	{ "nullx", "invalid literal" },
	{ "NaN", "unexpected character" },
	{ "Infinity", "unexpected character" },
	{ "'a'", "unexpected character" },
	{ "+1", "unexpected character" },
	{ ".5", "unexpected character" },
	{ "-", "invalid number" },
	{ "-a", "invalid number" },
	{ "01", "invalid number" },
	{ "-01", "invalid number" },
	{ "1.", "invalid number" },
	{ "1.e5", "invalid number" },
	{ "1e", "invalid number" },
	{ "1e+", "invalid number" },
	{ "1.2.3", "invalid number" },
	{ "1e5e5", "invalid number" },
	{ "0x10", "trailing characters after the value" },
	{ "1e400", "number out of range" },
	{ "-1e400", "number out of range" },
	{ "\"abc", "unterminated string" },
	{ "\"abc\\", "unterminated string" },
	{ "\"a\nb\"", "control character in string" },
	{ "\"a\tb\"", "control character in string" },
	{ "\"\\x\"", "invalid escape in string" },
	{ "\"\\'\"", "invalid escape in string" },
	{ "\"\\u12\"", "invalid hex digit in \\u escape" },
	{ "\"\\u12", "truncated \\u escape" },
	{ "\"\\u12g4\"", "invalid hex digit in \\u escape" },
	{ "\"\\u0000\"", "\\u0000 is not allowed" },
	{ "\"\\ud800\"", "unpaired UTF-16 surrogate" },
	{ "\"\\ud800x\"", "unpaired UTF-16 surrogate" },
	{ "\"\\ud800\\n\"", "unpaired UTF-16 surrogate" },
	{ "\"\\ud800\\u0041\"", "unpaired UTF-16 surrogate" },
	{ "\"\\ud800\\ud800\"", "unpaired UTF-16 surrogate" },
	{ "\"\\udc00\"", "unpaired UTF-16 surrogate" },
	{ "\"\\udfff\\ud800\"", "unpaired UTF-16 surrogate" },
	{ "\"\xff\"", "invalid UTF-8 in string" },
	{ "\"\xc0\xaf\"", "invalid UTF-8 in string" },
	{ "\"\xed\xa0\x80\"", "invalid UTF-8 in string" },
	{ "\"\xe2\x82\"", "invalid UTF-8 in string" },
	{ "[\xc3\xa9]", "unexpected character" },
	{ "\xef\xbb\xbf{}", "unexpected character" },	/* BOM */
	{ "/* c */ 1", "unexpected character" },
	{ "\f1", "unexpected character" },
	{ "{\"a\":\"b\"\"c\":1}", "expected ',' or '}'" },
};

static void
test_errors(void)
{
	struct json_value	*v;
	const char		*why;
	size_t			 i;

	for (i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++) {
		why = NULL;
		v = json_parse(error_cases[i].in, strlen(error_cases[i].in),
		    &why);
		if (!ok(v == NULL && why != NULL &&
		    strcmp(why, error_cases[i].why) == 0,
		    "reader refuses case %zu: %s", i, error_cases[i].why))
			printf("# got %s\n", why ? why : "(success)");
		json_value_free(v);
	}

	/* A NUL byte is data, not the end of the text. */
	v = json_parse("[1]\0", 4, &why);
	ok(v == NULL && strcmp(why, "trailing characters after the value") ==
	    0, "reader: NUL after the value is trailing garbage");
	v = json_parse("\"a\0b\"", 5, &why);
	ok(v == NULL && strcmp(why, "control character in string") == 0,
	    "reader: NUL inside a string is a control character");
	v = json_parse(NULL, 0, &why);
	ok(v == NULL && strcmp(why, "empty input") == 0,
	    "reader: NULL text is empty");
	v = json_parse("x", 1, NULL);
	ok(v == NULL, "reader: why may be NULL");
}

static char *
nest(int depth, char open, char close, const char *inner)
{
	const char	*o = open == '{' ? "{\"k\":" : "[";
	char		*s, *p;
	int		 i;

	p = s = malloc((size_t)depth * (strlen(o) + 1) + strlen(inner) + 1);
	for (i = 0; i < depth; i++)
		p = stpcpy(p, o);
	p = stpcpy(p, inner);
	for (i = 0; i < depth; i++)
		*p++ = close;
	*p = '\0';
	return (s);
}

static void
test_depth(void)
{
	struct json_value	*v;
	const struct json_value	*p;
	const char		*why;
	char			*s;
	int			 i;

	s = nest(32, '[', ']', "1");
	v = json_parse(s, strlen(s), &why);
	ok(v != NULL, "depth: 32 nested arrays are accepted");
	for (i = 0, p = v; p != NULL && p->type == JSON_ARRAY; i++)
		p = p->n == 1 ? p->items[0] : NULL;
	ok(i == 32 && p != NULL && p->type == JSON_NUMBER && p->number == 1,
	    "depth: the innermost value is reached through 32 arrays");
	json_value_free(v);
	free(s);

	s = nest(33, '[', ']', "1");
	v = json_parse(s, strlen(s), &why);
	ok(v == NULL && strcmp(why, "nesting too deep") == 0,
	    "depth: 33 nested arrays are refused");
	free(s);

	s = nest(32, '{', '}', "{}");
	v = json_parse(s, strlen(s), &why);
	ok(v == NULL && strcmp(why, "nesting too deep") == 0,
	    "depth: an empty object at depth 33 is refused");
	free(s);

	s = nest(31, '{', '}', "[]");
	v = json_parse(s, strlen(s), &why);
	ok(v != NULL, "depth: 31 objects around an array are accepted");
	json_value_free(v);
	free(s);

	/* Far beyond the limit: must fail fast, not overflow the stack. */
	s = nest(100000, '[', ']', "");
	v = json_parse(s, strlen(s), &why);
	ok(v == NULL && strcmp(why, "nesting too deep") == 0,
	    "depth: 100000 nested arrays are refused");
	free(s);
}

static const struct {
	const char	*in;
	const char	*want;
} unicode_cases[] = {
	{ "\"\\u0041\"", "A" },
	{ "\"\\u00e9\"", "\xc3\xa9" },
	{ "\"\\u00E9\"", "\xc3\xa9" },
	{ "\"\\u20ac\"", "\xe2\x82\xac" },
	{ "\"\\uffff\"", "\xef\xbf\xbf" },
	{ "\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80" },
	{ "\"\\uD83D\\uDE00\"", "\xf0\x9f\x98\x80" },
	{ "\"\\udbff\\udfff\"", "\xf4\x8f\xbf\xbf" },
	{ "\"\\u0001\"", "\x01" },
	{ "\"x\\\"\\\\\\/\\b\\f\\n\\r\\ty\"", "x\"\\/\b\f\n\r\ty" },
	{ "\"caf\xc3\xa9\"", "caf\xc3\xa9" },
	{ "\"\"", "" },
	{ "\"\x7f\"", "\x7f" },
};

static void
test_strings(void)
{
	struct json_value	*v;
	const char		*why;
	size_t			 i;

	for (i = 0; i < sizeof unicode_cases / sizeof unicode_cases[0]; i++) {
		v = json_parse(unicode_cases[i].in, strlen(unicode_cases[i].in),
		    &why);
		ok(v != NULL && v->type == JSON_STRING &&
		    strcmp(v->string, unicode_cases[i].want) == 0,
		    "strings: case %zu %s", i, unicode_cases[i].in);
		json_value_free(v);
	}
}

static const struct {
	const char	*in;
	double		 want;
} number_cases[] = {
	{ "0", 0 },
	{ "-0", -0.0 },
	{ "42", 42 },
	{ "-42", -42 },
	{ "3.25", 3.25 },
	{ "1e3", 1000 },
	{ "1E+3", 1000 },
	{ "25e-2", 0.25 },
	{ "0.5", 0.5 },
	{ "1e-400", 0 },	/* underflow is not an error */
	{ "9007199254740993", 9007199254740992.0 },
};

static void
test_scalars(void)
{
	struct json_value	*v;
	const char		*why;
	size_t			 i;

	for (i = 0; i < sizeof number_cases / sizeof number_cases[0]; i++) {
		v = json_parse(number_cases[i].in, strlen(number_cases[i].in),
		    &why);
		ok(v != NULL && v->type == JSON_NUMBER &&
		    v->number == number_cases[i].want,
		    "numbers: %s", number_cases[i].in);
		json_value_free(v);
	}
	v = json_parse("-0", 2, &why);
	ok(v != NULL && signbit(v->number), "numbers: -0 keeps its sign");
	json_value_free(v);

	/* The length bounds the text: "1234" read as two bytes is 12. */
	v = json_parse("1234", 2, &why);
	ok(v != NULL && v->number == 12, "numbers: length is honoured");
	json_value_free(v);

	v = json_parse(" true ", 6, &why);
	ok(v != NULL && v->type == JSON_BOOL && v->boolean == 1,
	    "literals: true with blanks");
	json_value_free(v);
	v = json_parse("false", 5, &why);
	ok(v != NULL && v->type == JSON_BOOL && v->boolean == 0,
	    "literals: false");
	json_value_free(v);
	v = json_parse("null", 4, &why);
	ok(v != NULL && v->type == JSON_NULL, "literals: null");
	json_value_free(v);
}

static void
test_get(void)
{
	static const char	 doc[] =
	    "{ \"state\" : \"running\", \"pid\": 1234, \"up\": null,\n"
	    "  \"list\": [1, \"two\", {}], \"obj\": {\"x\": 1.5},"
	    "  \"dup\": 1, \"dup\": 2, \"\": \"empty\" }";
	struct json_value	*v;
	const struct json_value	*m;
	const char		*why;
	double			 d;

	v = json_parse(doc, sizeof doc - 1, &why);
	if (!ok(v != NULL && v->type == JSON_OBJECT && v->n == 8,
	    "get: document parses with 8 members")) {
		printf("# %s\n", why);
		return;
	}
	ok(strcmp(v->keys[0], "state") == 0 && strcmp(v->keys[7], "") == 0,
	    "get: keys kept in order");
	ok(json_get_str(v, "state") != NULL &&
	    strcmp(json_get_str(v, "state"), "running") == 0,
	    "get: json_get_str finds a string");
	ok(json_get_str(v, "pid") == NULL, "get: json_get_str on a number");
	ok(json_get_str(v, "up") == NULL, "get: json_get_str on null");
	ok(json_get_str(v, "missing") == NULL, "get: json_get_str absent");
	ok(json_get_num(v, "pid", &d) == 0 && d == 1234,
	    "get: json_get_num finds a number");
	d = 7;
	ok(json_get_num(v, "state", &d) == -1 && d == 7,
	    "get: json_get_num on a string leaves the output alone");
	ok(json_get_num(v, "missing", &d) == -1, "get: json_get_num absent");
	m = json_get(v, "up");
	ok(m != NULL && m->type == JSON_NULL, "get: json_get returns null");
	m = json_get(v, "list");
	ok(m != NULL && m->type == JSON_ARRAY && m->n == 3 &&
	    m->items[1]->type == JSON_STRING &&
	    m->items[2]->type == JSON_OBJECT && m->items[2]->n == 0,
	    "get: array elements");
	ok(json_get(m, "x") == NULL, "get: json_get on an array is NULL");
	ok(json_get_num(json_get(v, "obj"), "x", &d) == 0 && d == 1.5,
	    "get: nested object");
	ok(json_get_num(v, "dup", &d) == 0 && d == 1,
	    "get: the first of duplicate names wins");
	ok(json_get_str(v, "") != NULL, "get: the empty name is a name");
	ok(json_get(NULL, "x") == NULL && json_get_str(NULL, "x") == NULL &&
	    json_get_num(NULL, "x", &d) == -1, "get: NULL value");
	json_value_free(v);
	json_value_free(NULL);
}

static const char *const round_strings[] = {
	"",
	"plain",
	"quote \" backslash \\ slash /",
	"\x01\x02\x1f control \b\f\n\r\t",
	"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf",
	"\x7f",
};

static const double round_numbers[] = {
	0, -0.0, 1, -1, 0.1, 1.0 / 3, 2.0 / 3, 1e-300, 4.9406564584124654e-324,
	1.7976931348623157e308, 123456789012345678.0, 0.30000000000000004,
	-2.5e-5, 9007199254740991.0,
};

static void
test_round_trip(void)
{
	struct json		*j;
	struct json_value	*v;
	const struct json_value	*a;
	const char		*why;
	size_t			 i, ns, nn;
	int			 good;

	ns = sizeof round_strings / sizeof round_strings[0];
	nn = sizeof round_numbers / sizeof round_numbers[0];
	j = json_new();
	json_obj_open(j, NULL);
	json_arr_open(j, "strings");
	for (i = 0; i < ns; i++)
		json_str(j, NULL, round_strings[i]);
	json_arr_close(j);
	json_arr_open(j, "numbers");
	for (i = 0; i < nn; i++)
		json_double(j, NULL, round_numbers[i]);
	json_arr_close(j);
	json_int(j, "int", -9007199254740991LL);
	json_bool(j, "t", 1);
	json_null(j, "n");
	json_str(j, "key with \"quotes\" and \xc3\xa9", "v");
	json_obj_close(j);

	v = json_parse(json_text(j), json_len(j), &why);
	if (!ok(v != NULL, "round trip: writer output parses")) {
		printf("# %s: %s\n", why, json_text(j));
		json_free(j);
		return;
	}
	a = json_get(v, "strings");
	good = a != NULL && a->n == ns;
	for (i = 0; good && i < ns; i++)
		good = a->items[i]->type == JSON_STRING &&
		    strcmp(a->items[i]->string, round_strings[i]) == 0;
	ok(good, "round trip: strings come back byte for byte");
	a = json_get(v, "numbers");
	good = a != NULL && a->n == nn;
	for (i = 0; good && i < nn; i++)
		good = a->items[i]->type == JSON_NUMBER &&
		    a->items[i]->number == round_numbers[i] &&
		    signbit(a->items[i]->number) == signbit(round_numbers[i]);
	ok(good, "round trip: doubles come back exactly");
	{
		double	d;

		ok(json_get_num(v, "int", &d) == 0 && d == -9007199254740991.0,
		    "round trip: integer");
	}
	ok(json_get(v, "t") != NULL && json_get(v, "t")->boolean == 1 &&
	    json_get(v, "n") != NULL && json_get(v, "n")->type == JSON_NULL,
	    "round trip: literals");
	ok(json_get_str(v, "key with \"quotes\" and \xc3\xa9") != NULL,
	    "round trip: escaped key");
	json_value_free(v);
	json_free(j);

	/* Invalid UTF-8 in, valid JSON out: the reader must accept it. */
	j = json_new();
	json_str(j, NULL, "bad \xff\xc0\xaf\xed\xa0\x80 end\xe2\x82");
	v = json_parse(json_text(j), json_len(j), &why);
	ok(v != NULL && v->type == JSON_STRING,
	    "round trip: repaired UTF-8 is accepted by the reader");
	json_value_free(v);
	json_free(j);
}

int
main(void)
{
	test_writer();
	test_errors();
	test_depth();
	test_strings();
	test_scalars();
	test_get();
	test_round_trip();
	return (done());
}
