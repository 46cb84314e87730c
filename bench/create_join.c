/* create_join: N sequential pthread_create + pthread_join round trips.
 * usage: create_join [N]   (default 50000: ~1-2 s with glibc here)
 * RESULT create_join <ns per round trip> ns */
#include "bench.h"

static void *body(void *arg) { return (void *)((intptr_t)arg + 1); }

int main(int argc, char **argv)
{
    long n = bench_arg(argc, argv, 1, 50000);
    bench_maybe_pin();
    for (long i = 0; i < 1000; i++) { /* warm up stack caches */
        pthread_t t;
        int rc = pthread_create(&t, NULL, body, NULL);
        if (rc)
            bench_die("pthread_create", rc);
        pthread_join(t, NULL);
    }
    long long t0 = bench_now_ns();
    for (long i = 0; i < n; i++) {
        pthread_t t;
        void *r;
        int rc = pthread_create(&t, NULL, body, (void *)(intptr_t)i);
        if (rc)
            bench_die("pthread_create", rc);
        rc = pthread_join(t, &r);
        if (rc)
            bench_die("pthread_join", rc);
        if ((intptr_t)r != i + 1) {
            fprintf(stderr, "bad result %ld for %ld\n", (long)(intptr_t)r, i);
            return 1;
        }
    }
    long long el = bench_now_ns() - t0;
    printf("%ld round trips in %.3f s\n", n, el / 1e9);
    printf("RESULT create_join %.1f ns\n", (double)el / n);
    return 0;
}
