// MNTHREAD-ONLY
// MNTHREAD_STATS=1 prints per-carrier statistics and the number of threads
// created at exit; without it mnthread prints nothing at all.
#include "common.h"

static void *nop(void *arg) { return arg; }

/* Runs this program as a child ("child" mode) with or without
 * MNTHREAD_STATS; returns its exit code, its stdout+stderr in `out`. */
static int run_child(int stats, char *out, size_t len) {
    if (stats)
        setenv("MNTHREAD_STATS", "1", 1);
    int st = run_self("child", NULL, out, len, 30);
    unsetenv("MNTHREAD_STATS");
    CHECK(st != -1 && WIFEXITED(st));
    return WEXITSTATUS(st);
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "child") == 0) {
        for (int i = 0; i < 3; i++) {
            pthread_t t;
            CHECK_EQ(pthread_create(&t, NULL, nop, NULL), 0);
            CHECK_EQ(pthread_join(t, NULL), 0);
        }
        return 0;
    }
    unsetenv("MNTHREAD_STATS");
    char err[8192];
    CHECK_EQ(run_child(1, err, sizeof err), 0);
    CHECK_MSG(strstr(err, "mnthread: total: threads created 3,") != NULL, "stderr: %s", err);
    CHECK_MSG(strstr(err, "mnthread: carrier 0: switches ") != NULL, "stderr: %s", err);
    CHECK_EQ(run_child(0, err, sizeof err), 0);
    CHECK_MSG(err[0] == 0, "unexpected stderr: %s", err);
    printf("stats_env OK\n");
    return 0;
}
