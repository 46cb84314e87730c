// A thread that recurses without bound must kill the process (by a signal
// or abort), not exit 0 and not hang.  Runs in child processes (this
// executable with argument "overflow"), with a default stack and with a
// 64 KiB stack; under mnthread the child's stderr must also contain
// "mnthread: stack overflow".
#include "common.h"
#include <sys/resource.h>

static volatile int never = -1;
static volatile int started;

static int recurse(int depth)
{
    volatile char buf[256];
    buf[0] = (char)depth;
    buf[255] = (char)(depth >> 8);
    if (depth == never)
        return 0;
    return recurse(depth + 1) + buf[0] + buf[255];
}

static void *overflow_thread(void *arg)
{
    (void)arg;
    set_flag(&started);
    return (void *)(intptr_t)recurse(0);
}

static int child(const char *kind)
{
    struct rlimit nocore = {0, 0};
    setrlimit(RLIMIT_CORE, &nocore);
    pthread_attr_t a;
    CHECK_OK(pthread_attr_init(&a));
    if (strcmp(kind, "small") == 0)
        CHECK_OK(pthread_attr_setstacksize(&a, 64 * 1024));
    pthread_t t;
    CHECK_OK(pthread_create(&t, &a, overflow_thread, NULL));
    void *r;
    pthread_join(t, &r);
    /* must not get here */
    printf("child survived the overflow (returned %ld)\n", (long)(intptr_t)r);
    return 0;
}

static void expect_death(const char *kind)
{
    static char out[65536];
    char desc[64];
    int st = run_self("overflow", kind, out, sizeof out, 30);
    printf("[%s stack] child: %s\n", kind, describe_status(st, desc, sizeof desc));
    if (out[0])
        printf("[%s stack] child output: %s\n", kind, out);
    CHECK_MSG(st != -1, "child hung after overflowing its stack");
    CHECK_MSG(WIFSIGNALED(st) || (WIFEXITED(st) && WEXITSTATUS(st) != 0),
              "child did not die: %s", desc);
    CHECK_MSG(strstr(out, "child survived") == NULL, "overflow went unnoticed");
    if (WIFSIGNALED(st)) {
        int s = WTERMSIG(st);
        CHECK_MSG(s == SIGSEGV || s == SIGBUS || s == SIGABRT,
                  "unexpected signal %d", s);
    }
    if (under_mnthread())
        CHECK_MSG(strstr(out, "mnthread: stack overflow") != NULL,
                  "no 'mnthread: stack overflow' message in: %s", out);
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "overflow") == 0)
        return child(argv[2]);
    expect_death("default");
    expect_death("small");
    puts("stack_overflow OK");
    return 0;
}
