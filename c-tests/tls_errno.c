// Per-thread state: errno is per thread (threads set different values and
// keep them across yields); __thread variables start at their initialisers
// in every new thread (initialised int, zeroed bss array, struct) and
// changes stay private to the thread; &errno and &tls differ per thread.
#include "common.h"

#define NT 16

static __thread int tls_int = 1234;
static __thread long tls_zero[64];
static __thread struct { int a; char s[8]; double d; } tls_struct = {7, "hello", 2.5};
static const char greeting[] = "greetings";
static __thread const char *tls_ptr = greeting; /* relocated initialiser */

static volatile long ready;
static volatile int go;

struct result {
    int *errno_addr;
    int *tls_addr;
    int ok;
};
static struct result res[NT];

static void *worker(void *arg)
{
    long id = (long)(intptr_t)arg;
    struct result *r = &res[id];
    /* initial values */
    CHECK_EQ(tls_int, 1234);
    for (int i = 0; i < 64; i++)
        CHECK_EQ(tls_zero[i], 0);
    CHECK_EQ(tls_struct.a, 7);
    CHECK_STR_EQ(tls_struct.s, "hello");
    CHECK(tls_struct.d == 2.5);
    CHECK_PTR_EQ(tls_ptr, greeting);
    CHECK_EQ(errno, 0);
    r->errno_addr = &errno;
    r->tls_addr = &tls_int;

    /* make them ours */
    tls_int = (int)id * 10;
    for (int i = 0; i < 64; i++)
        tls_zero[i] = id + i;
    tls_struct.a = (int)id;
    snprintf(tls_struct.s, sizeof tls_struct.s, "t%ld", id);
    errno = 1000 + (int)id;

    __atomic_fetch_add(&ready, 1, __ATOMIC_ACQ_REL);
    while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
        sched_yield();
    for (int round = 0; round < 200; round++) {
        sched_yield();
        CHECK_EQ(errno, 1000 + id);
        CHECK_EQ(tls_int, id * 10);
        CHECK_EQ(tls_zero[round % 64], id + round % 64);
        CHECK_EQ(tls_struct.a, id);
        errno = 1000 + (int)id; /* sched_yield may not touch it, but reset */
    }
    /* a failing syscall sets our errno only */
    CHECK(close(-1) == -1);
    CHECK_EQ(errno, EBADF);
    r->ok = 1;
    return NULL;
}

int main(void)
{
    CHECK_PTR_EQ(tls_ptr, greeting);
    tls_ptr = NULL;
    errno = 0;
    tls_int = 5;
    tls_zero[3] = 9;
    tls_struct.a = 99;
    pthread_t t[NT];
    for (long i = 0; i < NT; i++)
        CHECK_OK(pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i));
    wait_count(&ready, NT, 20, "threads ready");
    errno = 77;
    set_flag(&go);
    for (int i = 0; i < NT; i++)
        CHECK_OK(pthread_join(t[i], NULL));
    for (int i = 0; i < NT; i++) {
        CHECK(res[i].ok);
        CHECK(res[i].errno_addr != &errno);
        CHECK(res[i].tls_addr != &tls_int);
        for (int j = 0; j < i; j++) {
            /* all were alive at the same time, so the addresses differ */
            CHECK(res[i].errno_addr != res[j].errno_addr);
            CHECK(res[i].tls_addr != res[j].tls_addr);
        }
    }
    CHECK_EQ(errno, 77);
    CHECK_EQ(tls_int, 5);
    CHECK_EQ(tls_zero[3], 9);
    CHECK_EQ(tls_struct.a, 99);
    CHECK_PTR_EQ(tls_ptr, NULL);
    puts("tls_errno OK");
    return 0;
}
