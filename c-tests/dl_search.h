/* Helpers for the dl_* tests: what the running program's own dynamic
 * section says about its search path, a loaded library's namespace, and
 * a check that a name is searched afresh. */
#ifndef MNTHREAD_TEST_DL_SEARCH_H
#define MNTHREAD_TEST_DL_SEARCH_H
#include <link.h>

/* The string of the program's DT_RUNPATH or DT_RPATH entry (tag), or NULL. */
static inline const char *own_dynamic_string(ElfW(Sxword) tag)
{
    const char *strtab = NULL;
    ElfW(Addr) off = 0;
    int found = 0;
    for (const ElfW(Dyn) *d = _DYNAMIC; d->d_tag != DT_NULL; d++) {
        if (d->d_tag == DT_STRTAB)
            strtab = (const char *)d->d_un.d_ptr;
        if (d->d_tag == tag) {
            off = d->d_un.d_val;
            found = 1;
        }
    }
    return found && strtab ? strtab + off : NULL;
}

static inline Lmid_t lmid_of(void *h)
{
    Lmid_t ns = -1;
    CHECK_MSG(dlinfo(h, RTLD_DI_LMID, &ns) == 0, "dlinfo: %s", dlerror());
    return ns;
}

/* libdlname.so is not loaded: an open by its bare name must search (a
 * loaded object would match the name without any search). */
static inline void check_dlname_unloaded(void)
{
    CHECK(dlopen("libdlname.so", RTLD_NOW | RTLD_NOLOAD) == NULL);
    dlerror();
}

/* Opens libdlname.so (searched afresh) by bare name and as
 * "$ORIGIN/libdlname.so" through `open`, checks both are it, closes both. */
static inline void open_dlname_with(void *(*open)(const char *, int))
{
    check_dlname_unloaded();
    void *h = open("libdlname.so", RTLD_NOW);
    CHECK_MSG(h != NULL, "dlopen libdlname.so: %s", dlerror());
    CHECK(dlerror() == NULL);
    int (*id)(void);
    CHECK_DLSYM(h, id, "dlname_id");
    CHECK_EQ(id(), 4242);
    CHECK_EQ(dlclose(h), 0);
    check_dlname_unloaded();
    void *o = open("$ORIGIN/libdlname.so", RTLD_NOW);
    CHECK_MSG(o != NULL, "dlopen $ORIGIN/libdlname.so: %s", dlerror());
    CHECK_DLSYM(o, id, "dlname_id");
    CHECK_EQ(id(), 4242);
    CHECK_EQ(dlclose(o), 0);
    check_dlname_unloaded();
}
#endif
