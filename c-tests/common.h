/* Shared helpers for the mnthread C/C++ tests.  Include this FIRST (it
 * defines _GNU_SOURCE).  Every check prints file:line, the expression and
 * the values involved, then exit(1) (CB_CHECK records instead, see below).
 *
 * Contents: the CHECK_* macros; under_mnthread; time (now_ns, abs_in_ns,
 * abs_in_ms) and waiting (wait_flag, wait_count, set_flag); the ticker
 * (ticker_start/stop, ticks_now, ticker_ticks); rss_kib,
 * addr_in; processes (run_self, describe_status, shared_alloc,
 * fork_checked, wait_child_ok); threads mnthread did not create
 * (run_on_foreign_thread, foreign_start/wait/stop); CB_CHECK. */
#ifndef MNTHREAD_TEST_COMMON_H
#define MNTHREAD_TEST_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#ifndef TEST_LIBDIR
#define TEST_LIBDIR "build/c-tests"
#endif

#define TEST_FAIL_(...)                                                    \
    do {                                                                   \
        fflush(stdout); /* earlier output first, the failure last */       \
        fprintf(stderr, "%s:%d: FAILED: ", __FILE__, __LINE__);            \
        fprintf(stderr, __VA_ARGS__);                                      \
        fputc('\n', stderr);                                               \
        fflush(stderr);                                                    \
        exit(1);                                                           \
    } while (0)

/* CHECK(cond): a plain boolean check. */
#define CHECK(cond)                                                        \
    do {                                                                   \
        if (!(cond))                                                       \
            TEST_FAIL_("CHECK(%s)", #cond);                                \
    } while (0)

/* CHECK_MSG(cond, fmt, ...): a boolean check with extra context. */
#define CHECK_MSG(cond, ...)                                               \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fflush(stdout);                                                \
            fprintf(stderr, "%s:%d: FAILED: CHECK(%s): ", __FILE__,        \
                    __LINE__, #cond);                                      \
            fprintf(stderr, __VA_ARGS__);                                  \
            fputc('\n', stderr);                                           \
            exit(1);                                                       \
        }                                                                  \
    } while (0)

/* Integer comparisons; both sides are printed as long long. */
#define CHECK_OP_(a, op, b)                                                \
    do {                                                                   \
        long long va_ = (long long)(a), vb_ = (long long)(b);              \
        if (!(va_ op vb_))                                                 \
            TEST_FAIL_("CHECK(%s %s %s): %lld vs %lld", #a, #op, #b, va_,  \
                       vb_);                                               \
    } while (0)
#define CHECK_EQ(a, b) CHECK_OP_(a, ==, b)
#define CHECK_NE(a, b) CHECK_OP_(a, !=, b)
#define CHECK_LT(a, b) CHECK_OP_(a, <, b)
#define CHECK_LE(a, b) CHECK_OP_(a, <=, b)
#define CHECK_GT(a, b) CHECK_OP_(a, >, b)
#define CHECK_GE(a, b) CHECK_OP_(a, >=, b)

/* var = dlsym(handle, name), which must be found. */
#define CHECK_DLSYM(handle, var, name)                                     \
    do {                                                                   \
        *(void **)&(var) = dlsym((handle), (name));                        \
        CHECK_MSG((var) != NULL, "dlsym %s: %s", (name), dlerror());       \
    } while (0)

