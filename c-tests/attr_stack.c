// Thread stacks as reported by pthread_getattr_np: a 64 KiB stack, a
// user-supplied stack (pthread_attr_setstack on malloc'd memory), the main
// thread's and a default thread's stack all contain the address of a local
// of that thread; detached state is reported; the default stack size is
// RLIMIT_STACK (checked at 8 MiB-ish and in children run with other limits);
// pthread_getattr_default_np / pthread_setattr_default_np.
#include "common.h"
#include <sys/resource.h>

struct probe {
    void *local;       /* address of a local of the thread */
    void *stackaddr;   /* lowest address, from pthread_attr_getstack */
    size_t stacksize;
    size_t guardsize;
    int detachstate;
    int detached_after; /* detachstate after pthread_detach(self) */
    int ok;
};

static volatile int sink;

static void use_stack(size_t bytes)
{
    volatile char buf[bytes];
    for (size_t i = 0; i < bytes; i += 512)
        buf[i] = (char)i;
    sink += buf[bytes / 2];
}

static void fill_probe(struct probe *p)
{
    volatile char local[32];
    local[0] = 1;
    pthread_attr_t a;
    CHECK_OK(pthread_getattr_np(pthread_self(), &a));
    CHECK_OK(pthread_attr_getstack(&a, &p->stackaddr, &p->stacksize));
    CHECK_OK(pthread_attr_getguardsize(&a, &p->guardsize));
    CHECK_OK(pthread_attr_getdetachstate(&a, &p->detachstate));
    CHECK_OK(pthread_attr_destroy(&a));
    p->local = (void *)local;
    sink += local[0];
}

static void *prober(void *arg)
{
    struct probe *p = arg;
    fill_probe(p);
    use_stack(p->stacksize >= 65536 ? 16384 : 4096);
    p->ok = 1;
    return p;
}

