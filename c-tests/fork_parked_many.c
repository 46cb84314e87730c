// ONE-CARRIER
// TIMEOUT: 120
// fork() from a process with 10,000 threads parked in every kind of wait —
// a condition variable, a mutex, a semaphore, a sleep, a pipe read — from
// the main thread and then from one of those threads: the child has only
// the forking thread, starts threads of its own that lock, wait and sleep,
// and exits 42; the parent's 10,000 threads then all wake and finish, each
// with its own result.
#include "common.h"

#include <semaphore.h>
#include <sys/wait.h>

#define THREADS 10000
#define KINDS 5

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static sem_t sem;
static int pipefd[2];
static int go;
static long parked;

static void *waiter(void *arg)
{
    long i = (long)arg;
    __atomic_fetch_add(&parked, 1, __ATOMIC_RELEASE);
    switch (i % KINDS) {
    case 0:
        pthread_mutex_lock(&m);
        while (!go)
            pthread_cond_wait(&cv, &m);
        pthread_mutex_unlock(&m);
        break;
    case 1:
        pthread_mutex_lock(&held);
        pthread_mutex_unlock(&held);
        break;
    case 2:
        while (sem_wait(&sem) != 0)
            CHECK_EQ(errno, EINTR);
        break;
    case 3:
        while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
            usleep(20000);
        break;
    case 4: {
        char c;
        CHECK_EQ(read(pipefd[0], &c, 1), 1);
        break;
    }
    }
    return (void *)(i + 1);
}

static pthread_mutex_t child_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t child_cv = PTHREAD_COND_INITIALIZER;
static int child_count;

static void *child_thread(void *arg)
{
    usleep(1000);
    pthread_mutex_lock(&child_m);
    child_count++;
    pthread_cond_broadcast(&child_cv);
    pthread_mutex_unlock(&child_m);
    return arg;
}

/* The child: threads of its own (the parent's 10,000 are not there). */
static void child_main(void)
{
    pthread_t t[4];
    for (long i = 0; i < 4; i++)
        if (pthread_create(&t[i], NULL, child_thread, (void *)i) != 0)
            _exit(3);
    pthread_mutex_lock(&child_m);
    while (child_count < 4)
        pthread_cond_wait(&child_cv, &child_m);
    pthread_mutex_unlock(&child_m);
    for (long i = 0; i < 4; i++) {
        void *r;
        if (pthread_join(t[i], &r) != 0 || r != (void *)i)
            _exit(4);
    }
    exit(42);
}

static void fork_and_reap(const char *who)
{
    pid_t pid = fork_checked();
    if (pid == 0)
        child_main();
    int st;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 42, "fork from %s: child status 0x%x", who, st);
}

static void *forking_thread(void *arg)
{
    (void)arg;
    fork_and_reap("a thread");
    return NULL;
}

int main(void)
{
    CHECK_EQ(sem_init(&sem, 0, 0), 0);
    CHECK_EQ(pipe(pipefd), 0);
    pthread_mutex_lock(&held);
    pthread_attr_t a;
    pthread_attr_init(&a);
    CHECK_OK(pthread_attr_setstacksize(&a, 64 * 1024));
    static pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++)
        CHECK_OK(pthread_create(&t[i], &a, waiter, (void *)i));
    wait_count(&parked, THREADS, 60, "threads started");
    usleep(50000);

    fork_and_reap("main");
    pthread_t f;
    CHECK_OK(pthread_create(&f, &a, forking_thread, NULL));
    CHECK_OK(pthread_join(f, NULL));

    pthread_mutex_lock(&m);
    __atomic_store_n(&go, 1, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&m);
    pthread_mutex_unlock(&held);
    for (long i = 2; i < THREADS; i += KINDS)
        CHECK_EQ(sem_post(&sem), 0);
    static char ones[THREADS / KINDS];
    memset(ones, 1, sizeof ones);
    CHECK_EQ(write(pipefd[1], ones, sizeof ones), (ssize_t)sizeof ones);
    for (long i = 0; i < THREADS; i++) {
        void *r;
        CHECK_OK(pthread_join(t[i], &r));
        CHECK_PTR_EQ(r, (void *)(i + 1));
    }
    puts("ok");
    return 0;
}
