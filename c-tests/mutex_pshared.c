// Process-shared mutex and condition variable in MAP_SHARED memory across
// fork: mutual exclusion of a shared counter incremented by two processes
// (several threads each), and a turn handoff between the processes through
// a PTHREAD_PROCESS_SHARED cond (hangs if a wake-up is lost), including a
// timed wait that times out with the mutex held. Also mutexattr pshared.
// Ownership is per process: with the parent holding an errorcheck or
// recursive process-shared mutex, the forked child (whose thread may carry
// the same thread id) gets EBUSY/ETIMEDOUT/EPERM, not EDEADLK or a deeper
// lock; and the turn handoff runs again over an errorcheck mutex, whose
// every cond wait checks ownership (from the Open POSIX Test Suite's
// pthread_mutex_trylock and pthread_cond_timedwait cases).
// TIMEOUT: 120
#include "common.h"

struct shared {
    pthread_mutex_t m, e, r;
    volatile int held, done;
    pthread_cond_t cv;
    long counter;
    int turn;
};

static struct shared *sh;

#define THREADS 3
#define ROUNDS 5000
#define TURNS 2000

static void *incr(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        CHECK_OK(pthread_mutex_lock(&sh->m));
        long v = sh->counter;
        if ((i & 127) == 0)
            sched_yield();
        sh->counter = v + 1;
        CHECK_OK(pthread_mutex_unlock(&sh->m));
    }
    return NULL;
}

static void run_incr(void)
{
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        CHECK_OK(pthread_create(&t[i], NULL, incr, NULL));
    for (int i = 0; i < THREADS; i++)
        CHECK_OK(pthread_join(t[i], NULL));
}

static void turns(int me)
{
    for (int i = 0; i < TURNS; i++) {
        CHECK_OK(pthread_mutex_lock(&sh->m));
        while (sh->turn != me)
            CHECK_OK(pthread_cond_wait(&sh->cv, &sh->m));
        sh->turn = !me;
        CHECK_OK(pthread_cond_signal(&sh->cv));
        CHECK_OK(pthread_mutex_unlock(&sh->m));
    }
}

static void *turns_thread(void *arg)
{
    turns((int)(intptr_t)arg);
    return NULL;
}

int main(void)
{
    sh = shared_alloc(sizeof *sh);

    pthread_mutexattr_t ma;
    int ps = -1;
    CHECK_OK(pthread_mutexattr_init(&ma));
    CHECK_OK(pthread_mutexattr_getpshared(&ma, &ps));
    CHECK_EQ(ps, PTHREAD_PROCESS_PRIVATE);
    CHECK_ERR(pthread_mutexattr_setpshared(&ma, 5), EINVAL);
    CHECK_OK(pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED));
    CHECK_OK(pthread_mutexattr_getpshared(&ma, &ps));
    CHECK_EQ(ps, PTHREAD_PROCESS_SHARED);
    CHECK_OK(pthread_mutex_init(&sh->m, &ma));
    pthread_condattr_t ca;
    CHECK_OK(pthread_condattr_init(&ca));
    CHECK_OK(pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED));
    CHECK_OK(pthread_condattr_setclock(&ca, CLOCK_MONOTONIC));
    CHECK_OK(pthread_cond_init(&sh->cv, &ca));

    pid_t pid = fork_checked();
    if (pid == 0) {
        run_incr();
        pthread_t t;
        CHECK_OK(pthread_create(&t, NULL, turns_thread, (void *)1));
        CHECK_OK(pthread_join(t, NULL));
        _exit(0);
    }
    run_incr();
    turns(0);
    wait_child_ok(pid, "child");
    CHECK_EQ(sh->counter, 2L * THREADS * ROUNDS);

    struct timespec ts = abs_in_ms(CLOCK_MONOTONIC, 20);
    CHECK_OK(pthread_mutex_lock(&sh->m));
    CHECK_ERR(pthread_cond_timedwait(&sh->cv, &sh->m, &ts), ETIMEDOUT);
    CHECK_OK(pthread_mutex_unlock(&sh->m));

    /* Held by the parent: the child does not own it. */
    CHECK_OK(pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK));
    CHECK_OK(pthread_mutex_init(&sh->e, &ma));
    CHECK_OK(pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE));
    CHECK_OK(pthread_mutex_init(&sh->r, &ma));
    CHECK_OK(pthread_mutex_lock(&sh->e));
    CHECK_OK(pthread_mutex_lock(&sh->r));
    pid = fork_checked();
    if (pid == 0) {
        struct timespec soon = abs_in_ms(CLOCK_REALTIME, 10);
        CHECK_ERR(pthread_mutex_trylock(&sh->e), EBUSY);
        CHECK_ERR(pthread_mutex_timedlock(&sh->e, &soon), ETIMEDOUT);
        CHECK_ERR(pthread_mutex_unlock(&sh->e), EPERM);
        CHECK_ERR(pthread_mutex_trylock(&sh->r), EBUSY);
        CHECK_ERR(pthread_mutex_unlock(&sh->r), EPERM);
        _exit(0);
    }
    wait_child_ok(pid, "child");
    CHECK_OK(pthread_mutex_unlock(&sh->r));
    CHECK_OK(pthread_mutex_unlock(&sh->e));

    /* Handoff across processes over the errorcheck mutex. */
    CHECK_OK(pthread_mutex_destroy(&sh->m));
    memcpy(&sh->m, &sh->e, sizeof sh->m);
    sh->turn = 0;
    pid = fork_checked();
    if (pid == 0) {
        turns(1);
        _exit(0);
    }
    turns(0);
    wait_child_ok(pid, "child");
    CHECK_OK(pthread_mutex_lock(&sh->m));
    CHECK_ERR(pthread_mutex_trylock(&sh->m), EBUSY);
    CHECK_OK(pthread_mutex_unlock(&sh->m));
    CHECK_OK(pthread_cond_destroy(&sh->cv));
    CHECK_OK(pthread_mutex_destroy(&sh->m));
    puts("ok");
    return 0;
}
