/*
 * hooks.h — the OCI lifecycle hooks of a bundle (config.json "hooks").
 *
 * Owns: reading the hooks out of config.json text and running them with the
 * container's state JSON on stdin, as runc does.  Which run, and when:
 *   prestart, createRuntime  during create, once the Sentry (and with it the
 *                            sandbox's namespaces) exists; a failure fails
 *                            create.  Docker's libnetwork-setkey is a
 *                            prestart hook: it wires the container's network
 *                            namespace (that of the pid in the state).
 *   poststart                after start; failures are logged only.
 *   poststop                 at delete; failures are logged only.
 * createContainer and startContainer run inside the container's namespaces
 * under runc; the sandbox has no host process to run them in, so they are
 * refused at create with a clear error rather than skipped silently.
 * The pid in the state is the Sentry's (the process holding the namespaces).
 */
#ifndef VISOR_RUNTIME_HOOKS_H
#define VISOR_RUNTIME_HOOKS_H

#include <stddef.h>

struct verr;

enum hook_kind { HOOK_PRESTART, HOOK_CREATE_RUNTIME, HOOK_CREATE_CONTAINER, HOOK_START_CONTAINER,
		 HOOK_POSTSTART, HOOK_POSTSTOP };

/* How many hooks of that kind config.json has (0 when none or unparsable). */
int hooks_count(const char *config_text, size_t len, enum hook_kind kind);

/* Run every hook of that kind in order; state_json goes to each one's
 * stdin.  Stops at the first failure: -errno with err naming the hook and
 * its exit status (and the start of its output). */
int hooks_run(const char *config_text, size_t len, enum hook_kind kind, const char *state_json,
	      struct verr *err);

/* The state JSON hooks get: {"ociVersion","id","status","pid","bundle"}.
 * malloc'ed. */
char *hooks_state_json(const char *oci_version, const char *id, const char *status, int pid,
		       const char *bundle);

#endif
