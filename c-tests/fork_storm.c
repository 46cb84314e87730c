// ONE-CARRIER
// TIMEOUT: 120
/* fork() while other threads allocate, lock, wait, sleep and print: 200
 * forks from user threads (the main one and a worker, by turns); every
 * child runs threads of its own (allocating, locking, sleeping) and exits
 * through exit() (stdio flushed, handlers run).  A child that hangs (a
 * lock the fork caught held by a thread the child does not have: glibc's
 * malloc or stdio locks, or the thread library's own) is killed after 10 s
 * and fails the test; so does any wrong exit status. */
#include "common.h"

#include <sys/wait.h>

#define WORKERS 6
#define FORKS 200
#define CHILD_THREADS 4

static volatile int stop;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long shared_count;
static FILE *sink;

/* The parent's threads share `lock`; a child's threads use `child_lock`,
 * made in the child (a POSIX program may not rely on a lock another
 * thread held at the fork: that is mnthread's repair, tested apart). */
static pthread_mutex_t child_lock;
static pthread_mutex_t *churn_lock = &lock;

static void churn(int round)
{
    void *p[8];
    for (int i = 0; i < 8; i++) {
        p[i] = malloc(16 + (size_t)((round * 37 + i * 1031) % 40000));
        CHECK(p[i] != NULL);
        memset(p[i], round, 16);
    }
    pthread_mutex_lock(churn_lock);
    shared_count++;
    if (churn_lock == &lock && shared_count % 3 == 0)
        pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(churn_lock);
    fprintf(sink, "round %d\n", round);
    for (int i = 0; i < 8; i++)
        free(p[i]);
}

static void *worker(void *arg)
{
    long id = (long)arg;
    for (int round = 0; !__atomic_load_n(&stop, __ATOMIC_ACQUIRE); round++) {
        churn(round);
        if (round % 16 == (int)id) {
            pthread_mutex_lock(&lock);
            struct timespec dl = abs_in_ms(CLOCK_REALTIME, 1);
            pthread_cond_timedwait(&cv, &lock, &dl);
            pthread_mutex_unlock(&lock);
        }
        if (round % 64 == 0)
            usleep(100);
        if (round % 8 == 0)
            sched_yield();
    }
    return NULL;
}

static void *child_thread(void *arg)
{
    long id = (long)arg;
    for (int round = 0; round < 50; round++) {
        churn(round);
        if (round % 10 == (int)id)
            usleep(50);
    }
    return (void *)(id + 1);
}

/* In the child: threads of its own, then exit(). */
static void child_main(void)
{
    pthread_mutex_init(&child_lock, NULL);
    churn_lock = &child_lock;
    pthread_t t[CHILD_THREADS];
    for (long i = 0; i < CHILD_THREADS; i++)
        if (pthread_create(&t[i], NULL, child_thread, (void *)i) != 0)
            _exit(3);
    for (long i = 0; i < CHILD_THREADS; i++) {
        void *r;
        if (pthread_join(t[i], &r) != 0 || r != (void *)(i + 1))
            _exit(4);
    }
    printf("%s", "");
    exit(42);
}

/* Waits for child `pid`, killing it after 10 s; fails on anything but 42. */
static void reap(pid_t pid, int n)
{
    long long deadline = now_ns() + 10 * 1000000000LL;
    int status;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        CHECK_NE(r, -1);
        if (r == pid)
            break;
        if (now_ns() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            fprintf(stderr, "fork %d: the child hung (killed after 10 s)\n", n);
            _exit(1);
        }
        usleep(200);
    }
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 42, "fork %d: child status 0x%x", n, status);
}

static void fork_once(int n)
{
    fflush(stdout);
    pid_t pid = fork();
    CHECK_NE(pid, -1);
    if (pid == 0)
        child_main();
    reap(pid, n);
}

static volatile int worker_forks_asked, worker_forks_done;

static void *forking_worker(void *arg)
{
    (void)arg;
    for (int n = 1; n < FORKS; n += 2) {
        fork_once(n);
        __atomic_fetch_add(&worker_forks_done, 1, __ATOMIC_RELEASE);
    }
    return NULL;
}

int main(void)
{
    sink = fopen("/dev/null", "w");
    CHECK(sink != NULL);
    pthread_t w[WORKERS], f;
    for (long i = 0; i < WORKERS; i++)
        CHECK_OK(pthread_create(&w[i], NULL, worker, (void *)i));
    CHECK_OK(pthread_create(&f, NULL, forking_worker, NULL));
    for (int n = 0; n < FORKS; n += 2)
        fork_once(n);
    CHECK_OK(pthread_join(f, NULL));
    CHECK_EQ(worker_forks_done, FORKS / 2);
    set_flag(&stop);
    for (int i = 0; i < WORKERS; i++)
        CHECK_OK(pthread_join(w[i], NULL));
    CHECK_GT(shared_count, 0);
    fclose(sink);
    puts("ok");
    return 0;
}
