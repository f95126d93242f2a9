/* json.c — the JSON writer; see json.h. */
#include "lib/json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What comes next at a level (w->state[depth]). */
enum {
	J_TOP,	     /* the one top-level value */
	J_DONE,	     /* top-level value written: nothing more */
	J_OBJ_FIRST, /* first key of an object, or its end */
	J_OBJ_KEY,   /* another key (after ","), or the end */
	J_OBJ_VALUE, /* the value of the key just written */
	J_ARR_FIRST, /* first element of an array, or its end */
	J_ARR_NEXT,  /* another element (after ","), or the end */
};

static void fail(struct json_writer *w, int err)
{
	if (!w->error)
		w->error = err;
}

static void writer_init(struct json_writer *w, char *buf, size_t cap, bool fixed,
			const char *indent, unsigned flags)
{
	memset(w, 0, sizeof(*w));
	w->buf = buf;
	w->cap = cap;
	w->fixed = fixed;
	w->indent = indent;
	w->flags = flags;
	w->state[0] = J_TOP;
	if (fixed && cap == 0)
		fail(w, -ENOBUFS);
	else if (fixed)
		buf[0] = 0;
}

void json_writer_init(struct json_writer *w, const char *indent, unsigned flags)
{
	writer_init(w, NULL, 0, false, indent, flags);
}

void json_writer_init_fixed(struct json_writer *w, char *buf, size_t size, const char *indent,
			    unsigned flags)
{
	writer_init(w, buf, size, true, indent, flags);
}

void json_writer_release(struct json_writer *w)
{
	if (!w->fixed)
		free(w->buf);
	w->buf = NULL;
	w->len = w->cap = 0;
}

int json_writer_error(const struct json_writer *w)
{
	if (w->error)
		return w->error;
	return w->depth == 0 && w->state[0] == J_DONE ? 0 : -EINVAL;
}

const char *json_writer_text(const struct json_writer *w, size_t *len)
{
	if (json_writer_error(w))
		return NULL;
	if (len)
		*len = w->len;
	return w->buf;
}

int json_writer_take(struct json_writer *w, char **out, size_t *len)
{
	int r = json_writer_error(w);
	if (r)
		return r;
	char *s = w->buf;
	if (w->fixed) {
		s = strndup(w->buf, w->len);
		if (!s)
			return -ENOMEM;
	} else {
		w->buf = NULL;
	}
	if (len)
		*len = w->len;
	if (!w->fixed)
		w->len = w->cap = 0;
	*out = s;
	return 0;
}

/* Room for n more bytes and the NUL: a fixed buffer has it or fails the
 * document, an own one doubles until it fits. */
static bool has_room(struct json_writer *w, size_t n)
{
	if (w->buf && n < w->cap - w->len)
		return true;
	if (w->fixed) {
		fail(w, -ENOBUFS);
		return false;
	}
	size_t cap = w->cap ? w->cap : 256;
	while (cap - w->len <= n)
		cap *= 2;
	char *b = realloc(w->buf, cap);
	if (!b) {
		fail(w, -ENOMEM);
		return false;
	}
	w->buf = b;
	w->cap = cap;
	return true;
}

/* Append n bytes, keeping the buffer NUL-terminated. */
static void put(struct json_writer *w, const char *s, size_t n)
{
	if (w->error || !has_room(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = 0;
}

static void puts_(struct json_writer *w, const char *s) { put(w, s, strlen(s)); }

/* Pretty layout: a new line indented to the current depth. */
static void newline(struct json_writer *w, unsigned depth)
{
	if (!w->indent)
		return;
	put(w, "\n", 1);
	for (unsigned i = 0; i < depth; i++)
		puts_(w, w->indent);
}

/* Before a value: is one due here, and the separator that precedes it. */
static bool value_due(struct json_writer *w)
{
	if (w->error)
		return false;
	switch (w->state[w->depth]) {
	case J_TOP:
		return true;
	case J_OBJ_VALUE:
		puts_(w, w->indent ? ": " : ":");
		return true;
	case J_ARR_NEXT:
		put(w, ",", 1);
		/* fall through */
	case J_ARR_FIRST:
		newline(w, w->depth);
		return true;
	default: /* a key is due, or the document is complete */
		fail(w, -EINVAL);
		return false;
	}
}

static void value_done(struct json_writer *w)
{
	unsigned char *s = &w->state[w->depth];
	if (*s == J_TOP) {
		*s = J_DONE;
		if (w->indent)
			put(w, "\n", 1); /* as yajl_gen: a beautified document ends a line */
	} else if (*s == J_OBJ_VALUE) {
		*s = J_OBJ_KEY;
	} else {
		*s = J_ARR_NEXT;
	}
}

static bool utf8_valid(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned c = s[i], cp, min;
		size_t k;
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			k = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			k = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			k = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (n - i <= k)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k + 1;
	}
	return true;
}

/* s as a JSON string literal, quotes included. */
static void put_string(struct json_writer *w, const char *s, size_t n)
{
	if ((w->flags & JSON_UTF8) && !utf8_valid((const unsigned char *)s, n)) {
		fail(w, -EILSEQ);
		return;
	}
	put(w, "\"", 1);
	size_t from = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char hex[8];
		const char *esc;
		switch (c) {
		case '"':
			esc = "\\\"";
			break;
		case '\\':
			esc = "\\\\";
			break;
		case '\b':
			esc = "\\b";
			break;
		case '\f':
			esc = "\\f";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		case '\t':
			esc = "\\t";
			break;
		default:
			if (c >= 0x20)
				continue;
			snprintf(hex, sizeof(hex), "\\u%04X", c);
			esc = hex;
		}
		put(w, s + from, i - from);
		puts_(w, esc);
		from = i + 1;
	}
	put(w, s + from, n - from);
	put(w, "\"", 1);
}

