/* Conformance: POSIX timers (timer_create & co.), overruns, SIGEV_*,
 * RLIMIT_SIGPENDING, fork and exec, setitimer ITIMER_VIRTUAL/ITIMER_PROF. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *en(int e)
{
	switch (e) {
	case 0: return "OK";
	case EINVAL: return "EINVAL";
	case EFAULT: return "EFAULT";
	case EAGAIN: return "EAGAIN";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EPERM: return "EPERM";
	}
	static char b[32];
	snprintf(b, sizeof(b), "errno %d", e);
	return b;
}

/* Raw syscalls: glibc's wrappers translate ids and SIGEV_THREAD. */
static long tcreate(int clk, struct sigevent *ev, int *id)
{
	return syscall(SYS_timer_create, clk, ev, id);
}

#define CHECK(what, expr)                                                                          \
	do {                                                                                       \
		errno = 0;                                                                         \
		long r_ = (long)(expr);                                                            \
		printf("%s: %s\n", what, r_ < 0 ? en(errno) : "OK");                               \
	} while (0)

static int64_t ns(const struct timespec *ts) { return ts->tv_sec * 1000000000LL + ts->tv_nsec; }
static struct itimerspec its(int64_t value, int64_t interval)
{
	struct itimerspec i = {{interval / 1000000000, interval % 1000000000},
			       {value / 1000000000, value % 1000000000}};
	return i;
}
#define MS 1000000LL

static volatile sig_atomic_t got_prof, got_vt, got_cpu;
static void on_sig(int s)
{
	if (s == SIGPROF)
		got_prof = 1;
	else if (s == SIGVTALRM)
		got_vt = 1;
	else
		got_cpu = 1;
}

static int64_t wall_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return ns(&t) / MS;
}

static void spin_until(volatile sig_atomic_t *flag)
{
	int64_t start = wall_ms();
	while (!*flag && wall_ms() - start < 5000)
		;
}

static volatile int thread_got;
static int thread_tid;
static void *waiter(void *arg)
{
	thread_tid = (int)syscall(SYS_gettid);
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGRTMIN + 1);
	siginfo_t si;
	if (sigwaitinfo(&s, &si) == SIGRTMIN + 1 && si.si_code == SI_TIMER)
		thread_got = 1;
	return NULL;
}

