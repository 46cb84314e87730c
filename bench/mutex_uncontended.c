/* mutex_uncontended: pthread_mutex_lock + pthread_mutex_unlock of a
 * PTHREAD_MUTEX_INITIALIZER mutex in a loop on one thread, nobody else
 * touching it.  The mutex is reached through a volatile pointer and the loop
 * body has a compiler barrier and a counter updated inside the critical
 * section, so nothing can be hoisted, merged or elided.
 * usage: mutex_uncontended [pairs per repetition [repetitions]]
 *        (default 10000000 5; the median repetition is reported)
 * Three phases:
 *   mutex_uncontended_main_first  main thread, before any thread was created
 *                                 (mnthread's runtime not started yet)
 *   mutex_uncontended_main        main thread, after a thread was created and
 *                                 joined (runtime started)
 *   mutex_uncontended             inside a created thread (a user thread
 *                                 under mnthread): the figure that counts
 * RESULT <phase> <ns per lock+unlock pair> ns */
#include "bench.h"

#define MAX_REPS 15

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t *volatile mu_ptr = &mu;
static volatile unsigned long inside;
static long pairs;
static int reps;

static double one_rep(void)
{
    pthread_mutex_t *m = mu_ptr;
    long long t0 = bench_now_ns();
    for (long i = 0; i < pairs; i++) {
        pthread_mutex_lock(m);
        inside = inside + 1;
        __asm__ __volatile__("" ::: "memory");
        pthread_mutex_unlock(m);
    }
    return (double)(bench_now_ns() - t0) / (double)pairs;
}

static void phase(const char *name)
{
    double v[MAX_REPS];
    unsigned long before = inside;
    for (int i = 0; i < reps; i++) {
        v[i] = one_rep();
        printf("%s rep %d: %.2f ns per pair\n", name, i, v[i]);
    }
    if (inside - before != (unsigned long)pairs * (unsigned long)reps) {
        fprintf(stderr, "%s: counter %lu, expected %lu\n", name, inside - before,
                (unsigned long)pairs * (unsigned long)reps);
        exit(1);
    }
    printf("RESULT %s %.2f ns\n", name, bench_median(v, reps));
    fflush(stdout);
}

static void *nothing(void *arg)
{
    return arg;
}

static void *in_thread(void *arg)
{
    (void)arg;
    phase("mutex_uncontended");
    return NULL;
}

int main(int argc, char **argv)
{
    pairs = bench_arg(argc, argv, 1, 10000000);
    reps = (int)bench_arg(argc, argv, 2, 5);
    if (reps > MAX_REPS)
        reps = MAX_REPS;
    pthread_t t;
    int rc;

    phase("mutex_uncontended_main_first");

    if ((rc = pthread_create(&t, NULL, nothing, NULL)))
        bench_die("pthread_create", rc);
    pthread_join(t, NULL);
    phase("mutex_uncontended_main");

    if ((rc = pthread_create(&t, NULL, in_thread, NULL)))
        bench_die("pthread_create", rc);
    pthread_join(t, NULL);
    return 0;
}
