// ONE-CARRIER
// TIMEOUT: 60
// A process-directed signal is delivered exactly once even when the only
// thread that takes it blocks it, or ends, just after it was sent: then it
// stays pending for the process and main's sigtimedwait takes it. (Under
// mnthread the signal is given to the thread when sent and delivered at its
// next safe point; a thread that is busy in libc meanwhile and blocks the
// signal, or exits, must give it back — else it is lost.)
//
// Each round a worker unblocks SIGUSR1 and runs memset on 4 MiB in a loop
// (time spent in libc) until main has sent SIGUSR1 to the process (or
// 20 ms have passed), and once more; then it blocks
// SIGUSR1 (even rounds) or returns (odd rounds). Main, which blocks
// SIGUSR1 throughout, then counts the handler's run on the worker or takes
// the signal with sigtimedwait: one of the two, once.
#include "common.h"

#define ROUNDS 100

static volatile long handled;
static volatile int ready, sent, done;
static volatile pthread_t worker;
static volatile int wrong_thread;
static char buffer[4 << 20];

static void on_usr1(int sig)
{
    (void)sig;
    if (!pthread_equal(pthread_self(), worker))
        wrong_thread = 1;
    __atomic_add_fetch(&handled, 1, __ATOMIC_SEQ_CST);
}

static void *work(void *arg)
{
    long round = (long)arg;
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    CHECK_EQ(pthread_sigmask(SIG_UNBLOCK, &usr1, NULL), 0);
    set_flag(&ready);
    /* Mostly inside libc's memset, where mnthread defers a signal. */
    /* Without yielding: with one carrier main sends only after 20 ms. */
    long long until = now_ns() + 20000000;
    while (!__atomic_load_n(&sent, __ATOMIC_ACQUIRE) && now_ns() < until)
        memset(buffer, (int)round, sizeof buffer);
    memset(buffer, 0, sizeof buffer);
    if (round % 2 == 0) {
        CHECK_EQ(pthread_sigmask(SIG_BLOCK, &usr1, NULL), 0);
        set_flag(&done);
        /* Stay alive (blocking it) until main has looked. */
        while (__atomic_load_n(&done, __ATOMIC_ACQUIRE) == 1)
            sched_yield();
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
    CHECK_EQ(pthread_sigmask(SIG_BLOCK, &usr1, NULL), 0);

    long waited = 0;
    for (long r = 0; r < ROUNDS; r++) {
        ready = sent = done = 0;
        pthread_t t;
        CHECK_EQ(pthread_create(&t, NULL, work, (void *)r), 0);
        worker = t;
        wait_flag(&ready, 10, "the worker to unblock SIGUSR1");
        long before = handled;
        CHECK_EQ(kill(getpid(), SIGUSR1), 0);
        set_flag(&sent);
        if (r % 2 == 0)
            wait_flag(&done, 10, "the worker to block SIGUSR1");
        else
            CHECK_EQ(pthread_join(t, NULL), 0);
        struct timespec zero = {0, 0}, second = {1, 0};
        int got = sigtimedwait(&usr1, NULL, handled > before ? &zero : &second);
        if (handled > before) {
            CHECK_EQ(handled, before + 1);
            CHECK_MSG(got == -1 && errno == EAGAIN, "round %ld: SIGUSR1 handled and still pending (%d)", r, got);
        } else {
            CHECK_MSG(got == SIGUSR1, "round %ld: SIGUSR1 neither handled nor pending (%d, errno %d)", r, got, errno);
            waited++;
        }
        if (r % 2 == 0) {
            __atomic_store_n(&done, 2, __ATOMIC_RELEASE);
            CHECK_EQ(pthread_join(t, NULL), 0);
        }
        CHECK_EQ(handled + waited, r + 1);
    }
    CHECK(!wrong_thread);
    printf("ok: %d signals, %ld handled on the worker, %ld taken back by sigtimedwait\n", ROUNDS, handled, waited);
    return 0;
}
