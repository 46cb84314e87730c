// ONE-CARRIER
// TIMEOUT: 30
// Per-thread signal masks: pthread_sigmask and sigprocmask (which on Linux
// also sets only the calling thread's mask) with SIG_BLOCK, SIG_UNBLOCK and
// SIG_SETMASK give the right new mask and the right old set; a bad `how`
// is EINVAL (pthread_sigmask returns it, sigprocmask sets errno) and leaves
// the mask alone; SIGKILL and SIGSTOP are silently not blocked; a new
// thread starts with its creator's mask (a non-main creator's too), and a
// change in one thread does not show in another;
// pthread_attr_setsigmask_np / pthread_attr_getsigmask_np (getsigmask_np
// returns PTHREAD_ATTR_NO_SIGMASK_NP while unset; a thread created with the
// attribute starts with that mask, not its creator's); sigpending is the
// union of the thread's own pending set and the process's: a pthread_kill'd
// signal shows only in its target, a kill(getpid()) one blocked everywhere
// shows in every thread; unblocking a pending signal runs its handler on
// that thread before pthread_sigmask returns.
#include "common.h"

static volatile sig_atomic_t got_usr1, got_usr2;
static volatile pthread_t usr1_on, usr2_on;

static void on_usr1(int sig)
{
    (void)sig;
    usr1_on = pthread_self();
    got_usr1++;
}

static void on_usr2(int sig)
{
    (void)sig;
    usr2_on = pthread_self();
    got_usr2++;
}

static sigset_t cur_mask(void)
{
    sigset_t s;
    CHECK_OK(pthread_sigmask(SIG_BLOCK, NULL, &s));
    return s;
}

static sigset_t set_of(int a, int b, int c)
{
    sigset_t s;
    sigemptyset(&s);
    if (a)
        sigaddset(&s, a);
    if (b)
        sigaddset(&s, b);
    if (c)
        sigaddset(&s, c);
    return s;
}

/* The signals a test looks at: the classic ones and a real-time one. */
static const int watched[] = {SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE,
                              SIGALRM, SIGTERM, SIGCHLD, SIGCONT, SIGWINCH, SIGKILL,
                              SIGSTOP};

/* Among the watched signals (and SIGRTMIN+1), `s` holds exactly those of `want`. */
static void check_same_(const sigset_t *s, const sigset_t *want, int line)
{
    for (size_t i = 0; i < sizeof watched / sizeof watched[0]; i++) {
        int sig = watched[i];
        if (sigismember(s, sig) != sigismember(want, sig))
            TEST_FAIL_("line %d: signal %s is %sin the set, expected %s", line,
                       sigabbrev_np(sig), sigismember(s, sig) ? "" : "not ",
                       sigismember(want, sig) ? "in" : "out");
    }
    if (sigismember(s, SIGRTMIN + 1) != sigismember(want, SIGRTMIN + 1))
        TEST_FAIL_("line %d: SIGRTMIN+1 differs", line);
}
#define CHECK_SET(s, want)                                                 \
    do {                                                                   \
        sigset_t s_ = (s), w_ = (want);                                    \
        check_same_(&s_, &w_, __LINE__);                                   \
    } while (0)