static void *detach_self_prober(void *arg)
{
    struct probe *p = arg;
    fill_probe(p);
    /* detaching an already detached thread is EINVAL */
    CHECK_ERR(pthread_detach(pthread_self()),
              p->detachstate == PTHREAD_CREATE_DETACHED ? EINVAL : 0);
    pthread_attr_t a;
    CHECK_OK(pthread_getattr_np(pthread_self(), &a));
    CHECK_OK(pthread_attr_getdetachstate(&a, &p->detached_after));
    CHECK_OK(pthread_attr_destroy(&a));
    __atomic_store_n(&p->ok, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void check_contains(const struct probe *p, const char *what)
{
    CHECK_MSG(addr_in(p->local, p->stackaddr, p->stacksize),
              "%s: local %p not in stack [%p, %p)", what, p->local,
              p->stackaddr, (char *)p->stackaddr + p->stacksize);
}

static struct probe run_probe(const pthread_attr_t *a)
{
    struct probe p;
    memset(&p, 0, sizeof p);
    pthread_t t;
    void *r;
    CHECK_OK(pthread_create(&t, a, prober, &p));
    CHECK_OK(pthread_join(t, &r));
    CHECK_PTR_EQ(r, &p);
    CHECK(p.ok);
    return p;
}

static size_t default_stacksize(void)
{
    pthread_attr_t d;
    size_t sz;
    CHECK_OK(pthread_getattr_default_np(&d));
    CHECK_OK(pthread_attr_getstacksize(&d, &sz));
    CHECK_OK(pthread_attr_destroy(&d));
    return sz;
}

/* Child mode: print the default stack size and a new thread's stack size;
 * with an expected value, check both. */
static int rlimit_child(const char *expect)
{
    struct rlimit rl;
    CHECK_SYS(getrlimit(RLIMIT_STACK, &rl));
    size_t def = default_stacksize();
    struct probe p = run_probe(NULL);
    check_contains(&p, "child thread");
    printf("rlimit=%lld default=%zu thread=%zu\n",
           rl.rlim_cur == RLIM_INFINITY ? -1LL : (long long)rl.rlim_cur, def,
           p.stacksize);
    if (strcmp(expect, "-") != 0) {
        size_t e = strtoull(expect, NULL, 0);
        CHECK_EQ(def, e);
        CHECK_EQ(p.stacksize, e);
    }
    return 0;
}

static void run_with_rlimit(rlim_t lim, const char *expect)
{
    struct rlimit old, rl;
    CHECK_SYS(getrlimit(RLIMIT_STACK, &old));
    if (lim != RLIM_INFINITY && old.rlim_max != RLIM_INFINITY && lim > old.rlim_max)
        return;
    if (lim == RLIM_INFINITY && old.rlim_max != RLIM_INFINITY)
        return;
    rl.rlim_cur = lim;
    rl.rlim_max = old.rlim_max;
    CHECK_SYS(setrlimit(RLIMIT_STACK, &rl));
    static char out[4096];
    char desc[64];
    int st = run_self("rlimit", expect, out, sizeof out, 30);
    CHECK_SYS(setrlimit(RLIMIT_STACK, &old));
    printf("child (limit %s): %s", lim == RLIM_INFINITY ? "unlimited" : expect, out);
    CHECK_MSG(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
              "child ended with %s: %s", describe_status(st, desc, sizeof desc), out);
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "rlimit") == 0)
        return rlimit_child(argv[2]);

    long page = sysconf(_SC_PAGESIZE);
    pthread_attr_t a;

    /* main thread */
    {
        struct probe p;
        fill_probe(&p);
        check_contains(&p, "main thread");
        CHECK_EQ(p.detachstate, PTHREAD_CREATE_JOINABLE);
        CHECK_GE(p.stacksize, 64 * 1024);
    }

    /* default thread: stack contains a local; size = RLIMIT_STACK */
    {
        struct probe p = run_probe(NULL);
        check_contains(&p, "default thread");
        CHECK_EQ(p.detachstate, PTHREAD_CREATE_JOINABLE);
        CHECK_EQ(p.guardsize, page);
        struct rlimit rl;
        CHECK_SYS(getrlimit(RLIMIT_STACK, &rl));
        if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur >= PTHREAD_STACK_MIN &&
            rl.rlim_cur % page == 0) {
            CHECK_EQ(p.stacksize, rl.rlim_cur);
            CHECK_EQ(default_stacksize(), rl.rlim_cur);
        }
        printf("default thread stack %zu bytes\n", p.stacksize);
    }

    /* 64 KiB stack */
    {
        CHECK_OK(pthread_attr_init(&a));
        CHECK_OK(pthread_attr_setstacksize(&a, 64 * 1024));
        struct probe p = run_probe(&a);
        CHECK_OK(pthread_attr_destroy(&a));
        check_contains(&p, "64 KiB thread");
        CHECK_GE(p.stacksize, 64 * 1024);
        CHECK_LE(p.stacksize, 256 * 1024); /* glibc's stack cache: up to 4x */
    }

    /* user-supplied stack, reported exactly */
    {
        size_t sz = 256 * 1024;
        void *mem = NULL;
        CHECK_OK(posix_memalign(&mem, 4096, sz));
        CHECK_OK(pthread_attr_init(&a));
        CHECK_OK(pthread_attr_setstack(&a, mem, sz));
        struct probe p = run_probe(&a);
        CHECK_OK(pthread_attr_destroy(&a));
        CHECK_PTR_EQ(p.stackaddr, mem);
        CHECK_EQ(p.stacksize, sz);
        check_contains(&p, "user-stack thread");
        /* the same memory can be reused for another thread once joined */
        CHECK_OK(pthread_attr_init(&a));
        CHECK_OK(pthread_attr_setstack(&a, mem, sz));
        p = run_probe(&a);
        CHECK_OK(pthread_attr_destroy(&a));
        check_contains(&p, "user-stack thread (reuse)");
        free(mem);
    }

    /* detached: created detached, or detaching itself */
    {
        static struct probe p1, p2;
        pthread_t t;
        CHECK_OK(pthread_attr_init(&a));
        CHECK_OK(pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED));
        CHECK_OK(pthread_create(&t, &a, detach_self_prober, &p1));
        CHECK_OK(pthread_attr_destroy(&a));
        wait_flag(&p1.ok, 20, "detached thread");
        CHECK_EQ(p1.detachstate, PTHREAD_CREATE_DETACHED);
        CHECK_EQ(p1.detached_after, PTHREAD_CREATE_DETACHED);
        check_contains(&p1, "detached thread");

        CHECK_OK(pthread_create(&t, NULL, detach_self_prober, &p2));
        wait_flag(&p2.ok, 20, "self-detaching thread");
        CHECK_EQ(p2.detachstate, PTHREAD_CREATE_JOINABLE);
        CHECK_EQ(p2.detached_after, PTHREAD_CREATE_DETACHED);
    }

    /* process-wide defaults */
    {
        pthread_attr_t saved, d;
        size_t sz;
        CHECK_OK(pthread_getattr_default_np(&saved));
        size_t want = 3 * 1024 * 1024;
        CHECK_OK(pthread_attr_init(&d));
        CHECK_OK(pthread_attr_setstacksize(&d, want));
        CHECK_OK(pthread_setattr_default_np(&d));
        CHECK_OK(pthread_attr_destroy(&d));
        CHECK_EQ(default_stacksize(), want);
        CHECK_OK(pthread_attr_init(&d));
        CHECK_OK(pthread_attr_getstacksize(&d, &sz));
        CHECK_EQ(sz, want);
        CHECK_OK(pthread_attr_destroy(&d));
        struct probe p = run_probe(NULL);
        CHECK_GE(p.stacksize, want);
        /* (glibc may hand out a cached, somewhat larger stack) */
        check_contains(&p, "thread after setattr_default_np");
        /* restore */
        CHECK_OK(pthread_setattr_default_np(&saved));
        CHECK_OK(pthread_attr_getstacksize(&saved, &sz));
        CHECK_EQ(default_stacksize(), sz);
        CHECK_OK(pthread_attr_destroy(&saved));
    }

    /* default stack size follows RLIMIT_STACK in fresh processes */
    run_with_rlimit(4 * 1024 * 1024, "4194304");
    run_with_rlimit(16 * 1024 * 1024, "16777216");
    run_with_rlimit(RLIM_INFINITY, "-");

    puts("attr_stack OK");
    return 0;
}
