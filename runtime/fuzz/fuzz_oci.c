/*
 * fuzz_oci.c — libFuzzer target for the OCI config parser (runtime/oci.c):
 * config.json and process.json text, as `create` and `exec --process` read
 * them from a bundle someone else wrote.  The input's first byte picks the
 * schema (even: config.json, odd: process.json); the rest is the document.
 * A document is accepted (a config whose every array has its count and NULL
 * terminator) or refused with a message and nothing allocated (ASan's leak
 * check holds the second half).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/verr.h"
#include "runtime/oci.h"

static void check_strv(char **v, size_t n)
{
	if (!v)
		abort();
	for (size_t i = 0; i < n; i++)
		if (!v[i])
			abort();
	if (v[n])
		abort();
}

static size_t strv_len(char **v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

static void check_process(const struct oci_process *p)
{
	check_strv(p->args, strv_len(p->args));
	check_strv(p->env, strv_len(p->env));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	bool process = data[0] & 1;
	const char *json = (const char *)data + 1;
	size_t len = size - 1;
	struct verr err = {0};
	if (process) {
		struct oci_process *p = NULL;
		int r = oci_process_parse(json, len, &p, &err);
		if (r == 0) {
			if (!p)
				abort();
			check_process(p);
			oci_process_free(p);
		} else if (r >= 0 || p || !err.msg[0]) {
			abort();
		}
		return 0;
	}
	struct oci_config *c = NULL;
	int r = oci_config_parse(json, len, &c, &err);
	if (r == 0) {
		if (!c)
			abort();
		for (size_t i = 0; i < c->n_mounts; i++)
			check_strv(c->mounts[i].options, strv_len(c->mounts[i].options));
		if (c->process)
			check_process(c->process);
		oci_config_free(c);
	} else if (r >= 0 || c || !err.msg[0]) {
		abort();
	}
	return 0;
}
