// Thread-specific data: pthread_key_create/delete, get/setspecific with
// per-thread values, destructors at thread exit (with the value, also
// after pthread_exit), re-set values re-run the destructor up to
// PTHREAD_DESTRUCTOR_ITERATIONS, deleted keys run no destructor, a
// recreated key reads NULL in threads that had set the old one, EINVAL on
// invalid keys.
#include "common.h"
#include <limits.h>

#define NT 10

static pthread_key_t key_val, key_always, key_once, key_del;
static volatile long dtor_calls;
static volatile long dtor_seen[NT + 1]; /* how often value i+1 was destroyed */
static volatile long dtor_bad;

static void val_dtor(void *v)
{
    intptr_t i = (intptr_t)v;
    if (i < 1 || i > NT || pthread_getspecific(key_val) != NULL)
        __atomic_fetch_add(&dtor_bad, 1, __ATOMIC_RELAXED);
    else
        __atomic_fetch_add(&dtor_seen[i], 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&dtor_calls, 1, __ATOMIC_RELAXED);
}

static volatile long always_calls, once_calls;
static void always_dtor(void *v)
{
    __atomic_fetch_add(&always_calls, 1, __ATOMIC_RELAXED);
    pthread_setspecific(key_always, v); /* keep coming back */
}
static void once_dtor(void *v)
{
    long n = __atomic_add_fetch(&once_calls, 1, __ATOMIC_RELAXED);
    if (n == 1)
        pthread_setspecific(key_once, (char *)v + 1);
}

static volatile long del_calls;
static void del_dtor(void *v) { (void)v; __atomic_fetch_add(&del_calls, 1, __ATOMIC_RELAXED); }

static void *per_thread(void *arg)
{
    intptr_t i = (intptr_t)arg;
    CHECK_PTR_EQ(pthread_getspecific(key_val), NULL); /* fresh thread */
    CHECK_OK(pthread_setspecific(key_val, (void *)i));
    for (int k = 0; k < 50; k++) {
        sched_yield();
        CHECK_EQ((intptr_t)pthread_getspecific(key_val), i);
    }
    if (i % 2)
        pthread_exit((void *)i); /* destructors run on pthread_exit too */
    return (void *)i;
}

static void *resetting(void *arg)
{
    (void)arg;
    CHECK_OK(pthread_setspecific(key_always, (void *)0x1234));
    CHECK_OK(pthread_setspecific(key_once, (void *)0x1000));
    return NULL;
}

static void *null_value(void *arg)
{
    (void)arg;
    CHECK_OK(pthread_setspecific(key_val, (void *)3));
    CHECK_OK(pthread_setspecific(key_val, NULL)); /* NULL: no destructor */
    return NULL;
}

/* delete / recreate while a thread that set the old key is alive */
static pthread_key_t key_old, key_new;
static volatile int step;
static void *holder(void *arg)
{
    (void)arg;
    CHECK_OK(pthread_setspecific(key_old, (void *)0xAA));
    CHECK_OK(pthread_setspecific(key_del, (void *)0xBB));
    __atomic_store_n(&step, 1, __ATOMIC_RELEASE);
    while (__atomic_load_n(&step, __ATOMIC_ACQUIRE) < 2)
        sched_yield();
    /* key_old was deleted and key_new created (likely in the same slot) */
    void *v = pthread_getspecific(key_new);
    CHECK_OK(pthread_setspecific(key_new, (void *)0xCC));
    CHECK_PTR_EQ(pthread_getspecific(key_new), (void *)0xCC);
    return v;
}

int main(void)
{
    CHECK_OK(pthread_key_create(&key_val, val_dtor));
    CHECK_OK(pthread_key_create(&key_always, always_dtor));
    CHECK_OK(pthread_key_create(&key_once, once_dtor));
    CHECK_OK(pthread_key_create(&key_del, del_dtor));
    CHECK(key_val != key_always && key_always != key_once);

    /* main thread get/set */
    CHECK_PTR_EQ(pthread_getspecific(key_val), NULL);
    CHECK_OK(pthread_setspecific(key_val, (void *)99));
    CHECK_EQ((intptr_t)pthread_getspecific(key_val), 99);

    /* per-thread values and destructors */
    pthread_t t[NT];
    for (intptr_t i = 0; i < NT; i++)
        CHECK_OK(pthread_create(&t[i], NULL, per_thread, (void *)(i + 1)));
    for (intptr_t i = 0; i < NT; i++) {
        void *r;
        CHECK_OK(pthread_join(t[i], &r));
        CHECK_EQ((intptr_t)r, i + 1);
    }
    CHECK_EQ(dtor_bad, 0);
    CHECK_EQ(dtor_calls, NT);
    for (int i = 1; i <= NT; i++)
        CHECK_EQ(dtor_seen[i], 1);
    CHECK_EQ((intptr_t)pthread_getspecific(key_val), 99); /* main's untouched */

    /* NULL values get no destructor call */
    {
        pthread_t n;
        CHECK_OK(pthread_create(&n, NULL, null_value, NULL));
        CHECK_OK(pthread_join(n, NULL));
        CHECK_EQ(dtor_calls, NT);
    }

    /* destructors re-run while values are re-set */
    {
        pthread_t r;
        CHECK_OK(pthread_create(&r, NULL, resetting, NULL));
        CHECK_OK(pthread_join(r, NULL));
        CHECK_EQ(always_calls, PTHREAD_DESTRUCTOR_ITERATIONS);
        CHECK_EQ(once_calls, 2);
    }

    /* delete and recreate */
    {
        CHECK_OK(pthread_key_create(&key_old, NULL));
        pthread_t h;
        CHECK_OK(pthread_create(&h, NULL, holder, NULL));
        while (__atomic_load_n(&step, __ATOMIC_ACQUIRE) < 1)
            sched_yield();
        CHECK_OK(pthread_setspecific(key_old, (void *)0xDD));
        CHECK_OK(pthread_key_delete(key_old));
        CHECK_OK(pthread_key_delete(key_del)); /* holder's value: no dtor */
        CHECK_OK(pthread_key_create(&key_new, NULL));
        CHECK_PTR_EQ(pthread_getspecific(key_new), NULL); /* main too */
        __atomic_store_n(&step, 2, __ATOMIC_RELEASE);
        void *r;
        CHECK_OK(pthread_join(h, &r));
        CHECK_PTR_EQ(r, NULL);
        CHECK_EQ(del_calls, 0);
        CHECK_OK(pthread_key_delete(key_new));
    }

    /* invalid keys */
    CHECK_ERR(pthread_key_delete(key_old), EINVAL);   /* already deleted */
    CHECK_ERR(pthread_key_delete((pthread_key_t)PTHREAD_KEYS_MAX + 5), EINVAL);
    CHECK_ERR(pthread_key_delete((pthread_key_t)-1), EINVAL);
    CHECK_ERR(pthread_setspecific((pthread_key_t)PTHREAD_KEYS_MAX + 5, (void *)1), EINVAL);

    CHECK_OK(pthread_key_delete(key_val));
    CHECK_OK(pthread_key_delete(key_always));
    CHECK_OK(pthread_key_delete(key_once));
    puts("keys OK");
    return 0;
}
