/* Unit tests for sentry/kernel/creds.c and sentry/syscalls/sys_cred.c. */
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "sentry/tests/harness.h"

#define ALL_CAPS ((1ULL << 41) - 1)

#define NONE 0xffffffffu

static int64_t sc(struct task *t, int nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	return fx_call(sys_cred_defs, t, nr, a0, a1, a2, 0, 0, 0);
}

static int64_t prctl5(struct task *t, int opt, uint64_t a2, uint64_t a3, uint64_t a4,
		      uint64_t a5)
{
	return fx_call(sys_cred_defs, t, SYS_prctl, (uint64_t)opt, a2, a3, a4, a5, 0);
}

static void expect_uids(struct task *t, uint32_t r, uint32_t e, uint32_t s, uint32_t fs)
{
	assert_int_equal(t->creds->ruid, r);
	assert_int_equal(t->creds->euid, e);
	assert_int_equal(t->creds->suid, s);
	assert_int_equal(t->creds->fsuid, fs);
}

/* Make t a plain user with these ids and no capabilities. */
static void become_user(struct task *t, uint32_t r, uint32_t e, uint32_t s)
{
	struct creds *c = creds_dup(t->creds);
	c->ruid = r;
	c->euid = c->fsuid = e;
	c->suid = s;
	c->rgid = c->egid = c->sgid = c->fsgid = 100;
	c->cap_effective = c->cap_permitted = 0;
	creds_put(t->creds);
	t->creds = c;
}

static void test_root_creds_hold_every_capability(void **st)
{
	struct creds *c = creds_new_root();
	assert_int_equal(c->ruid | c->euid | c->suid | c->fsuid, 0);
	assert_int_equal(c->cap_effective, ALL_CAPS);
	assert_int_equal(c->cap_permitted, ALL_CAPS);
	assert_int_equal(c->cap_bounding, ALL_CAPS);
	assert_int_equal(c->cap_inheritable, 0);
	assert_true(creds_capable(c, CAP_SYS_ADMIN));
	assert_true(creds_capable(c, 40));
	assert_false(creds_capable(c, 41));
	assert_false(creds_capable(c, -1));
	creds_put(c);
}

static void test_dup_copies_groups_independently(void **st)
{
	struct creds *a = creds_new_root();
	a->groups = malloc(2 * sizeof(uint32_t));
	a->groups[0] = 5;
	a->groups[1] = 9;
	a->ngroups = 2;
	a->fsgid = 3;
	struct creds *b = creds_dup(a);
	assert_ptr_not_equal(a->groups, b->groups);
	b->groups[0] = 6;
	assert_int_equal(a->groups[0], 5);
	assert_true(creds_in_group(a, 9));
	assert_true(creds_in_group(a, 3)); /* the fs gid counts, as in_group_p */
	assert_false(creds_in_group(a, 6));
	assert_true(creds_in_group(b, 6));
	creds_get(a);
	creds_put(a);
	assert_int_equal(atomic_load(&a->refs), 1);
	creds_put(a);
	creds_put(b);
}

static void test_setresuid_as_root_to_user_drops_all_capabilities(void **st)
{
	struct kfx_state *s = *st;
	struct creds *old = s->t.creds;
	creds_get(old);
	assert_int_equal(sc(&s->t, SYS_setresuid, 1000, 1000, 1000), 0);
	expect_uids(&s->t, 1000, 1000, 1000, 1000);
	assert_int_equal(s->t.creds->cap_permitted, 0);
	assert_int_equal(s->t.creds->cap_effective, 0);
	/* Replaced, never changed in place. */
	assert_ptr_not_equal(old, s->t.creds);
	assert_int_equal(old->euid, 0);
	assert_int_equal(old->cap_effective, ALL_CAPS);
	creds_put(old);
	/* No way back. */
	assert_int_equal(sc(&s->t, SYS_setresuid, 0, 0, 0), -EPERM);
	assert_int_equal(sc(&s->t, SYS_setuid, 0, 0, 0), -EPERM);
}

