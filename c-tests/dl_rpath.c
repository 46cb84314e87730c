// dl_runpath with DT_RPATH instead of DT_RUNPATH: the program's RPATH
// ($ORIGIN) finds libdlname.so by bare name, and "$ORIGIN/" in the name
// is the caller's (this program's) directory — from the main thread and
// from a created thread.
// LINK: -Wl,-rpath,$ORIGIN -Wl,--disable-new-dtags -ldl
#include "common.h"
#include "dl_search.h"

static void *open_by_name(void)
{
    void *h = dlopen("libdlname.so", RTLD_NOW);
    CHECK_MSG(h != NULL, "dlopen libdlname.so: %s", dlerror());
    int (*id)(void);
    CHECK_DLSYM(h, id, "dlname_id");
    CHECK_EQ(id(), 4242);
    void *o = dlopen("$ORIGIN/libdlname.so", RTLD_NOW);
    CHECK_MSG(o != NULL, "dlopen $ORIGIN/libdlname.so: %s", dlerror());
    CHECK_PTR_EQ(o, h);
    CHECK_EQ(dlclose(o), 0);
    return h;
}

static void *opener(void *arg)
{
    (void)arg;
    return open_by_name();
}

int main(void)
{
    const char *rp = own_dynamic_string(DT_RPATH);
    CHECK_MSG(rp != NULL && strstr(rp, "$ORIGIN") != NULL, "RPATH %s", rp ? rp : "(none)");
    CHECK(own_dynamic_string(DT_RUNPATH) == NULL);

    void *h = open_by_name();
    pthread_t t;
    CHECK_OK(pthread_create(&t, NULL, opener, NULL));
    void *r;
    CHECK_OK(pthread_join(t, &r));
    CHECK_PTR_EQ(r, h);
    CHECK_EQ(dlclose(h), 0);
    CHECK_EQ(dlclose(h), 0);
    puts("dl_rpath OK");
    return 0;
}
