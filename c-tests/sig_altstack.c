// ONE-CARRIER
// TIMEOUT: 30
// sigaltstack is per thread: each of 4 threads installs its own alternate
// stack; a pthread_kill'd SIGUSR1 (SA_ONSTACK) runs its handler on THAT
// thread's alternate stack (a local's address lies inside it, and
// sigaltstack(NULL, &old) in the handler reports SS_ONSTACK with that
// thread's ss_sp and ss_size, and refuses a change with EPERM); outside
// the handler the thread reports its stack with flags 0. A SIGUSR2 handler
// without SA_ONSTACK runs on the thread's own stack even where an
// alternate stack is set. A thread without one reports SS_DISABLE and runs
// the SA_ONSTACK handler on its own stack (inside pthread_getattr_np's
// stack). A thread created by a thread that has an alternate stack starts
// without one. Errors: EINVAL for bad flags, ENOMEM for a stack smaller
// than MINSIGSTKSZ; SS_DISABLE removes it.
#include "common.h"

#define THREADS 4
#define ALT_SIZE (256 * 1024)

static __thread char *alt_base; /* this thread's alternate stack, or NULL */
static __thread volatile int usr1_hits, usr2_hits, on_alt, ss_onstack, ss_matches,
    eperm, on_own;
static volatile sig_atomic_t total;

/* This thread's own stack, from pthread_getattr_np. */
static void own_stack(void **base, size_t *size)
{
    pthread_attr_t a;
    CHECK_OK(pthread_getattr_np(pthread_self(), &a));
    CHECK_OK(pthread_attr_getstack(&a, base, size));
    CHECK_OK(pthread_attr_destroy(&a));
}

static __thread void *own_base;
static __thread size_t own_size;

static void on_usr1(int sig)
{
    (void)sig;
    volatile char local = 0;
    stack_t cur;
    sigaltstack(NULL, &cur);
    if (alt_base) {
        on_alt = addr_in((const void *)&local, alt_base, ALT_SIZE);
        ss_onstack = (cur.ss_flags & SS_ONSTACK) != 0;
        ss_matches = cur.ss_sp == alt_base && cur.ss_size == ALT_SIZE;
        stack_t other = {.ss_sp = alt_base, .ss_size = ALT_SIZE, .ss_flags = 0};
        eperm = sigaltstack(&other, NULL) == -1 && errno == EPERM;
    } else {
        ss_onstack = (cur.ss_flags & SS_ONSTACK) != 0;
        ss_matches = cur.ss_flags == SS_DISABLE;
    }
    on_own = addr_in((const void *)&local, own_base, own_size);
    usr1_hits++;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    total++;
}

static void on_usr2(int sig)
{
    (void)sig;
    volatile char local = 0;
    stack_t cur;
    sigaltstack(NULL, &cur);
    on_own = addr_in((const void *)&local, own_base, own_size);
    on_alt = alt_base && addr_in((const void *)&local, alt_base, ALT_SIZE);
    ss_onstack = (cur.ss_flags & SS_ONSTACK) != 0;
    usr2_hits++;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    total++;
}

static void *child_of_alt(void *arg)
{
    stack_t cur;
    CHECK_SYS(sigaltstack(NULL, &cur));
    CHECK_EQ(cur.ss_flags, SS_DISABLE);
    return arg;
}

static volatile int ready[THREADS + 1];

static void *worker(void *arg)
{
    int idx = (int)(intptr_t)arg;
    own_stack(&own_base, &own_size);
    stack_t cur;
    CHECK_SYS(sigaltstack(NULL, &cur));
    CHECK_EQ(cur.ss_flags, SS_DISABLE); /* a new thread has none */
    if (idx < THREADS) {
        alt_base = malloc(ALT_SIZE);
        CHECK(alt_base != NULL);
        stack_t ss = {.ss_sp = alt_base, .ss_size = ALT_SIZE, .ss_flags = 0};
        CHECK_SYS(sigaltstack(&ss, NULL));
        CHECK_SYS(sigaltstack(NULL, &cur));
        CHECK_EQ(cur.ss_flags, 0);
        CHECK_PTR_EQ(cur.ss_sp, alt_base);
        CHECK_EQ(cur.ss_size, ALT_SIZE);
        pthread_t c;
        CHECK_OK(pthread_create(&c, NULL, child_of_alt, NULL));
        CHECK_OK(pthread_join(c, NULL));
    }
    set_flag(&ready[idx]);
    long long deadline = now_ns() + 20LL * 1000000000;
    while (!usr1_hits) {
        CHECK(now_ns() < deadline);
        usleep(1000);
    }
    CHECK_EQ(usr1_hits, 1);
    if (alt_base) {
        CHECK_MSG(on_alt, "thread %d: SA_ONSTACK handler not on its alternate stack", idx);
        CHECK(!on_own);
        CHECK(ss_onstack);
        CHECK(ss_matches);
        CHECK(eperm);
    } else {
        CHECK(on_own);
        CHECK(!ss_onstack);
        CHECK(ss_matches); /* SS_DISABLE inside the handler too */
    }
    /* Outside the handler: not on the alternate stack. */
    CHECK_SYS(sigaltstack(NULL, &cur));
    CHECK_EQ(cur.ss_flags, alt_base ? 0 : SS_DISABLE);

    /* A handler without SA_ONSTACK: the thread's own stack. */
    CHECK_OK(raise(SIGUSR2));
    CHECK_EQ(usr2_hits, 1);
    CHECK(on_own);
    CHECK(!on_alt);
    CHECK(!ss_onstack);

    if (alt_base) {
        stack_t off = {.ss_flags = SS_DISABLE};
        CHECK_SYS(sigaltstack(&off, NULL));
        CHECK_SYS(sigaltstack(NULL, &cur));
        CHECK_EQ(cur.ss_flags, SS_DISABLE);
        free(alt_base);
        alt_base = NULL;
    }
    return arg;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_ONSTACK;
    CHECK_SYS(sigaction(SIGUSR1, &sa, NULL));
    sa.sa_handler = on_usr2;
    sa.sa_flags = 0;
    CHECK_SYS(sigaction(SIGUSR2, &sa, NULL));

    /* Errors. */
    static char small[64], big[ALT_SIZE];
    stack_t bad = {.ss_sp = big, .ss_size = ALT_SIZE, .ss_flags = 0x7777};
    CHECK_FAILS(sigaltstack(&bad, NULL), EINVAL);
    bad.ss_sp = small;
    bad.ss_size = sizeof small;
    bad.ss_flags = 0;
    CHECK_FAILS(sigaltstack(&bad, NULL), ENOMEM);
    stack_t cur;
    CHECK_SYS(sigaltstack(NULL, &cur));
    CHECK_EQ(cur.ss_flags, SS_DISABLE);

    pthread_t t[THREADS + 1]; /* the last one has no alternate stack */
    for (int i = 0; i <= THREADS; i++)
        CHECK_OK(pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i));
    for (int i = 0; i <= THREADS; i++)
        wait_flag(&ready[i], 20, "the workers to set their stacks");
    usleep(10000);
    for (int i = 0; i <= THREADS; i++)
        CHECK_OK(pthread_kill(t[i], SIGUSR1));
    for (int i = 0; i <= THREADS; i++)
        CHECK_OK(pthread_join(t[i], NULL));
    CHECK_EQ(total, 2 * (THREADS + 1));
    return 0;
}