static void test_root_seteuid_round_trip_keeps_permitted(void **st)
{
	struct kfx_state *s = *st;
	assert_int_equal(sc(&s->t, SYS_setresuid, NONE, 1000, NONE), 0);
	expect_uids(&s->t, 0, 1000, 0, 1000);
	/* Leaving euid 0 clears effective only: ruid/suid are still 0. */
	assert_int_equal(s->t.creds->cap_effective, 0);
	assert_int_equal(s->t.creds->cap_permitted, ALL_CAPS);
	/* Back to euid 0 (the saved id): effective = permitted again. */
	assert_int_equal(sc(&s->t, SYS_setresuid, NONE, 0, NONE), 0);
	expect_uids(&s->t, 0, 0, 0, 0);
	assert_int_equal(s->t.creds->cap_effective, ALL_CAPS);
}

static void test_setuid_rules_for_root_and_user(void **st)
{
	struct kfx_state *s = *st;
	assert_int_equal(sc(&s->t, SYS_setuid, NONE, 0, 0), -EINVAL);
	/* Root: all four ids. */
	assert_int_equal(sc(&s->t, SYS_setuid, 1000, 0, 0), 0);
	expect_uids(&s->t, 1000, 1000, 1000, 1000);
	assert_int_equal(s->t.creds->cap_permitted, 0);
	/* A user with a different saved id may switch euid to it (or to ruid)
	 * but nothing else; ruid and suid stay. */
	become_user(&s->t, 1000, 1000, 2000);
	assert_int_equal(sc(&s->t, SYS_setuid, 2000, 0, 0), 0);
	expect_uids(&s->t, 1000, 2000, 2000, 2000);
	assert_int_equal(sc(&s->t, SYS_setuid, 1000, 0, 0), 0);
	expect_uids(&s->t, 1000, 1000, 2000, 1000);
	assert_int_equal(sc(&s->t, SYS_setuid, 3000, 0, 0), -EPERM);
}

static void test_setresuid_unprivileged_may_only_permute(void **st)
{
	struct kfx_state *s = *st;
	become_user(&s->t, 1000, 1001, 1002);
	assert_int_equal(sc(&s->t, SYS_setresuid, 1002, 1000, 1001), 0);
	expect_uids(&s->t, 1002, 1000, 1001, 1000);
	assert_int_equal(sc(&s->t, SYS_setresuid, NONE, 5, NONE), -EPERM);
	assert_int_equal(sc(&s->t, SYS_setresuid, 5, NONE, NONE), -EPERM);
	/* A no-op needs no privilege and changes nothing. */
	struct creds *before = s->t.creds;
	assert_int_equal(sc(&s->t, SYS_setresuid, NONE, NONE, NONE), 0);
	assert_ptr_equal(before, s->t.creds);
	/* getresuid reports them. */
	uint64_t out = s->fx->base;
	assert_int_equal(sc(&s->t, SYS_getresuid, out, out + 4, out + 8), 0);
	assert_int_equal(get32(s->fx, out), 1002);
	assert_int_equal(get32(s->fx, out + 4), 1000);
	assert_int_equal(get32(s->fx, out + 8), 1001);
	assert_int_equal(sc(&s->t, SYS_getresuid, out, 0x1000, out + 8), -EFAULT);
	assert_int_equal(sc(&s->t, SYS_getuid, 0, 0, 0), 1002);
	assert_int_equal(sc(&s->t, SYS_geteuid, 0, 0, 0), 1000);
}

