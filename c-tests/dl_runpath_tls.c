// The static-TLS repair after a dlopen found through the caller's RUNPATH:
// a created thread opens the initial-exec TLS library libtlsie.so by bare
// name (this program's RUNPATH is $ORIGIN) while other threads are parked;
// every thread, the main one included, then reads the initialiser 42 and
// owns a private copy.
// LINK: -Wl,-rpath,$ORIGIN -Wl,--enable-new-dtags -ldl
#include "common.h"

#define NT 4
static int *(*p_addr)(void);
static int (*p_get)(void);
static void (*p_set)(int);

static volatile int loaded;
static volatile long ready, checked;
static int *addrs[NT + 2];

static void check_own_copy(long id)
{
    CHECK_EQ(p_get(), 42);
    addrs[id] = p_addr();
    p_set(100 + (int)id);
    sched_yield();
    CHECK_EQ(p_get(), 100 + id);
}

static void *worker(void *arg)
{
    long id = (long)(intptr_t)arg;
    __atomic_fetch_add(&ready, 1, __ATOMIC_ACQ_REL);
    while (!__atomic_load_n(&loaded, __ATOMIC_ACQUIRE))
        sched_yield();
    check_own_copy(id);
    /* stay alive (own TCB) until every thread has checked */
    __atomic_fetch_add(&checked, 1, __ATOMIC_ACQ_REL);
    while (__atomic_load_n(&checked, __ATOMIC_ACQUIRE) < NT + 2)
        sched_yield();
    CHECK_EQ(p_get(), 100 + id);
    return NULL;
}

static void *loader(void *arg)
{
    (void)arg;
    void *h = dlopen("libtlsie.so", RTLD_NOW);
    CHECK_MSG(h != NULL, "dlopen libtlsie.so: %s", dlerror());
    CHECK_DLSYM(h, p_addr, "tlsie_addr");
    CHECK_DLSYM(h, p_get, "tlsie_get");
    CHECK_DLSYM(h, p_set, "tlsie_set");
    set_flag(&loaded);
    check_own_copy(NT);
    __atomic_fetch_add(&checked, 1, __ATOMIC_ACQ_REL);
    while (__atomic_load_n(&checked, __ATOMIC_ACQUIRE) < NT + 2)
        sched_yield();
    return NULL;
}

int main(void)
{
    pthread_t t[NT + 1];
    for (long i = 0; i < NT; i++)
        CHECK_OK(pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i));
    wait_count(&ready, NT, 20, "threads parked");
    CHECK_OK(pthread_create(&t[NT], NULL, loader, NULL));
    wait_flag(&loaded, 20, "library loaded");
    check_own_copy(NT + 1);
    __atomic_fetch_add(&checked, 1, __ATOMIC_ACQ_REL);
    for (int i = 0; i <= NT; i++)
        CHECK_OK(pthread_join(t[i], NULL));
    for (int i = 0; i < NT + 2; i++)
        for (int j = 0; j < i; j++)
            CHECK(addrs[i] != addrs[j]);
    CHECK_EQ(p_get(), 100 + NT + 1);
    puts("dl_runpath_tls OK");
    return 0;
}
