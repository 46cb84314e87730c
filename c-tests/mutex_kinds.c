// Mutex kinds and their errors, as glibc 2.36 returns them: the static
// initialisers, NORMAL/ERRORCHECK/RECURSIVE/ADAPTIVE lock, trylock, unlock
// (EPERM, EDEADLK, EBUSY, EAGAIN on recursion overflow), destroy (EBUSY on a
// held mutex; a destroyed one fails with EINVAL), consistent on a
// non-robust mutex, prioceiling on PP and non-PP mutexes, and a cross-thread
// unlock check; plus mutual exclusion of a counter under each kind.
#include "common.h"

static pthread_mutex_t m_static = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t m_rec = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static pthread_mutex_t m_err = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
static pthread_mutex_t m_ada = PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP;

static pthread_mutex_t *other_target;
static int other_result;

static void *other_unlock(void *arg)
{
    (void)arg;
    other_result = pthread_mutex_unlock(other_target);
    return NULL;
}

static void *other_trylock(void *arg)
{
    (void)arg;
    other_result = pthread_mutex_trylock(other_target);
    return NULL;
}

static int from_other(pthread_mutex_t *m, void *(*fn)(void *))
{
    pthread_t t;
    other_target = m;
    CHECK_OK(pthread_create(&t, NULL, fn, NULL));
    CHECK_OK(pthread_join(t, NULL));
    return other_result;
}

static void init_kind(pthread_mutex_t *m, int kind)
{
    pthread_mutexattr_t a;
    CHECK_OK(pthread_mutexattr_init(&a));
    CHECK_OK(pthread_mutexattr_settype(&a, kind));
    CHECK_OK(pthread_mutex_init(m, &a));
    CHECK_OK(pthread_mutexattr_destroy(&a));
}

#define NTHREADS 4
#define ROUNDS 20000
static pthread_mutex_t *count_mutex;
static long counter;

static void *count_loop(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        CHECK_OK(pthread_mutex_lock(count_mutex));
        long v = counter;
        if ((i & 255) == 0)
            sched_yield();
        counter = v + 1;
        CHECK_OK(pthread_mutex_unlock(count_mutex));
    }
    return NULL;
}

static void exclusion(pthread_mutex_t *m)
{
    pthread_t t[NTHREADS];
    count_mutex = m;
    counter = 0;
    for (int i = 0; i < NTHREADS; i++)
        CHECK_OK(pthread_create(&t[i], NULL, count_loop, NULL));
    for (int i = 0; i < NTHREADS; i++)
        CHECK_OK(pthread_join(t[i], NULL));
    CHECK_EQ(counter, (long)NTHREADS * ROUNDS);
}

