// MNTHREAD-ONLY
// MNTHREAD_FALLBACKS=1 makes mnthread take the paths of machines without
// FSGSBASE (arch_prctl for %fs/%gs) and of kernels before 6.13 (mprotect
// stack guards). Run the core behaviours both ways: threads with their own
// errno and __thread values, yields, joins, and a stack overflow reported
// by name. The VMA count shows which guards are in use: mprotect guards
// split the stack reservation (a few VMAs per stack), MADV_GUARD_INSTALL
// guards do not.
// TIMEOUT: 120
#include "common.h"
#include <stdatomic.h>

#define N 200
static __thread int tv = 5;
static atomic_int parked, go;

static int count_vmas(void) {
    FILE *f = fopen("/proc/self/maps", "r");
    CHECK(f != NULL);
    int n = 0, c;
    while ((c = fgetc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

static void *worker(void *arg) {
    long i = (long)arg;
    errno = (int)i;
    tv += (int)i;
    atomic_fetch_add(&parked, 1);
    while (!atomic_load(&go))
        sched_yield();
    CHECK_EQ(errno, (int)i);
    CHECK_EQ(tv, 5 + (int)i);
    return (void *)(i * 2);
}

static void *recurse(void *arg) {
    volatile char pad[1024];
    pad[0] = (char)(long)arg;
    recurse((void *)(long)(pad[0] + 1));
    return NULL;
}

static int child(int overflow) {
    if (overflow) {
        pthread_attr_t a;
        pthread_attr_init(&a);
        pthread_attr_setstacksize(&a, 64 * 1024);
        pthread_t t;
        pthread_create(&t, &a, recurse, NULL);
        pthread_join(t, NULL);
        return 0; /* not reached */
    }
    int before = count_vmas();
    pthread_t t[N];
    for (long i = 0; i < N; i++)
        CHECK_EQ(pthread_create(&t[i], NULL, worker, (void *)i), 0);
    while (atomic_load(&parked) < N)
        sched_yield();
    int grown = count_vmas() - before;
    atomic_store(&go, 1);
    for (long i = 0; i < N; i++) {
        void *r;
        CHECK_EQ(pthread_join(t[i], &r), 0);
        CHECK_EQ((long)r, i * 2);
    }
    printf("%d\n", grown);
    return 0;
}

/* Runs this program as a child in `mode`, with or without the fallbacks. */
static int run(int fallbacks, const char *mode, char *out, size_t len) {
    if (fallbacks)
        setenv("MNTHREAD_FALLBACKS", "1", 1);
    int st = run_self("child", mode, out, len, 60);
    unsetenv("MNTHREAD_FALLBACKS");
    CHECK_MSG(st != -1, "child hung: %s", out);
    return st;
}

int main(int argc, char **argv) {
    if (argc > 2 && strcmp(argv[1], "child") == 0)
        return child(strcmp(argv[2], "overflow") == 0);
    unsetenv("MNTHREAD_FALLBACKS");
    char out[4096];
    int st = run(0, "threads", out, sizeof out);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "normal run: %s", out);
    int grown_normal = atoi(out);
    st = run(1, "threads", out, sizeof out);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "fallback run: %s", out);
    int grown_fallback = atoi(out);
    CHECK_MSG(grown_normal < N / 4, "madvise guards: %d new VMAs for %d stacks", grown_normal, N);
    CHECK_MSG(grown_fallback >= N, "mprotect guards: only %d new VMAs for %d stacks", grown_fallback, N);

    st = run(1, "overflow", out, sizeof out);
    CHECK_MSG(!(WIFEXITED(st) && WEXITSTATUS(st) == 0), "overflow child exited 0");
    CHECK_MSG(strstr(out, "mnthread: stack overflow") != NULL, "no overflow report: %s", out);
    printf("fallbacks OK (new VMAs for %d stacks: %d with madvise guards, %d with mprotect guards)\n", N,
           grown_normal, grown_fallback);
    return 0;
}
