// ONE-CARRIER
// TIMEOUT: 30
// Routing of process-directed signals: with 8 threads besides main, all
// but one (main included) blocking SIGUSR1, each of 50 kill(getpid(),
// SIGUSR1) runs the handler on the one thread that does not block it (it
// is parked in pause(); the others sleep, yield or wait on a condition
// variable meanwhile). Then, with every thread blocking SIGUSR1, a
// kill(getpid()) signal stays pending: no handler runs, sigpending shows
// it in main and in a worker; when one worker unblocks SIGUSR1 the
// handler runs on that worker before its pthread_sigmask returns, and the
// signal is no longer pending anywhere.
#include "common.h"

#define N 8
#define ROUNDS 50
#define RECEIVER 2 /* the worker that leaves SIGUSR1 unblocked in phase 1 */
#define UNBLOCKER 5 /* the worker that unblocks it in phase 2 */
#define LOOKER 6 /* the worker that checks sigpending in phase 2 */

static pthread_t workers[N];
static volatile pthread_t hit_on;
static volatile sig_atomic_t hits, wrong;
static __thread volatile int my_hits;
static volatile int phase = 1;
static volatile int acked[N], sent, looked, unblocked;
static sigset_t looker_pending;

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static void on_usr1(int sig)
{
    (void)sig;
    pthread_t me = pthread_self();
    if (phase == 1 && !pthread_equal(me, workers[RECEIVER]))
        wrong++;
    hit_on = me;
    my_hits++;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    hits++;
}

static void on_usr2(int sig)
{
    (void)sig; /* only interrupts pause() */
}

static void usr1_set(sigset_t *s)
{
    sigemptyset(s);
    sigaddset(s, SIGUSR1);
}

/* What a worker does while it waits for the next phase. */
static void idle(int i)
{
    switch (i % 4) {
    case 0: usleep(1000); break;
    case 1: sched_yield(); break;
    case 2: {
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
        break;
    }
    case 3: {
        struct timespec dl = abs_in_ms(CLOCK_REALTIME, 3);
        CHECK_OK(pthread_mutex_lock(&m));
        int r = pthread_cond_timedwait(&cv, &m, &dl);
        CHECK(r == 0 || r == ETIMEDOUT);
        CHECK_OK(pthread_mutex_unlock(&m));
        break;
    }
    }
}

static void *worker(void *arg)
{
    int i = (int)(intptr_t)arg;
    sigset_t s, p;
    usr1_set(&s);
    if (i == RECEIVER) {
        CHECK_OK(pthread_sigmask(SIG_UNBLOCK, &s, NULL));
        set_flag(&acked[i]);
        while (phase == 1)
            pause();
        CHECK_EQ(my_hits, ROUNDS);
        CHECK_OK(pthread_sigmask(SIG_BLOCK, &s, NULL));
    } else {
        set_flag(&acked[i]);
        while (phase == 1)
            idle(i);
        CHECK_EQ(my_hits, 0);
    }
    acked[i] = 2;
    while (phase == 2) {
        if (i == LOOKER && sent && !looked) {
            CHECK_SYS(sigpending(&looker_pending));
            set_flag(&looked);
        }
        if (i == UNBLOCKER && phase == 2 && looked && !unblocked) {
            CHECK_EQ(my_hits, 0);
            CHECK_OK(pthread_sigmask(SIG_UNBLOCK, &s, NULL));
            /* The pending signal ran here, before the call returned. */
            CHECK_EQ(my_hits, 1);
            CHECK(pthread_equal(hit_on, pthread_self()));
            CHECK_SYS(sigpending(&p));
            CHECK(!sigismember(&p, SIGUSR1));
            set_flag(&unblocked);
        }
        idle(i);
    }
    CHECK_EQ(my_hits, i == RECEIVER ? ROUNDS : i == UNBLOCKER ? 1 : 0);
    return arg;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_usr1;
    CHECK_SYS(sigaction(SIGUSR1, &sa, NULL));
    sa.sa_handler = on_usr2;
    CHECK_SYS(sigaction(SIGUSR2, &sa, NULL));

    sigset_t s, p;
    usr1_set(&s);
    CHECK_OK(pthread_sigmask(SIG_BLOCK, &s, NULL)); /* inherited by all */
    for (int i = 0; i < N; i++)
        CHECK_OK(pthread_create(&workers[i], NULL, worker, (void *)(intptr_t)i));
    for (int i = 0; i < N; i++)
        wait_flag(&acked[i], 20, "the workers to start");
    usleep(20000); /* the receiver is in pause() */

    /* Phase 1: every signal lands on the receiver. */
    for (int r = 1; r <= ROUNDS; r++) {
        CHECK_SYS(kill(getpid(), SIGUSR1));
        long long deadline = now_ns() + 20LL * 1000000000;
        while (hits < r) {
            if (now_ns() > deadline)
                TEST_FAIL_("round %d: no handler ran", r);
            sched_yield();
        }
        CHECK_EQ(hits, r);
        CHECK_MSG(pthread_equal(hit_on, workers[RECEIVER]),
                  "round %d: handler ran on another thread", r);
        if (r % 10 == 0)
            usleep(2000); /* let the receiver park again now and then */
    }
    CHECK_EQ(wrong, 0);
    CHECK_EQ(my_hits, 0);

    /* End of phase 1: kick the receiver out of pause() until it moves on. */
    phase = 2;
    for (int i = 0; i < N; i++) {
        long long deadline = now_ns() + 20LL * 1000000000;
        while (acked[i] != 2) {
            if (i == RECEIVER)
                CHECK_OK(pthread_kill(workers[i], SIGUSR2));
            CHECK(now_ns() < deadline);
            usleep(1000);
        }
    }

    /* Phase 2: blocked everywhere, the signal waits. */
    CHECK_SYS(sigpending(&p));
    CHECK(!sigismember(&p, SIGUSR1));
    CHECK_SYS(kill(getpid(), SIGUSR1));
    usleep(30000);
    CHECK_EQ(hits, ROUNDS);
    set_flag(&sent);
    CHECK_SYS(sigpending(&p));
    CHECK(sigismember(&p, SIGUSR1));
    /* The looker checks, then the unblocker takes it. */
    wait_flag(&looked, 20, "the looker's sigpending");
    CHECK(sigismember(&looker_pending, SIGUSR1));
    wait_flag(&unblocked, 20, "the unblocker to take the signal");
    CHECK_EQ(hits, ROUNDS + 1);
    CHECK(pthread_equal(hit_on, workers[UNBLOCKER]));
    CHECK_SYS(sigpending(&p));
    CHECK(!sigismember(&p, SIGUSR1));

    phase = 3;
    for (int i = 0; i < N; i++)
        CHECK_OK(pthread_join(workers[i], NULL));
    CHECK_EQ(hits, ROUNDS + 1);
    CHECK_EQ(wrong, 0);
    return 0;
}
