/*
 * Unit tests for the netstack driven as the Sentry will drive it: a service
 * thread polls the stack on the real clock and sleeps until kicked or until
 * the deadline it was given; application threads block on readiness
 * reports.  The callbacks check that no netstack lock is held (lockdep),
 * many threads open, use and close connections at once (ASan), and two
 * measurements are printed: loopback throughput and round trips per second
 * (under the sanitizers: slower than the real thing).
 */
#include "netstack/tests/nstest.h"

#include "lib/lockdep.h"

#include <pthread.h>
#include <time.h>

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A wait queue: a counter bumped by each readiness report. */
struct waitq {
	pthread_mutex_t m;
	pthread_cond_t c;
	unsigned seq;
};

#define WAITQ_INIT {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0}

struct svc {
	struct ns_stack *s;
	pthread_t thread;
	pthread_mutex_t m;
	pthread_cond_t c;
	bool kicked, stop;
	unsigned long polls, kicks, reports;
	bool inline_poll; /* app threads also poll after their calls */
};

static uint64_t svc_now(void *ctx)
{
	(void)ctx;
	return mono_ns();
}

static void svc_ready(void *ctx, struct ns_endpoint *ep, void *user, uint32_t events)
{
	struct svc *v = ctx;
	(void)ep, (void)events;
#ifdef VISOR_LOCKDEP
	assert_int_equal(lockdep_held_count(), 0); /* LOCKING.md rule 5 */
#endif
	struct waitq *q = user;
	pthread_mutex_lock(&q->m);
	q->seq++;
	pthread_cond_broadcast(&q->c);
	pthread_mutex_unlock(&q->m);
	__atomic_fetch_add(&v->reports, 1, __ATOMIC_RELAXED);
}

static void svc_kick(void *ctx)
{
	struct svc *v = ctx;
#ifdef VISOR_LOCKDEP
	assert_int_equal(lockdep_held_count(), 0);
#endif
	pthread_mutex_lock(&v->m);
	v->kicked = true;
	v->kicks++;
	pthread_cond_signal(&v->c);
	pthread_mutex_unlock(&v->m);
}

static const struct ns_stack_ops svc_ops = {
    .now = svc_now,
    .ready = svc_ready,
    .kick = svc_kick,
};

static void *svc_main(void *arg)
{
	struct svc *v = arg;
	pthread_mutex_lock(&v->m);
	while (!v->stop) {
		v->kicked = false;
		pthread_mutex_unlock(&v->m);
		uint64_t d = ns_stack_poll(v->s, mono_ns());
		__atomic_fetch_add(&v->polls, 1, __ATOMIC_RELAXED);
		pthread_mutex_lock(&v->m);
		if (v->kicked || v->stop)
			continue;
		uint64_t now = mono_ns();
		if (d <= now)
			continue;
		if (d > now + 100000000ull)
			d = now + 100000000ull;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t abs = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec + (d - now);
		ts.tv_sec = (time_t)(abs / 1000000000ull);
		ts.tv_nsec = (long)(abs % 1000000000ull);
		pthread_cond_timedwait(&v->c, &v->m, &ts);
	}
	pthread_mutex_unlock(&v->m);
	return NULL;
}

static void svc_start(struct svc *v, bool inline_poll)
{
	memset(v, 0, sizeof(*v));
	pthread_mutex_init(&v->m, NULL);
	pthread_cond_init(&v->c, NULL);
	v->inline_poll = inline_poll;
	v->s = ns_stack_new(&svc_ops, v, 7);
	assert_non_null(v->s);
	assert_int_equal(ns_stack_setup_loopback(v->s), 1);
	assert_int_equal(pthread_create(&v->thread, NULL, svc_main, v), 0);
}

static void svc_stop(struct svc *v)
{
	pthread_mutex_lock(&v->m);
	v->stop = true;
	pthread_cond_signal(&v->c);
	pthread_mutex_unlock(&v->m);
	pthread_join(v->thread, NULL);
	ns_stack_destroy(v->s);
}

/* ---- blocking calls, as the glue will make them ---- */

struct bsock {
	struct ns_endpoint *ep;
	struct waitq q;
	struct svc *v;
};

static void bs_init(struct bsock *b, struct svc *v, struct ns_endpoint *ep)
{
	b->ep = ep;
	b->v = v;
	pthread_mutex_init(&b->q.m, NULL);
	pthread_cond_init(&b->q.c, NULL);
	b->q.seq = 0;
	ns_ep_set_user(ep, &b->q);
}

static unsigned bs_seq(struct bsock *b)
{
	pthread_mutex_lock(&b->q.m);
	unsigned s = b->q.seq;
	pthread_mutex_unlock(&b->q.m);
	return s;
}

static void bs_wait(struct bsock *b, unsigned seq)
{
	if (b->v->inline_poll)
		ns_stack_poll(b->v->s, mono_ns());
	pthread_mutex_lock(&b->q.m);
	if (b->q.seq == seq) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 20000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&b->q.c, &b->q.m, &ts);
	}
	pthread_mutex_unlock(&b->q.m);
}

