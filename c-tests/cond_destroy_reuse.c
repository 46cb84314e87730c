// A condition variable may be destroyed, zeroed and initialised again right
// after a broadcast that released every waiter, even if some waiter has not
// yet gone to sleep (it released the mutex inside pthread_cond_wait and was
// about to block): every waiter still returns.  Checked for a private and a
// process-shared cond, each round with the memory reused at once.
// (Taught by Open POSIX pthread_cond_destroy/2-1, "Reuse the cond memory".)
// TIMEOUT: 60
#include "common.h"

#define WAITERS 4
#define ROUNDS 3000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv;
static pthread_condattr_t ca;
static int waiting;   /* waiters that entered pthread_cond_wait; under mu */
static int released;  /* the last round whose broadcast happened; under mu */
static int round_no;  /* the round being played; under mu */

static void *waiter(void *arg)
{
    (void)arg;
    int my_round = 0;
    CHECK_OK(pthread_mutex_lock(&mu));
    for (;;) {
        while (round_no == my_round) {
            /* wait for the next round to start */
            CHECK_OK(pthread_mutex_unlock(&mu));
            sched_yield();
            CHECK_OK(pthread_mutex_lock(&mu));
        }
        my_round = round_no;
        if (my_round > ROUNDS)
            break;
        waiting++;
        while (released < my_round)
            CHECK_OK(pthread_cond_wait(&cv, &mu));
    }
    CHECK_OK(pthread_mutex_unlock(&mu));
    return NULL;
}

static void play(int pshared)
{
    pthread_t t[WAITERS];
    CHECK_OK(pthread_condattr_init(&ca));
    CHECK_OK(pthread_condattr_setpshared(&ca, pshared ? PTHREAD_PROCESS_SHARED
                                                      : PTHREAD_PROCESS_PRIVATE));
    CHECK_OK(pthread_cond_init(&cv, &ca));
    round_no = 0;
    released = 0;
    for (int i = 0; i < WAITERS; i++)
        CHECK_OK(pthread_create(&t[i], NULL, waiter, NULL));
    CHECK_OK(pthread_mutex_lock(&mu));
    for (int r = 1; r <= ROUNDS; r++) {
        waiting = 0;
        round_no = r;
        /* Let every waiter enter pthread_cond_wait: the last one may still
         * be between releasing the mutex and blocking. */
        while (waiting < WAITERS) {
            CHECK_OK(pthread_mutex_unlock(&mu));
            sched_yield();
            CHECK_OK(pthread_mutex_lock(&mu));
        }
        released = r;
        CHECK_OK(pthread_cond_broadcast(&cv));
        /* Destroy and reuse the memory while still holding the mutex: no
         * waiter is blocked on the cond any more. */
        CHECK_OK(pthread_cond_destroy(&cv));
        memset(&cv, 0, sizeof cv);
        CHECK_OK(pthread_cond_init(&cv, &ca));
    }
    round_no = ROUNDS + 1;
    CHECK_OK(pthread_mutex_unlock(&mu));
    for (int i = 0; i < WAITERS; i++)
        CHECK_OK(pthread_join(t[i], NULL));
    CHECK_OK(pthread_cond_destroy(&cv));
    CHECK_OK(pthread_condattr_destroy(&ca));
}

int main(void)
{
    play(0);
    play(1);
    puts("ok");
    return 0;
}
