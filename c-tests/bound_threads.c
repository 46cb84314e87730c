// ONE-CARRIER
/* PTHREAD_SCOPE_SYSTEM threads: each has a kernel thread of its own that it
 * never leaves (its gettid() stays the same across parks), the attribute
 * and pthread_getattr_np report the scope, and bound threads blocked in
 * raw system calls nobody intercepts (syscall(SYS_read) on a pipe) stop
 * nobody else: with one carrier, ordinary threads keep running and a
 * ticker keeps ticking while three bound threads are blocked.  Bound
 * threads then exit, and new ones reuse their kernel threads. */
#include "common.h"

#include <sys/syscall.h>

#define BLOCKED 3
#define WORKERS 4
#define ROUNDS 200

static int pipes[BLOCKED][2];
static volatile long blocked_entered;

static void *blocker(void *arg)
{
    int i = (int)(long)arg;
    pid_t tid = gettid();
    __atomic_fetch_add(&blocked_entered, 1, __ATOMIC_ACQ_REL);
    char c;
    long n = syscall(SYS_read, pipes[i][0], &c, 1);
    CHECK_EQ(n, 1);
    CHECK_EQ(c, 'x');
    CHECK_EQ(gettid(), tid);
    return (void *)(long)tid;
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turn_cv = PTHREAD_COND_INITIALIZER;
static int turn;

/* WORKERS unbound threads pass a token around ROUNDS times. */
static void *worker(void *arg)
{
    int me = (int)(long)arg;
    for (int r = 0; r < ROUNDS; r++) {
        pthread_mutex_lock(&lock);
        while (turn % WORKERS != me)
            pthread_cond_wait(&turn_cv, &lock);
        turn++;
        pthread_cond_broadcast(&turn_cv);
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

/* A bound thread that parks often and checks it never moves. */
static void *parker(void *arg)
{
    (void)arg;
    pid_t tid = gettid();
    for (int i = 0; i < 50; i++) {
        usleep(200);
        pthread_mutex_lock(&lock);
        pthread_mutex_unlock(&lock);
        sched_yield();
        CHECK_EQ(gettid(), tid);
    }
    return NULL;
}

static void check_scope_reported(pthread_t t, int want)
{
    pthread_attr_t a;
    CHECK_OK(pthread_getattr_np(t, &a));
    int scope = -1;
    CHECK_OK(pthread_attr_getscope(&a, &scope));
    CHECK_EQ(scope, want);
    pthread_attr_destroy(&a);
}

static void *report_self(void *arg)
{
    check_scope_reported(pthread_self(), (int)(long)arg);
    return NULL;
}

int main(void)
{
    pthread_attr_t sys;
    CHECK_OK(pthread_attr_init(&sys));
    CHECK_OK(pthread_attr_setscope(&sys, PTHREAD_SCOPE_SYSTEM));
    int scope = -1;
    CHECK_OK(pthread_attr_getscope(&sys, &scope));
    CHECK_EQ(scope, PTHREAD_SCOPE_SYSTEM);
    CHECK_ERR(pthread_attr_setscope(&sys, 12345), EINVAL);

    /* A bound thread reports its scope; under mnthread an ordinary one is
     * a user thread (PTHREAD_SCOPE_PROCESS), under glibc a kernel one. */
    pthread_t r;
    CHECK_OK(pthread_create(&r, &sys, report_self, (void *)(long)PTHREAD_SCOPE_SYSTEM));
    CHECK_OK(pthread_join(r, NULL));
    int plain = under_mnthread() ? PTHREAD_SCOPE_PROCESS : PTHREAD_SCOPE_SYSTEM;
    CHECK_OK(pthread_create(&r, NULL, report_self, (void *)(long)plain));
    CHECK_OK(pthread_join(r, NULL));
    if (under_mnthread()) {
        pthread_attr_t a;
        CHECK_OK(pthread_attr_init(&a));
        CHECK_OK(pthread_attr_getscope(&a, &scope));
        CHECK_EQ(scope, PTHREAD_SCOPE_PROCESS);
        CHECK_OK(pthread_attr_setscope(&a, PTHREAD_SCOPE_PROCESS));
        pthread_attr_destroy(&a);
    }

    for (int round = 0; round < 3; round++) {
        blocked_entered = 0;
        pthread_t b[BLOCKED], w[WORKERS], p;
        for (int i = 0; i < BLOCKED; i++) {
            CHECK_SYS(pipe(pipes[i]));
            CHECK_OK(pthread_create(&b[i], &sys, blocker, (void *)(long)i));
        }
        wait_count(&blocked_entered, BLOCKED, 10, "bound threads to start");
        /* Give them time to enter the kernel's read. */
        usleep(20000);
        ticker_start();
        for (int i = 0; i < WORKERS; i++)
            CHECK_OK(pthread_create(&w[i], NULL, worker, (void *)(long)i));
        CHECK_OK(pthread_create(&p, &sys, parker, NULL));
        for (int i = 0; i < WORKERS; i++)
            CHECK_OK(pthread_join(w[i], NULL));
        CHECK_OK(pthread_join(p, NULL));
        long before = ticks_now();
        wait_count(ticker_ticks(), before + 5, 10, "the ticker beside blocked bound threads");
        ticker_stop();
        CHECK_EQ(turn, (round + 1) * WORKERS * ROUNDS);
        pid_t tids[BLOCKED];
        for (int i = 0; i < BLOCKED; i++) {
            CHECK_EQ(write(pipes[i][1], "x", 1), 1);
            void *ret;
            CHECK_OK(pthread_join(b[i], &ret));
            tids[i] = (pid_t)(long)ret;
            CHECK_GT(tids[i], 0);
            close(pipes[i][0]);
            close(pipes[i][1]);
        }
        /* Each had a kernel thread of its own. */
        for (int i = 0; i < BLOCKED; i++)
            for (int j = i + 1; j < BLOCKED; j++)
                CHECK_NE(tids[i], tids[j]);
    }
    pthread_attr_destroy(&sys);
    puts("ok");
    return 0;
}
