/*
 * json.h — the one JSON writer of visor: every JSON document the runtime and
 * the logger produce (state.json, `visor state/list/ps/events/features/spec`
 * output, daemon.json edits, control requests to the Sentry, the state hooks
 * get on stdin, JSON log lines) is written through it, so string escaping is
 * written once.
 *
 * A writer appends to a buffer: its own, grown with realloc, or a fixed one
 * the caller owns (the logger formats on the stack and must not allocate).
 * Calls are straight-line: the first failure (no memory, a fixed buffer full,
 * invalid UTF-8 with JSON_UTF8, a call out of place such as a value where a
 * key belongs) is kept, every later call does nothing, and the caller checks
 * once at the end with json_writer_error or json_writer_take.
 *
 * Layout: compact ({"a":1,"b":[2,3]}) when indent is NULL; otherwise one
 * member per line, `"key": value`, each level indented by `indent`, and a
 * final newline: yajl_gen's beautify layout, so files visor wrote with
 * yajl_gen keep their bytes.  Empty containers are written {} and [] (yajl
 * writes "{\n\n}", which install.c used to undo by hand).
 *
 * Strings: `"` and `\` are escaped, control characters as \b \f \n \r \t or
 * \u00XX (as yajl_gen); `/` and bytes >= 0x7f are written as they are, so
 * UTF-8 passes through unchanged.  With JSON_UTF8 a string that is not valid
 * UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF)
 * fails the document with -EILSEQ instead.
 */
#ifndef VISOR_LIB_JSON_H
#define VISOR_LIB_JSON_H

#include <stdbool.h>
#include <stddef.h>

/* Deepest nesting a writer accepts (yajl_gen's limit too). */
#define JSON_MAX_DEPTH 128

/* flags */
#define JSON_UTF8 1u /* strings must be valid UTF-8: -EILSEQ otherwise */

struct json_writer {
	char *buf;
	size_t len, cap;
	bool fixed;	    /* buf is the caller's: never grown or freed */
	unsigned flags;	    /* JSON_* */
	const char *indent; /* NULL: compact */
	int error;	    /* first failure (negative errno), 0 while all is well */
	unsigned depth;
	unsigned char state[JSON_MAX_DEPTH + 1]; /* what comes next at each level */
};

/* A writer with its own growing buffer; release it with json_writer_release
 * unless json_writer_take handed the text over. */
void json_writer_init(struct json_writer *w, const char *indent, unsigned flags);
/* A writer into buf (size bytes, one kept for the final NUL).  Running out
 * of room fails the document with -ENOBUFS. */
void json_writer_init_fixed(struct json_writer *w, char *buf, size_t size, const char *indent,
			    unsigned flags);
void json_writer_release(struct json_writer *w);

/* The first failure, or 0.  A document that is not finished (a container
 * still open, or nothing written) counts as -EINVAL here. */
int json_writer_error(const struct json_writer *w);
/* The finished document, NUL-terminated (still owned by the writer), or NULL
 * when json_writer_error is not 0.  *len (may be NULL) gets its length. */
const char *json_writer_text(const struct json_writer *w, size_t *len);
/* Hand the finished document over as a malloc'ed string (*out, *len may be
 * NULL); for a fixed writer a copy.  0, or the error and *out untouched. */
int json_writer_take(struct json_writer *w, char **out, size_t *len);

#define _cleanup_json_writer_ __attribute__((cleanup(json_writer_release)))

void json_object_begin(struct json_writer *w);
void json_object_end(struct json_writer *w);
void json_array_begin(struct json_writer *w);
void json_array_end(struct json_writer *w);
/* A member's name: only where a key is due, inside an object. */
void json_key(struct json_writer *w, const char *key);

void json_string(struct json_writer *w, const char *s);
void json_string_len(struct json_writer *w, const char *s, size_t len);
void json_int(struct json_writer *w, long long v);
void json_uint(struct json_writer *w, unsigned long long v);
/* A number given as text, e.g. one a parser kept verbatim (1.50 stays 1.50,
 * 12345678901234567890 is not rounded).  Text that is not a JSON number
 * fails the document with -EINVAL. */
void json_number(struct json_writer *w, const char *text);
void json_bool(struct json_writer *w, bool v);
void json_null(struct json_writer *w);
/* A value that is already JSON text, inserted as it is: for a document built
 * around text that a JSON parser checks afterwards.  Compact writers only. */
void json_raw(struct json_writer *w, const char *text, size_t len);

/* "key": value, for the common member kinds. */
void json_key_string(struct json_writer *w, const char *key, const char *v);
void json_key_int(struct json_writer *w, const char *key, long long v);
void json_key_uint(struct json_writer *w, const char *key, unsigned long long v);
void json_key_bool(struct json_writer *w, const char *key, bool v);
/* "key": [ and "key": { — closed with json_array_end / json_object_end. */
void json_key_array_begin(struct json_writer *w, const char *key);
void json_key_object_begin(struct json_writer *w, const char *key);
/* "key": ["s", ...] from a NULL-terminated list. */
void json_key_strings(struct json_writer *w, const char *key, const char *const *v);

#endif