static volatile int cb_ran;
static void cb(union sigval v) { cb_ran = v.sival_int; }

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc > 2 && strcmp(argv[2], "after-exec") == 0) {
		struct itimerspec cur;
		CHECK("after exec: timer 0 gone", syscall(SYS_timer_gettime, 0, &cur));
		struct itimerval iv;
		getitimer(ITIMER_PROF, &iv);
		printf("after exec: itimer kept %d\n", iv.it_value.tv_sec > 0);
		setitimer(ITIMER_PROF, &(struct itimerval){0}, NULL);
		return 0;
	}
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGRTMIN);
	sigaddset(&block, SIGRTMIN + 1);
	sigaddset(&block, SIGALRM);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, NULL);

	int id = -1, id2 = -1;
	struct sigevent ev;
	memset(&ev, 0, sizeof(ev));
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = SIGRTMIN;
	ev.sigev_value.sival_int = 1234;
	CHECK("bad clock", tcreate(99, &ev, &id));
	CHECK("monotonic raw", tcreate(CLOCK_MONOTONIC_RAW, &ev, &id));
	CHECK("coarse", tcreate(CLOCK_REALTIME_COARSE, &ev, &id));
	CHECK("efault sigevent", tcreate(CLOCK_MONOTONIC, (void *)8, &id));
	CHECK("efault id", tcreate(CLOCK_MONOTONIC, &ev, (void *)8));
	ev.sigev_notify = 99;
	CHECK("bad notify", tcreate(CLOCK_MONOTONIC, &ev, &id));
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = 0;
	CHECK("signo 0", tcreate(CLOCK_MONOTONIC, &ev, &id));
	ev.sigev_signo = 65;
	CHECK("signo 65", tcreate(CLOCK_MONOTONIC, &ev, &id));
	ev.sigev_notify = SIGEV_THREAD_ID;
	ev.sigev_signo = SIGRTMIN;
	ev._sigev_un._tid = 99999;
	CHECK("thread id not ours", tcreate(CLOCK_MONOTONIC, &ev, &id));
	ev.sigev_notify = SIGEV_SIGNAL;

	/* Ids count up from 0 in a fresh process; as Linux 6.x a create that
	 * fails on its sigevent or its id's copy-out has used an id. */
	CHECK("create", tcreate(CLOCK_MONOTONIC, &ev, &id));
	CHECK("create 2", tcreate(CLOCK_MONOTONIC, &ev, &id2));
	printf("ids %d %d\n", id, id2);
	struct itimerspec cur, old;
	CHECK("gettime", syscall(SYS_timer_gettime, id, &cur));
	printf("disarmed %d\n", ns(&cur.it_value) == 0 && ns(&cur.it_interval) == 0);
	struct itimerspec bad = its(0, 0);
	bad.it_value.tv_nsec = 1000000000;
	CHECK("settime bad value", syscall(SYS_timer_settime, id, 0, &bad, NULL));
	struct itimerspec one = its(20 * MS, 0);
	CHECK("settime bad id", syscall(SYS_timer_settime, 4242, 0, &one, NULL));
	CHECK("gettime bad id", syscall(SYS_timer_gettime, -1, &cur));
	CHECK("getoverrun bad id", syscall(SYS_timer_getoverrun, 4242));
	CHECK("settime efault", syscall(SYS_timer_settime, id, 0, (void *)8, NULL));
	CHECK("gettime efault", syscall(SYS_timer_gettime, id, (void *)8));

	/* One-shot 20 ms: SI_TIMER, the value, the id. */
	CHECK("arm", syscall(SYS_timer_settime, id, 0, &one, &old));
	syscall(SYS_timer_gettime, id, &cur);
	printf("remaining in (0, 20ms]: %d\n", ns(&cur.it_value) > 0 && ns(&cur.it_value) <= 20 * MS);
	sigset_t rt;
	sigemptyset(&rt);
	sigaddset(&rt, SIGRTMIN);
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	int sig = sigwaitinfo(&rt, &si);
	printf("signal ok %d code SI_TIMER %d value %d timerid-ok %d overrun %d\n", sig == SIGRTMIN,
	       si.si_code == SI_TIMER, si.si_value.sival_int, si.si_timerid == id, si.si_overrun);
	syscall(SYS_timer_gettime, id, &cur);
	printf("expired one-shot reads 0: %d\n", ns(&cur.it_value) == 0);

	/* Periodic 5 ms with the signal blocked for 60 ms: overruns. */
	struct itimerspec per = its(5 * MS, 5 * MS);
	syscall(SYS_timer_settime, id, 0, &per, NULL);
	usleep(60 * 1000);
	memset(&si, 0, sizeof(si));
	sigwaitinfo(&rt, &si);
	int ov = (int)syscall(SYS_timer_getoverrun, id);
	printf("overrun >= 8: %d getoverrun same: %d\n", si.si_overrun >= 8, ov == si.si_overrun);
	CHECK("disarm", syscall(SYS_timer_settime, id, 0, &(struct itimerspec){0}, &old));
	printf("old interval %ld ns\n", old.it_interval.tv_nsec);
	/* A signal queued before the disarm may still be there: drain. */
	struct timespec zero = {0, 0};
	while (sigtimedwait(&rt, &si, &zero) > 0)
		;

	/* Absolute CLOCK_REALTIME. */
	int rid;
	ev.sigev_value.sival_int = 77;
	tcreate(CLOCK_REALTIME, &ev, &rid);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	struct itimerspec abs = {{0, 0}, now};
	abs.it_value.tv_nsec += 20 * MS;
	if (abs.it_value.tv_nsec >= 1000000000) {
		abs.it_value.tv_nsec -= 1000000000;
		abs.it_value.tv_sec++;
	}
	CHECK("abs", syscall(SYS_timer_settime, rid, TIMER_ABSTIME, &abs, NULL));
	sigwaitinfo(&rt, &si);
	clock_gettime(CLOCK_REALTIME, &now);
	printf("abs value %d not early %d\n", si.si_value.sival_int, ns(&now) >= ns(&abs.it_value));

	/* SIGEV_NONE: no signal; a periodic one is forwarded when read. */
	int nid;
	struct sigevent none = {.sigev_notify = SIGEV_NONE};
	CHECK("create none", tcreate(CLOCK_MONOTONIC, &none, &nid));
	struct itimerspec nper = its(5 * MS, 10 * MS);
	syscall(SYS_timer_settime, nid, 0, &nper, NULL);
	usleep(30 * 1000);
	syscall(SYS_timer_gettime, nid, &cur);
	printf("none periodic value in (0, 10ms]: %d\n",
	       ns(&cur.it_value) > 0 && ns(&cur.it_value) <= 10 * MS);
	struct itimerspec none1 = its(1 * MS, 0);
	syscall(SYS_timer_settime, nid, 0, &none1, NULL);
	usleep(10 * 1000);
	syscall(SYS_timer_gettime, nid, &cur);
	printf("none one-shot expired reads 0: %d\n", ns(&cur.it_value) == 0);
	printf("nothing queued: %d\n", sigtimedwait(&rt, &si, &zero) < 0);

	/* NULL sigevent: SIGALRM with the id as value. */
	int aid;
	CHECK("create default", tcreate(CLOCK_MONOTONIC, NULL, &aid));
	syscall(SYS_timer_settime, aid, 0, &one, NULL);
	sigset_t alrm;
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	sigwaitinfo(&alrm, &si);
	printf("default: SIGALRM value-is-id %d\n", si.si_value.sival_int == aid);
	/* Re-armed while its (standard) signal is pending, then expired
	 * again: one SIGALRM is taken. */
	struct itimerspec a1 = its(1 * MS, 0);
	syscall(SYS_timer_settime, aid, 0, &a1, NULL);
	usleep(20000);
	syscall(SYS_timer_settime, aid, 0, &a1, NULL);
	usleep(20000);
	struct timespec z0 = {0, 0};
	printf("re-armed and expired: %d\n", sigtimedwait(&alrm, &si, &z0) == SIGALRM);

	/* SIGEV_THREAD_ID: to one thread. */
	pthread_t th;
	pthread_create(&th, NULL, waiter, NULL);
	while (!__atomic_load_n(&thread_tid, __ATOMIC_SEQ_CST))
		usleep(1000);
	struct sigevent tev = {.sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGRTMIN + 1};
	tev._sigev_un._tid = thread_tid;
	int tid_timer;
	CHECK("create thread id", tcreate(CLOCK_MONOTONIC, &tev, &tid_timer));
	syscall(SYS_timer_settime, tid_timer, 0, &one, NULL);
	pthread_join(th, NULL);
	printf("thread got it: %d\n", thread_got);

	/* glibc's SIGEV_THREAD (built on SIGEV_THREAD_ID). */
	timer_t gt;
	struct sigevent gev = {.sigev_notify = SIGEV_THREAD, .sigev_notify_function = cb};
	gev.sigev_value.sival_int = 5;
	CHECK("glibc SIGEV_THREAD", timer_create(CLOCK_MONOTONIC, &gev, &gt));
	timer_settime(gt, 0, &one, NULL);
	for (int i = 0; i < 500 && !cb_ran; i++)
		usleep(10000);
	printf("callback ran with %d\n", cb_ran);
	timer_delete(gt);

	/* Delete. */
	CHECK("delete", syscall(SYS_timer_delete, id2));
	CHECK("delete again", syscall(SYS_timer_delete, id2));
	CHECK("settime deleted", syscall(SYS_timer_settime, id2, 0, &one, NULL));

	/* As Linux 6.13+: the queued signal of a deleted timer, or of a
	 * timer set again, is dropped when it would be taken. */
	int did;
	tcreate(CLOCK_MONOTONIC, &ev, &did);
	struct itimerspec ms1 = its(1 * MS, 0), far = its(100LL * 1000 * MS, 0);
	syscall(SYS_timer_settime, did, 0, &ms1, NULL);
	usleep(20000);
	sigset_t pend;
	sigpending(&pend);
	printf("queued: %d\n", sigismember(&pend, SIGRTMIN));
	syscall(SYS_timer_delete, did);
	printf("deleted timer's signal taken: %d\n", sigtimedwait(&rt, &si, &zero) > 0);
	tcreate(CLOCK_MONOTONIC, &ev, &did);
	syscall(SYS_timer_settime, did, 0, &ms1, NULL);
	usleep(20000);
	syscall(SYS_timer_settime, did, 0, &far, NULL);
	printf("re-armed timer's old signal taken: %d\n", sigtimedwait(&rt, &si, &zero) > 0);
	syscall(SYS_timer_delete, did);

	/* Not inherited by fork. */
	pid_t c = fork();
	if (c == 0) {
		errno = 0;
		long r = syscall(SYS_timer_gettime, id, &cur);
		printf("child: parent's timer: %s\n", r < 0 ? en(errno) : "OK");
		_exit(0);
	}
	waitpid(c, NULL, 0);

	/* RLIMIT_SIGPENDING 0: no timer can be made. */
	struct rlimit rl, zero_rl = {0, 0};
	getrlimit(RLIMIT_SIGPENDING, &rl);
	struct rlimit cut = {0, rl.rlim_max};
	(void)zero_rl;
	setrlimit(RLIMIT_SIGPENDING, &cut);
	int lid;
	CHECK("RLIMIT_SIGPENDING 0", tcreate(CLOCK_MONOTONIC, &ev, &lid));
	setrlimit(RLIMIT_SIGPENDING, &rl);

	/* CPU-time timers: CLOCK_PROCESS_CPUTIME_ID, ITIMER_PROF, ITIMER_VIRTUAL. */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sigaction(SIGPROF, &sa, NULL);
	sigaction(SIGVTALRM, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	int cid;
	struct sigevent cev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR2};
	CHECK("create process cputime", tcreate(CLOCK_PROCESS_CPUTIME_ID, &cev, &cid));
	struct itimerspec c20 = its(20 * MS, 0);
	syscall(SYS_timer_settime, cid, 0, &c20, NULL);
	spin_until(&got_cpu);
	printf("cpu timer fired: %d\n", got_cpu);
	/* CPU clocks by pid: clock_getcpuclockid, pthread_getcpuclockid. */
	clockid_t pclk, tclk;
	printf("getcpuclockid self: %d\n", clock_getcpuclockid(0, &pclk));
	printf("getcpuclockid pid: %d\n", clock_getcpuclockid(getpid(), &pclk));
	printf("getcpuclockid no such pid: %s\n", clock_getcpuclockid(99999, &tclk) == ESRCH ? "ESRCH" : "other");
	struct timespec cpu;
	int cr = clock_gettime(pclk, &cpu);
	printf("process clock reads: %d positive %d\n", cr, ns(&cpu) > 0);
	pthread_getcpuclockid(pthread_self(), &tclk);
	printf("thread clock reads: %d\n", clock_gettime(tclk, &cpu));
	int pcid;
	got_cpu = 0;
	CHECK("timer on getcpuclockid clock", tcreate(pclk, &cev, &pcid));
	syscall(SYS_timer_settime, pcid, 0, &c20, NULL);
	spin_until(&got_cpu);
	printf("pid cpu timer fired: %d\n", got_cpu);
	int tcid;
	got_cpu = 0;
	CHECK("timer on pthread_getcpuclockid clock", tcreate(tclk, &cev, &tcid));
	syscall(SYS_timer_settime, tcid, 0, &c20, NULL);
	spin_until(&got_cpu);
	printf("thread cpu timer fired: %d\n", got_cpu);
	CHECK("timer on no process's cpu clock", tcreate(-99999 * 8 + 2, &cev, &tcid));
	struct itimerval iv = {{0, 0}, {0, 20000}}, oiv;
	CHECK("setitimer prof", setitimer(ITIMER_PROF, &iv, NULL));
	getitimer(ITIMER_PROF, &oiv);
	printf("prof armed: %d\n", oiv.it_value.tv_sec == 0 && oiv.it_value.tv_usec > 0);
	spin_until(&got_prof);
	printf("SIGPROF: %d\n", got_prof);
	CHECK("setitimer virtual", setitimer(ITIMER_VIRTUAL, &iv, NULL));
	spin_until(&got_vt);
	printf("SIGVTALRM: %d\n", got_vt);
	getitimer(ITIMER_VIRTUAL, &oiv);
	printf("virtual disarmed after one shot: %d\n", oiv.it_value.tv_sec == 0 && oiv.it_value.tv_usec == 0);
	struct itimerval periodic = {{1, 0}, {100, 0}};
	setitimer(ITIMER_VIRTUAL, &periodic, NULL);
	CHECK("setitimer virtual old", setitimer(ITIMER_VIRTUAL, &(struct itimerval){0}, &oiv));
	printf("old: interval %ld value <= 100s %d\n", (long)oiv.it_interval.tv_sec,
	       oiv.it_value.tv_sec <= 100 && oiv.it_value.tv_sec >= 99);

	/* exec: POSIX timers go, itimers stay. */
	setitimer(ITIMER_PROF, &periodic, NULL);
	c = fork();
	if (c == 0) {
		/* The child has no timer 0 already (fork); make one to lose. */
		int x;
		tcreate(CLOCK_MONOTONIC, &ev, &x);
		setitimer(ITIMER_PROF, &periodic, NULL);
		execl("/proc/self/exe", argv[0], argc > 1 ? argv[1] : "/tmp", "after-exec", (char *)NULL);
		_exit(99);
	}
	int st;
	waitpid(c, &st, 0);
	printf("exec child exit %d\n", WEXITSTATUS(st));
	setitimer(ITIMER_PROF, &(struct itimerval){0}, NULL);
	return 0;
}
