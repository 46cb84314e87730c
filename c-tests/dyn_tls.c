// Dynamic TLS of a dlopen'ed library (global-dynamic model through
// __tls_get_addr): initialised in threads that existed before the dlopen
// and in threads created after; values per thread; a large TLS block too.
#include "common.h"

#define NT 6
static int *(*p_addr)(void);
static int (*p_get)(void);
static void (*p_set)(int);
static long (*p_pair_sum)(void);
static int (*p_check_fresh)(void);
static void (*p_scribble)(int);
static int (*p_check_scribble)(int);

static volatile int loaded;
static volatile long ready, phase2;
static int *addrs[2 * NT];

static void exercise(long id)
{
    CHECK_EQ(p_get(), 100);
    CHECK_EQ(p_pair_sum(), 7);
    CHECK(p_check_fresh());
    addrs[id] = p_addr();
    p_set((int)id * 3);
    p_scribble((int)id + 1);
    for (int i = 0; i < 100; i++) {
        sched_yield();
        CHECK_EQ(p_get(), id * 3);
        CHECK(p_check_scribble((int)id + 1));
    }
    CHECK_PTR_EQ(p_addr(), addrs[id]);
}

static void *early(void *arg)
{
    long id = (long)(intptr_t)arg;
    __atomic_fetch_add(&ready, 1, __ATOMIC_ACQ_REL);
    while (!__atomic_load_n(&loaded, __ATOMIC_ACQUIRE))
        sched_yield();
    exercise(id);
    /* stay alive until everyone has taken its address */
    __atomic_fetch_add(&phase2, 1, __ATOMIC_ACQ_REL);
    while (__atomic_load_n(&phase2, __ATOMIC_ACQUIRE) < 2 * NT)
        sched_yield();
    return (void *)1;
}

static void *late(void *arg)
{
    long id = (long)(intptr_t)arg;
    exercise(id);
    __atomic_fetch_add(&phase2, 1, __ATOMIC_ACQ_REL);
    while (__atomic_load_n(&phase2, __ATOMIC_ACQUIRE) < 2 * NT)
        sched_yield();
    return (void *)1;
}

int main(void)
{
    pthread_t t[2 * NT];
    for (long i = 0; i < NT; i++)
        CHECK_OK(pthread_create(&t[i], NULL, early, (void *)(intptr_t)i));
    wait_count(&ready, NT, 20, "early threads");

    const char *path = TEST_LIBDIR "/libtlsgd.so";
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    CHECK_MSG(h != NULL, "dlopen %s: %s", path, dlerror());
    CHECK_DLSYM(h, p_addr, "tlsgd_addr");
    CHECK_DLSYM(h, p_get, "tlsgd_get");
    CHECK_DLSYM(h, p_set, "tlsgd_set");
    CHECK_DLSYM(h, p_pair_sum, "tlsgd_pair_sum");
    CHECK_DLSYM(h, p_check_fresh, "tlsgd_check_fresh");
    CHECK_DLSYM(h, p_scribble, "tlsgd_scribble");
    CHECK_DLSYM(h, p_check_scribble, "tlsgd_check_scribble");

    /* main thread */
    CHECK_EQ(p_get(), 100);
    CHECK(p_check_fresh());
    p_set(-1);
    set_flag(&loaded);

    for (long i = NT; i < 2 * NT; i++)
        CHECK_OK(pthread_create(&t[i], NULL, late, (void *)(intptr_t)i));
    for (int i = 0; i < 2 * NT; i++) {
        void *r;
        CHECK_OK(pthread_join(t[i], &r));
        CHECK_EQ((intptr_t)r, 1);
    }
    for (int i = 0; i < 2 * NT; i++) {
        CHECK(addrs[i] != p_addr());
        for (int j = 0; j < i; j++)
            CHECK(addrs[i] != addrs[j]);
    }
    CHECK_EQ(p_get(), -1);
    CHECK_OK(dlclose(h));
    puts("dyn_tls OK");
    return 0;
}
