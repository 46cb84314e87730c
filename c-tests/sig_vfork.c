// ONE-CARRIER
// TIMEOUT: 30
// A vfork child shares its parent's memory but has dispositions of its own
// in the kernel: one that resets a handled signal to SIG_DFL before it
// execs or exits (as CPython's subprocess does for every handled signal)
// leaves the parent's handler in place — from the main thread before any
// thread exists and from a thread — and the parent's next signal still
// runs it.
#include "common.h"

static volatile int got;

static void on_int(int sig)
{
    got = sig;
}

static void vfork_and_reset(int exec)
{
    pid_t p = vfork();
    if (p == 0) {
        signal(SIGINT, SIG_DFL);
        if (exec)
            execl("/bin/true", "true", (char *)NULL);
        _exit(0);
    }
    CHECK_SYS(p);
    int st;
    CHECK_EQ(waitpid(p, &st, 0), p);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    struct sigaction o;
    CHECK_SYS(sigaction(SIGINT, NULL, &o));
    CHECK(o.sa_handler == on_int);
    got = 0;
    CHECK_SYS(kill(getpid(), SIGINT));
    /* From a thread the process's signal may go to another thread. */
    for (int i = 0; i < 2000 && !got; i++)
        usleep(1000);
    CHECK_EQ(got, SIGINT);
}

static void *in_thread(void *arg)
{
    vfork_and_reset(1);
    vfork_and_reset(0);
    return arg;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_int;
    sigemptyset(&sa.sa_mask);
    CHECK_SYS(sigaction(SIGINT, &sa, NULL));
    vfork_and_reset(0);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, in_thread, NULL), 0);
    CHECK_EQ(pthread_join(t, NULL), 0);
    return 0;
}