static void begin(struct json_writer *w, char open, unsigned char first)
{
	if (!value_due(w))
		return;
	if (w->depth >= JSON_MAX_DEPTH) {
		fail(w, -E2BIG);
		return;
	}
	put(w, &open, 1);
	w->state[++w->depth] = first;
}

static void end(struct json_writer *w, char close, unsigned char first, unsigned char next)
{
	if (w->error)
		return;
	unsigned char s = w->state[w->depth];
	if (w->depth == 0 || (s != first && s != next)) {
		fail(w, -EINVAL);
		return;
	}
	w->depth--;
	if (s == next)
		newline(w, w->depth); /* an empty container stays {} or [] */
	put(w, &close, 1);
	value_done(w);
}

void json_object_begin(struct json_writer *w) { begin(w, '{', J_OBJ_FIRST); }

void json_object_end(struct json_writer *w) { end(w, '}', J_OBJ_FIRST, J_OBJ_KEY); }

void json_array_begin(struct json_writer *w) { begin(w, '[', J_ARR_FIRST); }

void json_array_end(struct json_writer *w) { end(w, ']', J_ARR_FIRST, J_ARR_NEXT); }

void json_key(struct json_writer *w, const char *key)
{
	if (w->error)
		return;
	unsigned char *s = &w->state[w->depth];
	if (*s != J_OBJ_FIRST && *s != J_OBJ_KEY) {
		fail(w, -EINVAL);
		return;
	}
	if (*s == J_OBJ_KEY)
		put(w, ",", 1);
	newline(w, w->depth);
	put_string(w, key, strlen(key));
	*s = J_OBJ_VALUE;
}

void json_string_len(struct json_writer *w, const char *s, size_t len)
{
	if (!value_due(w))
		return;
	put_string(w, s, len);
	value_done(w);
}

void json_string(struct json_writer *w, const char *s) { json_string_len(w, s, strlen(s)); }

/* A value written as it is (the caller vouches for the text). */
static void put_value(struct json_writer *w, const char *text, size_t len)
{
	if (!value_due(w))
		return;
	put(w, text, len);
	value_done(w);
}

void json_int(struct json_writer *w, long long v)
{
	char num[32];
	put_value(w, num, (size_t)snprintf(num, sizeof(num), "%lld", v));
}

void json_uint(struct json_writer *w, unsigned long long v)
{
	char num[32];
	put_value(w, num, (size_t)snprintf(num, sizeof(num), "%llu", v));
}

static size_t digits(const char *s)
{
	size_t n = 0;
	while (s[n] >= '0' && s[n] <= '9')
		n++;
	return n;
}

/* RFC 8259: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static bool is_number(const char *s)
{
	if (*s == '-')
		s++;
	size_t n = digits(s);
	if (n == 0 || (n > 1 && s[0] == '0'))
		return false;
	s += n;
	if (*s == '.') {
		n = digits(++s);
		if (n == 0)
			return false;
		s += n;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		n = digits(s);
		if (n == 0)
			return false;
		s += n;
	}
	return *s == 0;
}

void json_number(struct json_writer *w, const char *text)
{
	if (!is_number(text)) {
		fail(w, -EINVAL);
		return;
	}
	put_value(w, text, strlen(text));
}

void json_bool(struct json_writer *w, bool v) { put_value(w, v ? "true" : "false", v ? 4 : 5); }

void json_null(struct json_writer *w) { put_value(w, "null", 4); }

void json_raw(struct json_writer *w, const char *text, size_t len)
{
	if (w->indent) {
		fail(w, -EINVAL); /* its layout could not match */
		return;
	}
	put_value(w, text, len);
}

void json_key_string(struct json_writer *w, const char *key, const char *v)
{
	json_key(w, key);
	json_string(w, v);
}

void json_key_int(struct json_writer *w, const char *key, long long v)
{
	json_key(w, key);
	json_int(w, v);
}

void json_key_uint(struct json_writer *w, const char *key, unsigned long long v)
{
	json_key(w, key);
	json_uint(w, v);
}

void json_key_bool(struct json_writer *w, const char *key, bool v)
{
	json_key(w, key);
	json_bool(w, v);
}

void json_key_array_begin(struct json_writer *w, const char *key)
{
	json_key(w, key);
	json_array_begin(w);
}

void json_key_object_begin(struct json_writer *w, const char *key)
{
	json_key(w, key);
	json_object_begin(w);
}

void json_key_strings(struct json_writer *w, const char *key, const char *const *v)
{
	json_key_array_begin(w, key);
	for (; *v; v++)
		json_string(w, *v);
	json_array_end(w);
}
