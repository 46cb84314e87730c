// TIMEOUT: 30
// A thread computing in a loop that never calls into the library is
// reached while it runs: pthread_kill runs its handler there (the handler
// sets the flag the loop waits for, and sees pthread_self() == the loop's
// thread; the loop's registers and counter survive), a process-directed
// SIGALRM from setitimer stops another such loop, and an asynchronous
// pthread_cancel ends a third one (its cleanup handler runs, the join
// gives PTHREAD_CANCELED). The loops need a second kernel thread to be
// reached from: not run with one carrier (no ONE-CARRIER).
#include "common.h"
#include <sys/time.h>

static volatile long counter;
static volatile int flag, looping, alarmed, cleaned;
static volatile pthread_t handled_on;

static void on_usr1(int sig)
{
    (void)sig;
    handled_on = pthread_self();
    flag = 1;
}

static void on_alrm(int sig)
{
    (void)sig;
    alarmed = 1;
}

static void *spin_until_flag(void *arg)
{
    looping = 1;
    long mine = 0;
    while (!flag)
        mine++;
    counter = mine;
    return arg;
}

static void *spin_until_alarm(void *arg)
{
    looping = 1;
    while (!alarmed)
        counter++;
    return arg;
}

static void on_cleanup(void *arg)
{
    (void)arg;
    cleaned++;
}

static void *spin_forever(void *arg)
{
    pthread_cleanup_push(on_cleanup, NULL);
    CHECK_EQ(pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL), 0);
    looping = 1;
    for (;;)
        counter++;
    pthread_cleanup_pop(0);
    return arg;
}

static pthread_t start(void *(*f)(void *))
{
    pthread_t t;
    looping = 0;
    CHECK_EQ(pthread_create(&t, NULL, f, NULL), 0);
    wait_flag(&looping, 20, "the loop to start");
    usleep(5000);
    return t;
}

int main(void)
{
    signal(SIGUSR1, on_usr1);
    signal(SIGALRM, on_alrm);

    pthread_t t = start(spin_until_flag);
    CHECK_EQ(pthread_kill(t, SIGUSR1), 0);
    CHECK_EQ(pthread_join(t, NULL), 0);
    CHECK(pthread_equal(handled_on, t));
    CHECK_GT(counter, 0);

    /* Main blocks SIGALRM after the loop started (which does not
     * inherit that): only the loop can take it. */
    t = start(spin_until_alarm);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGALRM);
    CHECK_EQ(pthread_sigmask(SIG_BLOCK, &s, NULL), 0);
    struct itimerval it = {{0, 0}, {0, 20000}};
    CHECK_SYS(setitimer(ITIMER_REAL, &it, NULL));
    CHECK_EQ(pthread_join(t, NULL), 0);
    CHECK_EQ(alarmed, 1);

    void *ret;
    t = start(spin_forever);
    CHECK_EQ(pthread_cancel(t), 0);
    CHECK_EQ(pthread_join(t, &ret), 0);
    CHECK(ret == PTHREAD_CANCELED);
    CHECK_EQ(cleaned, 1);
    return 0;
}
