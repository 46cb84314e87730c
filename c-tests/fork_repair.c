// MNTHREAD-ONLY
// ONE-CARRIER
// TIMEOUT: 60
// Fork-child lock repair (beyond glibc, where the child deadlocks): a
// mutex held at the fork by a thread the child does not have is taken over
// by the child's first attempt to lock it — normal, errorcheck (then owned
// by the child's thread), trylock too, and a robust one with EOWNERDEAD;
// an rwlock it write-locked too (a read hold cannot be told lost and stays) —
// while a mutex the forking thread itself holds stays held by it, and the
// parent's locks are untouched. With MNTHREAD_FORK_REPAIR=0 (the program
// runs itself again so) the child sees glibc's behaviour: the lock stays
// held (a timed lock times out, a trylock fails).
#include "common.h"
#include <semaphore.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER, m2 = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t mine = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t em, rm;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER, rw2 = PTHREAD_RWLOCK_INITIALIZER;
static pthread_rwlock_t rd = PTHREAD_RWLOCK_INITIALIZER;
static sem_t held, release_them;

static void *holder(void *arg)
{
    (void)arg;
    CHECK_EQ(pthread_mutex_lock(&m), 0);
    CHECK_EQ(pthread_mutex_lock(&m2), 0);
    CHECK_EQ(pthread_mutex_lock(&em), 0);
    CHECK_EQ(pthread_mutex_lock(&rm), 0);
    CHECK_EQ(pthread_rwlock_wrlock(&rw), 0);
    CHECK_EQ(pthread_rwlock_wrlock(&rw2), 0);
    CHECK_EQ(pthread_rwlock_rdlock(&rd), 0);
    CHECK_EQ(sem_post(&held), 0);
    CHECK_EQ(sem_wait(&release_them), 0);
    CHECK_EQ(pthread_rwlock_unlock(&rd), 0);
    CHECK_EQ(pthread_rwlock_unlock(&rw2), 0);
    CHECK_EQ(pthread_rwlock_unlock(&rw), 0);
    CHECK_EQ(pthread_mutex_unlock(&rm), 0);
    CHECK_EQ(pthread_mutex_unlock(&em), 0);
    CHECK_EQ(pthread_mutex_unlock(&m2), 0);
    CHECK_EQ(pthread_mutex_unlock(&m), 0);
    return NULL;
}

static void *child_thread(void *arg)
{
    (void)arg;
    CHECK_EQ(pthread_mutex_lock(&m), 0);
    CHECK_EQ(pthread_mutex_unlock(&m), 0);
    return NULL;
}

static void child_repairs(void)
{
    /* The forker's own lock is still its own. */
    CHECK_EQ(pthread_mutex_trylock(&mine), EBUSY);
    CHECK_EQ(pthread_mutex_unlock(&mine), 0);
    /* Normal mutexes of the lost thread: taken over. */
    CHECK_EQ(pthread_mutex_lock(&m), 0);
    CHECK_EQ(pthread_mutex_unlock(&m), 0);
    CHECK_EQ(pthread_mutex_trylock(&m2), 0);
    CHECK_EQ(pthread_mutex_unlock(&m2), 0);
    /* Errorcheck: taken over, then owned by this thread. */
    CHECK_EQ(pthread_mutex_lock(&em), 0);
    CHECK_EQ(pthread_mutex_lock(&em), EDEADLK);
    CHECK_EQ(pthread_mutex_unlock(&em), 0);
    CHECK_EQ(pthread_mutex_unlock(&em), EPERM);
    /* Robust: the dead owner is reported. */
    CHECK_EQ(pthread_mutex_lock(&rm), EOWNERDEAD);
    CHECK_EQ(pthread_mutex_consistent(&rm), 0);
    CHECK_EQ(pthread_mutex_unlock(&rm), 0);
    CHECK_EQ(pthread_mutex_lock(&rm), 0);
    CHECK_EQ(pthread_mutex_unlock(&rm), 0);
    /* A write-locked rwlock of the lost thread: taken over by a writer or
     * a reader; a read hold is not known to be lost and stays. */
    CHECK_EQ(pthread_rwlock_wrlock(&rw), 0);
    CHECK_EQ(pthread_rwlock_unlock(&rw), 0);
    CHECK_EQ(pthread_rwlock_rdlock(&rw2), 0);
    CHECK_EQ(pthread_rwlock_unlock(&rw2), 0);
    CHECK_EQ(pthread_rwlock_trywrlock(&rd), EBUSY);
    CHECK_EQ(pthread_rwlock_tryrdlock(&rd), 0);
    CHECK_EQ(pthread_rwlock_unlock(&rd), 0);
    /* And a thread of the child uses them as usual. */
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, child_thread, NULL), 0);
    CHECK_EQ(pthread_join(t, NULL), 0);
}

static void child_keeps_glibc_behaviour(void)
{
    struct timespec soon = abs_in_ms(CLOCK_REALTIME, 200);
    CHECK_EQ(pthread_mutex_timedlock(&m, &soon), ETIMEDOUT);
    CHECK_EQ(pthread_mutex_trylock(&m2), EBUSY);
    CHECK_EQ(pthread_mutex_trylock(&em), EBUSY);
    CHECK_EQ(pthread_rwlock_trywrlock(&rw), EBUSY);
    CHECK_EQ(pthread_rwlock_tryrdlock(&rw2), EBUSY);
}

static int scenario(int repair)
{
    pthread_mutexattr_t a;
    CHECK_EQ(pthread_mutexattr_init(&a), 0);
    CHECK_EQ(pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK), 0);
    CHECK_EQ(pthread_mutex_init(&em, &a), 0);
    CHECK_EQ(pthread_mutexattr_settype(&a, PTHREAD_MUTEX_NORMAL), 0);
    CHECK_EQ(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST), 0);
    CHECK_EQ(pthread_mutex_init(&rm, &a), 0);
    CHECK_EQ(sem_init(&held, 0, 0), 0);
    CHECK_EQ(sem_init(&release_them, 0, 0), 0);

    pthread_t h;
    CHECK_EQ(pthread_create(&h, NULL, holder, NULL), 0);
    CHECK_EQ(sem_wait(&held), 0);
    CHECK_EQ(pthread_mutex_lock(&mine), 0);
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        if (repair)
            child_repairs();
        else
            child_keeps_glibc_behaviour();
        fflush(stdout);
        _exit(0);
    }
    wait_child_ok(pid, "the fork child");
    /* The parent's locks are its own still. */
    CHECK_EQ(pthread_mutex_trylock(&m), EBUSY);
    CHECK_EQ(pthread_mutex_unlock(&mine), 0);
    CHECK_EQ(sem_post(&release_them), 0);
    CHECK_EQ(pthread_join(h, NULL), 0);
    CHECK_EQ(pthread_mutex_trylock(&m), 0);
    CHECK_EQ(pthread_mutex_unlock(&m), 0);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "norepair") == 0)
        return scenario(0);
    scenario(1);
    CHECK_EQ(setenv("MNTHREAD_FORK_REPAIR", "0", 1), 0);
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        execl("/proc/self/exe", argv[0], "norepair", (char *)NULL);
        _exit(127);
    }
    wait_child_ok(pid, "the run with MNTHREAD_FORK_REPAIR=0");
    printf("ok: the child took over the lost thread's locks; with MNTHREAD_FORK_REPAIR=0 they stayed held\n");
    return 0;
}