static void how_and_old_sets(void)
{
    sigset_t empty = set_of(0, 0, 0), old, s;
    CHECK_OK(pthread_sigmask(SIG_SETMASK, &empty, NULL));
    CHECK_SET(cur_mask(), empty);

    s = set_of(SIGUSR1, SIGHUP, 0);
    CHECK_OK(pthread_sigmask(SIG_BLOCK, &s, &old));
    CHECK_SET(old, empty);
    CHECK_SET(cur_mask(), set_of(SIGUSR1, SIGHUP, 0));

    s = set_of(SIGUSR2, SIGRTMIN + 1, 0);
    CHECK_OK(pthread_sigmask(SIG_BLOCK, &s, &old));
    CHECK_SET(old, set_of(SIGUSR1, SIGHUP, 0));
    sigset_t four = set_of(SIGUSR1, SIGHUP, SIGUSR2);
    sigaddset(&four, SIGRTMIN + 1);
    CHECK_SET(cur_mask(), four);

    s = set_of(SIGHUP, SIGTERM, 0); /* SIGTERM was not blocked: no matter */
    CHECK_OK(pthread_sigmask(SIG_UNBLOCK, &s, &old));
    CHECK_SET(old, four);
    sigset_t three = set_of(SIGUSR1, SIGUSR2, 0);
    sigaddset(&three, SIGRTMIN + 1);
    CHECK_SET(cur_mask(), three);

    s = set_of(SIGALRM, 0, 0);
    CHECK_OK(pthread_sigmask(SIG_SETMASK, &s, &old));
    CHECK_SET(old, three);
    CHECK_SET(cur_mask(), set_of(SIGALRM, 0, 0));

    /* A NULL set only reads, whatever `how` says. */
    CHECK_OK(pthread_sigmask(SIG_UNBLOCK, NULL, &old));
    CHECK_SET(old, set_of(SIGALRM, 0, 0));
    CHECK_OK(pthread_sigmask(SIG_SETMASK, NULL, &old));
    CHECK_SET(old, set_of(SIGALRM, 0, 0));

    /* A bad `how`: EINVAL, the mask and the old set left alone. */
    s = set_of(SIGUSR1, 0, 0);
    sigset_t marker = set_of(SIGWINCH, SIGCONT, 0);
    old = marker;
    CHECK_ERR(pthread_sigmask(12345, &s, &old), EINVAL);
    CHECK_ERR(pthread_sigmask(-1, &s, NULL), EINVAL);
    CHECK_SET(cur_mask(), set_of(SIGALRM, 0, 0));
    CHECK_FAILS(sigprocmask(777, &s, NULL), EINVAL);
    CHECK_SET(cur_mask(), set_of(SIGALRM, 0, 0));

    /* sigprocmask sets the calling thread's mask and reports the old one. */
    CHECK_SYS(sigprocmask(SIG_BLOCK, &s, &old));
    CHECK_SET(old, set_of(SIGALRM, 0, 0));
    CHECK_SET(cur_mask(), set_of(SIGALRM, SIGUSR1, 0));
    CHECK_SYS(sigprocmask(SIG_UNBLOCK, &s, NULL));
    CHECK_SYS(sigprocmask(SIG_BLOCK, NULL, &old));
    CHECK_SET(old, set_of(SIGALRM, 0, 0));

    /* SIGKILL and SIGSTOP: accepted in the set, never blocked. */
    s = set_of(SIGKILL, SIGSTOP, SIGUSR2);
    CHECK_OK(pthread_sigmask(SIG_BLOCK, &s, NULL));
    CHECK_SET(cur_mask(), set_of(SIGALRM, SIGUSR2, 0));
    CHECK_SYS(sigprocmask(SIG_SETMASK, &s, NULL));
    CHECK_SET(cur_mask(), set_of(SIGUSR2, 0, 0));
    sigset_t all;
    sigfillset(&all);
    CHECK_OK(pthread_sigmask(SIG_SETMASK, &all, NULL));
    sigset_t m = cur_mask();
    CHECK(!sigismember(&m, SIGKILL));
    CHECK(!sigismember(&m, SIGSTOP));
    CHECK(sigismember(&m, SIGUSR1));
    CHECK(sigismember(&m, SIGTERM));
    CHECK(sigismember(&m, SIGSEGV));
    CHECK(sigismember(&m, SIGRTMIN));
    CHECK(sigismember(&m, SIGRTMAX));

    CHECK_OK(pthread_sigmask(SIG_SETMASK, &empty, NULL));
    CHECK_SET(cur_mask(), empty);
}

/* ---- inheritance and independence ---- */

static sigset_t seen_in_child, seen_in_grandchild;
static volatile int child_blocked, main_checked, grandchild_done;

static void *grandchild(void *arg)
{
    seen_in_grandchild = cur_mask();
    /* A change here does not reach the creator. */
    sigset_t s = set_of(SIGWINCH, 0, 0);
    CHECK_OK(pthread_sigmask(SIG_BLOCK, &s, NULL));
    return arg;
}

static void *child(void *arg)
{
    seen_in_child = cur_mask();
    /* Block SIGTERM here only; main must not see it. */
    sigset_t s = set_of(SIGTERM, 0, 0);
    CHECK_OK(pthread_sigmask(SIG_BLOCK, &s, NULL));
    set_flag(&child_blocked);
    wait_flag(&main_checked, 20, "main to look at its own mask");
    /* Main unblocked SIGHUP in the meantime: still blocked here. */
    sigset_t m = cur_mask();
    CHECK(sigismember(&m, SIGHUP));
    CHECK(sigismember(&m, SIGTERM));
    /* This thread's mask is what its own thread inherits. */
    pthread_t g;
    CHECK_OK(pthread_create(&g, NULL, grandchild, NULL));
    CHECK_OK(pthread_join(g, NULL));
    CHECK_SET(cur_mask(), set_of(SIGUSR1, SIGHUP, SIGTERM));
    return arg;
}

