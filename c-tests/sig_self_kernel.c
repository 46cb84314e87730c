// ONE-CARRIER
// TIMEOUT: 30
// A thread that signals its own process through a path that goes through
// the kernel — pidfd_send_signal (the glibc function, and syscall() with a
// pidfd or the /proc/PID directory, as CPython's signal.pidfd_send_signal
// does), syscall(SYS_kill, getpid()), kill(0) — has the handler run before
// the call returns when it is the only thread that does not block the
// signal (POSIX's rule for kill; Linux does the same for pidfds); so does a
// thread that sends to its own gettid() with syscall(SYS_tgkill) or
// syscall(SYS_tkill). Checked from main and from a worker, each time the
// only taker.
#include "common.h"
#include <sys/pidfd.h>
#include <sys/syscall.h>

#define ROUNDS 200

/* kill(0) only once this process leads a group of its own (never signal
 * the test runner). */
static int own_group;

static volatile long handled;
static volatile pthread_t taker;
static volatile int wrong_thread;

static void on_usr1(int sig)
{
    (void)sig;
    if (!pthread_equal(pthread_self(), taker))
        wrong_thread = 1;
    __atomic_add_fetch(&handled, 1, __ATOMIC_SEQ_CST);
}

/* Each way of sending, once; the handler must have run when it returns. */
static void send_each_way(const char *who, int pidfd, int procdir)
{
    for (int r = 0; r < ROUNDS; r++) {
        long before = handled;
        int way = r % 7;
        switch (way) {
        case 0: CHECK_EQ(pidfd_send_signal(pidfd, SIGUSR1, NULL, 0), 0); break;
        case 1: CHECK_EQ(syscall(SYS_pidfd_send_signal, pidfd, SIGUSR1, NULL, 0), 0); break;
        case 2: CHECK_EQ(syscall(SYS_pidfd_send_signal, procdir, SIGUSR1, NULL, 0), 0); break;
        case 3: CHECK_EQ(syscall(SYS_kill, getpid(), SIGUSR1), 0); break;
        case 4: CHECK_EQ(kill(own_group ? 0 : getpid(), SIGUSR1), 0); break;
        case 5: CHECK_EQ(syscall(SYS_tgkill, getpid(), gettid(), SIGUSR1), 0); break;
        case 6: CHECK_EQ(syscall(SYS_tkill, gettid(), SIGUSR1), 0); break;
        }
        CHECK_MSG(handled == before + 1, "%s, way %d, round %d: %ld handler runs when the call returned", who, way, r,
                  handled - before);
    }
}

static int pidfd, procdir;

static void *worker(void *arg)
{
    (void)arg;
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    taker = pthread_self();
    CHECK_EQ(pthread_sigmask(SIG_UNBLOCK, &usr1, NULL), 0);
    send_each_way("worker", pidfd, procdir);
    CHECK_EQ(pthread_sigmask(SIG_BLOCK, &usr1, NULL), 0);
    return NULL;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
    pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
    CHECK_MSG(pidfd >= 0, "pidfd_open: errno %d", errno);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d", (int)getpid());
    procdir = open(path, O_DIRECTORY | O_RDONLY);
    CHECK(procdir >= 0);
    own_group = setpgid(0, 0) == 0;

    /* Main first, with only itself alive. */
    taker = pthread_self();
    send_each_way("main", pidfd, procdir);

    /* Then a worker, main blocking the signal. */
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    CHECK_EQ(pthread_sigmask(SIG_BLOCK, &usr1, NULL), 0);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, worker, NULL), 0);
    CHECK_EQ(pthread_join(t, NULL), 0);

    CHECK(!wrong_thread);
    CHECK_EQ(handled, 2 * ROUNDS);
    sigset_t p;
    CHECK_EQ(sigpending(&p), 0);
    CHECK_EQ(sigismember(&p, SIGUSR1), 0);
    printf("ok: %ld handler runs, each before its call returned\n", handled);
    return 0;
}
