// LINK: -lrt
// Threads that the program did not create through pthread_create: glibc's
// timer_create(SIGEV_THREAD) runs its callbacks on threads it starts
// internally.  In such a callback pthread_self, pthread_equal, thread-
// specific data (set/getspecific on a key made by main) and
// pthread_create + pthread_join of a new thread must all work.
#include "common.h"

static pthread_key_t key;
static pthread_t main_thread;
static volatile long calls;
static volatile int done;
static struct foreign_run fr;

static __thread int tls_mark = 5;

static void *child(void *arg)
{
    CHECK_PTR_EQ(pthread_getspecific(key), NULL);
    CHECK_EQ(tls_mark, 5);
    return (void *)((intptr_t)arg * 3);
}

static void callback(void *arg)
{
    long n = __atomic_add_fetch(&calls, 1, __ATOMIC_ACQ_REL);
    if (n > 3)
        return;
    {
        CB_CHECK((intptr_t)arg == 1234);
        pthread_t me = pthread_self();
        CB_CHECK(me != 0);
        CB_CHECK(pthread_equal(me, pthread_self()));
        CB_CHECK(!pthread_equal(me, main_thread));
        CB_CHECK(pthread_getspecific(key) == NULL);
        CB_CHECK(pthread_setspecific(key, (void *)(intptr_t)(100 + n)) == 0);
        CB_CHECK(pthread_getspecific(key) == (void *)(intptr_t)(100 + n));
        CB_CHECK(tls_mark == 5);
        tls_mark = 6;
        sched_yield();
        CB_CHECK(pthread_getspecific(key) == (void *)(intptr_t)(100 + n));

        pthread_t t;
        void *r = NULL;
        CB_CHECK(pthread_create(&t, NULL, child, (void *)(intptr_t)n) == 0);
        CB_CHECK(!pthread_equal(t, me));
        CB_CHECK(pthread_join(t, &r) == 0);
        CB_CHECK((intptr_t)r == 3 * n);
        CB_CHECK(pthread_getspecific(key) == (void *)(intptr_t)(100 + n));
        CB_CHECK(tls_mark == 6);

        char name[16];
        CB_CHECK(pthread_getname_np(me, name, sizeof name) == 0);
        CB_CHECK(pthread_setspecific(key, NULL) == 0);
    }
out:
    if (n == 3 || cb_failed())
        set_flag(&done);
}

int main(void)
{
    main_thread = pthread_self();
    CHECK_OK(pthread_key_create(&key, NULL));
    CHECK_OK(pthread_setspecific(key, (void *)1));

    foreign_start(&fr, callback, (void *)(intptr_t)1234, 20, 50);
    wait_flag(&done, 20, "three timer callbacks");
    foreign_stop(&fr);
    CHECK_NO_CB_FAILURE();
    CHECK_GE(calls, 3);
    CHECK_EQ((intptr_t)pthread_getspecific(key), 1); /* main's value intact */
    CHECK_EQ(tls_mark, 5);
    printf("%ld timer callbacks\nforeign_timer OK\n", calls);
    return 0;
}
