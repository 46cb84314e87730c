// ONE-CARRIER
// TIMEOUT: 60
// Default actions, in child processes (run_self: this program again):
// a thread's pthread_kill(pthread_self(), SIGTERM) with SIG_DFL kills the
// whole process (WIFSIGNALED, WTERMSIG SIGTERM); so does kill(getpid(),
// SIGTERM) that only a worker leaves unblocked; raise(SIGABRT) and abort()
// in a thread: SIGABRT; with SIGTERM blocked in every thread,
// kill(getpid(), SIGTERM) leaves the child alive (50 ms later) with
// SIGTERM pending, and sigwait then takes it (exit 0). A forked child
// with threads stops on SIGSTOP (WIFSTOPPED), continues on SIGCONT
// (WIFCONTINUED) and dies on SIGTERM.
// In this process: a SIG_IGN'd SIGUSR1 sent with pthread_kill and kill
// does nothing (a thread in a 60 ms nanosleep is not interrupted, nothing
// is pending) — but while the thread blocks it, Linux keeps an ignored
// signal pending (sigpending shows it; unblocking then discards it:
// measured on glibc 2.36 / Linux, as the kernel's sig_ignored() says);
// SIGCHLD and SIGWINCH with SIG_DFL are ignored (no EINTR, the process
// lives, also when a real child exits); a SIGCONT handler runs, on the
// target thread for a pthread_kill.
#include "common.h"
#include <sys/resource.h>

static void no_core(void)
{
    struct rlimit rl = {0, 0};
    setrlimit(RLIMIT_CORE, &rl);
}

static void *kill_self_term(void *arg)
{
    (void)arg;
    pthread_kill(pthread_self(), SIGTERM);
    sleep(5);
    _exit(0); /* not reached */
}

static void *raise_abrt(void *arg)
{
    (void)arg;
    raise(SIGABRT);
    sleep(5);
    _exit(0);
}

static void *call_abort(void *arg)
{
    (void)arg;
    abort();
}

static void *sleeper(void *arg)
{
    sleep(10);
    return arg;
}

static volatile int worker_ready;

static void *unblocked_worker(void *arg)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGTERM);
    CHECK_OK(pthread_sigmask(SIG_UNBLOCK, &s, NULL));
    set_flag(&worker_ready);
    for (;;)
        pause();
    return arg;
}

static int child(const char *mode)
{
    no_core();
    pthread_t t;
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    if (strcmp(mode, "thread-term") == 0) {
        CHECK_OK(pthread_create(&t, NULL, kill_self_term, NULL));
    } else if (strcmp(mode, "process-term") == 0) {
        CHECK_OK(pthread_sigmask(SIG_BLOCK, &term, NULL));
        CHECK_OK(pthread_create(&t, NULL, unblocked_worker, NULL));
        wait_flag(&worker_ready, 20, "the worker");
        usleep(10000);
        kill(getpid(), SIGTERM);
    } else if (strcmp(mode, "raise-abrt") == 0) {
        CHECK_OK(pthread_create(&t, NULL, raise_abrt, NULL));
    } else if (strcmp(mode, "abort") == 0) {
        CHECK_OK(pthread_create(&t, NULL, call_abort, NULL));
    } else if (strcmp(mode, "pending-term") == 0) {
        CHECK_OK(pthread_sigmask(SIG_BLOCK, &term, NULL));
        pthread_t s[2];
        for (int i = 0; i < 2; i++)
            CHECK_OK(pthread_create(&s[i], NULL, sleeper, NULL));
        CHECK_SYS(kill(getpid(), SIGTERM));
        usleep(50000);
        sigset_t p;
        CHECK_SYS(sigpending(&p));
        CHECK(sigismember(&p, SIGTERM));
        printf("alive with SIGTERM pending\n");
        int sig = 0;
        CHECK_OK(sigwait(&term, &sig));
        CHECK_EQ(sig, SIGTERM);
        printf("sigwait got %d\n", sig);
        fflush(stdout);
        _exit(0); /* without waiting for the sleepers */
    } else {
        fprintf(stderr, "unknown mode %s\n", mode);
        return 2;
    }
    pthread_join(t, NULL);
    sleep(5);
    return 0; /* the signal should have ended the process before */
}

static void expect_signal(const char *mode, int sig)
{
    static char out[4096];
    char desc[64];
    int st = run_self("child", mode, out, sizeof out, 30);
    CHECK_MSG(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == sig,
              "%s: expected death by %s, got %s; output: %s", mode, sigabbrev_np(sig),
              describe_status(st, desc, sizeof desc), out);
}

/* ---- in this process ---- */

static volatile int cont_hits;
static volatile pthread_t cont_on;
static volatile int about_to_sleep;

static void on_cont(int sig)
{
    (void)sig;
    cont_on = pthread_self();
    cont_hits++;
}

