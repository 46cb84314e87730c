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

/* The default stack size a child run with MNTHREAD_STACK_SIZE=value reports. */
static size_t child_default(const char *value) {
    char out[256];
    setenv("MNTHREAD_STACK_SIZE", value, 1);
    int st = run_self("child", NULL, out, sizeof out, 30);
    unsetenv("MNTHREAD_STACK_SIZE");
    CHECK_MSG(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "child: %s", out);
    return (size_t)strtoull(out, NULL, 10);
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "child") == 0) {
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
    CHECK_EQ(child_default("256k"), 256 * 1024);
    CHECK_EQ(child_default("3m"), 3 * 1024 * 1024);
    CHECK_EQ(child_default("131072"), 131072);
    CHECK_EQ(child_default("100"), PTHREAD_STACK_MIN);
    printf("stack_size_env OK\n");
    return 0;
}