static void test_setreuid_sets_saved_id_like_linux(void **st)
{
	struct kfx_state *s = *st;
	/* euid set to something other than the old ruid: suid follows euid. */
	assert_int_equal(sc(&s->t, SYS_setreuid, NONE, 1000, 0), 0);
	expect_uids(&s->t, 0, 1000, 1000, 1000);
	/* ruid 0 is still root: permitted kept, effective dropped. */
	assert_int_equal(s->t.creds->cap_permitted, ALL_CAPS);
	assert_int_equal(s->t.creds->cap_effective, 0);
	/* Now ruid=0, euid=1000, suid=1000: euid may go back to ruid 0, and
	 * since that equals the old ruid, suid does not follow. */
	assert_int_equal(sc(&s->t, SYS_setreuid, NONE, 0, 0), 0);
	expect_uids(&s->t, 0, 0, 1000, 0);
	assert_int_equal(s->t.creds->cap_effective, ALL_CAPS);
	/* Setting ruid always copies euid to suid. */
	assert_int_equal(sc(&s->t, SYS_setreuid, 1000, NONE, 0), 0);
	expect_uids(&s->t, 1000, 0, 0, 0);
	/* Unprivileged: ruid only to ruid/euid. */
	become_user(&s->t, 1000, 1001, 1002);
	assert_int_equal(sc(&s->t, SYS_setreuid, 1002, NONE, 0), -EPERM);
	assert_int_equal(sc(&s->t, SYS_setreuid, 1001, 1002, 0), 0);
	expect_uids(&s->t, 1001, 1002, 1002, 1002);
}

static void test_keepcaps_keeps_permitted_across_setuid(void **st)
{
	struct kfx_state *s = *st;
	assert_int_equal(prctl5(&s->t, PR_GET_KEEPCAPS, 0, 0, 0, 0), 0);
	assert_int_equal(prctl5(&s->t, PR_SET_KEEPCAPS, 2, 0, 0, 0), -EINVAL);
	assert_int_equal(prctl5(&s->t, PR_SET_KEEPCAPS, 1, 0, 0, 0), 0);
	assert_int_equal(prctl5(&s->t, PR_GET_KEEPCAPS, 0, 0, 0, 0), 1);
	assert_int_equal(prctl5(&s->t, PR_GET_SECUREBITS, 0, 0, 0, 0), SECBIT_KEEP_CAPS);
	assert_int_equal(sc(&s->t, SYS_setresuid, 1000, 1000, 1000), 0);
	assert_int_equal(s->t.creds->cap_permitted, ALL_CAPS);
	assert_int_equal(s->t.creds->cap_effective, 0);
}

static void test_setfsuid_moves_filesystem_capabilities(void **st)
{
	struct kfx_state *s = *st;
	assert_int_equal(sc(&s->t, SYS_setfsuid, 1000, 0, 0), 0); /* returns the old fsuid */
	assert_int_equal(s->t.creds->fsuid, 1000);
	assert_false(creds_capable(s->t.creds, CAP_CHOWN));
	assert_false(creds_capable(s->t.creds, CAP_DAC_OVERRIDE));
	assert_true(creds_capable(s->t.creds, CAP_KILL));
	assert_int_equal(sc(&s->t, SYS_setfsuid, 0, 0, 0), 1000);
	assert_true(creds_capable(s->t.creds, CAP_CHOWN));
	/* Unprivileged: only to one of the ids; failure is silent. */
	become_user(&s->t, 1000, 1001, 1002);
	assert_int_equal(sc(&s->t, SYS_setfsuid, 5, 0, 0), 1001);
	assert_int_equal(s->t.creds->fsuid, 1001);
	assert_int_equal(sc(&s->t, SYS_setfsuid, 1002, 0, 0), 1001);
	assert_int_equal(s->t.creds->fsuid, 1002);
}

