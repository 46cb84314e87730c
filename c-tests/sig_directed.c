// ONE-CARRIER
// TIMEOUT: 30
// Thread-directed signals reach their target whatever it is doing: a
// pthread_kill'd SIGUSR1 runs its handler on the target thread (the handler
// records pthread_self() and bumps a __thread counter, both checked) when
// the target is (a) parked in pause() (which then fails with EINTR), (b)
// parked in pthread_cond_wait (the wait goes on after the handler and
// returns 0 once signalled with the predicate set), (c) running a loop
// that polls a flag set by the handler (calling sched_yield() each round,
// so that the sender gets to run with one carrier), (d) just created and
// not yet run, or runnable but queued behind yielding threads.
// pthread_kill(t, 0) is 0 for a live thread; a bad signal number is
// EINVAL; pthread_sigqueue brings si_value, si_code SI_QUEUE, si_pid and
// si_uid to an SA_SIGINFO handler on the target; raise() and
// pthread_kill(pthread_self()) run the handler on the caller before they
// return.
#include "common.h"

static volatile sig_atomic_t hits; /* handler runs, all threads */
static volatile pthread_t hit_on; /* pthread_self() of the last run */
static __thread volatile int my_hits; /* runs on this thread */

static void on_usr1(int sig)
{
    (void)sig;
    hit_on = pthread_self();
    my_hits++;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    hits++;
}

static void install(int sig, void (*fn)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = fn;
    CHECK_SYS(sigaction(sig, &sa, NULL)); /* no SA_RESTART */
}

/* Wait until the handler has run `n` times in all. */
static void wait_hits(int n, const char *what)
{
    long long deadline = now_ns() + 20LL * 1000000000;
    while (hits < n) {
        if (now_ns() > deadline)
            TEST_FAIL_("timed out waiting for the handler (%s): %d of %d", what,
                       (int)hits, n);
        sched_yield();
    }
}

static volatile int about_to_wait;

/* ---- (a) pause ---- */

static void *in_pause(void *arg)
{
    set_flag(&about_to_wait);
    errno = 0;
    int r = pause();
    CHECK_EQ(r, -1);
    CHECK_EQ(errno, EINTR);
    CHECK_EQ(my_hits, 1);
    return arg;
}

static void target_in_pause(void)
{
    pthread_t t;
    about_to_wait = 0;
    int before = hits;
    CHECK_OK(pthread_create(&t, NULL, in_pause, NULL));
    wait_flag(&about_to_wait, 20, "the thread to enter pause");
    usleep(30000);
    CHECK_EQ(hits, before);
    CHECK_OK(pthread_kill(t, 0)); /* alive */
    CHECK_OK(pthread_kill(t, SIGUSR1));
    wait_hits(before + 1, "pause");
    CHECK(pthread_equal(hit_on, t));
    CHECK_OK(pthread_join(t, NULL));
    CHECK_EQ(my_hits, 0); /* main's own counter */
}

/* ---- (b) pthread_cond_wait ---- */

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int ready;
static volatile int cond_done, hits_at_wakeup;

static void *in_cond_wait(void *arg)
{
    CHECK_OK(pthread_mutex_lock(&m));
    set_flag(&about_to_wait);
    while (!ready) {
        /* A return before `ready` would be a (permitted) spurious wake-up;
         * the loop waits on. */
        int r = pthread_cond_wait(&cv, &m);
        CHECK_EQ(r, 0);
    }
    hits_at_wakeup = my_hits;
    CHECK_OK(pthread_mutex_unlock(&m));
    set_flag(&cond_done);
    return arg;
}

static void target_in_cond_wait(void)
{
    pthread_t t;
    about_to_wait = 0;
    int before = hits;
    CHECK_OK(pthread_create(&t, NULL, in_cond_wait, NULL));
    wait_flag(&about_to_wait, 20, "the thread to enter pthread_cond_wait");
    /* It released the mutex inside the wait once we can take it. */
    CHECK_OK(pthread_mutex_lock(&m));
    CHECK_OK(pthread_mutex_unlock(&m));
    usleep(20000);
    CHECK_OK(pthread_kill(t, SIGUSR1));
    wait_hits(before + 1, "cond_wait");
    CHECK(pthread_equal(hit_on, t));
    usleep(20000);
    CHECK_EQ(cond_done, 0); /* still waiting after the handler */
    CHECK_OK(pthread_mutex_lock(&m));
    ready = 1;
    CHECK_OK(pthread_cond_signal(&cv));
    CHECK_OK(pthread_mutex_unlock(&m));
    CHECK_OK(pthread_join(t, NULL));
    CHECK_EQ(cond_done, 1);
    CHECK_EQ(hits_at_wakeup, 1);
}

/* ---- (c) a running loop ---- */

static void *in_loop(void *arg)
{
    long rounds = 0;
    set_flag(&about_to_wait);
    while (!my_hits) {
        rounds++;
        sched_yield();
    }
    CHECK_GT(rounds, 0);
    return arg;
}

static void target_in_loop(void)
{
    pthread_t t;
    about_to_wait = 0;
    int before = hits;
    CHECK_OK(pthread_create(&t, NULL, in_loop, NULL));
    wait_flag(&about_to_wait, 20, "the thread to start its loop");
    usleep(10000);
    CHECK_OK(pthread_kill(t, SIGUSR1));
    CHECK_OK(pthread_join(t, NULL)); /* the loop ends only on its own handler */
    CHECK_EQ(hits, before + 1);
    CHECK(pthread_equal(hit_on, t));
}