/* Pointer equality. */
#define CHECK_PTR_EQ(a, b)                                                 \
    do {                                                                   \
        const void *pa_ = (const void *)(a), *pb_ = (const void *)(b);     \
        if (pa_ != pb_)                                                    \
            TEST_FAIL_("CHECK(%s == %s): %p vs %p", #a, #b, pa_, pb_);     \
    } while (0)

/* String equality. */
#define CHECK_STR_EQ(a, b)                                                 \
    do {                                                                   \
        const char *sa_ = (a), *sb_ = (b);                                 \
        if (!sa_ || !sb_ || strcmp(sa_, sb_) != 0)                         \
            TEST_FAIL_("CHECK(%s == %s): \"%s\" vs \"%s\"", #a, #b,        \
                       sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)");         \
    } while (0)

static inline const char *test_errname_(int e)
{
    const char *n = strerrorname_np(e);
    return n ? n : "?";
}

/* CHECK_FAILS(call, err): for libc calls that return -1 and set errno: the
 * call must fail, with errno exactly ERR. */
#define CHECK_FAILS(call, err)                                             \
    do {                                                                   \
        errno = 0;                                                         \
        long r_ = (long)(call);                                            \
        CHECK_MSG(r_ == -1 && errno == (err), "%s -> %ld errno %s", #call, \
                  r_, test_errname_(errno));                               \
    } while (0)

/* CHECK_ERR(call, expected): for functions returning an error number
 * (pthread_*): the call must return exactly EXPECTED (0 for success). */
#define CHECK_ERR(call, expected)                                          \
    do {                                                                   \
        int got_ = (call);                                                 \
        int exp_ = (expected);                                             \
        if (got_ != exp_)                                                  \
            TEST_FAIL_("%s returned %d (%s), expected %d (%s)", #call,     \
                       got_, test_errname_(got_), exp_,                    \
                       test_errname_(exp_));                               \
    } while (0)

/* CHECK_OK(call): shorthand for CHECK_ERR(call, 0). */
#define CHECK_OK(call) CHECK_ERR(call, 0)

/* CHECK_SYS(call): for libc calls that return -1 and set errno. */
#define CHECK_SYS(call)                                                    \
    do {                                                                   \
        if ((long)(call) == -1L)                                           \
            TEST_FAIL_("%s failed: errno %d (%s)", #call, errno,           \
                       test_errname_(errno));                              \
    } while (0)

/* Non-zero when the process runs with libmnthread (preloaded or linked). */
static inline int under_mnthread(void)
{
    return dlsym(RTLD_DEFAULT, "mnthread_version") != NULL;
}

static inline long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The absolute time `ns` nanoseconds from now on clock `clk` (a deadline
 * for the timed waits; ns may be negative). */
static inline struct timespec abs_in_ns(clockid_t clk, long long ns)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    long long t = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec + ns;
    ts.tv_sec = t / 1000000000LL;
    ts.tv_nsec = t % 1000000000LL;
    return ts;
}

/* The same, `ms` milliseconds from now. */
static inline struct timespec abs_in_ms(clockid_t clk, long long ms)
{
    return abs_in_ns(clk, ms * 1000000LL);
}

/* Spin (yielding) until *flag != 0, or fail after `seconds`. */
static inline void wait_flag(const volatile int *flag, double seconds,
                             const char *what)
{
    long long deadline = now_ns() + (long long)(seconds * 1e9);
    while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE)) {
        if (now_ns() > deadline) {
            fflush(stdout);
            fprintf(stderr, "timed out after %.1fs waiting for %s\n",
                    seconds, what);
            exit(1);
        }
        sched_yield();
    }
}

/* Spin (yielding) until *counter >= target, or fail after `seconds`. */
static inline void wait_count(const volatile long *counter, long target,
                              double seconds, const char *what)
{
    long long deadline = now_ns() + (long long)(seconds * 1e9);
    while (__atomic_load_n(counter, __ATOMIC_ACQUIRE) < target) {
        if (now_ns() > deadline) {
            fflush(stdout);
            fprintf(stderr,
                    "timed out after %.1fs waiting for %s (%ld of %ld)\n",
                    seconds, what, __atomic_load_n(counter, __ATOMIC_ACQUIRE),
                    target);
            exit(1);
        }
        sched_yield();
    }
}

/* Set a flag with release ordering. */
static inline void set_flag(volatile int *flag)
{
    __atomic_store_n(flag, 1, __ATOMIC_RELEASE);
}

/* The ticker: a thread that sleeps 1 ms a round and counts its rounds, so
 * a test can check that it kept running while another thread waited (on
 * one carrier it runs only if the wait parked instead of blocking the
 * carrier).  One ticker at a time; ticker_start resets the count. */
struct test_ticker_ {
    long ticks;
    int stop;
    pthread_t thread;
};

static inline struct test_ticker_ *test_ticker_(void)
{
    static struct test_ticker_ t;
    return &t;
}

/* The ticker's count, for wait_count. */
static inline volatile long *ticker_ticks(void)
{
    return &test_ticker_()->ticks;
}

static inline long ticks_now(void)
{
    return __atomic_load_n(ticker_ticks(), __ATOMIC_ACQUIRE);
}

static inline void *test_ticker_main_(void *arg)
{
    struct test_ticker_ *t = test_ticker_();
    while (!__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE)) {
        usleep(1000);
        __atomic_fetch_add(&t->ticks, 1, __ATOMIC_RELEASE);
    }
    return arg;
}

static inline void ticker_start(void)
{
    struct test_ticker_ *t = test_ticker_();
    __atomic_store_n(&t->ticks, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&t->stop, 0, __ATOMIC_RELAXED);
    CHECK_OK(pthread_create(&t->thread, NULL, test_ticker_main_, NULL));
}

