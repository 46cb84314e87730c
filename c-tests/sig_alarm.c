// ONE-CARRIER
// TIMEOUT: 30
// LINK: -lrt
// Timer signals reach the one thread that accepts them: main and two
// bystander threads block SIGALRM and SIGUSR2 (main blocks them before
// creating any thread). A periodic setitimer(ITIMER_REAL, 20 ms) SIGALRM
// interrupts a thread parked in pause() five times; a POSIX timer
// (timer_create on CLOCK_MONOTONIC, SIGEV_SIGNAL SIGUSR2, 10 ms period)
// wakes a thread parked in sigsuspend (which unblocks SIGUSR2 only while
// it waits) five times, with si_code SI_TIMER and the sigev_value; a
// one-shot 30 ms ITIMER_REAL stops a thread's CPU loop (which calls
// sched_yield each round) through a flag its handler sets. Every handler
// runs on the accepting thread, and nothing is left pending. Also alarm()
// and getitimer report the time left.
#include "common.h"
#include <sys/time.h>

static volatile sig_atomic_t alrm_hits, usr2_hits, wrong;
static volatile pthread_t expected; /* the thread the current phase expects */
static volatile int usr2_code, usr2_value, stop_bystanders;

static void on_alrm(int sig)
{
    (void)sig;
    if (!pthread_equal(pthread_self(), expected))
        wrong++;
    alrm_hits++;
}

static void on_usr2(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    if (!pthread_equal(pthread_self(), expected))
        wrong++;
    usr2_code = si->si_code;
    usr2_value = si->si_value.sival_int;
    usr2_hits++;
}

static sigset_t set_of(int a, int b)
{
    sigset_t s;
    sigemptyset(&s);
    if (a)
        sigaddset(&s, a);
    if (b)
        sigaddset(&s, b);
    return s;
}

static void itimer(long first_ms, long every_ms)
{
    struct itimerval it = {{every_ms / 1000, (every_ms % 1000) * 1000},
                           {first_ms / 1000, (first_ms % 1000) * 1000}};
    CHECK_SYS(setitimer(ITIMER_REAL, &it, NULL));
}

static void *bystander(void *arg)
{
    while (!stop_bystanders)
        usleep(1000);
    return arg;
}

/* ---- setitimer to a thread in pause() ---- */

static void *in_pause(void *arg)
{
    sigset_t a = set_of(SIGALRM, 0);
    CHECK_OK(pthread_sigmask(SIG_UNBLOCK, &a, NULL));
    expected = pthread_self();
    itimer(20, 20);
    long long t0 = now_ns();
    int pauses = 0;
    while (alrm_hits < 5) {
        CHECK_FAILS(pause(), EINTR);
        pauses++;
    }
    long long el = now_ns() - t0;
    itimer(0, 0);
    usleep(30000); /* one that was on its way would come here */
    CHECK_OK(pthread_sigmask(SIG_BLOCK, &a, NULL));
    CHECK_GE(pauses, 1); /* a period can land between the check and pause() */
    CHECK_MSG(el >= 80LL * 1000000, "5 periods of 20 ms in %lld ns", el);
    return arg;
}

/* ---- a POSIX timer to a thread in sigsuspend ---- */

static timer_t timer;

static void *in_sigsuspend(void *arg)
{
    /* SIGUSR2 stays blocked except inside sigsuspend. */
    sigset_t wait_mask;
    CHECK_OK(pthread_sigmask(SIG_BLOCK, NULL, &wait_mask));
    CHECK(sigismember(&wait_mask, SIGUSR2));
    sigdelset(&wait_mask, SIGUSR2);
    expected = pthread_self();

    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGUSR2;
    sev.sigev_value.sival_int = 0x5151;
    CHECK_SYS(timer_create(CLOCK_MONOTONIC, &sev, &timer));
    struct itimerspec its = {{0, 10 * 1000000}, {0, 10 * 1000000}};
    long long t0 = now_ns();
    CHECK_SYS(timer_settime(timer, 0, &its, NULL));
    while (usr2_hits < 5) {
        CHECK_FAILS(sigsuspend(&wait_mask), EINTR);
        CHECK_EQ(usr2_code, SI_TIMER);
        CHECK_EQ(usr2_value, 0x5151);
        CHECK_GE(timer_getoverrun(timer), 0);
    }
    long long el = now_ns() - t0;
    CHECK_MSG(el >= 40LL * 1000000, "5 periods of 10 ms in %lld ns", el);
    struct itimerspec left;
    CHECK_SYS(timer_gettime(timer, &left));
    CHECK_EQ(left.it_interval.tv_nsec, 10 * 1000000);
    CHECK_SYS(timer_delete(timer));
    /* One expiry may have been queued before the delete: take it here. */
    sigset_t u2 = set_of(SIGUSR2, 0);
    struct timespec zero = {0, 0};
    siginfo_t si;
    sigtimedwait(&u2, &si, &zero);
    return arg;
}

