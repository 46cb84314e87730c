/* demo.c - an ordinary, unmodified pthread program.
 *
 * 1. Parallel sum: an array of 10,000,000 numbers is split across 10,000
 *    threads; each sums its slice and returns the partial sum through
 *    pthread_join.
 * 2. Thread tree: every thread spawns 4 children down to depth 6
 *    (5,461 threads in all) and adds up the values they return.
 *
 * Build: gcc -O2 -pthread demo.c -o demo
 * Run:   ./demo                                   (glibc threads)
 *        LD_PRELOAD=target/release/libmnthread.so ./demo   (mnthread)
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ARRAY_LEN 10000000L
#define NTHREADS 10000
#define FANOUT 4
#define DEPTH 6

static uint32_t *array;

struct slice {
    long begin, end;
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void *sum_slice(void *arg)
{
    struct slice *s = arg;
    uint64_t total = 0;
    for (long i = s->begin; i < s->end; i++)
        total += array[i];
    return (void *)(uintptr_t)total;
}

struct node {
    int depth;
    long id;
};

/* returns (number of threads in this subtree) << 32 | (sum of ids mod 2^32) */
static void *tree(void *arg)
{
    struct node *me = arg;
    uint64_t count = 1, idsum = (uint64_t)me->id;
    if (me->depth < DEPTH) {
        pthread_t kids[FANOUT];
        struct node kid[FANOUT];
        for (int i = 0; i < FANOUT; i++) {
            kid[i].depth = me->depth + 1;
            kid[i].id = me->id * FANOUT + i + 1;
            int rc = pthread_create(&kids[i], NULL, tree, &kid[i]);
            if (rc) {
                fprintf(stderr, "pthread_create: %s\n", strerror(rc));
                exit(1);
            }
        }
        for (int i = 0; i < FANOUT; i++) {
            void *r;
            pthread_join(kids[i], &r);
            uint64_t v = (uint64_t)(uintptr_t)r;
            count += v >> 32;
            idsum += v & 0xffffffffu;
        }
    }
    return (void *)(uintptr_t)((count << 32) | (idsum & 0xffffffffu));
}

int main(void)
{
    array = malloc(sizeof *array * ARRAY_LEN);
    if (!array) {
        perror("malloc");
        return 1;
    }
    uint32_t x = 12345;
    for (long i = 0; i < ARRAY_LEN; i++) {
        x = x * 1664525u + 1013904223u;
        array[i] = x >> 16;
    }

    double t0 = now_ms();

    /* 1. parallel sum */
    static pthread_t th[NTHREADS];
    static struct slice sl[NTHREADS];
    long per = ARRAY_LEN / NTHREADS;
    for (int i = 0; i < NTHREADS; i++) {
        sl[i].begin = i * per;
        sl[i].end = (i == NTHREADS - 1) ? ARRAY_LEN : (i + 1) * per;
        int rc = pthread_create(&th[i], NULL, sum_slice, &sl[i]);
        if (rc) {
            fprintf(stderr, "pthread_create #%d: %s\n", i, strerror(rc));
            return 1;
        }
    }
    uint64_t total = 0;
    for (int i = 0; i < NTHREADS; i++) {
        void *r;
        pthread_join(th[i], &r);
        total += (uint64_t)(uintptr_t)r;
    }
    double t1 = now_ms();

    /* check against a sequential sum */
    uint64_t check = 0;
    for (long i = 0; i < ARRAY_LEN; i++)
        check += array[i];

    /* 2. tree of threads */
    double t2 = now_ms();
    struct node root = {0, 0};
    pthread_t rt;
    pthread_create(&rt, NULL, tree, &root);
    void *r;
    pthread_join(rt, &r);
    uint64_t v = (uint64_t)(uintptr_t)r;
    double t3 = now_ms();

    printf("result parallel-sum %llu over %d threads (%s)\n",
           (unsigned long long)total, NTHREADS, total == check ? "correct" : "WRONG");
    printf("result thread-tree %llu threads, id checksum %llu\n",
           (unsigned long long)(v >> 32), (unsigned long long)(v & 0xffffffffu));
    printf("time parallel-sum %.1f ms\n", t1 - t0);
    printf("time thread-tree %.1f ms\n", t3 - t2);
    printf("time total %.1f ms\n", (t1 - t0) + (t3 - t2));
    free(array);
    return total == check ? 0 : 1;
}
