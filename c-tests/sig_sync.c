// ONE-CARRIER
// TIMEOUT: 30
// Synchronous signals go to the thread that caused them, and a handler can
// recover with siglongjmp: 4 threads at once each touch a PROT_NONE page
// 200 times (reads and writes at varying offsets, yielding between), the
// SA_SIGINFO handler checks si_addr and si_code SEGV_ACCERR and
// siglongjmps back; each thread also divides by zero 50 times (SIGFPE,
// FPE_INTDIV) and recovers likewise. Inside the handler the signal and
// sa_mask (SIGUSR2) are blocked; after siglongjmp from a sigsetjmp with
// savemask=1 the thread's mask is the one at sigsetjmp (SIGSEGV and
// SIGUSR2 not left blocked, a thread's own SIGUSR1 block kept); with
// savemask=0 the handler's mask stays (SIGSEGV and SIGUSR2 blocked).
// SIGPIPE from writing to a pipe without reader goes to the writing thread
// (write fails with EPIPE, the handler runs there before write returns);
// a writer that blocks SIGPIPE gets EPIPE and the signal stays pending for
// that thread only (sigpending there, not in main), until it takes it with
// sigtimedwait.
#include "common.h"
#include <setjmp.h>

#define THREADS 4
#define SEGV_ROUNDS 200
#define FPE_ROUNDS 50

static char *page; /* PROT_NONE */
static long pagesz;

static __thread sigjmp_buf jb;
static __thread volatile char *expect_addr;
static __thread volatile int segv_hits, fpe_hits, pipe_hits, bad, mask_in_handler_ok;
static volatile pthread_t pipe_on;

static int blocked(int sig)
{
    sigset_t s;
    CHECK_OK(pthread_sigmask(SIG_BLOCK, NULL, &s));
    return sigismember(&s, sig);
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    if (sig != SIGSEGV || si->si_addr != (void *)expect_addr || si->si_code != SEGV_ACCERR)
        bad++;
    sigset_t s;
    pthread_sigmask(SIG_BLOCK, NULL, &s);
    mask_in_handler_ok = sigismember(&s, SIGSEGV) && sigismember(&s, SIGUSR2);
    segv_hits++;
    siglongjmp(jb, 1);
}

static void on_fpe(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    if (sig != SIGFPE || si->si_code != FPE_INTDIV)
        bad++;
    fpe_hits++;
    siglongjmp(jb, 1);
}

static void on_pipe(int sig)
{
    (void)sig;
    pipe_on = pthread_self();
    pipe_hits++;
}

static void *faulter(void *arg)
{
    int idx = (int)(intptr_t)arg;
    sigset_t u1;
    sigemptyset(&u1);
    sigaddset(&u1, SIGUSR1);
    if (idx == 1) /* this thread's own mask must come back as it was */
        CHECK_OK(pthread_sigmask(SIG_BLOCK, &u1, NULL));

    for (volatile int i = 0; i < SEGV_ROUNDS; i++) {
        expect_addr = page + ((idx * 997 + i * 61) % pagesz);
        if (sigsetjmp(jb, 1) == 0) {
            if (i % 2)
                *expect_addr = 1;
            else
                (void)*expect_addr;
            TEST_FAIL_("thread %d: touching the PROT_NONE page did not fault", idx);
        }
        CHECK_EQ(segv_hits, i + 1);
        CHECK(mask_in_handler_ok);
        CHECK(!blocked(SIGSEGV));
        CHECK(!blocked(SIGUSR2));
        CHECK_EQ(blocked(SIGUSR1), idx == 1);
        sched_yield(); /* let the other faulters interleave */
    }
    CHECK_EQ(segv_hits, SEGV_ROUNDS);

    volatile int num = 7 + idx, den = 0, q = 0;
    for (volatile int i = 0; i < FPE_ROUNDS; i++) {
        if (sigsetjmp(jb, 1) == 0) {
            q = num / den;
            TEST_FAIL_("thread %d: division by zero gave %d", idx, q);
        }
        CHECK_EQ(fpe_hits, i + 1);
        CHECK(!blocked(SIGFPE));
        sched_yield();
    }

    /* savemask=0: the mask the handler ran with stays. */
    expect_addr = page + idx;
    if (sigsetjmp(jb, 0) == 0) {
        *expect_addr = 2;
        TEST_FAIL_("no fault");
    }
    CHECK(blocked(SIGSEGV));
    CHECK(blocked(SIGUSR2));
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGSEGV);
    sigaddset(&s, SIGUSR2);
    CHECK_OK(pthread_sigmask(SIG_UNBLOCK, &s, NULL));

    /* SIGPIPE: to this writer. */
    int p[2];
    CHECK_SYS(pipe(p));
    close(p[0]);
    int before = pipe_hits;
    CHECK_FAILS(write(p[1], "x", 1), EPIPE);
    CHECK_EQ(pipe_hits, before + 1);
    close(p[1]);

    CHECK_EQ(bad, 0);
    CHECK_EQ(segv_hits, SEGV_ROUNDS + 1);
    CHECK_EQ(fpe_hits, FPE_ROUNDS);
    return arg;
}