static inline void ticker_stop(void)
{
    struct test_ticker_ *t = test_ticker_();
    __atomic_store_n(&t->stop, 1, __ATOMIC_RELEASE);
    CHECK_OK(pthread_join(t->thread, NULL));
}

/* Resident set size of this process, in KiB (VmRSS of /proc/self/status). */
static inline long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "VmRSS:", 6) == 0) {
            v = strtol(line + 6, NULL, 10);
            break;
        }
    }
    fclose(f);
    return v;
}

/* Is address p inside the stack [base, base+size)? */
static inline int addr_in(const void *p, const void *base, size_t size)
{
    uintptr_t a = (uintptr_t)p, b = (uintptr_t)base;
    return a >= b && a < b + size;
}

/* Run this executable again (/proc/self/exe) as a child with the given
 * arguments (NULL-terminated list after argv0-less arg1), capturing its
 * stdout+stderr into `out` (NUL-terminated, truncated to outsz-1).  Returns
 * the raw wait status, or -1 if the child had to be killed after
 * `timeout_s` seconds (a hang).  The environment (LD_PRELOAD...) is
 * inherited. */
static inline int run_self(const char *arg1, const char *arg2, char *out,
                           size_t outsz, double timeout_s)
{
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) != 0) {
        perror("pipe2");
        exit(1);
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(1);
    }
    if (pid == 0) {
        dup2(pfd[1], 1);
        dup2(pfd[1], 2);
        execl("/proc/self/exe", "child", arg1, arg2, (char *)NULL);
        _exit(127);
    }
    close(pfd[1]);
    fcntl(pfd[0], F_SETFL, O_NONBLOCK);
    size_t len = 0;
    int status = 0, done = 0;
    long long deadline = now_ns() + (long long)(timeout_s * 1e9);
    for (;;) {
        char buf[4096];
        ssize_t n = read(pfd[0], buf, sizeof buf);
        if (n > 0) {
            size_t room = outsz - 1 - len;
            if ((size_t)n > room)
                n = (ssize_t)room;
            memcpy(out + len, buf, (size_t)n);
            len += (size_t)n;
            continue;
        }
        if (!done) {
            pid_t w = waitpid(pid, &status, WNOHANG);
            if (w == pid)
                done = 1;
        }
        if (done && n == 0)
            break; /* EOF after exit */
        if (done && n < 0 && errno == EAGAIN) {
            /* exited, but a grandchild may hold the pipe: drain briefly */
            struct timespec ts = {0, 5000000};
            nanosleep(&ts, NULL);
            if (now_ns() > deadline)
                break;
            continue;
        }
        if (now_ns() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            status = -1;
            break;
        }
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    close(pfd[0]);
    out[len] = 0;
    return status;
}

/* Describe a wait status for messages. */
static inline const char *describe_status(int st, char *buf, size_t n)
{
    if (st == -1)
        snprintf(buf, n, "hang (killed)");
    else if (WIFEXITED(st))
        snprintf(buf, n, "exit %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        snprintf(buf, n, "signal %s", sigabbrev_np(WTERMSIG(st)) ? sigabbrev_np(WTERMSIG(st)) : "?");
    else
        snprintf(buf, n, "status 0x%x", st);
    return buf;
}

/* ---- Processes ----
 * shared_alloc(size): `size` zero-filled bytes (MAP_SHARED | MAP_ANONYMOUS)
 * that children forked afterwards share with this process. */
static inline void *shared_alloc(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        TEST_FAIL_("mmap of %zu shared bytes: errno %d (%s)", size, errno,
                   test_errname_(errno));
    return p;
}

/* fork(), which must succeed; stdout and stderr are flushed first so that
 * nothing buffered is written twice. */
static inline pid_t fork_checked(void)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        TEST_FAIL_("fork: errno %d (%s)", errno, test_errname_(errno));
    return pid;
}

/* Wait for the child `pid`, which must exit with status 0; `what` names it
 * in the failure message. */
static inline void wait_child_ok(pid_t pid, const char *what)
{
    int st = 0;
    char buf[64];
    pid_t w = waitpid(pid, &st, 0);
    if (w != pid)
        TEST_FAIL_("waitpid(%s %d) returned %d: errno %d (%s)", what,
                   (int)pid, (int)w, errno, test_errname_(errno));
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        TEST_FAIL_("%s %d: %s, expected exit 0", what, (int)pid,
                   describe_status(st, buf, sizeof buf));
}

