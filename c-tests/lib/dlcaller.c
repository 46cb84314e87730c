// Helper library for the dl_* tests: a library that calls dlopen itself.
// Its own RUNPATH is $ORIGIN (its directory, the build directory), so a
// bare name it opens is found there; the programs that load it have none.
// The empty asm after each call keeps it a call (a tail jump would make
// the program the caller).
// LINK: -Wl,-rpath,$ORIGIN -Wl,--enable-new-dtags
#define _GNU_SOURCE 1
#include <dlfcn.h>

void *dlcaller_open(const char *name, int mode)
{
    void *h = dlopen(name, mode);
    __asm__ volatile("" ::: "memory");
    return h;
}

void *dlcaller_mopen(Lmid_t ns, const char *name, int mode)
{
    void *h = dlmopen(ns, name, mode);
    __asm__ volatile("" ::: "memory");
    return h;
}
