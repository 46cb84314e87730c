// Every pthread_mutexattr call, its errors, and glibc's encoding of the
// 4-byte attribute (type in the low bits, protocol << 28, robust
// 0x40000000, pshared 0x80000000, ceiling << 12), which a program can see
// and copy: type, pshared, robust (+ _np), protocol, prioceiling, the old
// setkind_np/getkind_np, and mutexes made from each attribute.
#include "common.h"

/* The _np names are old exports (the header redirects robust_np to the
 * POSIX names): look them up as a program built long ago would bind them. */
static int (*setkind_np)(pthread_mutexattr_t *, int);
static int (*getkind_np)(const pthread_mutexattr_t *, int *);
static int (*setrobust_np)(pthread_mutexattr_t *, int);
static int (*getrobust_np)(const pthread_mutexattr_t *, int *);

static void *old_sym(const char *name, const char *version)
{
    void *p = dlsym(RTLD_DEFAULT, name);
    if (!p)
        p = dlvsym(RTLD_DEFAULT, name, version);
    CHECK_MSG(p != NULL, "%s not found", name);
    return p;
}

static unsigned raw(const pthread_mutexattr_t *a)
{
    unsigned v;
    memcpy(&v, a, sizeof v);
    return v;
}

int main(void)
{
    CHECK_EQ(sizeof(pthread_mutexattr_t), 4);
    *(void **)&setkind_np = old_sym("pthread_mutexattr_setkind_np", "GLIBC_2.2.5");
    *(void **)&getkind_np = old_sym("pthread_mutexattr_getkind_np", "GLIBC_2.2.5");
    *(void **)&setrobust_np = old_sym("pthread_mutexattr_setrobust_np", "GLIBC_2.4");
    *(void **)&getrobust_np = old_sym("pthread_mutexattr_getrobust_np", "GLIBC_2.4");
    pthread_mutexattr_t a;
    int v = -1;
    memset(&a, 0xff, sizeof a);
    CHECK_OK(pthread_mutexattr_init(&a));
    CHECK_EQ(raw(&a), 0);
    CHECK_OK(pthread_mutexattr_gettype(&a, &v));
    CHECK_EQ(v, PTHREAD_MUTEX_DEFAULT);

    /* type */
    CHECK_ERR(pthread_mutexattr_settype(&a, -1), EINVAL);
    CHECK_ERR(pthread_mutexattr_settype(&a, 4), EINVAL);
    int kinds[] = {PTHREAD_MUTEX_RECURSIVE, PTHREAD_MUTEX_ERRORCHECK, PTHREAD_MUTEX_ADAPTIVE_NP, PTHREAD_MUTEX_NORMAL};
    for (int i = 0; i < 4; i++) {
        CHECK_OK(pthread_mutexattr_settype(&a, kinds[i]));
        CHECK_OK(pthread_mutexattr_gettype(&a, &v));
        CHECK_EQ(v, kinds[i]);
    }
    CHECK_EQ(raw(&a), 512); /* NORMAL set explicitly: glibc's no-elision bit */
    CHECK_OK(setkind_np(&a, PTHREAD_MUTEX_RECURSIVE));
    CHECK_OK(getkind_np(&a, &v));
    CHECK_EQ(v, PTHREAD_MUTEX_RECURSIVE);
    CHECK_EQ(raw(&a), 1);

    /* pshared */
    CHECK_OK(pthread_mutexattr_getpshared(&a, &v));
    CHECK_EQ(v, PTHREAD_PROCESS_PRIVATE);
    CHECK_ERR(pthread_mutexattr_setpshared(&a, 2), EINVAL);
    CHECK_ERR(pthread_mutexattr_setpshared(&a, -1), EINVAL);
    CHECK_OK(pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED));
    CHECK_OK(pthread_mutexattr_getpshared(&a, &v));
    CHECK_EQ(v, PTHREAD_PROCESS_SHARED);
    CHECK_EQ(raw(&a), 0x80000001u);

    /* robust */
    CHECK_ERR(pthread_mutexattr_setrobust(&a, 2), EINVAL);
    CHECK_ERR(setrobust_np(&a, -1), EINVAL);
    CHECK_OK(setrobust_np(&a, PTHREAD_MUTEX_ROBUST_NP));
    CHECK_OK(pthread_mutexattr_getrobust(&a, &v));
    CHECK_EQ(v, PTHREAD_MUTEX_ROBUST);
    CHECK_OK(getrobust_np(&a, &v));
    CHECK_EQ(v, PTHREAD_MUTEX_ROBUST_NP);
    CHECK_EQ(raw(&a), 0xc0000001u);
    CHECK_OK(pthread_mutexattr_gettype(&a, &v));
    CHECK_EQ(v, PTHREAD_MUTEX_RECURSIVE);

    /* protocol */
    CHECK_OK(pthread_mutexattr_getprotocol(&a, &v));
    CHECK_EQ(v, PTHREAD_PRIO_NONE);
    CHECK_ERR(pthread_mutexattr_setprotocol(&a, 3), EINVAL);
    CHECK_ERR(pthread_mutexattr_setprotocol(&a, -1), EINVAL);
    CHECK_OK(pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT));
    CHECK_OK(pthread_mutexattr_getprotocol(&a, &v));
    CHECK_EQ(v, PTHREAD_PRIO_INHERIT);
    CHECK_EQ(raw(&a), 0xd0000001u);
    CHECK_OK(pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_PROTECT));
    CHECK_OK(pthread_mutexattr_getprotocol(&a, &v));
    CHECK_EQ(v, PTHREAD_PRIO_PROTECT);
    CHECK_EQ(raw(&a), 0xe0000001u);

    /* prioceiling: unset reads as the lowest FIFO priority */
    CHECK_OK(pthread_mutexattr_getprioceiling(&a, &v));
    CHECK_EQ(v, sched_get_priority_min(SCHED_FIFO));
    CHECK_ERR(pthread_mutexattr_setprioceiling(&a, 0), EINVAL);
    CHECK_ERR(pthread_mutexattr_setprioceiling(&a, sched_get_priority_max(SCHED_FIFO) + 1), EINVAL);
    CHECK_OK(pthread_mutexattr_setprioceiling(&a, 42));
    CHECK_OK(pthread_mutexattr_getprioceiling(&a, &v));
    CHECK_EQ(v, 42);
    CHECK_EQ(raw(&a), 0xe002a001u);

    /* Mutexes from attributes: PP + robust is refused; PI + robust,
     * recursive, process-shared works. */
    pthread_mutex_t m;
    CHECK_ERR(pthread_mutex_init(&m, &a), ENOTSUP);
    CHECK_OK(pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT));
    CHECK_OK(pthread_mutex_init(&m, &a));
    CHECK_OK(pthread_mutex_lock(&m));
    CHECK_OK(pthread_mutex_lock(&m));
    CHECK_OK(pthread_mutex_unlock(&m));
    CHECK_OK(pthread_mutex_unlock(&m));
    CHECK_ERR(pthread_mutex_unlock(&m), EPERM);
    CHECK_OK(pthread_mutex_destroy(&m));

    /* A copied attribute means the same. */
    pthread_mutexattr_t b;
    memcpy(&b, &a, sizeof b);
    CHECK_OK(pthread_mutexattr_gettype(&b, &v));
    CHECK_EQ(v, PTHREAD_MUTEX_RECURSIVE);
    CHECK_OK(pthread_mutexattr_destroy(&b));
    CHECK_OK(pthread_mutexattr_destroy(&a));
    puts("ok");
    return 0;
}
