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

static int run(const char *self, int fallbacks, int overflow, char *out, size_t len) {
    int p[2];
    CHECK_EQ(pipe(p), 0);
    pid_t pid = fork();
    CHECK_GE(pid, 0);
    if (pid == 0) {
        dup2(p[1], 1);
        dup2(p[1], 2);
        if (fallbacks)
            setenv("MNTHREAD_FALLBACKS", "1", 1);
        else
            unsetenv("MNTHREAD_FALLBACKS");
        execl(self, self, overflow ? "overflow" : "threads", (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    size_t n = 0;
    ssize_t r;
    while (n + 1 < len && (r = read(p[0], out + n, len - 1 - n)) > 0)
        n += (size_t)r;
    out[n] = 0;
    close(p[0]);
    int st;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    return st;
}

int main(int argc, char **argv) {
    if (argc > 1)
        return child(strcmp(argv[1], "overflow") == 0);
    char self[4096], out[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    CHECK_GT(n, 0);
    self[n] = 0;

    int st = run(self, 0, 0, out, sizeof out);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "normal run: %s", out);
    int grown_normal = atoi(out);
    st = run(self, 1, 0, out, sizeof out);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "fallback run: %s", out);
    int grown_fallback = atoi(out);
    CHECK_MSG(grown_normal < N / 4, "madvise guards: %d new VMAs for %d stacks", grown_normal, N);
    CHECK_MSG(grown_fallback >= N, "mprotect guards: only %d new VMAs for %d stacks", grown_fallback, N);

    st = run(self, 1, 1, out, sizeof out);
    CHECK_MSG(!(WIFEXITED(st) && WEXITSTATUS(st) == 0), "overflow child exited 0");
    CHECK_MSG(strstr(out, "mnthread: stack overflow") != NULL, "no overflow report: %s", out);
    printf("fallbacks OK (new VMAs for %d stacks: %d with madvise guards, %d with mprotect guards)\n", N,
           grown_normal, grown_fallback);
    return 0;
}