static void test_gid_changes_need_cap_setgid(void **st)
{
	struct kfx_state *s = *st;
	assert_int_equal(sc(&s->t, SYS_setresgid, 50, 51, 52), 0);
	assert_int_equal(s->t.creds->rgid, 50);
	assert_int_equal(s->t.creds->egid, 51);
	assert_int_equal(s->t.creds->sgid, 52);
	assert_int_equal(s->t.creds->fsgid, 51);
	assert_int_equal(sc(&s->t, SYS_getgid, 0, 0, 0), 50);
	assert_int_equal(sc(&s->t, SYS_getegid, 0, 0, 0), 51);
	become_user(&s->t, 1000, 1000, 1000); /* gids all 100 */
	assert_int_equal(sc(&s->t, SYS_setgid, 7, 0, 0), -EPERM);
	assert_int_equal(sc(&s->t, SYS_setregid, 7, NONE, 0), -EPERM);
	assert_int_equal(sc(&s->t, SYS_setresgid, NONE, 7, NONE), -EPERM);
	assert_int_equal(sc(&s->t, SYS_setgid, 100, 0, 0), 0);
	assert_int_equal(sc(&s->t, SYS_setfsgid, 7, 0, 0), 100);
	assert_int_equal(s->t.creds->fsgid, 100);
}

static void test_setgroups_rules_and_getgroups_sizes(void **st)
{
	struct kfx_state *s = *st;
	uint64_t buf = s->fx->base;
	uint32_t g[3] = {30, 10, 20};
	assert_int_equal(mm_copy_out(s->fx->mm, buf, g, sizeof(g)), 0);
	assert_int_equal(sc(&s->t, SYS_setgroups, 65537, buf, 0), -EINVAL);
	assert_int_equal(sc(&s->t, SYS_setgroups, 3, 0x1000, 0), -EFAULT);
	assert_int_equal(sc(&s->t, SYS_setgroups, 3, buf, 0), 0);
	assert_int_equal(sc(&s->t, SYS_getgroups, 0, 0, 0), 3);
	assert_int_equal(sc(&s->t, SYS_getgroups, 2, buf + 64, 0), -EINVAL);
	assert_int_equal(sc(&s->t, SYS_getgroups, (uint64_t)-1, buf + 64, 0), -EINVAL);
	assert_int_equal(sc(&s->t, SYS_getgroups, 3, buf + 64, 0), 3);
	/* Sorted, as Linux keeps them. */
	assert_int_equal(get32(s->fx, buf + 64), 10);
	assert_int_equal(get32(s->fx, buf + 68), 20);
	assert_int_equal(get32(s->fx, buf + 72), 30);
	assert_true(creds_in_group(s->t.creds, 20));
	/* An invalid gid. */
	uint32_t bad[1] = {NONE};
	assert_int_equal(mm_copy_out(s->fx->mm, buf, bad, sizeof(bad)), 0);
	assert_int_equal(sc(&s->t, SYS_setgroups, 1, buf, 0), -EINVAL);
	/* Clearing them. */
	assert_int_equal(sc(&s->t, SYS_setgroups, 0, 0, 0), 0);
	assert_int_equal(sc(&s->t, SYS_getgroups, 0, 0, 0), 0);
	become_user(&s->t, 1000, 1000, 1000);
	assert_int_equal(sc(&s->t, SYS_setgroups, 0, 0, 0), -EPERM);
}

struct cap_hdr {
	uint32_t version;
	int pid;
};
struct cap_data {
	uint32_t effective, permitted, inheritable;
};

