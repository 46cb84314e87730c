// MNTHREAD-ONLY
// TIMEOUT: 300
// 100,000 threads alive at the same time (default attributes): each bumps
// an atomic counter, then waits in a sched_yield loop until main sets a
// flag; main waits for the count to reach 100000, sets the flag and joins
// them all, checking each return value.  (Far beyond what glibc's 1:1
// threads can do on this machine, hence MNTHREAD-ONLY.)
#include "common.h"

#define N 100000
static volatile long alive;
static volatile int release;

static void *parked(void *arg)
{
    __atomic_fetch_add(&alive, 1, __ATOMIC_ACQ_REL);
    while (!__atomic_load_n(&release, __ATOMIC_ACQUIRE))
        sched_yield();
    return arg;
}

int main(void)
{
    pthread_t *t = malloc(sizeof *t * N);
    CHECK(t != NULL);
    long long t0 = now_ns();
    for (long i = 0; i < N; i++) {
        int rc = pthread_create(&t[i], NULL, parked, (void *)(intptr_t)i);
        CHECK_MSG(rc == 0, "pthread_create #%ld failed: %s", i, strerror(rc));
    }
    long long t1 = now_ns();
    printf("created %d threads in %.2fs, RSS %ld KiB\n", N, (t1 - t0) / 1e9, rss_kib());
    wait_count(&alive, N, 240, "all threads running");
    long long t2 = now_ns();
    printf("all %ld alive after %.2fs, RSS %ld KiB\n", alive, (t2 - t0) / 1e9, rss_kib());
    CHECK_EQ(alive, N);
    set_flag(&release);
    for (long i = 0; i < N; i++) {
        void *r;
        CHECK_OK(pthread_join(t[i], &r));
        CHECK_EQ((intptr_t)r, i);
    }
    printf("joined all after %.2fs\n", (now_ns() - t0) / 1e9);
    free(t);
    puts("scale_100k OK");
    return 0;
}
