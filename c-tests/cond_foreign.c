// LINK: -lrt
// Mutexes and condition variables shared between user threads and a
// kernel thread the program did not create (a SIGEV_THREAD timer
// callback's thread, started by glibc internally): a turn handoff through
// one cond between the callback thread and two user threads (hangs if a
// wake-up is lost either way), a shared counter under an errorcheck mutex
// (and EPERM when the callback unlocks the user thread's hold), and a
// broadcast from a user thread waking the callback and user waiters.
#include "common.h"

#define TURNS 3000
static pthread_mutex_t m = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t gen_cv = PTHREAD_COND_INITIALIZER;
static int turn; /* 0, 1, 2 in rotation; 2 is the callback thread */
static long counter, gen, arrived;
static volatile int cb_turns_done, held_by_user, cb_checked;

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

static void callback(void *arg)
{
    (void)arg;
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
}

int main(void)
{
    static struct foreign_run fr;
    run_on_foreign_thread(&fr, callback, NULL);

    pthread_t a, b;
    CHECK_OK(pthread_create(&a, NULL, user, (void *)0));
    CHECK_OK(pthread_create(&b, NULL, user, (void *)1));
    CHECK_OK(pthread_join(a, NULL));
    CHECK_OK(pthread_join(b, NULL));

    wait_flag(&cb_turns_done, 30, "callback turns");
    CHECK_OK(pthread_mutex_lock(&m));
    set_flag(&held_by_user);
    wait_flag(&cb_checked, 30, "callback checks");
    CHECK_NO_CB_FAILURE();
    CHECK_OK(pthread_mutex_unlock(&m));

    pthread_t w[4];
    for (int i = 0; i < 4; i++)
        CHECK_OK(pthread_create(&w[i], NULL, gen_waiter, NULL));
    for (;;) {
        CHECK_OK(pthread_mutex_lock(&m));
        long n = arrived;
        CHECK_OK(pthread_mutex_unlock(&m));
        if (n == 5 || cb_failed())
            break;
        sched_yield();
    }
    CHECK_OK(pthread_mutex_lock(&m));
    gen++;
    CHECK_OK(pthread_cond_broadcast(&gen_cv));
    CHECK_OK(pthread_mutex_unlock(&m));
    for (int i = 0; i < 4; i++)
        CHECK_OK(pthread_join(w[i], NULL));
    foreign_wait(&fr, 1, 30, "callback");
    CHECK_NO_CB_FAILURE();
    CHECK_EQ(counter, 3L * TURNS);
    foreign_stop(&fr);
    puts("ok");
    return 0;
}
