// pthread_atfork handlers run on the thread that called fork(), in its own
// context (Open POSIX pthread_atfork/1-2): the prepare and parent handlers
// see pthread_self() equal to the forking thread, the child handler sees the
// child's own pthread_self() (which is the forking thread's, as in glibc).
// Forks from the main thread before any thread exists, from the main thread
// once threads exist, and from a created thread.  (The child reports
// through its exit status.)
#include "common.h"

static pthread_t prep_self, parent_self, child_self;
static int prep_n, parent_n, child_n;

static void prepare(void)
{
    prep_self = pthread_self();
    prep_n++;
}

static void parent(void)
{
    parent_self = pthread_self();
    parent_n++;
}

static void child(void)
{
    child_self = pthread_self();
    child_n++;
}

static void fork_here(const char *what)
{
    pthread_t me = pthread_self();
    prep_n = parent_n = child_n = 0;
    pid_t pid = fork_checked();
    if (pid == 0) {
        if (child_n != 1)
            _exit(2);
        if (!pthread_equal(child_self, pthread_self()))
            _exit(3);
        if (!pthread_equal(child_self, me))
            _exit(4);
        if (prep_n != 1 || !pthread_equal(prep_self, me))
            _exit(5);
        if (parent_n != 0)
            _exit(6);
        _exit(0);
    }
    CHECK_MSG(prep_n == 1 && parent_n == 1 && child_n == 0,
              "%s: handler calls prepare %d parent %d child %d", what, prep_n,
              parent_n, child_n);
    CHECK_MSG(pthread_equal(prep_self, me),
              "%s: prepare handler ran as %#lx, fork() called by %#lx", what,
              (unsigned long)prep_self, (unsigned long)me);
    CHECK_MSG(pthread_equal(parent_self, me),
              "%s: parent handler ran as %#lx, fork() called by %#lx", what,
              (unsigned long)parent_self, (unsigned long)me);
    /* exit 2..6: the child saw a wrong count or pthread_self() (see above) */
    wait_child_ok(pid, what);
}

static void *nothing(void *arg)
{
    return arg;
}

static void *forker(void *arg)
{
    fork_here((const char *)arg);
    return NULL;
}

int main(void)
{
    CHECK_OK(pthread_atfork(prepare, parent, child));
    fork_here("main thread, no threads yet");

    pthread_t t;
    CHECK_OK(pthread_create(&t, NULL, nothing, NULL));
    CHECK_OK(pthread_join(t, NULL));
    fork_here("main thread after a pthread_create");

    for (int i = 0; i < 3; i++) {
        CHECK_OK(pthread_create(&t, NULL, forker, "created thread"));
        CHECK_OK(pthread_join(t, NULL));
    }
    printf("ok\n");
    return 0;
}
