// Process exit with threads around.  pthread_exit from main while other
// threads keep running: the process exits 0 only after the last thread
// ends, and atexit handlers see all the work the threads did.  Also: exit(7)
// called by a thread while others spin ends the process with status 7 after
// running atexit handlers; returning 3 from main while threads spin forever
// ends the process at once with status 3.  Each scenario runs in a child
// (this executable with an argument); the parent checks status and output.
#include "common.h"

#define NT 4
static volatile long finished;
static volatile long total;
static volatile int main_gone;
static const char *marker_path;

static void at_exit_handler(void)
{
    char buf[128];
    int n = snprintf(buf, sizeof buf, "ATEXIT finished=%ld total=%ld\n",
                     __atomic_load_n(&finished, __ATOMIC_ACQUIRE),
                     __atomic_load_n(&total, __ATOMIC_ACQUIRE));
    if (write(1, buf, (size_t)n) != n)
        _exit(3);
}

static void *worker(void *arg)
{
    long id = (long)(intptr_t)arg;
    /* Wait until main has (almost certainly) called pthread_exit, then keep
     * running for a while so that main is really gone. */
    while (!__atomic_load_n(&main_gone, __ATOMIC_ACQUIRE))
        sched_yield();
    long long until = now_ns() + 100000000LL * (id + 1); /* 100..400 ms */
    long s = 0;
    while (now_ns() < until) {
        for (int k = 0; k < 1000; k++)
            s += k;
        sched_yield();
    }
    (void)s;
    __atomic_fetch_add(&total, (id + 1) * 10, __ATOMIC_ACQ_REL);
    long done = __atomic_add_fetch(&finished, 1, __ATOMIC_ACQ_REL);
    if (done == NT) {
        /* last thread: leave a marker file */
        FILE *f = fopen(marker_path, "w");
        if (f) {
            fprintf(f, "last=%ld\n", id);
            fclose(f);
        }
    }
    return NULL;
}

static int child(const char *path)
{
    marker_path = path;
    atexit(at_exit_handler);
    pthread_t t[NT];
    pthread_attr_t det;
    CHECK_OK(pthread_attr_init(&det));
    CHECK_OK(pthread_attr_setdetachstate(&det, PTHREAD_CREATE_DETACHED));
    for (long i = 0; i < NT; i++)
        CHECK_OK(pthread_create(&t[i], (i & 1) ? &det : NULL, worker,
                                (void *)(intptr_t)i));
    set_flag(&main_gone);
    pthread_exit(NULL);
}

static volatile int forever_started;
static void *spin_forever(void *arg)
{
    (void)arg;
    __atomic_fetch_add(&forever_started, 1, __ATOMIC_ACQ_REL);
    for (;;)
        sched_yield();
    return NULL;
}

static void at_exit_simple(void)
{
    if (write(1, "ATEXIT ran\n", 11) != 11)
        _exit(3);
}

static void *exit_seven(void *arg)
{
    (void)arg;
    while (__atomic_load_n(&forever_started, __ATOMIC_ACQUIRE) < 3)
        sched_yield();
    exit(7);
}

static int child_thread_exit(void)
{
    atexit(at_exit_simple);
    pthread_t t;
    for (int i = 0; i < 3; i++)
        CHECK_OK(pthread_create(&t, NULL, spin_forever, NULL));
    CHECK_OK(pthread_create(&t, NULL, exit_seven, NULL));
    pthread_join(t, NULL); /* never returns: the process exits first */
    return 99;
}

static int child_main_returns(void)
{
    atexit(at_exit_simple);
    pthread_t t;
    for (int i = 0; i < 3; i++)
        CHECK_OK(pthread_create(&t, NULL, spin_forever, NULL));
    while (__atomic_load_n(&forever_started, __ATOMIC_ACQUIRE) < 3)
        sched_yield();
    return 3;
}

static void expect_exit(const char *mode, int code)
{
    static char out[8192];
    char desc[64];
    int st = run_self(mode, "-", out, sizeof out, 30);
    printf("child %s: %s, output: %s", mode, describe_status(st, desc, sizeof desc), out);
    CHECK_MSG(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == code,
              "%s: expected exit %d, got %s", mode, code, desc);
    CHECK_MSG(strstr(out, "ATEXIT ran\n") != NULL, "%s: atexit handler did not run", mode);
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "child") == 0)
        return child(argv[2]);
    if (argc >= 2 && strcmp(argv[1], "thread-exit") == 0)
        return child_thread_exit();
    if (argc >= 2 && strcmp(argv[1], "main-returns") == 0)
        return child_main_returns();

    expect_exit("thread-exit", 7);
    expect_exit("main-returns", 3);

    char path[] = "/tmp/mnthread-exit-main-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    unlink(path);

    static char out[8192];
    char desc[64];
    int st = run_self("child", path, out, sizeof out, 30);
    printf("child output:\n%s", out);
    CHECK_MSG(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
              "child ended with %s", describe_status(st, desc, sizeof desc));
    CHECK_MSG(strstr(out, "ATEXIT finished=4 total=100\n") != NULL,
              "atexit line missing or wrong: %s", out);

    FILE *f = fopen(path, "r");
    CHECK_MSG(f != NULL, "marker file %s not written by the last thread", path);
    char line[64] = "";
    CHECK(fgets(line, sizeof line, f) != NULL);
    fclose(f);
    unlink(path);
    CHECK_MSG(strncmp(line, "last=", 5) == 0, "marker: %s", line);
    puts("exit_main OK");
    return 0;
}
