// TIMEOUT: 120
// Blocking that mnthread cannot intercept — glibc's internal reads (stdio
// fgets on a pipe), system()'s internal wait, a raw `syscall` instruction —
// must not stop the other threads. Every case runs in a child process on
// one carrier (MNTHREAD_CARRIERS=1), where only a spare carrier brought in
// by the monitor lets anybody else run while the carrier is blocked; under
// glibc each thread is a kernel thread and the cases pass trivially.
//   stdio    a thread blocked in fgets; main must run to write the line
//   system   system("sleep; exit 3") while a ticker keeps ticking
//   raw      4 threads at once in a raw nanosleep syscall; ticker ticks
//   fork     the stdio case in a fork child (its monitor is a new one)
//   stats    the raw case with MNTHREAD_STATS=1: rescues and retirements
//            are reported (mnthread only)
//   cap      MNTHREAD_MAX_CARRIERS=2 and two raw sleepers: one is rescued,
//            the other waits at the cap — the program still finishes and
//            the report counts it (mnthread only)
#include "common.h"
#include <stdatomic.h>
#include <sys/syscall.h>

/* A nanosleep no library can see: the syscall instruction itself. */
static long raw_nanosleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    long r;
    __asm__ volatile("syscall"
                     : "=a"(r)
                     : "a"((long)SYS_nanosleep), "D"(&ts), "S"(0L)
                     : "rcx", "r11", "memory");
    return r;
}

static FILE *in;
static atomic_int reading;

static void *stdio_reader(void *arg)
{
    char *line = arg;
    atomic_store(&reading, 1);
    CHECK(fgets(line, 64, in) != NULL);
    return NULL;
}

static void case_stdio(void)
{
    int p[2];
    CHECK_OK(pipe(p));
    in = fdopen(p[0], "r");
    CHECK(in != NULL);
    char line[64] = "";
    pthread_t r;
    CHECK_EQ(pthread_create(&r, NULL, stdio_reader, line), 0);
    /* Yield until the reader runs; then give it time to block in read(2). */
    wait_flag((volatile int *)&reading, 20, "the reader to start");
    struct timespec pause = {0, 50 * 1000000L};
    nanosleep(&pause, NULL);
    /* Reaching here with one carrier means a spare ran us. */
    CHECK_EQ(write(p[1], "hello monitor\n", 14), 14);
    CHECK_EQ(pthread_join(r, NULL), 0);
    CHECK(strcmp(line, "hello monitor\n") == 0);
    fclose(in);
    close(p[1]);
}

static void *system_thread(void *arg)
{
    (void)arg;
    int st = system("sleep 0.3; exit 3");
    CHECK(WIFEXITED(st));
    CHECK_EQ(WEXITSTATUS(st), 3);
    return NULL;
}

static void case_system(void)
{
    ticker_start();
    pthread_t s;
    CHECK_EQ(pthread_create(&s, NULL, system_thread, NULL), 0);
    CHECK_EQ(pthread_join(s, NULL), 0);
    /* The child ran 300 ms: a ticker that never ran would show ~0. */
    CHECK(ticks_now() >= 20);
    ticker_stop();
}

static atomic_long raw_before[8], raw_after[8];

static void *raw_sleeper(void *arg)
{
    intptr_t i = (intptr_t)arg;
    raw_before[i] = ticks_now();
    CHECK_EQ(raw_nanosleep_ms(300), 0);
    raw_after[i] = ticks_now();
    return NULL;
}

static void raw_sleepers(int n)
{
    ticker_start();
    wait_count(ticker_ticks(), 2, 20, "the ticker to start");
    pthread_t s[8];
    for (intptr_t i = 0; i < n; i++)
        CHECK_EQ(pthread_create(&s[i], NULL, raw_sleeper, (void *)i), 0);
    for (int i = 0; i < n; i++)
        CHECK_EQ(pthread_join(s[i], NULL), 0);
    /* Each sleeper saw the ticker tick while it slept (the last ones to
     * block get a spare as fast as the first). */
    for (int i = 0; i < n; i++)
        CHECK(raw_after[i] - raw_before[i] >= 20);
    ticker_stop();
}

/* Reads "NAME <number>" out of the stats report in `out`. */
static long stat_value(const char *out, const char *name)
{
    const char *p = strstr(out, name);
    CHECK(p != NULL);
    return strtol(p + strlen(name), NULL, 10);
}

static void run_case(const char *name, char *out, size_t outsz)
{
    int st = run_self(name, NULL, out, outsz, 60);
    if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
        char why[64];
        fprintf(stderr, "case %s: %s\n%s\n", name, describe_status(st, why, sizeof why), out);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        if (strcmp(argv[1], "stdio") == 0)
            case_stdio();
        else if (strcmp(argv[1], "fork") == 0) {
            /* Threads exist before the fork: the child has a runtime. */
            raw_sleepers(1);
            pid_t pid = fork();
            CHECK(pid >= 0);
            if (pid == 0) {
                case_stdio();
                _exit(0);
            }
            int st;
            CHECK_EQ(waitpid(pid, &st, 0), pid);
            CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        } else if (strcmp(argv[1], "system") == 0)
            case_system();
        else if (strcmp(argv[1], "raw") == 0 || strcmp(argv[1], "stats") == 0)
            raw_sleepers(4);
        else if (strcmp(argv[1], "cap") == 0) {
            /* One of the two is rescued; the other waits for the cap. */
            ticker_start();
            wait_count(ticker_ticks(), 2, 20, "the ticker to start");
            pthread_t s[2];
            for (intptr_t i = 0; i < 2; i++)
                CHECK_EQ(pthread_create(&s[i], NULL, raw_sleeper, (void *)i), 0);
            for (int i = 0; i < 2; i++)
                CHECK_EQ(pthread_join(s[i], NULL), 0);
            ticker_stop();
        }
        return 0;
    }
    static char out[16384];
    setenv("MNTHREAD_CARRIERS", "1", 1);
    unsetenv("MNTHREAD_MAX_CARRIERS");
    unsetenv("MNTHREAD_STATS");
    run_case("stdio", out, sizeof out);
    run_case("system", out, sizeof out);
    run_case("raw", out, sizeof out);
    run_case("fork", out, sizeof out);
    if (under_mnthread()) {
        setenv("MNTHREAD_STATS", "1", 1);
        run_case("stats", out, sizeof out);
        CHECK(stat_value(out, "rescues ") >= 4);
        CHECK(stat_value(out, "retirements ") >= 1);
        CHECK_EQ(stat_value(out, "at the carrier cap "), 0);
        setenv("MNTHREAD_MAX_CARRIERS", "2", 1);
        run_case("cap", out, sizeof out);
        CHECK(stat_value(out, "rescues ") >= 1);
        CHECK(stat_value(out, "at the carrier cap ") >= 1);
    }
    printf("monitor_unseen: ok\n");
    return 0;
}