static void bs_after(struct bsock *b)
{
	if (b->v->inline_poll)
		ns_stack_poll(b->v->s, mono_ns());
}

static ssize_t bs_send_all(struct bsock *b, const void *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		unsigned seq = bs_seq(b);
		struct iovec iov = {(char *)buf + done, len - done};
		ssize_t r = ns_ep_sendmsg(b->ep, &iov, 1, 0, NULL, 0);
		if (r > 0) {
			done += (size_t)r;
			bs_after(b);
		} else if (r == -EAGAIN) {
			bs_wait(b, seq);
		} else {
			return r;
		}
	}
	return (ssize_t)done;
}

static ssize_t bs_recv(struct bsock *b, void *buf, size_t len)
{
	for (;;) {
		unsigned seq = bs_seq(b);
		struct iovec iov = {buf, len};
		ssize_t r = ns_ep_recvmsg(b->ep, &iov, 1, 0, NULL, NULL, NULL);
		if (r != -EAGAIN) {
			if (r > 0)
				bs_after(b);
			return r;
		}
		bs_wait(b, seq);
	}
}

static int bs_connect(struct bsock *b, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len = sa_make(&ss, AF_INET, "127.0.0.1", port);
	for (;;) {
		unsigned seq = bs_seq(b);
		int r = ns_ep_connect(b->ep, (struct sockaddr *)&ss, len);
		if (r != -EINPROGRESS && r != -EALREADY)
			return r;
		bs_wait(b, seq);
	}
}

static struct ns_endpoint *bs_accept(struct bsock *l)
{
	for (;;) {
		unsigned seq = bs_seq(l);
		struct ns_endpoint *c;
		int r = ns_ep_accept(l->ep, &c, NULL, NULL);
		if (r == 0)
			return c;
		assert_int_equal(r, -EAGAIN);
		bs_wait(l, seq);
	}
}

/* ---- throughput and ping-pong ---- */

struct pair_args {
	struct svc *v;
	uint16_t port;
	size_t bytes;
	int rounds;
	size_t msg;
};

static void *server_main(void *arg)
{
	struct bsock *l = arg;
	struct bsock a;
	bs_init(&a, l->v, bs_accept(l));
	static char buf[1 << 16];
	for (;;) {
		ssize_t r = bs_recv(&a, buf, sizeof(buf));
		if (r <= 0)
			break;
		/* Echo back when asked to (ping-pong mode: first byte 'P'). */
		if (buf[0] == 'P')
			assert_int_equal(bs_send_all(&a, buf, (size_t)r), r);
	}
	ns_ep_close(a.ep);
	return NULL;
}

static void run_pair(bool inline_poll, size_t bytes, int rounds)
{
	struct svc v;
	svc_start(&v, inline_poll);
	struct ns_endpoint *lep = sock(&(struct nst){.s = v.s}, AF_INET, SOCK_STREAM, 0);
	struct bsock l;
	bs_init(&l, &v, lep);
	assert_int_equal(do_bind(lep, AF_INET, "127.0.0.1", 0), 0);
	assert_int_equal(ns_ep_listen(lep, 8), 0);
	pthread_t srv;
	assert_int_equal(pthread_create(&srv, NULL, server_main, &l), 0);
	struct bsock c;
	bs_init(&c, &v, sock(&(struct nst){.s = v.s}, AF_INET, SOCK_STREAM, 0));
	assert_int_equal(bs_connect(&c, local_port(lep)), 0);
	if (bytes) {
		static char buf[1 << 16];
		memset(buf, 'D', sizeof(buf));
		uint64_t t0 = mono_ns();
		for (size_t sent = 0; sent < bytes; sent += sizeof(buf))
			assert_int_equal(bs_send_all(&c, buf, sizeof(buf)), sizeof(buf));
		assert_int_equal(ns_ep_shutdown(c.ep, SHUT_WR), 0);
		char b;
		assert_int_equal(bs_recv(&c, &b, 1), 0); /* the server read it all */
		uint64_t dt = mono_ns() - t0;
		print_message("loopback throughput (%s): %.0f MB/s\n",
			      inline_poll ? "inline poll" : "service thread",
			      (double)bytes / 1e6 / ((double)dt / 1e9));
	}
	if (rounds) {
		assert_int_equal(set_int(c.ep, SOL_TCP, TCP_NODELAY, 1), 0);
		char msg[32] = "Ping";
		uint64_t t0 = mono_ns();
		for (int i = 0; i < rounds; i++) {
			assert_int_equal(bs_send_all(&c, msg, sizeof(msg)), sizeof(msg));
			size_t got = 0;
			while (got < sizeof(msg)) {
				ssize_t r = bs_recv(&c, msg + got, sizeof(msg) - got);
				assert_true(r > 0);
				got += (size_t)r;
			}
		}
		uint64_t dt = mono_ns() - t0;
		print_message("loopback round trips (%s): %.0f per second\n",
			      inline_poll ? "inline poll" : "service thread",
			      rounds / ((double)dt / 1e9));
		assert_int_equal(ns_ep_shutdown(c.ep, SHUT_WR), 0);
	}
	pthread_join(srv, NULL);
	ns_ep_close(c.ep);
	ns_ep_close(lep);
	assert_true(v.reports > 0);
	svc_stop(&v);
}

