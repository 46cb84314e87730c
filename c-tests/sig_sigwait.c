// ONE-CARRIER
// TIMEOUT: 30
// A dedicated signal-waiting thread, with SIGUSR1, SIGUSR2 and SIGRTMIN
// blocked in every thread (main blocks them before creating any):
// 300 sigqueue(getpid(), SIGRTMIN, i) all arrive through sigwaitinfo, in
// order (si_value 0..299, si_code SI_QUEUE, si_pid this process), with at
// most 50 outstanding; a pthread_sigqueue'd one to the waiter too; sigwait
// returns 0 and the signal number, for a kill(getpid()) signal and a
// pthread_kill'd one; sigtimedwait with a 50 ms timeout fails with EAGAIN
// after about that long when nothing comes; sigtimedwait returns a signal
// that main sends 20 ms into the wait (SI_USER, si_pid); two SIGUSR2 sent
// while nobody waits merge into one (a zero-timeout sigtimedwait then
// finds one, and the next finds none); sigwaitinfo leaves a signal that is
// not in its set pending.
#include "common.h"

#define RT_COUNT 300
#define RT_BATCH 50

static volatile long received;
static volatile int step;   /* the waiter's progress, for main */
static volatile int go;     /* main's go-ahead, for the waiter */
static pthread_t waiter_t;

static void never(int sig)
{
    TEST_FAIL_("a handler ran for signal %d: it should have stayed blocked", sig);
}

static sigset_t set_of(int a, int b, int c)
{
    sigset_t s;
    sigemptyset(&s);
    if (a)
        sigaddset(&s, a);
    if (b)
        sigaddset(&s, b);
    if (c)
        sigaddset(&s, c);
    return s;
}

static void advance(int to)
{
    __atomic_store_n(&step, to, __ATOMIC_RELEASE);
}

static void wait_go(int n, const char *what)
{
    long long deadline = now_ns() + 20LL * 1000000000;
    while (__atomic_load_n(&go, __ATOMIC_ACQUIRE) < n) {
        if (now_ns() > deadline)
            TEST_FAIL_("waiter: timed out waiting for main (%s)", what);
        sched_yield();
    }
}

static void *waiter(void *arg)
{
    sigset_t rt = set_of(SIGRTMIN, 0, 0);
    siginfo_t si;

    /* 1: the queued real-time signals, in order. */
    for (int i = 0; i < RT_COUNT; i++) {
        memset(&si, 0, sizeof si);
        int sig = sigwaitinfo(&rt, &si);
        CHECK_EQ(sig, SIGRTMIN);
        CHECK_EQ(si.si_signo, SIGRTMIN);
        CHECK_EQ(si.si_code, SI_QUEUE);
        CHECK_EQ(si.si_pid, getpid());
        CHECK_EQ(si.si_value.sival_int, i);
        __atomic_store_n(&received, i + 1, __ATOMIC_RELEASE);
    }
    /* One directed at this thread. */
    memset(&si, 0, sizeof si);
    CHECK_EQ(sigwaitinfo(&rt, &si), SIGRTMIN);
    CHECK_EQ(si.si_code, SI_QUEUE);
    CHECK_EQ(si.si_value.sival_int, 9999);
    advance(1);

    /* 2: sigwait gives the number. */
    sigset_t u12 = set_of(SIGUSR1, SIGUSR2, 0);
    int sig = 0;
    CHECK_OK(sigwait(&u12, &sig));
    CHECK_EQ(sig, SIGUSR2); /* kill(getpid()) */
    sig = 0;
    CHECK_OK(sigwait(&u12, &sig));
    CHECK_EQ(sig, SIGUSR1); /* pthread_kill */
    advance(2);

    /* 3: a timeout with nothing sent. */
    wait_go(3, "the go for the timeout");
    sigset_t u1 = set_of(SIGUSR1, 0, 0);
    struct timespec ts = {0, 50 * 1000000};
    long long t0 = now_ns();
    errno = 0;
    CHECK_EQ(sigtimedwait(&u1, &si, &ts), -1);
    CHECK_EQ(errno, EAGAIN);
    long long el = now_ns() - t0;
    CHECK_MSG(el >= 40LL * 1000000, "a 50 ms sigtimedwait returned after %lld ns", el);
    advance(3);

    /* 4: a signal sent 20 ms into a 5 s wait. */
    sigset_t all3 = set_of(SIGUSR1, SIGUSR2, SIGRTMIN);
    ts.tv_sec = 5;
    ts.tv_nsec = 0;
    t0 = now_ns();
    advance(4);
    memset(&si, 0, sizeof si);
    CHECK_EQ(sigtimedwait(&all3, &si, &ts), SIGUSR1);
    el = now_ns() - t0;
    CHECK_EQ(si.si_signo, SIGUSR1);
    CHECK_EQ(si.si_code, SI_USER);
    CHECK_EQ(si.si_pid, getpid());
    CHECK_EQ(si.si_uid, getuid());
    CHECK_MSG(el >= 10LL * 1000000 && el < 4LL * 1000000000,
              "took %lld ns for a signal sent after 20 ms", el);
    advance(5);

    /* 5: two standard signals sent while nobody waited are one. */
    wait_go(5, "the two SIGUSR2");
    sigset_t u2 = set_of(SIGUSR2, 0, 0);
    struct timespec zero = {0, 0};
    CHECK_EQ(sigtimedwait(&u2, &si, &zero), SIGUSR2);
    CHECK_FAILS(sigtimedwait(&u2, &si, &zero), EAGAIN);

    /* 6: a pending signal outside the set stays pending. */
    wait_go(6, "SIGUSR1 and SIGRTMIN sent");
    memset(&si, 0, sizeof si);
    CHECK_EQ(sigwaitinfo(&rt, &si), SIGRTMIN);
    CHECK_EQ(si.si_value.sival_int, 6);
    sigset_t p;
    CHECK_SYS(sigpending(&p));
    CHECK(sigismember(&p, SIGUSR1));
    CHECK(!sigismember(&p, SIGRTMIN));
    CHECK_EQ(sigwaitinfo(&u1, NULL), SIGUSR1);
    CHECK_SYS(sigpending(&p));
    CHECK(!sigismember(&p, SIGUSR1));
    advance(6);
    return arg;
}

