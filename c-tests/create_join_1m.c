// TIMEOUT: 300
// 1,000,000 sequential pthread_create + pthread_join round trips, checking
// every return value; VmRSS after 100,000 and after 1,000,000 iterations
// must not differ by more than 4 MiB (no per-thread leak).
#include "common.h"

static void *inc(void *arg)
{
    return (void *)((intptr_t)arg + 1);
}

int main(void)
{
    const long total = 1000000, warm = 100000;
    long rss_warm = 0;
    long long t0 = now_ns();
    for (long i = 0; i < total; i++) {
        pthread_t t;
        void *r;
        int rc = pthread_create(&t, NULL, inc, (void *)(intptr_t)i);
        CHECK_MSG(rc == 0, "pthread_create #%ld: %s", i, strerror(rc));
        CHECK_OK(pthread_join(t, &r));
        if ((intptr_t)r != i + 1)
            CHECK_EQ((intptr_t)r, i + 1);
        if (i + 1 == warm) {
            rss_warm = rss_kib();
            printf("after %ld: %.2fs, VmRSS %ld KiB\n", warm, (now_ns() - t0) / 1e9,
                   rss_warm);
        }
    }
    long rss_end = rss_kib();
    double secs = (now_ns() - t0) / 1e9;
    printf("after %ld: %.2fs (%.0f ns per create+join), VmRSS %ld KiB\n", total,
           secs, secs * 1e9 / total, rss_end);
    CHECK_GT(rss_warm, 0);
    CHECK_LE(rss_end - rss_warm, 4096);
    puts("create_join_1m OK");
    return 0;
}