static void inheritance(void)
{
    sigset_t s = set_of(SIGUSR1, SIGHUP, 0);
    CHECK_OK(pthread_sigmask(SIG_SETMASK, &s, NULL));
    pthread_t t;
    CHECK_OK(pthread_create(&t, NULL, child, NULL));
    wait_flag(&child_blocked, 20, "the child to block SIGTERM");
    CHECK_SET(seen_in_child, set_of(SIGUSR1, SIGHUP, 0));
    CHECK_SET(cur_mask(), set_of(SIGUSR1, SIGHUP, 0));
    s = set_of(SIGHUP, 0, 0);
    CHECK_OK(pthread_sigmask(SIG_UNBLOCK, &s, NULL));
    CHECK_SET(cur_mask(), set_of(SIGUSR1, 0, 0));
    set_flag(&main_checked);
    CHECK_OK(pthread_join(t, NULL));
    CHECK_SET(seen_in_grandchild, set_of(SIGUSR1, SIGHUP, SIGTERM));
    CHECK_SET(cur_mask(), set_of(SIGUSR1, 0, 0));
    sigset_t empty = set_of(0, 0, 0);
    CHECK_OK(pthread_sigmask(SIG_SETMASK, &empty, NULL));
}

/* ---- pthread_attr_setsigmask_np ---- */

static sigset_t seen_with_attr;

static void *attr_thread(void *arg)
{
    seen_with_attr = cur_mask();
    return arg;
}

static void attr_sigmask(void)
{
    pthread_attr_t a;
    sigset_t got, want = set_of(SIGUSR2, SIGALRM, 0);
    CHECK_OK(pthread_attr_init(&a));
    got = set_of(SIGWINCH, 0, 0);
    CHECK_ERR(pthread_attr_getsigmask_np(&a, &got), PTHREAD_ATTR_NO_SIGMASK_NP);
    CHECK_OK(pthread_attr_setsigmask_np(&a, &want));
    CHECK_OK(pthread_attr_getsigmask_np(&a, &got));
    CHECK_SET(got, want);

    /* The creator blocks SIGUSR1 and SIGHUP: the new thread has the
     * attribute's mask instead. */
    sigset_t mine = set_of(SIGUSR1, SIGHUP, 0);
    CHECK_OK(pthread_sigmask(SIG_SETMASK, &mine, NULL));
    pthread_t t;
    CHECK_OK(pthread_create(&t, &a, attr_thread, NULL));
    CHECK_OK(pthread_join(t, NULL));
    CHECK_SET(seen_with_attr, want);
    CHECK_SET(cur_mask(), mine);

    /* An empty mask set through the attribute: a thread with nothing blocked. */
    sigset_t empty = set_of(0, 0, 0);
    CHECK_OK(pthread_attr_setsigmask_np(&a, &empty));
    CHECK_OK(pthread_attr_getsigmask_np(&a, &got));
    CHECK_SET(got, empty);
    CHECK_OK(pthread_create(&t, &a, attr_thread, NULL));
    CHECK_OK(pthread_join(t, NULL));
    CHECK_SET(seen_with_attr, empty);

    /* NULL clears it: back to "no mask", and the creator's mask is used. */
    CHECK_OK(pthread_attr_setsigmask_np(&a, NULL));
    CHECK_ERR(pthread_attr_getsigmask_np(&a, &got), PTHREAD_ATTR_NO_SIGMASK_NP);
    CHECK_OK(pthread_create(&t, &a, attr_thread, NULL));
    CHECK_OK(pthread_join(t, NULL));
    CHECK_SET(seen_with_attr, mine);
    CHECK_OK(pthread_attr_destroy(&a));
    CHECK_OK(pthread_sigmask(SIG_SETMASK, &empty, NULL));
}

/* ---- sigpending: thread-pending and process-pending ---- */

static pthread_t holder_t, other_t;
static sigset_t holder_pending, other_pending;
static volatile int holder_looked, other_looked, go_unblock1, go_unblock2,
    holder_done, go_other;

