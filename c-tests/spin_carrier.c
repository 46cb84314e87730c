// LINK: -lrt
// Spinlocks: init (any pshared value accepted, as glibc), trylock EBUSY,
// and mutual exclusion among many threads whose critical sections yield
// while holding the lock: under M:N with one carrier (MNTHREAD_CARRIERS=1)
// a spinner must yield to the descheduled holder instead of spinning for
// ever. A foreign thread (SIGEV_THREAD timer callback) takes it too.
#include "common.h"

#define THREADS 16
#define ITERS 1000

static pthread_spinlock_t sl;
static volatile long counter;
static int inside;
static volatile long foreign_ops;

static void critical(void)
{
    CHECK_OK(pthread_spin_lock(&sl));
    CHECK_EQ(__atomic_add_fetch(&inside, 1, __ATOMIC_ACQ_REL), 1);
    long c = counter;
    if ((c & 255) == 0)
        sched_yield(); /* deschedule the holder now and then */
    counter = c + 1;
    __atomic_sub_fetch(&inside, 1, __ATOMIC_ACQ_REL);
    CHECK_OK(pthread_spin_unlock(&sl));
}

static void *worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < ITERS; i++)
        critical();
    return NULL;
}

static void callback(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100; i++)
        critical();
    __atomic_add_fetch(&foreign_ops, 100, __ATOMIC_RELEASE);
}

int main(void)
{
    CHECK_OK(pthread_spin_init(&sl, PTHREAD_PROCESS_PRIVATE));
    CHECK_OK(pthread_spin_destroy(&sl));
    CHECK_OK(pthread_spin_init(&sl, 5));
    CHECK_OK(pthread_spin_trylock(&sl));
    CHECK_ERR(pthread_spin_trylock(&sl), EBUSY);
    CHECK_OK(pthread_spin_unlock(&sl));
    CHECK_OK(pthread_spin_destroy(&sl));
    CHECK_OK(pthread_spin_init(&sl, PTHREAD_PROCESS_SHARED));

    static struct foreign_run fr;
    run_on_foreign_thread(&fr, callback, NULL);

    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        CHECK_OK(pthread_create(&t[i], NULL, worker, NULL));
    for (int i = 0; i < THREADS; i++)
        CHECK_OK(pthread_join(t[i], NULL));
    foreign_wait(&fr, 1, 20, "timer callback");
    CHECK_EQ(foreign_ops, 100);
    foreign_stop(&fr);
    CHECK_OK(pthread_spin_lock(&sl));
    CHECK_EQ(counter, THREADS * ITERS + 100);
    CHECK_OK(pthread_spin_unlock(&sl));
    CHECK_OK(pthread_spin_destroy(&sl));
    puts("spin_carrier OK");
    return 0;
}
