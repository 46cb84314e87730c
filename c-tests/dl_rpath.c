// dl_runpath with DT_RPATH instead of DT_RUNPATH: the program's RPATH
// ($ORIGIN) finds libdlname.so by bare name, and "$ORIGIN/" in the name
// is the caller's (this program's) directory — from the main thread and
// from a created thread.
// LINK: -Wl,-rpath,$ORIGIN -Wl,--disable-new-dtags -ldl
#include "common.h"
#include "dl_search.h"

/* dlopen called from this frame (dlopen itself might be a tail jump). */
static void *open_here(const char *name, int mode)
{
    void *h = dlopen(name, mode);
    __asm__ volatile("" ::: "memory");
    return h;
}

static void *opener(void *arg)
{
    (void)arg;
    open_dlname_with(open_here);
    return (void *)1;
}

int main(void)
{
    const char *rp = own_dynamic_string(DT_RPATH);
    CHECK_MSG(rp != NULL && strstr(rp, "$ORIGIN") != NULL, "RPATH %s", rp ? rp : "(none)");
    CHECK(own_dynamic_string(DT_RUNPATH) == NULL);

    open_dlname_with(open_here);
    pthread_t t;
    CHECK_OK(pthread_create(&t, NULL, opener, NULL));
    void *r;
    CHECK_OK(pthread_join(t, &r));
    CHECK_EQ((intptr_t)r, 1);
    puts("dl_rpath OK");
    return 0;
}
