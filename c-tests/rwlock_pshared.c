// Process-shared rwlock and barrier in MAP_SHARED memory across fork:
// parent and child threads meet at a PTHREAD_PROCESS_SHARED barrier each
// round, and increment a shared counter pair under the shared rwlock's
// write lock while readers in both processes check it; a writer in one
// process blocks (and is woken by) the other process's reader.
#include "common.h"

#define ROUNDS 200
#define PER_PROC 2

struct shm {
    pthread_rwlock_t lock;
    pthread_barrier_t bar;
    long a, b;
    int child_holds, parent_waiting;
    long serials;
};

static struct shm *sh;

static void *worker(void *arg)
{
    (void)arg;
    for (int r = 0; r < ROUNDS; r++) {
        if (pthread_barrier_wait(&sh->bar) == PTHREAD_BARRIER_SERIAL_THREAD)
            __atomic_add_fetch(&sh->serials, 1, __ATOMIC_RELAXED);
        CHECK_OK(pthread_rwlock_wrlock(&sh->lock));
        sh->a++;
        sched_yield();
        sh->b++;
        CHECK_OK(pthread_rwlock_unlock(&sh->lock));
        CHECK_OK(pthread_rwlock_rdlock(&sh->lock));
        CHECK_EQ(sh->a, sh->b);
        CHECK_OK(pthread_rwlock_unlock(&sh->lock));
    }
    /* Both processes are done with the rounds before the next step. */
    if (pthread_barrier_wait(&sh->bar) == PTHREAD_BARRIER_SERIAL_THREAD)
        __atomic_add_fetch(&sh->serials, 1, __ATOMIC_RELAXED);
    return NULL;
}

static void run_workers(void)
{
    pthread_t t[PER_PROC];
    for (int i = 0; i < PER_PROC; i++)
        CHECK_OK(pthread_create(&t[i], NULL, worker, NULL));
    for (int i = 0; i < PER_PROC; i++)
        CHECK_OK(pthread_join(t[i], NULL));
}

int main(void)
{
    sh = shared_alloc(sizeof *sh);
    pthread_rwlockattr_t ra;
    CHECK_OK(pthread_rwlockattr_init(&ra));
    CHECK_OK(pthread_rwlockattr_setpshared(&ra, PTHREAD_PROCESS_SHARED));
    CHECK_OK(pthread_rwlock_init(&sh->lock, &ra));
    pthread_barrierattr_t ba;
    CHECK_OK(pthread_barrierattr_init(&ba));
    CHECK_OK(pthread_barrierattr_setpshared(&ba, PTHREAD_PROCESS_SHARED));
    CHECK_OK(pthread_barrier_init(&sh->bar, &ba, 2 * PER_PROC));

    pid_t pid = fork_checked();
    if (pid == 0) {
        run_workers();
        /* Hold a read lock until the parent's writer waits on it. */
        CHECK_OK(pthread_rwlock_rdlock(&sh->lock));
        set_flag(&sh->child_holds);
        wait_flag(&sh->parent_waiting, 20, "parent writer");
        usleep(20000);
        CHECK_OK(pthread_rwlock_unlock(&sh->lock));
        _exit(0);
    }
    run_workers();
    wait_flag(&sh->child_holds, 20, "child reader");
    CHECK_ERR(pthread_rwlock_trywrlock(&sh->lock), EBUSY);
    set_flag(&sh->parent_waiting);
    CHECK_OK(pthread_rwlock_wrlock(&sh->lock));
    CHECK_EQ(sh->a, 2 * PER_PROC * ROUNDS);
    CHECK_EQ(sh->a, sh->b);
    CHECK_OK(pthread_rwlock_unlock(&sh->lock));
    wait_child_ok(pid, "child");
    CHECK_EQ(sh->serials, ROUNDS + 1);
    CHECK_OK(pthread_barrier_destroy(&sh->bar));
    CHECK_OK(pthread_rwlock_destroy(&sh->lock));
    puts("rwlock_pshared OK");
    return 0;
}
