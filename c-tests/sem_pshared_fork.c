// Process-shared unnamed semaphores (sem_init pshared=1) in MAP_SHARED
// memory: a ping-pong between parent and forked child counts every round
// trip; threads of the child block on a semaphore only the parent posts
// (and threads of the parent on one only the child posts); inside one
// process, threads blocked on a shared semaphore wait in the kernel and are
// released by a sibling thread — with MNTHREAD_CARRIERS=1 the blocked ones
// must not hold the only carrier (their kernel wait runs elsewhere); and a
// single-threaded child blocked in sem_wait on a shared semaphore returns
// -1/EINTR when a signal handler (without SA_RESTART) runs, as in glibc.
// TIMEOUT: 60
#include "common.h"
#include <semaphore.h>
#include <sys/mman.h>

enum { ROUNDS = 2000, THREADS = 4 };

struct shared {
    sem_t ping, pong, to_child, to_parent, local;
    long counter;
    long child_passed, parent_passed;
};

static struct shared *sh;

static void *child_thread(void *arg)
{
    (void)arg;
    CHECK_OK(sem_wait(&sh->to_child));
    __atomic_fetch_add(&sh->child_passed, 1, __ATOMIC_RELAXED);
    return NULL;
}

static void *parent_thread(void *arg)
{
    (void)arg;
    CHECK_OK(sem_wait(&sh->to_parent));
    __atomic_fetch_add(&sh->parent_passed, 1, __ATOMIC_RELAXED);
    return NULL;
}

static void *local_waiter(void *arg)
{
    (void)arg;
    CHECK_OK(sem_wait(&sh->local));
    return NULL;
}

static int child_main(void)
{
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        CHECK_OK(pthread_create(&t[i], NULL, child_thread, NULL));
    for (int i = 0; i < ROUNDS; i++) {
        CHECK_OK(sem_wait(&sh->ping));
        sh->counter++;
        CHECK_OK(sem_post(&sh->pong));
    }
    for (int i = 0; i < THREADS; i++)
        CHECK_OK(sem_post(&sh->to_parent));
    for (int i = 0; i < THREADS; i++)
        CHECK_OK(pthread_join(t[i], NULL));
    CHECK_EQ(sh->child_passed, THREADS);
    return 0;
}

static void on_signal(int sig)
{
    (void)sig;
}

/* The state letter of process `pid` (/proc/PID/stat's third field). */
static char proc_state(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return '?';
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    return p && p[1] == ' ' ? p[2] : '?';
}

static void test_eintr(void)
{
    sem_t *s = shared_alloc(sizeof *s);
    CHECK_OK(sem_init(s, 1, 0));
    pid_t pid = fork_checked();
    if (pid == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal; /* no SA_RESTART */
        sigaction(SIGUSR1, &sa, NULL);
        errno = 0;
        int r = sem_wait(s);
        _exit(r == -1 && errno == EINTR ? 0 : 10 + errno);
    }
    long long deadline = now_ns() + 20LL * 1000000000;
    while (proc_state(pid) != 'S') {
        CHECK_MSG(now_ns() < deadline, "child never went to sleep");
        usleep(1000);
    }
    usleep(20000); /* asleep in sem_wait, not in a stray syscall before it */
    CHECK_SYS(kill(pid, SIGUSR1));
    wait_child_ok(pid, "child");
    CHECK_EQ(((unsigned *)s)[1], 0); /* the interrupted waiter unregistered */
    munmap(s, sizeof *s);
}

int main(void)
{
    test_eintr(); /* first: this process has no threads yet */

    sh = shared_alloc(sizeof *sh);
    CHECK_OK(sem_init(&sh->ping, 1, 0));
    CHECK_OK(sem_init(&sh->pong, 1, 0));
    CHECK_OK(sem_init(&sh->to_child, 1, 0));
    CHECK_OK(sem_init(&sh->to_parent, 1, 0));
    CHECK_OK(sem_init(&sh->local, 1, 0));

    /* Within one process first. */
    pthread_t lw[THREADS];
    for (int i = 0; i < THREADS; i++)
        CHECK_OK(pthread_create(&lw[i], NULL, local_waiter, NULL));
    for (int i = 0; i < THREADS; i++)
        CHECK_OK(sem_post(&sh->local));
    for (int i = 0; i < THREADS; i++)
        CHECK_OK(pthread_join(lw[i], NULL));

    pthread_t pt[THREADS];
    for (int i = 0; i < THREADS; i++)
        CHECK_OK(pthread_create(&pt[i], NULL, parent_thread, NULL));

    pid_t pid = fork_checked();
    if (pid == 0)
        _exit(child_main());

    for (int i = 0; i < ROUNDS; i++) {
        CHECK_OK(sem_post(&sh->ping));
        CHECK_OK(sem_wait(&sh->pong));
        CHECK_EQ(sh->counter, i + 1);
    }
    for (int i = 0; i < THREADS; i++)
        CHECK_OK(sem_post(&sh->to_child));
    for (int i = 0; i < THREADS; i++)
        CHECK_OK(pthread_join(pt[i], NULL));
    CHECK_EQ(sh->parent_passed, THREADS);

    wait_child_ok(pid, "child");
    int v;
    CHECK_OK(sem_getvalue(&sh->ping, &v));
    CHECK_EQ(v, 0);
    CHECK_OK(sem_getvalue(&sh->to_child, &v));
    CHECK_EQ(v, 0);
    printf("sem_pshared_fork ok\n");
    return 0;
}
