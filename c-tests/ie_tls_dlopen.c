// Initial-exec TLS of a library dlopen'ed while threads are alive: glibc
// places it in the static TLS surplus and initialises it in every existing
// thread.  Threads parked (spinning on a flag) during the dlopen must read
// 42 and own a private copy; threads created afterwards read 42 too.
#include "common.h"

#define NT 5
static int *(*p_addr)(void);
static int (*p_get)(void);
static int (*p_get_y)(void);
static void (*p_set)(int);

static volatile int loaded;
static volatile long ready, finished;
static int *addrs[2 * NT];

static void *worker(void *arg)
{
    long id = (long)(intptr_t)arg;
    __atomic_fetch_add(&ready, 1, __ATOMIC_ACQ_REL);
    while (!__atomic_load_n(&loaded, __ATOMIC_ACQUIRE))
        sched_yield();
    CHECK_EQ(p_get(), 42);
    CHECK_EQ(p_get_y(), 0);
    addrs[id] = p_addr();
    p_set(1000 + (int)id);
    for (int i = 0; i < 50; i++) {
        sched_yield();
        CHECK_EQ(p_get(), 1000 + id);
        CHECK_EQ(p_get_y(), -(1000 + id));
    }
    /* keep the thread alive until all have their copy */
    __atomic_fetch_add(&finished, 1, __ATOMIC_ACQ_REL);
    while (__atomic_load_n(&finished, __ATOMIC_ACQUIRE) < 2 * NT)
        sched_yield();
    CHECK_EQ(p_get(), 1000 + id);
    return (void *)1;
}

int main(void)
{
    pthread_t t[2 * NT];
    for (long i = 0; i < NT; i++)
        CHECK_OK(pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i));
    wait_count(&ready, NT, 20, "threads parked");

    const char *path = TEST_LIBDIR "/libtlsie.so";
    void *h = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    CHECK_MSG(h != NULL, "dlopen %s: %s", path, dlerror());
    CHECK_DLSYM(h, p_addr, "tlsie_addr");
    CHECK_DLSYM(h, p_get, "tlsie_get");
    CHECK_DLSYM(h, p_get_y, "tlsie_get_y");
    CHECK_DLSYM(h, p_set, "tlsie_set");

    CHECK_EQ(p_get(), 42);
    p_set(7);
    set_flag(&loaded);

    for (long i = NT; i < 2 * NT; i++)
        CHECK_OK(pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i));
    for (int i = 0; i < 2 * NT; i++) {
        void *r;
        CHECK_OK(pthread_join(t[i], &r));
        CHECK_EQ((intptr_t)r, 1);
    }
    for (int i = 0; i < 2 * NT; i++)
        for (int j = 0; j < i; j++)
            CHECK(addrs[i] != addrs[j]);
    CHECK_EQ(p_get(), 7);
    CHECK_EQ(p_get_y(), -7);
    /* a thread created now still starts from the initialiser */
    CHECK_OK(pthread_create(&t[0], NULL, worker, (void *)(intptr_t)0));
    __atomic_store_n(&finished, 2 * NT - 1, __ATOMIC_RELEASE);
    CHECK_OK(pthread_join(t[0], NULL));
    puts("ie_tls_dlopen OK");
    return 0;
}
