// Out of memory is an error code, never an abort (after musl libc-test's
// regression/pthread_create-oom): with the address space filled and malloc
// exhausted, the process's first pthread_create fails with EAGAIN, the
// other exports still answer, and once memory is back threads are created
// as usual (the runtime that could not start the first time starts then).
// A second round does the same with the runtime already running: a timed
// wait (which files a deadline) and a create under OOM.
// TIMEOUT: 120
#include "common.h"
#include <sys/resource.h>

#define MAX_FILLS 4096
static void *fills[MAX_FILLS];
static size_t fill_len[MAX_FILLS];
static int nfills;

/* Fills the address space with PROT_NONE mappings (largest first), limits
 * the data segment, then takes whatever malloc still has. */
static void fill_memory(void) {
    for (size_t len = (size_t)1 << 46; len >= 4096 && nfills < MAX_FILLS; ) {
        void *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) {
            len /= 2;
            continue;
        }
        fills[nfills] = p;
        fill_len[nfills++] = len;
    }
    struct rlimit rl = {0, 0};
    CHECK_SYS(getrlimit(RLIMIT_DATA, &rl));
    rl.rlim_cur = 0;
    CHECK_SYS(setrlimit(RLIMIT_DATA, &rl));
    while (malloc(16)) {
    }
}

static void free_memory(void) {
    for (int i = 0; i < nfills; i++)
        CHECK_SYS(munmap(fills[i], fill_len[i]));
    nfills = 0;
    struct rlimit rl;
    CHECK_SYS(getrlimit(RLIMIT_DATA, &rl));
    rl.rlim_cur = rl.rlim_max;
    CHECK_SYS(setrlimit(RLIMIT_DATA, &rl));
}

static void *ret_arg(void *arg) { return arg; }

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

/* The exports a program calls under OOM keep working. */
static void exports_answer(void) {
    CHECK(pthread_equal(pthread_self(), pthread_self()));
    CHECK_OK(pthread_mutex_lock(&m));
    CHECK_OK(pthread_mutex_unlock(&m));
    pthread_key_t k;
    int r = pthread_key_create(&k, NULL);
    CHECK_MSG(r == 0 || r == EAGAIN || r == ENOMEM, "pthread_key_create: %d", r);
    if (r == 0)
        CHECK_OK(pthread_key_delete(k));
    CHECK_OK(sched_yield());
}

int main(void) {
    /* Round 1: nothing started yet. */
    fill_memory();
    pthread_t t;
    int r = pthread_create(&t, NULL, ret_arg, NULL);
    CHECK_MSG(r == EAGAIN, "first pthread_create under OOM returned %d (%s), want EAGAIN", r, strerror(r));
    exports_answer();
    free_memory();
    void *ret;
    CHECK_OK(pthread_create(&t, NULL, ret_arg, (void *)7L));
    CHECK_OK(pthread_join(t, &ret));
    CHECK_EQ((long)ret, 7L);

    /* Round 2: threads exist; a timed wait and a create under OOM. */
    pthread_t kept[4];
    for (int i = 0; i < 4; i++)
        CHECK_OK(pthread_create(&kept[i], NULL, ret_arg, (void *)(long)i));
    fill_memory();
    r = pthread_create(&t, NULL, ret_arg, NULL);
    CHECK_MSG(r == EAGAIN || r == 0, "pthread_create under OOM returned %d (%s)", r, strerror(r));
    if (r == 0) /* a pooled descriptor and stack may still be at hand */
        CHECK_OK(pthread_join(t, NULL));
    CHECK_OK(pthread_mutex_lock(&m));
    CHECK_EQ(pthread_cond_timedwait(&cv, &m, &(struct timespec){0, 0}), ETIMEDOUT);
    struct timespec soon;
    clock_gettime(CLOCK_REALTIME, &soon);
    soon.tv_nsec += 2000000;
    if (soon.tv_nsec >= 1000000000) {
        soon.tv_sec++;
        soon.tv_nsec -= 1000000000;
    }
    CHECK_EQ(pthread_cond_timedwait(&cv, &m, &soon), ETIMEDOUT);
    CHECK_OK(pthread_mutex_unlock(&m));
    exports_answer();
    for (int i = 0; i < 4; i++) {
        CHECK_OK(pthread_join(kept[i], &ret));
        CHECK_EQ((long)ret, (long)i);
    }
    free_memory();
    for (int i = 0; i < 100; i++) {
        CHECK_OK(pthread_create(&t, NULL, ret_arg, (void *)(long)i));
        CHECK_OK(pthread_join(t, &ret));
        CHECK_EQ((long)ret, (long)i);
    }
    printf("create_oom OK\n");
    return 0;
}
