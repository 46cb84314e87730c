// The caller of dlopen is a library, not the program: libdlcaller.so has
// RUNPATH $ORIGIN, this program has none, so a bare name the library
// opens is found (and "$ORIGIN/" in it is the library's directory) while
// the same name opened by the program is not — from the main thread and
// from a created thread; dlmopen through the library likewise.
// LINK: -ldl
#include "common.h"
#include "dl_search.h"

static void *(*caller_open)(const char *, int);
static void *(*caller_mopen)(Lmid_t, const char *, int);

static void *opener(void *arg)
{
    (void)arg;
    open_dlname_with(caller_open);
    return (void *)1;
}

int main(void)
{
    /* (linked: the RUNPATH names mnthread's directory only) */
    const char *rp = own_dynamic_string(DT_RUNPATH);
    CHECK(rp == NULL || strstr(rp, "$ORIGIN") == NULL);
    CHECK(own_dynamic_string(DT_RPATH) == NULL);
    /* the program itself cannot find it */
    CHECK(dlopen("libdlname.so", RTLD_NOW) == NULL);
    CHECK(dlerror() != NULL);

    const char *path = TEST_LIBDIR "/libdlcaller.so";
    void *c = dlopen(path, RTLD_NOW);
    CHECK_MSG(c != NULL, "dlopen %s: %s", path, dlerror());
    CHECK_DLSYM(c, caller_open, "dlcaller_open");
    CHECK_DLSYM(c, caller_mopen, "dlcaller_mopen");

    open_dlname_with(caller_open);
    pthread_t t;
    CHECK_OK(pthread_create(&t, NULL, opener, NULL));
    void *r;
    CHECK_OK(pthread_join(t, &r));
    CHECK_EQ((intptr_t)r, 1);

    void *m = caller_mopen(LM_ID_NEWLM, "libdlname.so", RTLD_NOW);
    CHECK_MSG(m != NULL, "dlmopen from libdlcaller.so: %s", dlerror());
    CHECK_NE(lmid_of(m), LM_ID_BASE);
    CHECK_EQ(dlclose(m), 0);
    CHECK_EQ(dlclose(c), 0);
    puts("dl_caller_lib OK");
    return 0;
}
