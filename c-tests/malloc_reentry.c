// A program's own allocator calls pthread functions while it initialises
// itself, as jemalloc and tcmalloc do (pthread_self, mutexes, once, keys,
// atfork, sched_yield). The threads library must never call back into
// malloc from them: this allocator fails the test if it is re-entered on a
// thread that is already inside it, and if any of those calls does not
// return (the harness's timeout). Then threads allocate through it.
#include "common.h"

#define ARENA_BYTES ((size_t)256 << 20)
static _Alignas(64) unsigned char arena[ARENA_BYTES];
static size_t arena_used; /* bumped atomically */
static __thread int inside;
static int initialised;
static pthread_mutex_t alloc_lock; /* initialised by the allocator itself */
static pthread_once_t alloc_once = PTHREAD_ONCE_INIT;
static pthread_key_t alloc_key;
static int forks_seen;

static void reentered(const char *what) {
    static const char msg[] = "malloc_reentry: FAILED: the allocator was re-entered from ";
    write(2, msg, sizeof msg - 1);
    write(2, what, strlen(what));
    write(2, "\n", 1);
    _exit(1);
}

static void on_prepare(void) { pthread_mutex_lock(&alloc_lock); }
static void on_parent(void) { pthread_mutex_unlock(&alloc_lock); }
static void on_child(void) { pthread_mutex_init(&alloc_lock, NULL); /* as jemalloc: the child re-initialises its locks */ __atomic_add_fetch(&forks_seen, 1, __ATOMIC_RELAXED); }
static void once_init(void) {}

/* What jemalloc's initialisation does, in spirit. */
static void alloc_init(void) {
    (void)pthread_self();
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&alloc_lock, &a);
    pthread_mutexattr_destroy(&a);
    pthread_mutex_lock(&alloc_lock);
    pthread_once(&alloc_once, once_init);
    pthread_key_create(&alloc_key, NULL);
    pthread_setspecific(alloc_key, &alloc_key);
    (void)pthread_getspecific(alloc_key);
    pthread_atfork(on_prepare, on_parent, on_child);
    sched_yield();
    pthread_mutex_unlock(&alloc_lock);
}

static void *bump(size_t size, size_t align) {
    if (align < 16)
        align = 16;
    size_t need = size + align + 16;
    size_t at = __atomic_fetch_add(&arena_used, need, __ATOMIC_RELAXED);
    if (at + need > ARENA_BYTES) {
        errno = ENOMEM;
        return NULL;
    }
    uintptr_t p = ((uintptr_t)arena + at + 16 + align - 1) & ~(uintptr_t)(align - 1);
    ((size_t *)p)[-1] = size;
    return (void *)p;
}

static void *allocate(size_t size, size_t align, const char *what) {
    if (inside)
        reentered(what);
    inside = 1;
    if (!__atomic_load_n(&initialised, __ATOMIC_ACQUIRE)) {
        /* Only the first caller can be here: the program is single-threaded
         * until main creates threads, long after the first malloc. */
        __atomic_store_n(&initialised, 1, __ATOMIC_RELEASE);
        alloc_init();
    }
    pthread_mutex_lock(&alloc_lock);
    void *p = bump(size, align);
    pthread_mutex_unlock(&alloc_lock);
    inside = 0;
    return p;
}

void *malloc(size_t n) { return allocate(n, 16, "malloc"); }
void free(void *p) { (void)p; }
void *calloc(size_t n, size_t m) { return allocate(n * m, 16, "calloc"); } /* the arena is zeroed and never reused */
void *realloc(void *old, size_t n) {
    void *p = allocate(n, 16, "realloc");
    if (p && old) {
        size_t had = ((size_t *)old)[-1];
        memcpy(p, old, had < n ? had : n);
    }
    return p;
}
void *memalign(size_t align, size_t n) { return allocate(n, align, "memalign"); }
void *aligned_alloc(size_t align, size_t n) { return allocate(n, align, "aligned_alloc"); }
int posix_memalign(void **out, size_t align, size_t n) {
    void *p = allocate(n, align, "posix_memalign");
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}
void *valloc(size_t n) { return allocate(n, 4096, "valloc"); }
void *pvalloc(size_t n) { return allocate((n + 4095) & ~(size_t)4095, 4096, "pvalloc"); }
size_t malloc_usable_size(void *p) { return p ? ((size_t *)p)[-1] : 0; }

static void *worker(void *arg) {
    long sum = 0;
    for (int i = 0; i < 200; i++) {
        long *v = malloc(64 * sizeof(long));
        CHECK(v != NULL);
        for (int j = 0; j < 64; j++)
            v[j] = (long)arg + j;
        sum += v[63];
        free(v);
        if (i % 50 == 0)
            sched_yield();
    }
    return (void *)sum;
}

int main(void) {
    CHECK(__atomic_load_n(&initialised, __ATOMIC_ACQUIRE) || malloc(1));
    CHECK(initialised);
    enum { N = 16 };
    pthread_t t[N];
    for (long i = 0; i < N; i++)
        CHECK_OK(pthread_create(&t[i], NULL, worker, (void *)i));
    for (long i = 0; i < N; i++) {
        void *r;
        CHECK_OK(pthread_join(t[i], &r));
        CHECK_EQ((long)r, 200 * (i + 63));
    }
    char buf[64];
    snprintf(buf, sizeof buf, "%d %s %.2f", 42, "x", 1.5);
    CHECK_STR_EQ(buf, "42 x 1.50");
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        void *p = malloc(100); /* the child handler released the lock */
        _exit(p && forks_seen == 1 ? 0 : 1);
    }
    wait_child_ok(pid, "fork child");
    printf("malloc_reentry OK\n");
    return 0;
}
