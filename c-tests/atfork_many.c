// 10,000 fork handlers (the registry grows): all run, prepare handlers in
// reverse order of registration, parent and child handlers in order, on
// the forking thread.  Then one thread keeps registering while another
// forks: no deadlock, and each fork runs parent handlers for exactly the
// handlers whose prepare handler it ran (those registered when it began).
// Last, in a child under a small RLIMIT_AS, registering until the registry
// cannot grow fails with ENOMEM.
#include "common.h"
#include <sys/resource.h>

#define N 10000

static long calls, first_pos, last_pos;
static pthread_t forking;
static int wrong_self;

static void mid(void)
{
    calls++;
    if (!pthread_equal(pthread_self(), forking))
        wrong_self = 1;
}
static void first(void) { first_pos = calls++; }
static void last(void) { last_pos = calls++; }

static void *forker(void *arg)
{
    (void)arg;
    forking = pthread_self();
    calls = 0;
    pid_t pid = fork_checked();
    if (pid == 0) {
        /* prepare: last first, first last; child: first first, last last */
        if (calls != 2 * N || first_pos != N || last_pos != 2 * N - 1)
            _exit(2);
        _exit(0);
    }
    CHECK_EQ(calls, 2 * N);
    CHECK_EQ(first_pos, N);
    CHECK_EQ(last_pos, 2 * N - 1);
    CHECK_MSG(!wrong_self, "a handler ran on another thread than fork()'s");
    wait_child_ok(pid, "child (exit 2: wrong handler count or order)");
    return NULL;
}

/* phase 2 */
static long preps, parents;
static int stop;

static void count_prep(void) { __atomic_add_fetch(&preps, 1, __ATOMIC_RELAXED); }
static void count_parent(void) { __atomic_add_fetch(&parents, 1, __ATOMIC_RELAXED); }

static void *registrar(void *arg)
{
    (void)arg;
    for (int i = 0; i < 20000 && !__atomic_load_n(&stop, __ATOMIC_ACQUIRE); i++) {
        CHECK_OK(pthread_atfork(count_prep, count_parent, NULL));
        if (i % 64 == 0)
            sched_yield();
    }
    return NULL;
}

int main(void)
{
    CHECK_OK(pthread_atfork(first, first, first));
    for (int i = 0; i < N - 2; i++)
        CHECK_OK(pthread_atfork(mid, mid, mid));
    CHECK_OK(pthread_atfork(last, last, last));
    pthread_t t;
    CHECK_OK(pthread_create(&t, NULL, forker, NULL));
    CHECK_OK(pthread_join(t, NULL));

    pthread_t r;
    CHECK_OK(pthread_create(&r, NULL, registrar, NULL));
    for (int i = 0; i < 20; i++) {
        __atomic_store_n(&preps, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&parents, 0, __ATOMIC_RELAXED);
        calls = 0;
        forking = pthread_self();
        pid_t pid = fork_checked();
        if (pid == 0)
            _exit(0);
        CHECK_EQ(__atomic_load_n(&parents, __ATOMIC_RELAXED),
                 __atomic_load_n(&preps, __ATOMIC_RELAXED));
        wait_child_ok(pid, "child");
        sched_yield();
    }
    __atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
    CHECK_OK(pthread_join(r, NULL));
    CHECK_MSG(!wrong_self, "a handler ran on another thread than fork()'s");

    forking = pthread_self();
    pid_t pid = fork_checked();
    if (pid == 0) {
        /* address space: what is mapped now plus 16 MiB */
        long vm_kib = -1;
        char line[256];
        FILE *f = fopen("/proc/self/status", "r");
        while (f && fgets(line, sizeof line, f))
            if (strncmp(line, "VmSize:", 7) == 0)
                vm_kib = strtol(line + 7, NULL, 10);
        if (f)
            fclose(f);
        if (vm_kib <= 0)
            _exit(2);
        struct rlimit rl = {(rlim_t)(vm_kib + 16384) * 1024, RLIM_INFINITY};
        if (setrlimit(RLIMIT_AS, &rl) != 0)
            _exit(3);
        for (long i = 0; i < 100000000L; i++) {
            int r = pthread_atfork(NULL, mid, NULL);
            if (r != 0)
                _exit(r == ENOMEM ? 0 : 4);
        }
        _exit(5);
    }
    wait_child_ok(pid, "child registering under RLIMIT_AS (exit 4: not ENOMEM, 5: never failed)");
    printf("ok\n");
    return 0;
}
