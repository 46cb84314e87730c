/* Helpers for the dl_* tests: what the running program's own dynamic
 * section says about its search path, and a loaded library's namespace. */
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
#endif
