// Helper library for atfork_dlclose: fork handlers registered by a library
// that is dlopen'ed and later dlclose'd.  Each handler adds to the caller's
// counter (prepare 1, parent 10, child 100); prepare records pthread_self().
#include <pthread.h>

static int *counter;
static pthread_t *prep_self;

static void prep(void)
{
    *counter += 1;
    *prep_self = pthread_self();
}
static void par(void) { *counter += 10; }
static void chi(void) { *counter += 100; }

int atforklib_register(int *c, pthread_t *who)
{
    counter = c;
    prep_self = who;
    return pthread_atfork(prep, par, chi);
}