static void wait_step(int n, const char *what)
{
    long long deadline = now_ns() + 20LL * 1000000000;
    while (__atomic_load_n(&step, __ATOMIC_ACQUIRE) < n) {
        if (now_ns() > deadline)
            TEST_FAIL_("timed out waiting for the waiter (%s)", what);
        sched_yield();
    }
}

int main(void)
{
    /* A handler that must never run: every signal goes to the waiter. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = never;
    CHECK_SYS(sigaction(SIGUSR1, &sa, NULL));
    CHECK_SYS(sigaction(SIGUSR2, &sa, NULL));
    CHECK_SYS(sigaction(SIGRTMIN, &sa, NULL));

    sigset_t all3 = set_of(SIGUSR1, SIGUSR2, SIGRTMIN);
    CHECK_OK(pthread_sigmask(SIG_BLOCK, &all3, NULL));
    CHECK_OK(pthread_create(&waiter_t, NULL, waiter, NULL));

    for (int i = 0; i < RT_COUNT; i++) {
        if (i % RT_BATCH == 0)
            wait_count(&received, i, 20, "the waiter to catch up");
        union sigval v = {.sival_int = i};
        CHECK_SYS(sigqueue(getpid(), SIGRTMIN, v));
    }
    wait_count(&received, RT_COUNT, 20, "all queued signals");
    union sigval v = {.sival_int = 9999};
    CHECK_OK(pthread_sigqueue(waiter_t, SIGRTMIN, v));
    wait_step(1, "the directed SIGRTMIN");

    usleep(20000); /* the waiter is in sigwait */
    CHECK_SYS(kill(getpid(), SIGUSR2));
    usleep(20000);
    CHECK_OK(pthread_kill(waiter_t, SIGUSR1));
    wait_step(2, "the two sigwaits");

    __atomic_store_n(&go, 3, __ATOMIC_RELEASE);
    wait_step(3, "the timed-out sigtimedwait");

    wait_step(4, "the waiter to enter sigtimedwait");
    usleep(20000);
    CHECK_SYS(kill(getpid(), SIGUSR1));
    wait_step(5, "the sigtimedwait to get SIGUSR1");

    CHECK_SYS(kill(getpid(), SIGUSR2));
    CHECK_SYS(kill(getpid(), SIGUSR2));
    sigset_t p;
    CHECK_SYS(sigpending(&p));
    CHECK(sigismember(&p, SIGUSR2));
    __atomic_store_n(&go, 5, __ATOMIC_RELEASE);

    usleep(20000);
    CHECK_SYS(kill(getpid(), SIGUSR1));
    v.sival_int = 6;
    CHECK_SYS(sigqueue(getpid(), SIGRTMIN, v));
    __atomic_store_n(&go, 6, __ATOMIC_RELEASE);
    wait_step(6, "the waiter to finish");
    CHECK_OK(pthread_join(waiter_t, NULL));
    CHECK_SYS(sigpending(&p));
    CHECK(!sigismember(&p, SIGUSR1));
    CHECK(!sigismember(&p, SIGUSR2));
    CHECK(!sigismember(&p, SIGRTMIN));
    return 0;
}
