// ONE-CARRIER
// TIMEOUT: 30
// A process-directed signal that arrives while its only taker runs a
// handler for the same signal (so blocks it) stays pending for the
// process, and is delivered to that thread as soon as the handler returns
// and its mask is restored. Found by the Open POSIX Test Suite's
// pthread_cond_timedwait/4-3, where a signal lost this way stopped the
// sender threads forever.
//
// One receiver leaves SIGUSR1 unblocked; main and a sender block it. Each
// round: the sender kills the process, the handler (on the receiver)
// waits until the sender has killed the process a second time, and the
// sender sees that second signal pending (sigpending) before it lets the
// handler return; the handler must then run a second time. Phase 1: the
// receiver sleeps with SIGUSR1 unblocked; phase 2: it blocks SIGUSR1 and
// takes the signals only in sigsuspend.
#include "common.h"

#define ROUNDS 40

static volatile long hits, entered, released;
static volatile pthread_t receiver;
static volatile int wrong_thread;

static void on_usr1(int sig)
{
    (void)sig;
    if (!pthread_equal(pthread_self(), receiver))
        wrong_thread = 1;
    long h = __atomic_add_fetch(&hits, 1, __ATOMIC_SEQ_CST);
    if (h % 2 == 1) {
        /* The first of a pair: hold SIGUSR1 (blocked while this runs)
         * until the second one has been sent. */
        __atomic_store_n(&entered, h, __ATOMIC_SEQ_CST);
        wait_count(&released, h, 10, "the sender's second kill");
    }
}

static void *receive(void *arg)
{
    int phase = (int)(long)arg;
    sigset_t usr1, none;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigemptyset(&none);
    long target = 2L * ROUNDS * phase;
    if (phase == 1) {
        CHECK_EQ(pthread_sigmask(SIG_UNBLOCK, &usr1, NULL), 0);
        long long deadline = now_ns() + 20000000000LL;
        while (__atomic_load_n(&hits, __ATOMIC_SEQ_CST) < target) {
            CHECK_MSG(now_ns() < deadline, "%ld of %ld handlers ran", hits, target);
            usleep(500);
        }
        CHECK_EQ(pthread_sigmask(SIG_BLOCK, &usr1, NULL), 0);
    } else {
        CHECK_EQ(pthread_sigmask(SIG_BLOCK, &usr1, NULL), 0);
        while (__atomic_load_n(&hits, __ATOMIC_SEQ_CST) < target) {
            CHECK_EQ(sigsuspend(&none), -1);
            CHECK_EQ(errno, EINTR);
        }
    }
    return NULL;
}

static void *send_pairs(void *arg)
{
    int phase = (int)(long)arg;
    long base = 2L * ROUNDS * (phase - 1);
    for (long r = 0; r < ROUNDS; r++) {
        long first = base + 2 * r + 1;
        CHECK_EQ(kill(getpid(), SIGUSR1), 0);
        wait_count(&entered, first, 10, "the handler of the first kill");
        CHECK_EQ(kill(getpid(), SIGUSR1), 0);
        sigset_t p;
        CHECK_EQ(sigpending(&p), 0);
        CHECK_MSG(sigismember(&p, SIGUSR1) == 1, "round %ld: the second SIGUSR1 is not pending", r);
        CHECK_EQ(__atomic_load_n(&hits, __ATOMIC_SEQ_CST), first);
        __atomic_store_n(&released, first, __ATOMIC_SEQ_CST);
        wait_count(&hits, first + 1, 10, "the handler of the second kill");
    }
    return NULL;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    /* Threads inherit it: only the receiver unblocks it. */
    CHECK_EQ(pthread_sigmask(SIG_BLOCK, &usr1, NULL), 0);

    for (long phase = 1; phase <= 2; phase++) {
        pthread_t r, s;
        CHECK_EQ(pthread_create(&r, NULL, receive, (void *)phase), 0);
        receiver = r;
        CHECK_EQ(pthread_create(&s, NULL, send_pairs, (void *)phase), 0);
        CHECK_EQ(pthread_join(s, NULL), 0);
        CHECK_EQ(pthread_join(r, NULL), 0);
        CHECK_EQ(hits, 2L * ROUNDS * phase);
    }
    CHECK(!wrong_thread);
    sigset_t p;
    CHECK_EQ(sigpending(&p), 0);
    CHECK_EQ(sigismember(&p, SIGUSR1), 0);
    printf("ok: %ld handlers, each second signal delivered after the first handler\n", hits);
    return 0;
}
