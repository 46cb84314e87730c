// ONE-CARRIER
// TIMEOUT: 30
// LINK: -lrt
// Threads the library did not create (here glibc's SIGEV_THREAD timer
// threads) keep the kernel's own masks and signals: one unblocks SIGUSR1
// and waits in pause(); pthread_kill with its pthread_t runs the handler on
// it and pause returns -1/EINTR. Another waits in sigwait for SIGUSR2 sent
// to it with pthread_kill. A third is cancelled with pthread_cancel while
// it waits in pause (its cleanup handler runs).
#include "common.h"

static volatile pthread_t who, handled_on;
static volatile int ready, paused_errno, got_sig, cleaned;
static struct foreign_run fr1, fr2, fr3;

static void on_usr1(int sig)
{
    (void)sig;
    handled_on = pthread_self();
}

static void waits_in_pause(void *arg)
{
    (void)arg;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    CHECK_EQ(pthread_sigmask(SIG_UNBLOCK, &s, NULL), 0);
    who = pthread_self();
    ready = 1;
    int r = pause();
    paused_errno = r == -1 ? errno : 0;
}

static void waits_in_sigwait(void *arg)
{
    (void)arg;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    CHECK_EQ(pthread_sigmask(SIG_BLOCK, &s, NULL), 0);
    who = pthread_self();
    ready = 1;
    int sig = 0;
    CHECK_EQ(sigwait(&s, &sig), 0);
    got_sig = sig;
}

static void on_cleanup(void *arg)
{
    (void)arg;
    cleaned = 1;
}

static void cancelled_in_pause(void *arg)
{
    (void)arg;
    pthread_cleanup_push(on_cleanup, NULL);
    who = pthread_self();
    ready = 1;
    for (;;)
        pause();
    pthread_cleanup_pop(0);
}

static pthread_t started(void)
{
    wait_flag(&ready, 20, "the foreign thread");
    ready = 0;
    usleep(20000); /* it is waiting */
    return who;
}

int main(void)
{
    signal(SIGUSR1, on_usr1);
    /* Nothing but the foreign threads may take SIGUSR1/2. */
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    sigaddset(&s, SIGUSR2);
    CHECK_EQ(pthread_sigmask(SIG_BLOCK, &s, NULL), 0);

    run_on_foreign_thread(&fr1, waits_in_pause, NULL);
    pthread_t t = started();
    CHECK_EQ(pthread_kill(t, 0), 0);
    CHECK_EQ(pthread_kill(t, SIGUSR1), 0);
    foreign_wait(&fr1, 1, 20, "pause to return");
    foreign_stop(&fr1);
    CHECK_EQ(paused_errno, EINTR);
    CHECK(pthread_equal(handled_on, t));

    run_on_foreign_thread(&fr2, waits_in_sigwait, NULL);
    t = started();
    CHECK_EQ(pthread_kill(t, SIGUSR2), 0);
    foreign_wait(&fr2, 1, 20, "sigwait to return");
    foreign_stop(&fr2);
    CHECK_EQ(got_sig, SIGUSR2);

    run_on_foreign_thread(&fr3, cancelled_in_pause, NULL);
    t = started();
    CHECK_EQ(pthread_cancel(t), 0);
    wait_flag(&cleaned, 20, "the cancelled foreign thread's cleanup");
    foreign_stop(&fr3);
    return 0;
}
