// MNTHREAD-ONLY
// Sanity check for the preload and linked ways: libmnthread is really in
// the process (mnthread_version is found) and the pthread entry points the
// program calls resolve into it rather than into glibc.
#include "common.h"

static void *noop(void *arg) { return arg; }

int main(void)
{
    CHECK_MSG(under_mnthread(), "mnthread_version not found: library not loaded");
    const char *syms[] = {"pthread_create", "pthread_join", "pthread_self",
                          "pthread_exit", "pthread_detach", "sched_yield",
                          "pthread_key_create", "pthread_once"};
    for (size_t i = 0; i < sizeof syms / sizeof *syms; i++) {
        void *p = dlsym(RTLD_DEFAULT, syms[i]);
        CHECK_MSG(p != NULL, "%s not found", syms[i]);
        Dl_info info;
        CHECK(dladdr(p, &info) != 0);
        CHECK_MSG(info.dli_fname && strstr(info.dli_fname, "mnthread"),
                  "%s resolves to %s, not to libmnthread", syms[i],
                  info.dli_fname ? info.dli_fname : "?");
    }
    /* the direct call binds to the same definition */
    Dl_info info;
    CHECK(dladdr((void *)&pthread_create, &info) != 0);
    CHECK_MSG(strstr(info.dli_fname, "mnthread") != NULL,
              "&pthread_create is in %s", info.dli_fname);
    pthread_t t;
    void *r;
    CHECK_OK(pthread_create(&t, NULL, noop, (void *)3));
    CHECK_OK(pthread_join(t, &r));
    CHECK_EQ((intptr_t)r, 3);
    puts("mnthread_loaded OK");
    return 0;
}
