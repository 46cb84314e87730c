// MNTHREAD-ONLY
// MNTHREAD_STACK_SIZE sets the default stack size of new threads (with a
// k/m/g suffix), in place of RLIMIT_STACK; values below PTHREAD_STACK_MIN
// are raised to it. The thread really has that stack (getattr_np) and can
// use most of it.
#include "common.h"

static void *report(void *arg) {
    (void)arg;
    pthread_attr_t a;
    CHECK_EQ(pthread_getattr_np(pthread_self(), &a), 0);
    size_t size;
    void *addr;
    CHECK_EQ(pthread_attr_getstack(&a, &addr, &size), 0);
    pthread_attr_destroy(&a);
    /* touch three quarters of it */
    volatile char buf[1];
    char *low = (char *)addr + size / 4;
    CHECK((char *)buf > low);
    memset(low, 1, (size_t)((char *)buf - low) - 4096);
    return (void *)size;
}

static size_t child_default(const char *self, const char *value) {
    int p[2];
    CHECK_EQ(pipe(p), 0);
    pid_t pid = fork();
    CHECK_GE(pid, 0);
    if (pid == 0) {
        dup2(p[1], 1);
        setenv("MNTHREAD_STACK_SIZE", value, 1);
        execl(self, self, "child", (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    char out[64] = {0};
    CHECK_GT(read(p[0], out, sizeof out - 1), 0);
    close(p[0]);
    int st;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    return (size_t)strtoull(out, NULL, 10);
}

int main(int argc, char **argv) {
    if (argc > 1) {
        pthread_attr_t a;
        size_t dflt;
        CHECK_EQ(pthread_attr_init(&a), 0);
        CHECK_EQ(pthread_attr_getstacksize(&a, &dflt), 0);
        pthread_t t;
        void *r;
        CHECK_EQ(pthread_create(&t, NULL, report, NULL), 0);
        CHECK_EQ(pthread_join(t, &r), 0);
        CHECK_EQ((size_t)r, dflt);
        printf("%zu\n", dflt);
        return 0;
    }
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    CHECK_GT(n, 0);
    self[n] = 0;
    CHECK_EQ(child_default(self, "256k"), 256 * 1024);
    CHECK_EQ(child_default(self, "3m"), 3 * 1024 * 1024);
    CHECK_EQ(child_default(self, "131072"), 131072);
    CHECK_EQ(child_default(self, "100"), PTHREAD_STACK_MIN);
    printf("stack_size_env OK\n");
    return 0;
}