static void test_throughput_with_a_service_thread(void **state)
{
	run_pair(false, 64 << 20, 0);
}

static void test_throughput_with_inline_polls(void **state)
{
	run_pair(true, 64 << 20, 0);
}

static void test_round_trips(void **state)
{
	run_pair(false, 0, 2000);
	run_pair(true, 0, 2000);
}

/* ---- many threads at once ---- */

struct churn {
	struct svc *v;
	uint16_t port;
	int conns;
};

static void *churn_client(void *arg)
{
	struct churn *ch = arg;
	for (int i = 0; i < ch->conns; i++) {
		struct bsock c;
		struct ns_endpoint *ep = NULL;
		assert_int_equal(ns_ep_create(ch->v->s, AF_INET, SOCK_STREAM, 0, &ep), 0);
		bs_init(&c, ch->v, ep);
		assert_int_equal(bs_connect(&c, ch->port), 0);
		char msg[100];
		memset(msg, 'x', sizeof(msg));
		assert_int_equal(bs_send_all(&c, msg, sizeof(msg)), sizeof(msg));
		assert_int_equal(ns_ep_shutdown(c.ep, SHUT_WR), 0);
		size_t got = 0;
		for (;;) {
			ssize_t r = bs_recv(&c, msg, sizeof(msg));
			assert_true(r >= 0);
			if (r == 0)
				break;
			got += (size_t)r;
		}
		assert_int_equal(got, 100);
		ns_ep_close(c.ep);
	}
	return NULL;
}

struct acceptor {
	struct bsock l;
	int total;
};

static void *echo_conn(void *arg)
{
	struct bsock *a = arg;
	char buf[256];
	for (;;) {
		ssize_t r = bs_recv(a, buf, sizeof(buf));
		if (r <= 0)
			break;
		assert_int_equal(bs_send_all(a, buf, (size_t)r), r);
	}
	ns_ep_close(a->ep);
	free(a);
	return NULL;
}

static void *acceptor_main(void *arg)
{
	struct acceptor *ac = arg;
	pthread_t th[256];
	for (int i = 0; i < ac->total; i++) {
		struct bsock *a = malloc(sizeof(*a));
		bs_init(a, ac->l.v, bs_accept(&ac->l));
		assert_int_equal(pthread_create(&th[i % 256], NULL, echo_conn, a), 0);
		pthread_detach(th[i % 256]);
	}
	return NULL;
}

static void test_many_threads_churn_connections(void **state)
{
	struct svc v;
	svc_start(&v, false);
	struct acceptor ac = {.total = 8 * 25};
	struct ns_endpoint *lep = sock(&(struct nst){.s = v.s}, AF_INET, SOCK_STREAM, 0);
	bs_init(&ac.l, &v, lep);
	assert_int_equal(do_bind(lep, AF_INET, "127.0.0.1", 0), 0);
	assert_int_equal(ns_ep_listen(lep, 64), 0);
	pthread_t at;
	assert_int_equal(pthread_create(&at, NULL, acceptor_main, &ac), 0);
	struct churn ch = {.v = &v, .port = local_port(lep), .conns = 25};
	pthread_t cl[8];
	uint64_t t0 = mono_ns();
	for (int i = 0; i < 8; i++)
		assert_int_equal(pthread_create(&cl[i], NULL, churn_client, &ch), 0);
	for (int i = 0; i < 8; i++)
		pthread_join(cl[i], NULL);
	uint64_t dt = mono_ns() - t0;
	print_message("connections (connect, 100 bytes each way, close): %.0f per second\n",
		      200 / ((double)dt / 1e9));
	pthread_join(at, NULL);
	/* Let the echo threads see their EOFs and close. */
	for (int i = 0; i < 200; i++) {
		struct ns_ep_info *rows;
		int n = ns_stack_endpoints(v.s, IPPROTO_TCP, &rows);
		int live = 0;
		for (int k = 0; k < n; k++)
			live += rows[k].state != NS_TCP_TIME_WAIT && rows[k].state != NS_TCP_LISTEN;
		free(rows);
		if (!live)
			break;
		struct timespec ts = {0, 10000000};
		nanosleep(&ts, NULL);
	}
	ns_ep_close(lep);
	svc_stop(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_throughput_with_a_service_thread),
	    cmocka_unit_test(test_throughput_with_inline_polls),
	    cmocka_unit_test(test_round_trips),
	    cmocka_unit_test(test_many_threads_churn_connections),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