/* ---- Threads mnthread did not create ----
 * glibc's timer_create(SIGEV_THREAD) runs each expiry's callback on a
 * kernel thread that glibc starts itself (its internal thread creation
 * does not go through mnthread, preloaded or linked), and that thread
 * exits when the callback returns.  struct foreign_run runs fn(arg) so:
 *
 *     static struct foreign_run fr;
 *     run_on_foreign_thread(&fr, fn, arg);   // once, about 1 ms from now
 *     foreign_wait(&fr, 1, 20, "what");      // until fn has returned
 *     foreign_stop(&fr);                     // disarm, delete the timer
 *
 * foreign_start(&fr, fn, arg, first_ms, every_ms) with every_ms > 0
 * repeats: every expiry runs fn on a new foreign thread (calls may
 * overlap), until foreign_stop.  fr must stay valid while any call of fn
 * may still come or run: for one call, until foreign_wait has seen it
 * return; for a repeating timer, for good (a call begun before
 * foreign_stop still runs), so make it static.  Tests that use this need
 * "// LINK: -lrt". */
struct foreign_run {
    timer_t timer;
    void (*fn)(void *);
    void *arg;
    long returned; /* calls of fn that have returned */
};

static inline void foreign_run_cb_(union sigval sv)
{
    struct foreign_run *fr = (struct foreign_run *)sv.sival_ptr;
    fr->fn(fr->arg);
    __atomic_add_fetch(&fr->returned, 1, __ATOMIC_RELEASE);
}

static inline void foreign_start(struct foreign_run *fr, void (*fn)(void *),
                                 void *arg, long first_ms, long every_ms)
{
    struct sigevent sev;
    struct itimerspec its;
    memset(fr, 0, sizeof *fr);
    fr->fn = fn;
    fr->arg = arg;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_THREAD;
    sev.sigev_notify_function = foreign_run_cb_;
    sev.sigev_value.sival_ptr = fr;
    CHECK_SYS(timer_create(CLOCK_MONOTONIC, &sev, &fr->timer));
    memset(&its, 0, sizeof its);
    its.it_value.tv_sec = first_ms / 1000;
    its.it_value.tv_nsec = (first_ms % 1000) * 1000000L;
    its.it_interval.tv_sec = every_ms / 1000;
    its.it_interval.tv_nsec = (every_ms % 1000) * 1000000L;
    CHECK_SYS(timer_settime(fr->timer, 0, &its, NULL));
}

/* Run fn(arg) once on a thread glibc creates itself (see above). */
static inline void run_on_foreign_thread(struct foreign_run *fr,
                                         void (*fn)(void *), void *arg)
{
    foreign_start(fr, fn, arg, 1, 0);
}

/* Wait until `calls` calls of fn have returned, or fail after `seconds`. */
static inline void foreign_wait(struct foreign_run *fr, long calls,
                                double seconds, const char *what)
{
    wait_count(&fr->returned, calls, seconds, what);
}

/* Disarm and delete the timer: no further calls of fn start. */
static inline void foreign_stop(struct foreign_run *fr)
{
    struct itimerspec its;
    memset(&its, 0, sizeof its);
    CHECK_SYS(timer_settime(fr->timer, 0, &its, NULL));
    CHECK_SYS(timer_delete(fr->timer));
}

/* ---- Checks in callbacks ----
 * CB_CHECK(cond) is CHECK for code that should not exit the process itself
 * (callbacks on foreign threads): it records the first failure (line and
 * expression) and jumps to the label `out`, which the function must have,
 * to finish up.  The main thread sees it with cb_failed() and reports it
 * with CHECK_NO_CB_FAILURE(). */
struct cb_failure_ {
    int claimed;
    int failed;
    char msg[256];
};

static inline struct cb_failure_ *cb_failure_(void)
{
    static struct cb_failure_ f;
    return &f;
}

static inline void cb_fail_(int line, const char *expr)
{
    struct cb_failure_ *f = cb_failure_();
    if (__atomic_exchange_n(&f->claimed, 1, __ATOMIC_ACQ_REL))
        return; /* the first failure is the one reported */
    snprintf(f->msg, sizeof f->msg, "line %d: %s", line, expr);
    __atomic_store_n(&f->failed, 1, __ATOMIC_RELEASE);
}

/* Non-zero once a CB_CHECK has failed. */
static inline int cb_failed(void)
{
    return __atomic_load_n(&cb_failure_()->failed, __ATOMIC_ACQUIRE);
}

#define CB_CHECK(cond)                                                     \
    do {                                                                   \
        if (!(cond)) {                                                     \
            cb_fail_(__LINE__, #cond);                                     \
            goto out;                                                      \
        }                                                                  \
    } while (0)

#define CHECK_NO_CB_FAILURE()                                              \
    CHECK_MSG(!cb_failed(), "callback check failed: %s", cb_failure_()->msg)

#endif
