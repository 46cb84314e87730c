// ONE-CARRIER
// TIMEOUT: 30
// The daemon pattern: SIGTERM, SIGUSR1 and SIGHUP blocked in main before
// any thread exists; a worker parks in a blocking read of a signalfd and
// gets each of 20 kill(getpid(), ...) in order (main waits for each before
// the next: standard signals merge), with ssi_signo, ssi_code SI_USER,
// ssi_pid and ssi_uid; a sigqueue'd one brings ssi_int and SI_QUEUE; a
// pthread_kill to the reading thread reaches its signalfd too under glibc
// (a signalfd reads its reader's own pending signals as well as the
// process's; under mnthread, sigwaitinfo takes it instead: see below). A
// second worker waits with epoll_wait on a non-blocking signalfd in an
// epoll set, for 10 signals; a read with nothing pending is EAGAIN. No
// handler runs and nothing is left pending.
#include "common.h"
#include <sys/epoll.h>
#include <sys/signalfd.h>

#define ROUNDS 20
#define EPOLL_ROUNDS 10

static const int seq[3] = {SIGTERM, SIGUSR1, SIGHUP};
static volatile long received;
static sigset_t mask;
static pthread_t reader_t;

static void never(int sig)
{
    TEST_FAIL_("a handler ran for signal %d", sig);
}

static void *reader(void *arg)
{
    int fd = signalfd(-1, &mask, SFD_CLOEXEC);
    CHECK_SYS(fd);
    struct signalfd_siginfo si;
    for (int i = 0; i < ROUNDS; i++) {
        memset(&si, 0, sizeof si);
        CHECK_EQ(read(fd, &si, sizeof si), sizeof si);
        CHECK_EQ(si.ssi_signo, seq[i % 3]);
        CHECK_EQ(si.ssi_code, SI_USER);
        CHECK_EQ(si.ssi_pid, getpid());
        CHECK_EQ(si.ssi_uid, getuid());
        __atomic_store_n(&received, i + 1, __ATOMIC_RELEASE);
    }
    /* sigqueue: the value comes along. */
    CHECK_EQ(read(fd, &si, sizeof si), sizeof si);
    CHECK_EQ(si.ssi_signo, SIGUSR1);
    CHECK_EQ(si.ssi_code, SI_QUEUE);
    CHECK_EQ(si.ssi_int, 31337);
    __atomic_store_n(&received, ROUNDS + 1, __ATOMIC_RELEASE);
    /* Directed at this thread: under mnthread a signal sent to one user
     * thread is pending for that thread in user space, where a signalfd
     * cannot see it (README, "not supported yet"); sigwaitinfo takes it. */
    if (under_mnthread()) {
        sigset_t hup;
        sigemptyset(&hup);
        sigaddset(&hup, SIGHUP);
        siginfo_t i;
        CHECK_EQ(sigwaitinfo(&hup, &i), SIGHUP);
        CHECK_EQ(i.si_code, SI_TKILL);
    } else {
        CHECK_EQ(read(fd, &si, sizeof si), sizeof si);
        CHECK_EQ(si.ssi_signo, SIGHUP);
        CHECK_EQ(si.ssi_code, SI_TKILL);
    }
    __atomic_store_n(&received, ROUNDS + 2, __ATOMIC_RELEASE);
    close(fd);
    return arg;
}

static volatile long epoll_received;
static volatile int epoller_ready;

static void *epoller(void *arg)
{
    int fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    CHECK_SYS(fd);
    struct signalfd_siginfo si;
    CHECK_FAILS(read(fd, &si, sizeof si), EAGAIN);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    CHECK_SYS(ep);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0xabcdef};
    CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
    set_flag(&epoller_ready);
    for (int i = 0; i < EPOLL_ROUNDS; i++) {
        memset(&ev, 0, sizeof ev);
        CHECK_EQ(epoll_wait(ep, &ev, 1, -1), 1);
        CHECK_EQ(ev.data.u64, 0xabcdef);
        CHECK(ev.events & EPOLLIN);
        CHECK_EQ(read(fd, &si, sizeof si), sizeof si);
        CHECK_EQ(si.ssi_signo, seq[(i + 1) % 3]);
        CHECK_FAILS(read(fd, &si, sizeof si), EAGAIN);
        __atomic_store_n(&epoll_received, i + 1, __ATOMIC_RELEASE);
    }
    close(ep);
    close(fd);
    return arg;
}

int main(void)
{
    sigemptyset(&mask);
    for (int i = 0; i < 3; i++)
        sigaddset(&mask, seq[i]);
    CHECK_OK(pthread_sigmask(SIG_BLOCK, &mask, NULL));
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = never;
    for (int i = 0; i < 3; i++)
        CHECK_SYS(sigaction(seq[i], &sa, NULL));

    CHECK_OK(pthread_create(&reader_t, NULL, reader, NULL));
    usleep(20000); /* parked in read */
    for (int i = 0; i < ROUNDS; i++) {
        CHECK_SYS(kill(getpid(), seq[i % 3]));
        wait_count(&received, i + 1, 20, "the signalfd reader");
        if (i % 5 == 4)
            usleep(5000); /* now and then, let it park again first */
    }
    union sigval v = {.sival_int = 31337};
    CHECK_SYS(sigqueue(getpid(), SIGUSR1, v));
    wait_count(&received, ROUNDS + 1, 20, "the queued signal");
    usleep(10000);
    CHECK_OK(pthread_kill(reader_t, SIGHUP));
    CHECK_OK(pthread_join(reader_t, NULL));
    CHECK_EQ(received, ROUNDS + 2);

    pthread_t e;
    CHECK_OK(pthread_create(&e, NULL, epoller, NULL));
    wait_flag(&epoller_ready, 20, "the epoll waiter to start");
    usleep(20000);
    for (int i = 0; i < EPOLL_ROUNDS; i++) {
        CHECK_SYS(kill(getpid(), seq[(i + 1) % 3]));
        wait_count(&epoll_received, i + 1, 20, "the epoll waiter");
    }
    CHECK_OK(pthread_join(e, NULL));

    sigset_t p;
    CHECK_SYS(sigpending(&p));
    for (int i = 0; i < 3; i++)
        CHECK(!sigismember(&p, seq[i]));
    return 0;
}
