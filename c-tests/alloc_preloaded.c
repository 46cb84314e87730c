// Real allocators loaded beside mnthread (jemalloc, tcmalloc) initialise
// themselves through pthread calls: the program runs in either preload
// order. Each combination re-runs this test as a child with threads that
// allocate; a hang is killed and reported. Needs Debian's libjemalloc2 and
// libgoogle-perftools4 (.ci/run installs them).
// TIMEOUT: 120
#include "common.h"

static const char *const allocators[] = {
    "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2",
    "/usr/lib/x86_64-linux-gnu/libtcmalloc.so.4",
};

static void *churn(void *arg) {
    long sum = 0;
    for (int i = 0; i < 2000; i++) {
        char *p = malloc(16 + (i % 700));
        CHECK(p != NULL);
        memset(p, (int)(long)arg, 16);
        sum += p[3];
        free(p);
    }
    return (void *)sum;
}

static int child(void) {
    pthread_t t[8];
    for (long i = 0; i < 8; i++)
        CHECK_OK(pthread_create(&t[i], NULL, churn, (void *)i));
    for (long i = 0; i < 8; i++) {
        void *r;
        CHECK_OK(pthread_join(t[i], &r));
        CHECK_EQ((long)r, 2000 * i);
    }
    return 0;
}

/* Runs this program again with LD_PRELOAD=preload; fails on a hang or a
 * failed child. */
static void run_with(const char *self, const char *preload) {
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        setenv("LD_PRELOAD", preload, 1);
        execl(self, self, "child", (char *)NULL);
        _exit(127);
    }
    int st = 0;
    for (int waited_ms = 0;; waited_ms += 10) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        CHECK(r >= 0);
        if (r == pid)
            break;
        if (waited_ms >= 20000) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            CHECK_MSG(0, "LD_PRELOAD=\"%s\": the program hangs", preload);
        }
        usleep(10000);
    }
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "LD_PRELOAD=\"%s\": child status %#x", preload, st);
    printf("ok: LD_PRELOAD=\"%s\"\n", preload);
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "child") == 0)
        return child();
    const char *way = getenv("MNTHREAD_TEST_WAY");
    const char *lib = getenv("MNTHREAD_TEST_LIB");
    CHECK(way && lib);
    for (size_t i = 0; i < sizeof allocators / sizeof *allocators; i++) {
        const char *a = allocators[i];
        CHECK_MSG(access(a, R_OK) == 0, "%s is missing (install libjemalloc2 and libgoogle-perftools4)", a);
        char buf[4096];
        if (strcmp(way, "preload") == 0) {
            snprintf(buf, sizeof buf, "%s %s", a, lib);
            run_with(argv[0], buf);
            snprintf(buf, sizeof buf, "%s %s", lib, a);
            run_with(argv[0], buf);
        } else { /* glibc: the allocator alone; linked: mnthread is linked in */
            run_with(argv[0], a);
        }
    }
    printf("alloc_preloaded OK\n");
    return 0;
}
