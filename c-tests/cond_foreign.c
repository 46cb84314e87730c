// LINK: -lrt
// Mutexes and condition variables shared between user threads and a
// kernel thread the program did not create (a SIGEV_THREAD timer
// callback's thread, started by glibc internally): a turn handoff through
// one cond between the callback thread and two user threads (hangs if a
// wake-up is lost either way), a shared counter under an errorcheck mutex
// (and EPERM when the callback unlocks the user thread's hold), and a
// broadcast from a user thread waking the callback and user waiters.
#include "common.h"
#include <signal.h>

#define TURNS 3000
static pthread_mutex_t m = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t gen_cv = PTHREAD_COND_INITIALIZER;
static int turn; /* 0, 1, 2 in rotation; 2 is the callback thread */
static long counter, gen, arrived;
static volatile int cb_done, cb_turns_done, held_by_user, cb_checked;
static volatile int failures;
static char failmsg[128];

#define CB_CHECK(cond)                                                     \
    do {                                                                   \
        if (!(cond)) {                                                     \
            snprintf(failmsg, sizeof failmsg, "line %d: %s", __LINE__,     \
                     #cond);                                               \
            __atomic_store_n(&failures, 1, __ATOMIC_RELEASE);              \
            goto out;                                                      \
        }                                                                  \
    } while (0)

static void rotate(int me)
{
    for (int i = 0; i < TURNS; i++) {
        CHECK_OK(pthread_mutex_lock(&m));
        while (turn != me)
            CHECK_OK(pthread_cond_wait(&cv, &m));
        turn = (turn + 1) % 3;
        counter++;
        CHECK_OK(pthread_cond_broadcast(&cv));
        CHECK_OK(pthread_mutex_unlock(&m));
    }
}

static void *user(void *arg)
{
    rotate((int)(intptr_t)arg);
    return NULL;
}

static void *gen_waiter(void *arg)
{
    (void)arg;
    CHECK_OK(pthread_mutex_lock(&m));
    long my = gen;
    arrived++;
    while (gen == my)
        CHECK_OK(pthread_cond_wait(&gen_cv, &m));
    CHECK_OK(pthread_mutex_unlock(&m));
    return NULL;
}

static void callback(union sigval sv)
{
    static int first = 1;
    (void)sv;
    if (!__atomic_exchange_n(&first, 0, __ATOMIC_ACQ_REL))
        return;
    for (int i = 0; i < TURNS; i++) {
        CB_CHECK(pthread_mutex_lock(&m) == 0);
        while (turn != 2)
            CB_CHECK(pthread_cond_wait(&cv, &m) == 0);
        turn = 0;
        counter++;
        CB_CHECK(pthread_cond_broadcast(&cv) == 0);
        CB_CHECK(pthread_mutex_unlock(&m) == 0);
    }
    set_flag(&cb_turns_done);
    wait_flag(&held_by_user, 30, "user hold");
    CB_CHECK(pthread_mutex_unlock(&m) == EPERM);
    CB_CHECK(pthread_mutex_trylock(&m) == EBUSY);
    set_flag(&cb_checked);
    /* Wait for a generation with user threads. */
    CB_CHECK(pthread_mutex_lock(&m) == 0);
    long my = gen;
    arrived++;
    while (gen == my)
        CB_CHECK(pthread_cond_wait(&gen_cv, &m) == 0);
    CB_CHECK(pthread_mutex_unlock(&m) == 0);
out:
    set_flag(&cb_turns_done);
    set_flag(&cb_checked);
    set_flag(&cb_done);
}

int main(void)
{
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_THREAD;
    sev.sigev_notify_function = callback;
    timer_t timer;
    CHECK_SYS(timer_create(CLOCK_MONOTONIC, &sev, &timer));
    struct itimerspec its = {.it_value = {0, 5000000}};
    CHECK_SYS(timer_settime(timer, 0, &its, NULL));

    pthread_t a, b;
    CHECK_OK(pthread_create(&a, NULL, user, (void *)0));
    CHECK_OK(pthread_create(&b, NULL, user, (void *)1));
    CHECK_OK(pthread_join(a, NULL));
    CHECK_OK(pthread_join(b, NULL));

    wait_flag(&cb_turns_done, 30, "callback turns");
    CHECK_OK(pthread_mutex_lock(&m));
    set_flag(&held_by_user);
    wait_flag(&cb_checked, 30, "callback checks");
    CHECK_MSG(!failures, "callback: %s", failmsg);
    CHECK_OK(pthread_mutex_unlock(&m));

    pthread_t w[4];
    for (int i = 0; i < 4; i++)
        CHECK_OK(pthread_create(&w[i], NULL, gen_waiter, NULL));
    for (;;) {
        CHECK_OK(pthread_mutex_lock(&m));
        long n = arrived;
        CHECK_OK(pthread_mutex_unlock(&m));
        if (n == 5 || failures)
            break;
        sched_yield();
    }
    CHECK_OK(pthread_mutex_lock(&m));
    gen++;
    CHECK_OK(pthread_cond_broadcast(&gen_cv));
    CHECK_OK(pthread_mutex_unlock(&m));
    for (int i = 0; i < 4; i++)
        CHECK_OK(pthread_join(w[i], NULL));
    wait_flag(&cb_done, 30, "callback");
    CHECK_MSG(!failures, "callback: %s", failmsg);
    CHECK_EQ(counter, 3L * TURNS);
    CHECK_SYS(timer_delete(timer));
    puts("ok");
    return 0;
}