static void test_capget_capset_follow_linux_rules(void **st)
{
	struct kfx_state *s = *st;
	uint64_t hdr = s->fx->base, data = s->fx->base + 64;
	struct cap_hdr h = {_LINUX_CAPABILITY_VERSION_3, 0};
	assert_int_equal(mm_copy_out(s->fx->mm, hdr, &h, sizeof(h)), 0);
	assert_int_equal(sc(&s->t, SYS_capget, hdr, data, 0), 0);
	struct cap_data d[2];
	assert_int_equal(mm_copy_in(s->fx->mm, d, data, sizeof(d)), 0);
	assert_int_equal(d[0].effective, 0xffffffffu);
	assert_int_equal(d[1].effective, 0x1ff);
	assert_int_equal(d[0].inheritable, 0);

	/* Drop CAP_SYS_ADMIN from effective and permitted. */
	uint64_t keep = ALL_CAPS & ~(1ULL << CAP_SYS_ADMIN);
	struct cap_data nd[2] = {{(uint32_t)keep, (uint32_t)keep, 0},
				 {(uint32_t)(keep >> 32), (uint32_t)(keep >> 32), 0}};
	assert_int_equal(mm_copy_out(s->fx->mm, data, nd, sizeof(nd)), 0);
	assert_int_equal(sc(&s->t, SYS_capset, hdr, data, 0), 0);
	assert_false(creds_capable(s->t.creds, CAP_SYS_ADMIN));
	assert_int_equal(s->t.creds->cap_permitted, keep);
	/* Getting it back into permitted is refused. */
	nd[0].permitted |= 1u << CAP_SYS_ADMIN;
	assert_int_equal(mm_copy_out(s->fx->mm, data, nd, sizeof(nd)), 0);
	assert_int_equal(sc(&s->t, SYS_capset, hdr, data, 0), -EPERM);
	/* Effective outside permitted is refused. */
	nd[0].permitted = (uint32_t)keep;
	nd[0].effective |= 1u << CAP_SYS_ADMIN;
	assert_int_equal(mm_copy_out(s->fx->mm, data, nd, sizeof(nd)), 0);
	assert_int_equal(sc(&s->t, SYS_capset, hdr, data, 0), -EPERM);
	/* Another pid cannot be changed. */
	h.pid = 77;
	assert_int_equal(mm_copy_out(s->fx->mm, hdr, &h, sizeof(h)), 0);
	assert_int_equal(sc(&s->t, SYS_capset, hdr, data, 0), -EPERM);
	/* capget of an unknown pid. */
	assert_int_equal(sc(&s->t, SYS_capget, hdr, data, 0), -ESRCH);

	/* An unknown version: EINVAL and the header says which we speak; with
	 * no data pointer that is a successful probe. */
	h.version = 0x12345678;
	h.pid = 0;
	assert_int_equal(mm_copy_out(s->fx->mm, hdr, &h, sizeof(h)), 0);
	assert_int_equal(sc(&s->t, SYS_capget, hdr, data, 0), -EINVAL);
	assert_int_equal(get32(s->fx, hdr), _LINUX_CAPABILITY_VERSION_3);
	h.version = 0x12345678;
	assert_int_equal(mm_copy_out(s->fx->mm, hdr, &h, sizeof(h)), 0);
	assert_int_equal(sc(&s->t, SYS_capget, hdr, 0, 0), 0);
	assert_int_equal(sc(&s->t, SYS_capget, 0x1000, data, 0), -EFAULT);
}

static void test_capset_inheritable_needs_setpcap_and_bounding(void **st)
{
	struct kfx_state *s = *st;
	uint64_t hdr = s->fx->base, data = s->fx->base + 64;
	struct cap_hdr h = {_LINUX_CAPABILITY_VERSION_3, 0};
	assert_int_equal(mm_copy_out(s->fx->mm, hdr, &h, sizeof(h)), 0);
	/* Drop CAP_NET_RAW from the bounding set, then try to make it
	 * inheritable: refused even with CAP_SETPCAP. */
	assert_int_equal(prctl5(&s->t, PR_CAPBSET_DROP, CAP_NET_RAW, 0, 0, 0), 0);
	assert_int_equal(prctl5(&s->t, PR_CAPBSET_READ, CAP_NET_RAW, 0, 0, 0), 0);
	assert_int_equal(prctl5(&s->t, PR_CAPBSET_READ, CAP_CHOWN, 0, 0, 0), 1);
	assert_int_equal(prctl5(&s->t, PR_CAPBSET_READ, 41, 0, 0, 0), -EINVAL);
	struct cap_data nd[2] = {{0xffffffffu, 0xffffffffu, 1u << CAP_NET_RAW}, {0x1ff, 0x1ff, 0}};
	assert_int_equal(mm_copy_out(s->fx->mm, data, nd, sizeof(nd)), 0);
	assert_int_equal(sc(&s->t, SYS_capset, hdr, data, 0), -EPERM);
	nd[0].inheritable = 1u << CAP_CHOWN;
	assert_int_equal(mm_copy_out(s->fx->mm, data, nd, sizeof(nd)), 0);
	assert_int_equal(sc(&s->t, SYS_capset, hdr, data, 0), 0);
	assert_int_equal(s->t.creds->cap_inheritable, 1u << CAP_CHOWN);
	/* Without CAP_SETPCAP nothing may be dropped from the bounding set. */
	become_user(&s->t, 1000, 1000, 1000);
	assert_int_equal(prctl5(&s->t, PR_CAPBSET_DROP, CAP_CHOWN, 0, 0, 0), -EPERM);
}

