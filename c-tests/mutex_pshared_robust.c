// LINK: -lrt
// Process-shared robust mutexes in MAP_SHARED memory: a child process that
// dies holding one (by _exit, and by SIGKILL while the parent is blocked
// in lock) leaves it EOWNERDEAD for the parent, who makes it consistent;
// a thread of the parent that exits holding one does too, and so does a
// kernel thread the program did not create (a SIGEV_THREAD timer
// callback's); a second child then uses it normally (mutual exclusion
// across the processes).
// TIMEOUT: 60
#include "common.h"

struct shared {
    pthread_mutex_t m;
    volatile int locked;
    long counter;
};
static struct shared *sh;

static void *lock_and_return(void *arg)
{
    (void)arg;
    CHECK_OK(pthread_mutex_lock(&sh->m));
    return NULL;
}

static void callback(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&sh->m); /* the thread ends holding it */
}

int main(void)
{
    sh = shared_alloc(sizeof *sh);
    pthread_mutexattr_t a;
    CHECK_OK(pthread_mutexattr_init(&a));
    CHECK_OK(pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED));
    CHECK_OK(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST));
    CHECK_OK(pthread_mutex_init(&sh->m, &a));

    /* The child exits holding it. */
    pid_t pid = fork_checked();
    if (pid == 0) {
        if (pthread_mutex_lock(&sh->m) != 0)
            _exit(2);
        _exit(0);
    }
    wait_child_ok(pid, "child");
    CHECK_ERR(pthread_mutex_lock(&sh->m), EOWNERDEAD);
    CHECK_OK(pthread_mutex_consistent(&sh->m));
    CHECK_OK(pthread_mutex_unlock(&sh->m));

    /* The child is killed while we wait for it. */
    sh->locked = 0;
    pid = fork_checked();
    if (pid == 0) {
        if (pthread_mutex_lock(&sh->m) != 0)
            _exit(2);
        sh->locked = 1;
        for (;;)
            pause();
    }
    while (!sh->locked)
        sched_yield();
    CHECK_ERR(pthread_mutex_trylock(&sh->m), EBUSY);
    kill(pid, SIGKILL);
    CHECK_ERR(pthread_mutex_lock(&sh->m), EOWNERDEAD);
    int st;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK_OK(pthread_mutex_consistent(&sh->m));
    CHECK_OK(pthread_mutex_unlock(&sh->m));

    /* A thread of ours exits holding it. */
    pthread_t t;
    CHECK_OK(pthread_create(&t, NULL, lock_and_return, NULL));
    CHECK_OK(pthread_join(t, NULL));
    CHECK_ERR(pthread_mutex_lock(&sh->m), EOWNERDEAD);
    CHECK_OK(pthread_mutex_consistent(&sh->m));
    CHECK_ERR(pthread_mutex_trylock(&sh->m), EBUSY);
    CHECK_OK(pthread_mutex_unlock(&sh->m));

    /* A foreign kernel thread exits holding it. */
    static struct foreign_run fr;
    run_on_foreign_thread(&fr, callback, NULL);
    foreign_wait(&fr, 1, 20, "callback");
    CHECK_ERR(pthread_mutex_lock(&sh->m), EOWNERDEAD);
    CHECK_OK(pthread_mutex_consistent(&sh->m));
    CHECK_OK(pthread_mutex_unlock(&sh->m));
    foreign_stop(&fr);

    /* Normal use across processes afterwards. */
    pid = fork_checked();
    for (int i = 0; i < 20000; i++) {
        CHECK_OK(pthread_mutex_lock(&sh->m));
        sh->counter++;
        CHECK_OK(pthread_mutex_unlock(&sh->m));
    }
    if (pid == 0)
        _exit(0);
    wait_child_ok(pid, "child");
    CHECK_EQ(sh->counter, 40000);
    puts("ok");
    return 0;
}
