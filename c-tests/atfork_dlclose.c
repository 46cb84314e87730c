// Fork handlers registered by a dlopen'ed library run (on the forking
// thread) while it is loaded, and never after dlclose has unloaded it (its
// code is gone: a call would crash); the program's own handlers stay.  A
// second load registers afresh.  Forks from a created thread.
#include "common.h"

static int lib_count, main_count;
static pthread_t lib_self;

static void main_prep(void) { main_count++; }

static void *load_register(void)
{
    void *h = dlopen(TEST_LIBDIR "/libatforklib.so", RTLD_NOW | RTLD_LOCAL);
    CHECK_MSG(h != NULL, "dlopen: %s", dlerror());
    int (*reg)(int *, pthread_t *);
    CHECK_DLSYM(h, reg, "atforklib_register");
    CHECK_OK(reg(&lib_count, &lib_self));
    return h;
}

/* fork; the library's handlers add `lib_add` in the parent, `child_lib`
 * in the child */
static void fork_expect(int lib_add, int child_lib)
{
    int before = lib_count, main_before = main_count;
    lib_self = 0;
    pid_t pid = fork_checked();
    if (pid == 0)
        _exit(lib_count - before == child_lib ? 0 : 2);
    CHECK_EQ(lib_count - before, lib_add);
    CHECK_EQ(main_count - main_before, 1);
    if (lib_add)
        CHECK_MSG(pthread_equal(lib_self, pthread_self()),
                  "library prepare handler ran as %#lx, fork() called by %#lx",
                  (unsigned long)lib_self, (unsigned long)pthread_self());
    wait_child_ok(pid, "child (exit 2: wrong library handler count)");
}

static void *forker(void *arg)
{
    (void)arg;
    void *h = load_register();
    fork_expect(11, 101);
    CHECK_EQ(dlclose(h), 0);
    CHECK_MSG(dlopen(TEST_LIBDIR "/libatforklib.so", RTLD_NOW | RTLD_NOLOAD) == NULL,
              "the library is still loaded after dlclose");
    fork_expect(0, 0);
    fork_expect(0, 0);
    h = load_register();
    fork_expect(11, 101);
    CHECK_EQ(dlclose(h), 0);
    fork_expect(0, 0);
    return NULL;
}

int main(void)
{
    CHECK_OK(pthread_atfork(main_prep, NULL, NULL));
    pthread_t t;
    CHECK_OK(pthread_create(&t, NULL, forker, NULL));
    CHECK_OK(pthread_join(t, NULL));
    printf("ok\n");
    return 0;
}