/* ---- a CPU loop stopped by SIGALRM ---- */

static volatile int stop_loop;

static void on_alrm_stop(int sig)
{
    (void)sig;
    if (!pthread_equal(pthread_self(), expected))
        wrong++;
    stop_loop = 1;
    alrm_hits++;
}

static void *cpu_loop(void *arg)
{
    sigset_t a = set_of(SIGALRM, 0);
    expected = pthread_self();
    CHECK_OK(pthread_sigmask(SIG_UNBLOCK, &a, NULL));
    long rounds = 0;
    long long t0 = now_ns();
    itimer(30, 0);
    while (!stop_loop) {
        rounds++;
        sched_yield();
    }
    long long el = now_ns() - t0;
    CHECK_GT(rounds, 0);
    CHECK_MSG(el >= 20LL * 1000000, "a 30 ms timer stopped the loop after %lld ns", el);
    CHECK_OK(pthread_sigmask(SIG_BLOCK, &a, NULL));
    return arg;
}

static void nothing_pending(void)
{
    sigset_t p;
    CHECK_SYS(sigpending(&p));
    CHECK(!sigismember(&p, SIGALRM));
    CHECK(!sigismember(&p, SIGUSR2));
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_alrm;
    CHECK_SYS(sigaction(SIGALRM, &sa, NULL));
    sa.sa_sigaction = on_usr2;
    sa.sa_flags = SA_SIGINFO;
    CHECK_SYS(sigaction(SIGUSR2, &sa, NULL));

    sigset_t both = set_of(SIGALRM, SIGUSR2);
    CHECK_OK(pthread_sigmask(SIG_BLOCK, &both, NULL));

    /* alarm and getitimer: the time left. */
    CHECK_EQ(alarm(10), 0);
    struct itimerval it;
    CHECK_SYS(getitimer(ITIMER_REAL, &it));
    CHECK(it.it_value.tv_sec == 9 || it.it_value.tv_sec == 10);
    CHECK_EQ(alarm(0), 10);
    CHECK_SYS(getitimer(ITIMER_REAL, &it));
    CHECK(it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0);

    pthread_t by[2], t;
    for (int i = 0; i < 2; i++)
        CHECK_OK(pthread_create(&by[i], NULL, bystander, NULL));

    CHECK_OK(pthread_create(&t, NULL, in_pause, NULL));
    CHECK_OK(pthread_join(t, NULL));
    CHECK_GE(alrm_hits, 5);
    CHECK_EQ(wrong, 0);
    nothing_pending();

    CHECK_OK(pthread_create(&t, NULL, in_sigsuspend, NULL));
    CHECK_OK(pthread_join(t, NULL));
    CHECK_GE(usr2_hits, 5);
    CHECK_EQ(wrong, 0);
    nothing_pending();

    sa.sa_handler = on_alrm_stop;
    sa.sa_flags = 0;
    CHECK_SYS(sigaction(SIGALRM, &sa, NULL));
    int before = alrm_hits;
    CHECK_OK(pthread_create(&t, NULL, cpu_loop, NULL));
    CHECK_OK(pthread_join(t, NULL));
    CHECK_EQ(alrm_hits, before + 1);
    CHECK_EQ(wrong, 0);
    nothing_pending();

    stop_bystanders = 1;
    for (int i = 0; i < 2; i++)
        CHECK_OK(pthread_join(by[i], NULL));
    return 0;
}