static volatile int blocker_wrote, main_looked;

static void *blocked_writer(void *arg)
{
    sigset_t sp;
    sigemptyset(&sp);
    sigaddset(&sp, SIGPIPE);
    CHECK_OK(pthread_sigmask(SIG_BLOCK, &sp, NULL));
    int p[2];
    CHECK_SYS(pipe(p));
    close(p[0]);
    CHECK_FAILS(write(p[1], "x", 1), EPIPE);
    close(p[1]);
    CHECK_EQ(pipe_hits, 0);
    sigset_t pend;
    CHECK_SYS(sigpending(&pend));
    CHECK(sigismember(&pend, SIGPIPE));
    set_flag(&blocker_wrote);
    wait_flag(&main_looked, 20, "main to look at its sigpending");
    struct timespec zero = {0, 0};
    siginfo_t si;
    CHECK_EQ(sigtimedwait(&sp, &si, &zero), SIGPIPE);
    CHECK_SYS(sigpending(&pend));
    CHECK(!sigismember(&pend, SIGPIPE));
    return arg;
}

int main(void)
{
    pagesz = sysconf(_SC_PAGESIZE);
    page = mmap(NULL, pagesz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(page != MAP_FAILED);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR2);
    sa.sa_flags = SA_SIGINFO;
    sa.sa_sigaction = on_segv;
    CHECK_SYS(sigaction(SIGSEGV, &sa, NULL));
    sa.sa_sigaction = on_fpe;
    CHECK_SYS(sigaction(SIGFPE, &sa, NULL));
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_pipe;
    CHECK_SYS(sigaction(SIGPIPE, &sa, NULL));

    /* A pending SIGPIPE in a thread that blocks it is that thread's only. */
    pthread_t b;
    CHECK_OK(pthread_create(&b, NULL, blocked_writer, NULL));
    wait_flag(&blocker_wrote, 20, "the blocked writer");
    sigset_t pend;
    CHECK_SYS(sigpending(&pend));
    CHECK(!sigismember(&pend, SIGPIPE));
    set_flag(&main_looked);
    CHECK_OK(pthread_join(b, NULL));
    CHECK_EQ(pipe_hits, 0);

    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        CHECK_OK(pthread_create(&t[i], NULL, faulter, (void *)(intptr_t)i));
    for (int i = 0; i < THREADS; i++)
        CHECK_OK(pthread_join(t[i], NULL));

    /* main's SIGPIPE: to main. */
    int p[2];
    CHECK_SYS(pipe(p));
    close(p[0]);
    CHECK_FAILS(write(p[1], "y", 1), EPIPE);
    CHECK_EQ(pipe_hits, 1);
    CHECK(pthread_equal(pipe_on, pthread_self()));
    close(p[1]);

    /* And main can recover from a fault of its own. */
    expect_addr = page + 5;
    if (sigsetjmp(jb, 1) == 0) {
        *expect_addr = 3;
        TEST_FAIL_("no fault on main");
    }
    CHECK_EQ(segv_hits, 1);
    CHECK_EQ(bad, 0);
    CHECK(!blocked(SIGSEGV));
    return 0;
}