static void *holder(void *arg)
{
    /* Inherited: SIGUSR1 and SIGUSR2 blocked. */
    wait_flag(&holder_looked, 20, "main to send the signals");
    CHECK_SYS(sigpending(&holder_pending));
    holder_looked = 2;
    wait_flag(&go_unblock1, 20, "the go to unblock SIGUSR1");
    CHECK_EQ(got_usr1, 0);
    sigset_t s = set_of(SIGUSR1, 0, 0);
    CHECK_OK(pthread_sigmask(SIG_UNBLOCK, &s, NULL));
    /* Delivered before pthread_sigmask returned, here. */
    CHECK_EQ(got_usr1, 1);
    CHECK(pthread_equal(usr1_on, pthread_self()));
    CHECK_EQ(got_usr2, 0);
    sigset_t p;
    CHECK_SYS(sigpending(&p));
    CHECK_SET(p, set_of(SIGUSR2, 0, 0));
    wait_flag(&go_unblock2, 20, "the go to unblock SIGUSR2");
    s = set_of(SIGUSR2, 0, 0);
    CHECK_OK(pthread_sigmask(SIG_UNBLOCK, &s, NULL));
    CHECK_EQ(got_usr2, 1);
    CHECK(pthread_equal(usr2_on, pthread_self()));
    CHECK_SYS(sigpending(&p));
    CHECK_SET(p, set_of(0, 0, 0));
    set_flag(&holder_done);
    return arg;
}

static void *other(void *arg)
{
    wait_flag(&go_other, 20, "main to send the signals");
    CHECK_SYS(sigpending(&other_pending));
    set_flag(&other_looked);
    return arg;
}

static void pending(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_usr1;
    CHECK_SYS(sigaction(SIGUSR1, &sa, NULL));
    sa.sa_handler = on_usr2;
    CHECK_SYS(sigaction(SIGUSR2, &sa, NULL));

    sigset_t both = set_of(SIGUSR1, SIGUSR2, 0), p;
    CHECK_OK(pthread_sigmask(SIG_BLOCK, &both, NULL));
    CHECK_SYS(sigpending(&p));
    CHECK_SET(p, set_of(0, 0, 0));
    CHECK_OK(pthread_create(&holder_t, NULL, holder, NULL));
    CHECK_OK(pthread_create(&other_t, NULL, other, NULL));

    CHECK_OK(pthread_kill(holder_t, SIGUSR1)); /* thread-pending in holder */
    CHECK_SYS(kill(getpid(), SIGUSR2));        /* process-pending */
    CHECK_SYS(sigpending(&p));
    CHECK_SET(p, set_of(SIGUSR2, 0, 0)); /* main sees the process's, not holder's */
    set_flag(&holder_looked);
    set_flag(&go_other);
    wait_flag(&other_looked, 20, "the other thread's sigpending");
    while (holder_looked != 2)
        sched_yield();
    CHECK_SET(holder_pending, set_of(SIGUSR1, SIGUSR2, 0));
    CHECK_SET(other_pending, set_of(SIGUSR2, 0, 0));
    CHECK_EQ(got_usr1, 0);
    CHECK_EQ(got_usr2, 0);

    set_flag(&go_unblock1);
    usleep(20000);
    /* holder has taken SIGUSR1; the process-pending SIGUSR2 is still here. */
    CHECK_SYS(sigpending(&p));
    CHECK_SET(p, set_of(SIGUSR2, 0, 0));
    set_flag(&go_unblock2);
    wait_flag(&holder_done, 20, "the holder to take both signals");
    CHECK_SYS(sigpending(&p));
    CHECK_SET(p, set_of(0, 0, 0));
    CHECK_OK(pthread_join(holder_t, NULL));
    CHECK_OK(pthread_join(other_t, NULL));
    CHECK_EQ(got_usr1, 1);
    CHECK_EQ(got_usr2, 1);

    /* The same on one thread: a pending signal runs as it is unblocked. */
    CHECK_SYS(raise(SIGUSR1));
    CHECK_EQ(got_usr1, 1);
    CHECK_SYS(sigpending(&p));
    CHECK_SET(p, set_of(SIGUSR1, 0, 0));
    sigset_t one = set_of(SIGUSR1, 0, 0);
    CHECK_SYS(sigprocmask(SIG_UNBLOCK, &one, NULL));
    CHECK_EQ(got_usr1, 2);
    CHECK(pthread_equal(usr1_on, pthread_self()));
    CHECK_OK(pthread_sigmask(SIG_UNBLOCK, &both, NULL));
}

int main(void)
{
    how_and_old_sets();
    inheritance();
    attr_sigmask();
    pending();
    return 0;
}
