// Process-shared ERRORCHECK and RECURSIVE mutexes: a mutex held by a thread
// of one process is not owned by any thread of another process.  The other
// process's trylock gets EBUSY (not a recursive success), its timedlock
// ETIMEDOUT (not EDEADLK), its unlock EPERM; once released it can lock.
// Two cases: (a) two processes each create their first thread after the
// fork, the parent's thread holds the mutexes; (b) the main thread of a
// process whose threads have already run holds them, then forks.
// (Taught by Open POSIX pthread_mutex_trylock/1-2, pthread_cond_wait/2-2,
// pthread_cond_timedwait/2-4 and 2-7, whose cross-process scenarios fail if
// owner identities collide between processes.)
#include "common.h"
#include <sys/mman.h>

struct shared {
    pthread_mutex_t ec, rec;
    int stage;
};
static struct shared *sh;
static pid_t child; /* in the parent: the child, whose failure ends waits */

static void set_stage(int s)
{
    __atomic_store_n(&sh->stage, s, __ATOMIC_RELEASE);
}

static void wait_stage(int s)
{
    int st;
    while (__atomic_load_n(&sh->stage, __ATOMIC_ACQUIRE) < s) {
        if (child > 0 && waitpid(child, &st, WNOHANG) == child)
            TEST_FAIL_("the child ended early (status 0x%x)", st);
        usleep(1000);
    }
}

/* The checks made from a process that does not own the mutexes. */
static void check_not_owner(void)
{
    struct timespec ts;
    CHECK_ERR(pthread_mutex_trylock(&sh->rec), EBUSY);
    CHECK_ERR(pthread_mutex_trylock(&sh->ec), EBUSY);
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 50 * 1000 * 1000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    CHECK_ERR(pthread_mutex_timedlock(&sh->ec, &ts), ETIMEDOUT);
    CHECK_ERR(pthread_mutex_timedlock(&sh->rec, &ts), ETIMEDOUT);
    CHECK_ERR(pthread_mutex_unlock(&sh->ec), EPERM);
    CHECK_ERR(pthread_mutex_unlock(&sh->rec), EPERM);
}

static void check_can_lock(void)
{
    CHECK_OK(pthread_mutex_lock(&sh->ec));
    CHECK_OK(pthread_mutex_lock(&sh->rec));
    CHECK_OK(pthread_mutex_lock(&sh->rec));
    CHECK_OK(pthread_mutex_unlock(&sh->rec));
    CHECK_OK(pthread_mutex_unlock(&sh->rec));
    CHECK_OK(pthread_mutex_unlock(&sh->ec));
}

static void init_mutexes(void)
{
    pthread_mutexattr_t a;
    CHECK_OK(pthread_mutexattr_init(&a));
    CHECK_OK(pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED));
    CHECK_OK(pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK));
    CHECK_OK(pthread_mutex_init(&sh->ec, &a));
    CHECK_OK(pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE));
    CHECK_OK(pthread_mutex_init(&sh->rec, &a));
    CHECK_OK(pthread_mutexattr_destroy(&a));
    sh->stage = 0;
}

static void *holder(void *arg)
{
    (void)arg;
    CHECK_OK(pthread_mutex_lock(&sh->ec));
    CHECK_OK(pthread_mutex_lock(&sh->rec));
    set_stage(1);
    wait_stage(2);
    CHECK_OK(pthread_mutex_unlock(&sh->rec));
    CHECK_OK(pthread_mutex_unlock(&sh->ec));
    set_stage(3);
    return NULL;
}

static void *prober(void *arg)
{
    (void)arg;
    wait_stage(1);
    check_not_owner();
    set_stage(2);
    wait_stage(3);
    check_can_lock();
    return NULL;
}

static void *nothing(void *arg)
{
    return arg;
}

static void wait_child(pid_t pid)
{
    int st;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status 0x%x", st);
}

int main(void)
{
    pthread_t t;
    pid_t pid;
    sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(sh != MAP_FAILED);

    /* (a) both processes fork first, then each creates its first thread. */
    init_mutexes();
    pid = child = fork();
    CHECK_SYS(pid);
    if (pid == 0) {
        CHECK_OK(pthread_create(&t, NULL, prober, NULL));
        CHECK_OK(pthread_join(t, NULL));
        _exit(0);
    }
    CHECK_OK(pthread_create(&t, NULL, holder, NULL));
    CHECK_OK(pthread_join(t, NULL));
    wait_child(pid);
    CHECK_OK(pthread_mutex_destroy(&sh->ec));
    CHECK_OK(pthread_mutex_destroy(&sh->rec));

    /* (b) threads have run; the main thread holds the mutexes and forks. */
    CHECK_OK(pthread_create(&t, NULL, nothing, NULL));
    CHECK_OK(pthread_join(t, NULL));
    init_mutexes();
    CHECK_OK(pthread_mutex_lock(&sh->ec));
    CHECK_OK(pthread_mutex_lock(&sh->rec));
    pid = child = fork();
    CHECK_SYS(pid);
    if (pid == 0) {
        check_not_owner();
        set_stage(2);
        wait_stage(3);
        check_can_lock();
        _exit(0);
    }
    wait_stage(2);
    CHECK_OK(pthread_mutex_unlock(&sh->rec));
    CHECK_OK(pthread_mutex_unlock(&sh->ec));
    set_stage(3);
    wait_child(pid);
    puts("ok");
    return 0;
}