int main(void)
{
    CHECK_EQ(sizeof(pthread_mutex_t), 40);
    pthread_mutex_t zero;
    memset(&zero, 0, sizeof zero);

    /* NORMAL (static and all-zero) and ADAPTIVE: trylock busy, relock by
     * another thread busy, unlock by a non-owner not checked. */
    pthread_mutex_t *plain[] = {&m_static, &zero, &m_ada};
    for (int i = 0; i < 3; i++) {
        pthread_mutex_t *m = plain[i];
        CHECK_OK(pthread_mutex_lock(m));
        CHECK_ERR(pthread_mutex_trylock(m), EBUSY);
        CHECK_ERR(from_other(m, other_trylock), EBUSY);
        CHECK_OK(pthread_mutex_unlock(m));
        CHECK_OK(pthread_mutex_trylock(m));
        CHECK_OK(pthread_mutex_unlock(m));
        exclusion(m);
    }

    /* ERRORCHECK */
    CHECK_ERR(pthread_mutex_unlock(&m_err), EPERM);
    CHECK_OK(pthread_mutex_lock(&m_err));
    CHECK_ERR(pthread_mutex_lock(&m_err), EDEADLK);
    CHECK_ERR(pthread_mutex_trylock(&m_err), EBUSY);
    CHECK_ERR(from_other(&m_err, other_unlock), EPERM);
    CHECK_ERR(from_other(&m_err, other_trylock), EBUSY);
    CHECK_ERR(pthread_mutex_destroy(&m_err), EBUSY);
    CHECK_OK(pthread_mutex_unlock(&m_err));
    CHECK_ERR(pthread_mutex_unlock(&m_err), EPERM);
    exclusion(&m_err);

    /* RECURSIVE: depth counting, EPERM for non-owners, EAGAIN when the
     * count (glibc's __count) would overflow. */
    CHECK_ERR(pthread_mutex_unlock(&m_rec), EPERM);
    for (int i = 0; i < 5; i++)
        CHECK_OK(pthread_mutex_lock(&m_rec));
    CHECK_OK(pthread_mutex_trylock(&m_rec));
    CHECK_ERR(from_other(&m_rec, other_trylock), EBUSY);
    CHECK_ERR(from_other(&m_rec, other_unlock), EPERM);
    for (int i = 0; i < 6; i++) {
        CHECK_ERR(from_other(&m_rec, other_trylock), EBUSY);
        CHECK_OK(pthread_mutex_unlock(&m_rec));
    }
    CHECK_ERR(pthread_mutex_unlock(&m_rec), EPERM);
    exclusion(&m_rec);
    pthread_mutex_t rec;
    init_kind(&rec, PTHREAD_MUTEX_RECURSIVE);
    CHECK_OK(pthread_mutex_lock(&rec));
    rec.__data.__count = 0xffffffffu;
    CHECK_ERR(pthread_mutex_lock(&rec), EAGAIN);
    CHECK_ERR(pthread_mutex_trylock(&rec), EAGAIN);
    rec.__data.__count = 1;
    CHECK_OK(pthread_mutex_unlock(&rec));
    exclusion(&rec);
    CHECK_OK(pthread_mutex_destroy(&rec));

    /* Kinds made with attributes behave as the initialisers. */
    pthread_mutex_t e2;
    init_kind(&e2, PTHREAD_MUTEX_ERRORCHECK);
    CHECK_OK(pthread_mutex_lock(&e2));
    CHECK_ERR(pthread_mutex_lock(&e2), EDEADLK);
    CHECK_OK(pthread_mutex_unlock(&e2));
    pthread_mutex_t n2;
    init_kind(&n2, PTHREAD_MUTEX_DEFAULT);
    CHECK_OK(pthread_mutex_lock(&n2));
    CHECK_ERR(pthread_mutex_trylock(&n2), EBUSY);
    CHECK_ERR(pthread_mutex_destroy(&n2), EBUSY);
    CHECK_OK(pthread_mutex_unlock(&n2));

    /* destroy, then use: EINVAL (glibc marks the kind invalid). */
    CHECK_OK(pthread_mutex_destroy(&n2));
    CHECK_ERR(pthread_mutex_lock(&n2), EINVAL);
    CHECK_ERR(pthread_mutex_trylock(&n2), EINVAL);
    CHECK_ERR(pthread_mutex_unlock(&n2), EINVAL);
    CHECK_OK(pthread_mutex_init(&n2, NULL));
    CHECK_OK(pthread_mutex_lock(&n2));
    CHECK_OK(pthread_mutex_unlock(&n2));

    /* consistent on a non-robust mutex; prioceiling on a non-PP one. */
    int prio = -5;
    CHECK_ERR(pthread_mutex_consistent(&e2), EINVAL);
    CHECK_ERR(pthread_mutex_getprioceiling(&e2, &prio), EINVAL);
    CHECK_ERR(pthread_mutex_setprioceiling(&e2, 10, &prio), EINVAL);

    /* A PRIO_PROTECT mutex reports and changes its ceiling. */
    pthread_mutexattr_t a;
    CHECK_OK(pthread_mutexattr_init(&a));
    CHECK_OK(pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_PROTECT));
    CHECK_OK(pthread_mutexattr_setprioceiling(&a, 7));
    pthread_mutex_t pp;
    CHECK_OK(pthread_mutex_init(&pp, &a));
    CHECK_OK(pthread_mutex_getprioceiling(&pp, &prio));
    CHECK_EQ(prio, 7);
    CHECK_ERR(pthread_mutex_setprioceiling(&pp, 0, &prio), EINVAL);
    CHECK_ERR(pthread_mutex_setprioceiling(&pp, 100, &prio), EINVAL);
    CHECK_OK(pthread_mutex_setprioceiling(&pp, 12, &prio));
    CHECK_EQ(prio, 7);
    CHECK_OK(pthread_mutex_getprioceiling(&pp, &prio));
    CHECK_EQ(prio, 12);
    /* PRIO_PROTECT with robust is refused. */
    CHECK_OK(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST));
    CHECK_ERR(pthread_mutex_init(&pp, &a), ENOTSUP);
    /* PRIO_INHERIT errorcheck still checks. */
    CHECK_OK(pthread_mutexattr_init(&a));
    CHECK_OK(pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT));
    CHECK_OK(pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK));
    pthread_mutex_t pi;
    CHECK_OK(pthread_mutex_init(&pi, &a));
    CHECK_ERR(pthread_mutex_unlock(&pi), EPERM);
    CHECK_OK(pthread_mutex_lock(&pi));
    CHECK_ERR(pthread_mutex_lock(&pi), EDEADLK);
    CHECK_OK(pthread_mutex_unlock(&pi));
    exclusion(&pi);

    puts("ok");
    return 0;
}
