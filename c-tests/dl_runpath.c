// dlopen searches the *caller's* path: this program's RUNPATH is $ORIGIN
// (the build directory), so libdlname.so opens by bare name, and by
// "$ORIGIN/libdlname.so", from the main thread and from a created thread
// while others run.  Code in no object (a JIT stub that calls dlopen)
// counts as the main program, so it finds the library too.  dlmopen
// (LM_ID_NEWLM) by bare name uses the same RUNPATH, and a library in that
// namespace opening another (by its own RUNPATH) gets it in that namespace.
// LINK: -Wl,-rpath,$ORIGIN -Wl,--enable-new-dtags -ldl
#include "common.h"
#include "dl_search.h"

typedef void *(*open_fn)(const char *, int);

static volatile int stop;
static volatile long spinning;

/* dlopen called from this frame (dlopen itself might be a tail jump). */
static void *open_here(const char *name, int mode)
{
    void *h = dlopen(name, mode);
    __asm__ volatile("" ::: "memory");
    return h;
}

/* An anonymous executable page whose code calls dlopen (rsp stays aligned). */
static open_fn jit_opener(void)
{
    unsigned char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED);
    static const unsigned char head[] = {0x48, 0x83, 0xec, 0x08, 0x48, 0xb8};
    static const unsigned char tail[] = {0xff, 0xd0, 0x48, 0x83, 0xc4, 0x08, 0xc3};
    void *target = (void *)dlopen;
    memcpy(p, head, sizeof head);
    memcpy(p + sizeof head, &target, sizeof target);
    memcpy(p + sizeof head + sizeof target, tail, sizeof tail);
    Dl_info info;
    CHECK(dladdr(p, &info) == 0);
    return (open_fn)p;
}

static void *spinner(void *arg)
{
    (void)arg;
    __atomic_fetch_add(&spinning, 1, __ATOMIC_ACQ_REL);
    while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE))
        sched_yield();
    return NULL;
}

static void *opener(void *arg)
{
    (void)arg;
    open_dlname_with(open_here);
    /* a failed bare-name open reports glibc's error, once */
    CHECK(dlopen("libdl_no_such_library.so", RTLD_NOW) == NULL);
    const char *e = dlerror();
    CHECK(e != NULL && strstr(e, "libdl_no_such_library.so") != NULL);
    CHECK(dlerror() == NULL);
    return (void *)1;
}

int main(void)
{
    const char *rp = own_dynamic_string(DT_RUNPATH);
    CHECK_MSG(rp != NULL && strstr(rp, "$ORIGIN") != NULL, "RUNPATH %s", rp ? rp : "(none)");
    CHECK(own_dynamic_string(DT_RPATH) == NULL);

    open_dlname_with(open_here);
    open_dlname_with(jit_opener());

    void *c = dlmopen(LM_ID_NEWLM, "libdlcaller.so", RTLD_NOW);
    CHECK_MSG(c != NULL, "dlmopen libdlcaller.so: %s", dlerror());
    Lmid_t ns = lmid_of(c);
    CHECK_NE(ns, LM_ID_BASE);
    void *(*caller_open)(const char *, int);
    CHECK_DLSYM(c, caller_open, "dlcaller_open");
    void *n = caller_open("libdlname.so", RTLD_NOW);
    CHECK_MSG(n != NULL, "dlopen from namespace %ld: %s", (long)ns, dlerror());
    CHECK_EQ(lmid_of(n), ns);
    check_dlname_unloaded(); /* not in the base namespace */
    void *m = dlmopen(ns, "libdlname.so", RTLD_NOW);
    CHECK_MSG(m != NULL, "dlmopen(%ld, libdlname.so): %s", (long)ns, dlerror());
    CHECK_PTR_EQ(m, n);
    CHECK_EQ(dlclose(m), 0);
    CHECK_EQ(dlclose(n), 0);
    CHECK_EQ(dlclose(c), 0);

    pthread_t s[2], t;
    for (int i = 0; i < 2; i++)
        CHECK_OK(pthread_create(&s[i], NULL, spinner, NULL));
    wait_count(&spinning, 2, 20, "spinners running");
    CHECK_OK(pthread_create(&t, NULL, opener, NULL));
    void *r;
    CHECK_OK(pthread_join(t, &r));
    CHECK_EQ((intptr_t)r, 1);
    set_flag(&stop);
    for (int i = 0; i < 2; i++)
        CHECK_OK(pthread_join(s[i], NULL));
    open_dlname_with(open_here);
    puts("dl_runpath OK");
    return 0;
}
