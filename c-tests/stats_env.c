// MNTHREAD-ONLY
// MNTHREAD_STATS=1 prints per-carrier statistics and the number of threads
// created at exit; without it mnthread prints nothing at all.
#include "common.h"

static void *nop(void *arg) { return arg; }

static int run_child(const char *self, int stats, char *err, size_t len) {
    int p[2];
    CHECK_EQ(pipe(p), 0);
    pid_t pid = fork();
    CHECK_GE(pid, 0);
    if (pid == 0) {
        dup2(p[1], 2);
        close(p[0]);
        if (stats)
            setenv("MNTHREAD_STATS", "1", 1);
        else
            unsetenv("MNTHREAD_STATS");
        execl(self, self, "child", (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    size_t n = 0;
    ssize_t r;
    while (n + 1 < len && (r = read(p[0], err + n, len - 1 - n)) > 0)
        n += (size_t)r;
    err[n] = 0;
    close(p[0]);
    int st;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

int main(int argc, char **argv) {
    if (argc > 1) {
        for (int i = 0; i < 3; i++) {
            pthread_t t;
            CHECK_EQ(pthread_create(&t, NULL, nop, NULL), 0);
            CHECK_EQ(pthread_join(t, NULL), 0);
        }
        return 0;
    }
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    CHECK_GT(n, 0);
    self[n] = 0;
    char err[8192];
    CHECK_EQ(run_child(self, 1, err, sizeof err), 0);
    CHECK_MSG(strstr(err, "mnthread: total: threads created 3,") != NULL, "stderr: %s", err);
    CHECK_MSG(strstr(err, "mnthread: carrier 0: switches ") != NULL, "stderr: %s", err);
    CHECK_EQ(run_child(self, 0, err, sizeof err), 0);
    CHECK_MSG(err[0] == 0, "unexpected stderr: %s", err);
    printf("stats_env OK\n");
    return 0;
}