static void *napper(void *arg)
{
    int block = (int)(intptr_t)arg;
    sigset_t u1;
    sigemptyset(&u1);
    sigaddset(&u1, SIGUSR1);
    if (block)
        CHECK_OK(pthread_sigmask(SIG_BLOCK, &u1, NULL));
    struct timespec ts = {0, 60 * 1000000}, rem = {0, 0};
    set_flag(&about_to_sleep);
    long long t0 = now_ns();
    CHECK_EQ(nanosleep(&ts, &rem), 0); /* not interrupted */
    CHECK_GE(now_ns() - t0, 55LL * 1000000);
    sigset_t p;
    CHECK_SYS(sigpending(&p));
    if (block) {
        /* Linux: a blocked signal stays pending even while ignored. */
        CHECK(sigismember(&p, SIGUSR1));
        CHECK_OK(pthread_sigmask(SIG_UNBLOCK, &u1, NULL)); /* discarded */
        CHECK_SYS(sigpending(&p));
    }
    CHECK(!sigismember(&p, SIGUSR1));
    CHECK(!sigismember(&p, SIGCHLD));
    CHECK(!sigismember(&p, SIGWINCH));
    return arg;
}

static void ignored_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = SIG_IGN;
    CHECK_SYS(sigaction(SIGUSR1, &sa, NULL));
    sa.sa_handler = SIG_DFL;
    CHECK_SYS(sigaction(SIGCHLD, &sa, NULL));
    CHECK_SYS(sigaction(SIGWINCH, &sa, NULL));

    for (int block = 0; block < 2; block++) {
        pthread_t t;
        about_to_sleep = 0;
        CHECK_OK(pthread_create(&t, NULL, napper, (void *)(intptr_t)block));
        wait_flag(&about_to_sleep, 20, "the napper");
        usleep(10000);
        CHECK_OK(pthread_kill(t, SIGUSR1));
        CHECK_SYS(kill(getpid(), SIGUSR1));
        CHECK_OK(pthread_kill(t, SIGCHLD));
        CHECK_OK(pthread_kill(t, SIGWINCH));
        CHECK_SYS(kill(getpid(), SIGCHLD));
        pid_t pid = fork_checked();
        if (pid == 0)
            _exit(0); /* a real SIGCHLD */
        CHECK_OK(pthread_join(t, NULL));
        int st;
        CHECK_EQ(waitpid(pid, &st, 0), pid);
    }
    sigset_t p;
    CHECK_SYS(sigpending(&p));
    CHECK(!sigismember(&p, SIGUSR1));
    CHECK(!sigismember(&p, SIGCHLD));
}

static volatile int cont_waiting;

static void *cont_target(void *arg)
{
    set_flag(&cont_waiting);
    CHECK_FAILS(pause(), EINTR);
    CHECK_EQ(cont_hits, 2);
    return arg;
}

static void sigcont_handler(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_cont;
    CHECK_SYS(sigaction(SIGCONT, &sa, NULL));
    CHECK_SYS(kill(getpid(), SIGCONT));
    long long deadline = now_ns() + 20LL * 1000000000;
    while (cont_hits < 1) {
        CHECK(now_ns() < deadline);
        sched_yield();
    }
    pthread_t t;
    CHECK_OK(pthread_create(&t, NULL, cont_target, NULL));
    wait_flag(&cont_waiting, 20, "the SIGCONT target");
    usleep(20000);
    CHECK_OK(pthread_kill(t, SIGCONT));
    CHECK_OK(pthread_join(t, NULL));
    CHECK(pthread_equal(cont_on, t));
    sa.sa_handler = SIG_DFL;
    CHECK_SYS(sigaction(SIGCONT, &sa, NULL));
}

/* A stopped and continued child with threads. */
static void *idler(void *arg)
{
    for (;;)
        usleep(2000);
    return arg;
}

static void stop_and_continue(void)
{
    pid_t pid = fork_checked();
    if (pid == 0) {
        pthread_t t[3];
        for (int i = 0; i < 3; i++)
            pthread_create(&t[i], NULL, idler, NULL);
        for (;;)
            usleep(2000);
    }
    usleep(20000);
    int st = 0;
    CHECK_SYS(kill(pid, SIGSTOP));
    CHECK_EQ(waitpid(pid, &st, WUNTRACED), pid);
    CHECK(WIFSTOPPED(st));
    CHECK_EQ(WSTOPSIG(st), SIGSTOP);
    CHECK_SYS(kill(pid, SIGCONT));
    CHECK_EQ(waitpid(pid, &st, WCONTINUED), pid);
    CHECK(WIFCONTINUED(st));
    CHECK_SYS(kill(pid, SIGTERM));
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK(WIFSIGNALED(st));
    CHECK_EQ(WTERMSIG(st), SIGTERM);
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "child") == 0)
        return child(argv[2]);

    expect_signal("thread-term", SIGTERM);
    expect_signal("process-term", SIGTERM);
    expect_signal("raise-abrt", SIGABRT);
    expect_signal("abort", SIGABRT);

    static char out[4096];
    char desc[64];
    int st = run_self("child", "pending-term", out, sizeof out, 30);
    CHECK_MSG(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "pending-term: %s; output: %s",
              describe_status(st, desc, sizeof desc), out);
    CHECK_MSG(strstr(out, "alive with SIGTERM pending\nsigwait got 15\n") != NULL,
              "pending-term output: %s", out);

    stop_and_continue();
    ignored_signals();
    sigcont_handler();
    return 0;
}
