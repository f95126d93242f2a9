/*
 * cli.h — the command line of the visor binary: one parser, and a table of
 * options per command (as crun's argp tables).
 *
 * A command declares its options (struct cli_opt: long name, short name,
 * whether it takes a value, and where the value goes: a field of the
 * command's own options struct, or a handler) and how it takes arguments
 * (struct cli_command); cli_parse walks argv with that.  The global options
 * (runc's, and visor's sandbox flags: struct global_opts) are one more such
 * table: main() parses them before the command word, and the container
 * commands accept them anywhere on their line too (CLI_GLOBALS).
 *
 * The forms are runc's (urfave/cli), which containerd-shim-runc-v2 relies on:
 *   --name value, --name=value, -n value   an option that takes a value
 *   --name, -n                             a flag (--name=x is not a flag)
 *   -                                      an argument, not an option
 *   --                                     ends the options, with CLI_DASHDASH
 * Options and arguments may be mixed; a repeated option is set again (the
 * last wins) or, with a handler, handled again (exec --env adds each one).
 * No clustering (-dt) and no -nVALUE: runc's own CLI has neither.
 *
 * Errors fill a struct verr: -ENOENT "unknown option X", -E2BIG "unexpected
 * argument X", and -EINVAL for a bad value: "option X needs a value", "X
 * must be a, b or c, not V" (a value outside choices), or a handler's own
 * message (its errno kept in err->code).  The caller says them in
 * its command's voice (runc's "visor: create: unknown option X", boot's
 * "bad argument X"); cli_result.bad names the argv word at fault.
 */
#ifndef VISOR_RUNTIME_CLI_H
#define VISOR_RUNTIME_CLI_H

#include <stdbool.h>
#include <stddef.h>

struct global_opts;
struct verr;

/* cli_opt.flags.  CLI_INLINE: the value only as --name=value (internal
 * commands, whose argv visor writes itself and whose values may start with
 * '-'; a bare --name is then not this option).  CLI_NONEMPTY: an empty value
 * is an error.  CLI_STOP: parsing ends after this option (--help). */
#define CLI_INLINE (1u << 0)
#define CLI_NONEMPTY (1u << 1)
#define CLI_STOP (1u << 2)

struct cli_opt {
	const char *name;	    /* "--bundle"; NULL ends a table */
	char short_name;	    /* 'b' for -b, or 0 */
	bool has_value;		    /* takes a value */
	unsigned flags;		    /* CLI_INLINE | CLI_NONEMPTY | CLI_STOP */
	const char *const *choices; /* the values allowed (NULL-terminated), or NULL */
	/* Where it goes: the field at offset in the command's options struct,
	 * a bool set to true for a flag, a const char * pointing into argv for
	 * a value; or, when set() is given, set() is called with that field
	 * (the whole struct when offset is 0), the argv word that named the
	 * option, and the value (NULL for a flag). */
	int (*set)(void *field, const char *word, const char *value, struct verr *err);
	size_t offset;
};

/* offsetof(type, field), refusing to compile unless field has type ftype. */
#define CLI_FIELD_(type, field, ftype)                                                             \
	(offsetof(type, field) +                                                                   \
	 0 * sizeof(                                                                               \
		 char[__builtin_types_compatible_p(__typeof__(((type *)0)->field), ftype) ? 1      \
											  : -1]))
/* Table entries (inside braces, so more designators may follow). */
#define CLI_FLAG(lng, shrt, type, field)                                                           \
	.name = (lng), .short_name = (shrt), .offset = CLI_FIELD_(type, field, bool)
#define CLI_VALUE(lng, shrt, type, field)                                                          \
	.name = (lng), .short_name = (shrt), .has_value = true,                                    \
	.offset = CLI_FIELD_(type, field, const char *)
#define CLI_CALL(lng, shrt, value, fn)                                                             \
	.name = (lng), .short_name = (shrt), .has_value = (value), .set = (fn)
/* A value that fn parses into field, of type ftype. */
#define CLI_PARSE(lng, shrt, type, field, ftype, fn)                                               \
	.name = (lng), .short_name = (shrt), .has_value = true, .set = (fn),                       \
	.offset = CLI_FIELD_(type, field, ftype)

/* cli_command.flags.
 *   CLI_GLOBALS             the global options are accepted here too
 *   CLI_DASHDASH            "--" ends the options (else it is an unknown one)
 *   CLI_STOP_AT_ARG         the first argument ends the options: exec ID CMD...,
 *                           do CMD..., main's command word
 *   CLI_STOP_AT_UNKNOWN     so does an unknown option (main: it is the word)
 *   CLI_NUMBERS_ARE_ARGS    "-9" is an argument (kill's signal)
 *   CLI_EXTRA_ARGS_IGNORED  arguments past max_args are dropped, not errors */
#define CLI_GLOBALS (1u << 0)
#define CLI_DASHDASH (1u << 1)
#define CLI_STOP_AT_ARG (1u << 2)
#define CLI_STOP_AT_UNKNOWN (1u << 3)
#define CLI_NUMBERS_ARE_ARGS (1u << 4)
#define CLI_EXTRA_ARGS_IGNORED (1u << 5)

#define CLI_MAX_ARGS 4

struct cli_command {
	const char *name;	       /* the command word */
	const struct cli_opt *options; /* its table */
	unsigned flags;		       /* CLI_GLOBALS | ... */
	int max_args;		       /* how many arguments it takes (<= CLI_MAX_ARGS) */
};

struct cli_result {
	const char *args[CLI_MAX_ARGS]; /* the arguments, in order */
	int nargs;
	/* What follows the options: after "--", or from where a CLI_STOP_*
	 * stopped.  argv's own pointers. */
	char **rest;
	int nrest;
	const char *bad; /* on error: the argv word at fault */
};

/* The global options table (struct global_opts), for main and for tests. */
extern const struct cli_opt cli_global_options[];

/* Parse argv[1..argc) (argv[0] is the command word) into opts by cmd's table,
 * global options into g (with CLI_GLOBALS).  Returns 0, 1 when a CLI_STOP
 * option ended parsing, or a negative errno with err filled (see above). */
int cli_parse(const struct cli_command *cmd, void *opts, struct global_opts *g, int argc,
	      char **argv, struct cli_result *res, struct verr *err);

#endif
