// LINK: -lrt
// rwlock correctness under contention, for each kind: writers are
// exclusive (no reader or other writer inside with them), readers always
// see a consistent pair of values, several readers can be inside at once,
// every writer finishes under PREFER_WRITER_NONRECURSIVE_NP while readers
// keep coming, and threads mnthread did not create (SIGEV_THREAD timer
// callbacks) share the lock with user threads both ways.
#include "common.h"

#define READERS 12
#define WRITERS 4
#define WRITES 300
#define READS 3000

/* One per kind, never reused: a late timer callback of an earlier kind
 * still finds its own lock and data. */
struct run {
    pthread_rwlock_t lock;
    volatile long a, b; /* invariant: a == b outside a write lock */
    long inside_readers, inside_writers;
    volatile long foreign_ops; /* callbacks done on this run's lock */
    struct foreign_run fr;     /* the timer whose callbacks use it */
};
static struct run runs[3];
static struct run *volatile cur;
static long max_readers;
static volatile int stop;
static volatile long reads;

static void read_once(struct run *R)
{
    CHECK_OK(pthread_rwlock_rdlock(&R->lock));
    long n = __atomic_add_fetch(&R->inside_readers, 1, __ATOMIC_ACQ_REL);
    CHECK_EQ(__atomic_load_n(&R->inside_writers, __ATOMIC_ACQUIRE), 0);
    long m = __atomic_load_n(&max_readers, __ATOMIC_RELAXED);
    while (n > m && !__atomic_compare_exchange_n(&max_readers, &m, n, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
    long x = R->a;
    for (int i = 0; i < 50; i++)
        __asm__ volatile("" ::: "memory");
    CHECK_EQ(x, R->b);
    if (n == 1 && __atomic_load_n(&max_readers, __ATOMIC_RELAXED) < 2)
        usleep(100); /* linger so that others can join */
    __atomic_sub_fetch(&R->inside_readers, 1, __ATOMIC_ACQ_REL);
    CHECK_OK(pthread_rwlock_unlock(&R->lock));
    __atomic_add_fetch(&reads, 1, __ATOMIC_RELAXED);
}

static void write_once(struct run *R)
{
    CHECK_OK(pthread_rwlock_wrlock(&R->lock));
    CHECK_EQ(__atomic_add_fetch(&R->inside_writers, 1, __ATOMIC_ACQ_REL), 1);
    CHECK_EQ(__atomic_load_n(&R->inside_readers, __ATOMIC_ACQUIRE), 0);
    R->a = R->a + 1;
    sched_yield();
    R->b = R->b + 1;
    __atomic_sub_fetch(&R->inside_writers, 1, __ATOMIC_ACQ_REL);
    CHECK_OK(pthread_rwlock_unlock(&R->lock));
}

static void *reader(void *arg)
{
    struct run *R = cur;
    int bounded = (int)(intptr_t)arg;
    for (int i = 0; bounded ? i < READS : !__atomic_load_n(&stop, __ATOMIC_ACQUIRE); i++) {
        read_once(R);
        if (bounded)
            sched_yield();
    }
    return NULL;
}

static void *writer(void *arg)
{
    struct run *R = arg;
    for (int i = 0; i < WRITES; i++) {
        write_once(R);
        if (i % 16 == 0)
            sched_yield();
    }
    return NULL;
}

static void callback(void *arg)
{
    struct run *R = arg;
    if (__atomic_load_n(&stop, __ATOMIC_ACQUIRE))
        return;
    for (int i = 0; i < 20; i++) {
        read_once(R);
        write_once(R);
    }
    __atomic_add_fetch(&R->foreign_ops, 1, __ATOMIC_RELEASE);
}

static void run(int kind)
{
    struct run *R = &runs[kind];
    pthread_rwlockattr_t at;
    CHECK_OK(pthread_rwlockattr_init(&at));
    CHECK_OK(pthread_rwlockattr_setkind_np(&at, kind));
    CHECK_OK(pthread_rwlock_init(&R->lock, &at));
    cur = R;
    stop = 0;
    reads = 0;
    max_readers = 0;

    foreign_start(&R->fr, callback, R, 1, 5);

    pthread_t r[READERS], w[WRITERS];
    for (int i = 0; i < READERS; i++)
        CHECK_OK(pthread_create(&r[i], NULL, reader, (void *)(intptr_t)(kind != PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP)));
    for (int i = 0; i < WRITERS; i++)
        CHECK_OK(pthread_create(&w[i], NULL, writer, R));
    /* Writers must finish. Under the writer non-recursive kind readers
     * keep coming back until then; reader-preferring kinds (glibc's too)
     * may starve writers while readers overlap, so there each reader
     * stops after READS reads. */
    for (int i = 0; i < WRITERS; i++)
        CHECK_OK(pthread_join(w[i], NULL));
    wait_count(&R->foreign_ops, 2, 30, "timer callbacks using the lock");
    __atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < READERS; i++)
        CHECK_OK(pthread_join(r[i], NULL));
    foreign_stop(&R->fr);

    CHECK_OK(pthread_rwlock_wrlock(&R->lock));
    CHECK_EQ(R->a, R->b);
    CHECK_GE(R->a, WRITERS * WRITES + 2 * 20);
    CHECK_OK(pthread_rwlock_unlock(&R->lock));
    CHECK_GT(reads, 0);
    printf("kind %d: %ld reads, %ld writes, up to %ld readers at once, %ld callbacks\n", kind, reads, R->a,
           max_readers, R->foreign_ops);
    CHECK_GE(max_readers, 2);
}

int main(void)
{
    run(PTHREAD_RWLOCK_PREFER_READER_NP);
    run(PTHREAD_RWLOCK_PREFER_WRITER_NP);
    run(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    puts("rwlock_contention OK");
    return 0;
}