static void test_prctl_name_and_flags(void **st)
{
	struct kfx_state *s = *st;
	uint64_t buf = s->fx->base;
	const char *longname = "a-name-longer-than-fifteen";
	assert_int_equal(mm_copy_out(s->fx->mm, buf, longname, strlen(longname) + 1), 0);
	assert_int_equal(prctl5(&s->t, PR_SET_NAME, buf, 0, 0, 0), 0);
	assert_string_equal(s->t.comm, "a-name-longer-t");
	assert_int_equal(prctl5(&s->t, PR_GET_NAME, buf + 100, 0, 0, 0), 0);
	char out[16];
	assert_int_equal(mm_copy_in(s->fx->mm, out, buf + 100, 16), 0);
	assert_string_equal(out, "a-name-longer-t");
	assert_int_equal(prctl5(&s->t, PR_SET_NAME, 0x1000, 0, 0, 0), -EFAULT);

	assert_int_equal(prctl5(&s->t, PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 0);
	assert_int_equal(prctl5(&s->t, PR_SET_NO_NEW_PRIVS, 2, 0, 0, 0), -EINVAL);
	assert_int_equal(prctl5(&s->t, PR_SET_NO_NEW_PRIVS, 1, 1, 0, 0), -EINVAL);
	assert_int_equal(prctl5(&s->t, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
	assert_int_equal(prctl5(&s->t, PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 1);
	assert_int_equal(prctl5(&s->t, PR_GET_NO_NEW_PRIVS, 1, 0, 0, 0), -EINVAL);

	s->fx->tg.dumpable = 1; /* as tg_alloc leaves it */
	assert_int_equal(prctl5(&s->t, PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
	assert_int_equal(prctl5(&s->t, PR_SET_DUMPABLE, 2, 0, 0, 0), -EINVAL);
	assert_int_equal(prctl5(&s->t, PR_SET_DUMPABLE, 0, 0, 0, 0), 0);
	assert_int_equal(prctl5(&s->t, PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
	assert_int_equal(prctl5(&s->t, PR_SET_DUMPABLE, 1, 0, 0, 0), 0);
	assert_int_equal(prctl5(&s->t, PR_GET_PDEATHSIG, buf, 0, 0, 0), 0);
	assert_int_equal(get32(s->fx, buf), 0);
	assert_int_equal(prctl5(&s->t, PR_SET_PDEATHSIG, 65, 0, 0, 0), -EINVAL);
	assert_int_equal(prctl5(&s->t, PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0), 0);
	assert_int_equal(prctl5(&s->t, PR_GET_PDEATHSIG, buf, 0, 0, 0), 0);
	assert_int_equal(get32(s->fx, buf), SIGTERM);
	assert_int_equal(prctl5(&s->t, PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
	assert_int_equal(prctl5(&s->t, PR_GET_CHILD_SUBREAPER, buf, 0, 0, 0), 0);
	assert_int_equal(get32(s->fx, buf), 1);
	assert_int_equal(prctl5(&s->t, 12345, 0, 0, 0, 0), -EINVAL);

	/* The ambient set is empty and cannot be raised (not recorded). */
	assert_int_equal(prctl5(&s->t, PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_CHOWN, 0, 0), 0);
	assert_int_equal(prctl5(&s->t, PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, 41, 0, 0), -EINVAL);
	assert_int_equal(prctl5(&s->t, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), 0);
	assert_int_equal(prctl5(&s->t, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 1, 0, 0), -EINVAL);
	/* Not inheritable: EPERM, as Linux, before the refusal. */
	assert_int_equal(prctl5(&s->t, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_CHOWN, 0, 0),
			 -EPERM);
	assert_int_equal(prctl5(&s->t, PR_GET_SECCOMP, 0, 0, 0, 0), 0);
	s->t.clear_child_tid = 0x7777;
	assert_int_equal(prctl5(&s->t, PR_GET_TID_ADDRESS, buf, 0, 0, 0), 0);
	uint64_t tid_addr = 0;
	assert_int_equal(mm_copy_in(s->fx->mm, &tid_addr, buf, sizeof(tid_addr)), 0);
	assert_int_equal(tid_addr, 0x7777);
}

static void test_exec_recomputes_capabilities_like_linux(void **st)
{
	struct kfx_state *s = *st;
	/* Root with a reduced bounding set (as Docker's defaults): after exec,
	 * permitted = effective = the bounding set. */
	struct creds *c = creds_dup(s->t.creds);
	c->cap_bounding = (1ULL << CAP_CHOWN) | (1ULL << CAP_KILL);
	c->cap_permitted = c->cap_effective = ALL_CAPS;
	struct creds *e = creds_for_exec(c);
	assert_int_equal(e->cap_permitted, c->cap_bounding);
	assert_int_equal(e->cap_effective, c->cap_bounding);
	creds_put(e);
	/* Real root, effective user: permitted kept, effective empty; the
	 * saved id follows the effective one. */
	c->euid = c->fsuid = 1000;
	c->suid = 0;
	e = creds_for_exec(c);
	assert_int_equal(e->cap_permitted, c->cap_bounding);
	assert_int_equal(e->cap_effective, 0);
	assert_int_equal(e->suid, 1000);
	creds_put(e);
	creds_put(c);
	/* A user that kept capabilities (keep-caps) loses them at exec, and
	 * keep-caps itself is cleared. */
	assert_int_equal(prctl5(&s->t, PR_SET_KEEPCAPS, 1, 0, 0, 0), 0);
	assert_int_equal(sc(&s->t, SYS_setresuid, 1000, 1000, 1000), 0);
	assert_int_equal(s->t.creds->cap_permitted, ALL_CAPS);
	e = creds_for_exec(s->t.creds);
	assert_int_equal(e->cap_permitted, 0);
	assert_int_equal(e->cap_effective, 0);
	creds_put(s->t.creds);
	s->t.creds = e;
	assert_int_equal(prctl5(&s->t, PR_GET_KEEPCAPS, 0, 0, 0, 0), 0);
}

static void test_exec_of_setid_file_changes_effective_ids(void **st)
{
	struct kfx_state *s = *st;
	struct creds *c = creds_dup(s->t.creds);
	c->ruid = c->euid = c->suid = c->fsuid = 1000;
	c->rgid = c->egid = c->sgid = c->fsgid = 1000;
	c->cap_permitted = c->cap_effective = 0;
	/* Set-user-ID root: euid and saved uid 0, every bounding capability. */
	struct exec_file_ids ids = {.setuid = true, .uid = 0, .gid = 0};
	struct creds *e = creds_for_exec_file(c, &ids);
	assert_int_equal(e->ruid, 1000);
	assert_int_equal(e->euid, 0);
	assert_int_equal(e->suid, 0);
	assert_int_equal(e->fsuid, 0);
	assert_int_equal(e->egid, 1000);
	assert_int_equal(e->cap_permitted, c->cap_bounding);
	assert_int_equal(e->cap_effective, c->cap_bounding);
	assert_true(creds_exec_is_secure(c, e));
	creds_put(e);
	/* Set-group-ID: egid and saved gid the file's group, no capabilities. */
	ids = (struct exec_file_ids){.setgid = true, .uid = 0, .gid = 42};
	e = creds_for_exec_file(c, &ids);
	assert_int_equal(e->euid, 1000);
	assert_int_equal(e->egid, 42);
	assert_int_equal(e->sgid, 42);
	assert_int_equal(e->cap_permitted, 0);
	assert_true(creds_exec_is_secure(c, e));
	creds_put(e);
	/* Traced by a tracer without CAP_SYS_PTRACE: the ids stay (the caller
	 * has no CAP_SETUID) and nothing is gained; a capable tracer changes
	 * nothing. */
	ids = (struct exec_file_ids){.setuid = true, .uid = 0, .traced = true};
	e = creds_for_exec_file(c, &ids);
	assert_int_equal(e->euid, 1000);
	assert_int_equal(e->suid, 1000);
	assert_int_equal(e->cap_permitted, 0);
	assert_int_equal(e->cap_effective, 0);
	assert_false(creds_exec_is_secure(c, e));
	creds_put(e);
	ids.tracer_capable = true;
	e = creds_for_exec_file(c, &ids);
	assert_int_equal(e->euid, 0);
	creds_put(e);
	/* no_new_privs: the same downgrade. */
	c->no_new_privs = true;
	ids = (struct exec_file_ids){.setuid = true, .setgid = true, .uid = 0, .gid = 0};
	e = creds_for_exec_file(c, &ids);
	assert_int_equal(e->euid, 1000);
	assert_int_equal(e->egid, 1000);
	assert_int_equal(e->cap_permitted, 0);
	creds_put(e);
	creds_put(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_root_creds_hold_every_capability),
		cmocka_unit_test(test_dup_copies_groups_independently),
		cmocka_unit_test_setup_teardown(
			test_setresuid_as_root_to_user_drops_all_capabilities, kfx_setup,
			kfx_teardown),
		cmocka_unit_test_setup_teardown(test_root_seteuid_round_trip_keeps_permitted,
						kfx_setup, kfx_teardown),
		cmocka_unit_test_setup_teardown(test_setuid_rules_for_root_and_user, kfx_setup,
						kfx_teardown),
		cmocka_unit_test_setup_teardown(test_setresuid_unprivileged_may_only_permute,
						kfx_setup, kfx_teardown),
		cmocka_unit_test_setup_teardown(test_setreuid_sets_saved_id_like_linux, kfx_setup,
						kfx_teardown),
		cmocka_unit_test_setup_teardown(test_keepcaps_keeps_permitted_across_setuid,
						kfx_setup, kfx_teardown),
		cmocka_unit_test_setup_teardown(test_setfsuid_moves_filesystem_capabilities,
						kfx_setup, kfx_teardown),
		cmocka_unit_test_setup_teardown(test_gid_changes_need_cap_setgid, kfx_setup,
						kfx_teardown),
		cmocka_unit_test_setup_teardown(test_setgroups_rules_and_getgroups_sizes, kfx_setup,
						kfx_teardown),
		cmocka_unit_test_setup_teardown(test_capget_capset_follow_linux_rules, kfx_setup,
						kfx_teardown),
		cmocka_unit_test_setup_teardown(test_capset_inheritable_needs_setpcap_and_bounding,
						kfx_setup, kfx_teardown),
		cmocka_unit_test_setup_teardown(test_prctl_name_and_flags, kfx_setup, kfx_teardown),
		cmocka_unit_test_setup_teardown(test_exec_of_setid_file_changes_effective_ids,
						kfx_setup, kfx_teardown),
		cmocka_unit_test_setup_teardown(test_exec_recomputes_capabilities_like_linux,
						kfx_setup, kfx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
