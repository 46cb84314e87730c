// fork() in a process that has running threads: the child continues with
// only the calling thread, and can create and join new threads, use keys
// and TLS; the parent's threads keep running.  Forking from a non-main
// thread too.  (Each child reports through its exit status.)
#include "common.h"

#define NT 4
static volatile int stop;
static volatile long spins;
static pthread_key_t key;
static __thread int tls = 3;

static void *spinner(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
        __atomic_fetch_add(&spins, 1, __ATOMIC_RELAXED);
        sched_yield();
    }
    return NULL;
}

static void *child_thread(void *arg)
{
    if (pthread_getspecific(key) != NULL || tls != 3)
        return (void *)0;
    return (void *)((intptr_t)arg + 1);
}

/* Runs in the forked child: exit 0 if all is well. */
static int child_body(void)
{
    if (pthread_getspecific(key) != (void *)42 || tls != 9)
        return 10;
    for (intptr_t i = 0; i < 20; i++) {
        pthread_t t;
        void *r;
        if (pthread_create(&t, NULL, child_thread, (void *)i) != 0)
            return 11;
        if (pthread_join(t, &r) != 0 || (intptr_t)r != i + 1)
            return 12;
    }
    /* a few threads at once */
    pthread_t ts[8];
    for (intptr_t i = 0; i < 8; i++)
        if (pthread_create(&ts[i], NULL, child_thread, (void *)i) != 0)
            return 13;
    for (intptr_t i = 0; i < 8; i++) {
        void *r;
        if (pthread_join(ts[i], &r) != 0 || (intptr_t)r != i + 1)
            return 14;
    }
    if (sched_yield() != 0)
        return 15;
    return 0;
}

static int fork_and_check(void)
{
    pthread_setspecific(key, (void *)42);
    tls = 9;
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0)
        _exit(child_body());
    int st;
    long long deadline = now_ns() + 30000000000LL;
    for (;;) {
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid)
            break;
        if (now_ns() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            fprintf(stderr, "forked child hung\n");
            return -1;
        }
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    char desc[64];
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "forked child: %s\n", describe_status(st, desc, sizeof desc));
        return -1;
    }
    return 0;
}

static void *forker(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)fork_and_check();
}

int main(void)
{
    CHECK_OK(pthread_key_create(&key, NULL));
    pthread_t t[NT];
    for (int i = 0; i < NT; i++)
        CHECK_OK(pthread_create(&t[i], NULL, spinner, NULL));
    wait_count(&spins, 100, 20, "spinners running");

    CHECK_EQ(fork_and_check(), 0); /* from main */
    pthread_t f;
    void *r;
    CHECK_OK(pthread_create(&f, NULL, forker, NULL));
    CHECK_OK(pthread_join(f, &r));
    CHECK_EQ((intptr_t)r, 0); /* from a thread */

    long before = __atomic_load_n(&spins, __ATOMIC_ACQUIRE);
    wait_count(&spins, before + 100, 20, "spinners still running");
    set_flag(&stop);
    for (int i = 0; i < NT; i++)
        CHECK_OK(pthread_join(t[i], NULL));
    puts("fork_threads OK");
    return 0;
}
