// TIMEOUT: 40
// A prepare handler that waits for a mutex another thread holds: the wait
// happens on the forking thread in its own context (it parks, the holder
// runs and releases the mutex), also with a single carrier
// (MNTHREAD_CARRIERS=1, where a wait that blocked the carrier would hang;
// run again as a child process with that environment).  The parent and
// child handlers unlock the mutex again.  Forks from the main thread and
// from a created thread.
#include "common.h"

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static int held, in_prepare;

static void prepare(void)
{
    set_flag(&in_prepare);
    pthread_mutex_lock(&m);
}

static void parent(void) { pthread_mutex_unlock(&m); }
static void child(void) { pthread_mutex_unlock(&m); }

static void *holder(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m);
    set_flag(&held);
    wait_flag(&in_prepare, 10, "the prepare handler to start");
    for (int i = 0; i < 100; i++)
        sched_yield();
    pthread_mutex_unlock(&m);
    return NULL;
}

static void fork_while_held(void)
{
    pthread_t h;
    held = in_prepare = 0;
    CHECK_OK(pthread_create(&h, NULL, holder, NULL));
    wait_flag(&held, 10, "the holder to take the mutex");
    pid_t pid = fork_checked();
    if (pid == 0)
        _exit(pthread_mutex_trylock(&m) == 0 ? 0 : 2);
    CHECK_EQ(pthread_mutex_trylock(&m), 0);
    CHECK_OK(pthread_mutex_unlock(&m));
    CHECK_OK(pthread_join(h, NULL));
    wait_child_ok(pid, "child");
}

static void *forker(void *arg)
{
    (void)arg;
    fork_while_held();
    return NULL;
}

static void body(void)
{
    CHECK_OK(pthread_atfork(prepare, parent, child));
    for (int i = 0; i < 5; i++) {
        fork_while_held();
        pthread_t t;
        CHECK_OK(pthread_create(&t, NULL, forker, NULL));
        CHECK_OK(pthread_join(t, NULL));
    }
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "body") == 0) {
        body();
        printf("body ok\n");
        return 0;
    }
    body();
    CHECK_SYS(setenv("MNTHREAD_CARRIERS", "1", 1));
    char out[4096], st[64];
    int s = run_self("body", NULL, out, sizeof out, 15.0);
    CHECK_MSG(s != -1 && WIFEXITED(s) && WEXITSTATUS(s) == 0,
              "with MNTHREAD_CARRIERS=1: %s (a hang: the prepare handler's "
              "wait blocked the only carrier); output:\n%s",
              describe_status(s, st, sizeof st), out);
    printf("ok\n");
    return 0;
}