/* ---- (d) runnable, not running ---- */

#define QUEUED 4
static volatile int stop_yielders;
static volatile long started;

static void *queued(void *arg)
{
    __atomic_add_fetch(&started, 1, __ATOMIC_RELEASE);
    /* Until its own handler has run (possibly before this line). */
    long long deadline = now_ns() + 20LL * 1000000000;
    while (!my_hits) {
        CHECK(now_ns() < deadline);
        sched_yield();
    }
    CHECK_EQ(my_hits, 1);
    return arg;
}

static void *yielder(void *arg)
{
    while (!stop_yielders)
        sched_yield();
    return arg;
}

static void target_queued(void)
{
    pthread_t t[QUEUED], y[3];
    int before = hits;
    /* Just created: signalled before the creator lets them run. */
    for (int i = 0; i < QUEUED; i++)
        CHECK_OK(pthread_create(&t[i], NULL, queued, NULL));
    for (int i = 0; i < QUEUED; i++)
        CHECK_OK(pthread_kill(t[i], SIGUSR1));
    for (int i = 0; i < QUEUED; i++)
        CHECK_OK(pthread_join(t[i], NULL)); /* each saw its own handler run */
    CHECK_EQ(hits, before + QUEUED);

    /* Runnable behind yielders: the target yields in a loop too. */
    for (int i = 0; i < 3; i++)
        CHECK_OK(pthread_create(&y[i], NULL, yielder, NULL));
    before = hits;
    about_to_wait = 0;
    pthread_t l;
    CHECK_OK(pthread_create(&l, NULL, in_loop, NULL));
    wait_flag(&about_to_wait, 20, "the looping thread to start");
    for (int i = 0; i < 20; i++)
        sched_yield();
    CHECK_OK(pthread_kill(l, SIGUSR1));
    CHECK_OK(pthread_join(l, NULL));
    CHECK_EQ(hits, before + 1);
    CHECK(pthread_equal(hit_on, l));
    stop_yielders = 1;
    for (int i = 0; i < 3; i++)
        CHECK_OK(pthread_join(y[i], NULL));
}

/* ---- pthread_sigqueue ---- */

static volatile sig_atomic_t q_hits;
static volatile int q_value, q_code, q_signo;
static volatile pid_t q_pid;
static volatile uid_t q_uid;
static volatile pthread_t q_on;

static void on_queued(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    q_signo = sig;
    q_value = si->si_value.sival_int;
    q_code = si->si_code;
    q_pid = si->si_pid;
    q_uid = si->si_uid;
    q_on = pthread_self();
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    q_hits++;
}

static void *in_pause_q(void *arg)
{
    set_flag(&about_to_wait);
    CHECK_FAILS(pause(), EINTR);
    CHECK_EQ(q_hits, 1);
    return arg;
}

static void sigqueue_to_thread(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_sigaction = on_queued;
    sa.sa_flags = SA_SIGINFO;
    CHECK_SYS(sigaction(SIGUSR2, &sa, NULL));

    pthread_t t;
    about_to_wait = 0;
    CHECK_OK(pthread_create(&t, NULL, in_pause_q, NULL));
    wait_flag(&about_to_wait, 20, "the thread to enter pause");
    usleep(20000);
    union sigval v = {.sival_int = 424242};
    CHECK_OK(pthread_sigqueue(t, SIGUSR2, v));
    CHECK_OK(pthread_join(t, NULL));
    CHECK_EQ(q_hits, 1);
    CHECK_EQ(q_signo, SIGUSR2);
    CHECK_EQ(q_value, 424242);
    CHECK_EQ(q_code, SI_QUEUE);
    CHECK_EQ(q_pid, getpid());
    CHECK_EQ(q_uid, getuid());
    CHECK(pthread_equal(q_on, t));

    /* To oneself: handled before pthread_sigqueue returns. */
    v.sival_int = -7;
    CHECK_OK(pthread_sigqueue(pthread_self(), SIGUSR2, v));
    CHECK_EQ(q_hits, 2);
    CHECK_EQ(q_value, -7);
    CHECK_EQ(q_code, SI_QUEUE);
    CHECK(pthread_equal(q_on, pthread_self()));
    CHECK_ERR(pthread_sigqueue(pthread_self(), 12345, v), EINVAL);
}

/* ---- to oneself, and errors ---- */

static void self_and_errors(void)
{
    int before = hits;
    CHECK_OK(raise(SIGUSR1));
    CHECK_EQ(hits, before + 1); /* before raise returned */
    CHECK_EQ(my_hits, 1);
    CHECK(pthread_equal(hit_on, pthread_self()));
    CHECK_OK(pthread_kill(pthread_self(), SIGUSR1));
    CHECK_EQ(hits, before + 2);
    CHECK_EQ(my_hits, 2);

    CHECK_OK(pthread_kill(pthread_self(), 0));
    CHECK_ERR(pthread_kill(pthread_self(), 12345), EINVAL);
    CHECK_ERR(pthread_kill(pthread_self(), -1), EINVAL);
    CHECK_ERR(pthread_kill(pthread_self(), 65), EINVAL);
    CHECK_EQ(hits, before + 2);
}

int main(void)
{
    install(SIGUSR1, on_usr1);
    target_in_pause();
    target_in_cond_wait();
    target_in_loop();
    target_queued();
    sigqueue_to_thread();
    self_and_errors();
    return 0;
}
