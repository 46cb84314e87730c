// ONE-CARRIER
// TIMEOUT: 60
// A signal handler interrupts a thread parked in a blocking call: main
// waits until the thread is surely in the call, pthread_kills it with
// SIGUSR1, and checks what the call returns. The handler must have run on
// that thread before the call returned.
//
// Without SA_RESTART every call fails with EINTR: read on an empty pipe,
// write on a full pipe (and nothing was written), recv on a socketpair
// (with and without SO_RCVTIMEO), accept, poll, epoll_wait, select,
// nanosleep (rem set, 0 < rem < request), clock_nanosleep (returns EINTR
// itself, rem set), usleep, sem_wait, sem_timedwait, sigsuspend, pause,
// sigtimedwait, waitpid on a child that is still running, msgrcv on an
// empty SysV queue; sleep() returns the seconds not slept (> 0).
//
// With SA_RESTART, as signal(7) lists and glibc 2.36 does here: read,
// write, recv (no SO_RCVTIMEO), accept, waitpid and sem_wait go on
// waiting after the handler and complete once main supplies what they
// wait for; poll, epoll_wait, select, the sleeps, sigsuspend, pause,
// sigtimedwait, msgrcv and recv with SO_RCVTIMEO still fail with EINTR.
// sem_timedwait too, unlike what signal(7) says: it waits with a timeout
// (FUTEX_WAIT_BITSET with an absolute time), which Linux never restarts
// after a handler (ERESTART_RESTARTBLOCK becomes EINTR) — measured here.
#include "common.h"
#include <poll.h>
#include <semaphore.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/msg.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/un.h>

enum {
    READ, WRITE, RECV, RECV_TIMEO, ACCEPT, POLL, EPOLL, SELECT, NANOSLEEP,
    CLOCK_NANOSLEEP, USLEEP, SLEEP, SEM_WAIT, SEM_TIMEDWAIT, SIGSUSPEND, PAUSE,
    SIGTIMEDWAIT, WAITPID, MSGRCV, KINDS
};
static const char *names[KINDS] = {
    "read", "write", "recv", "recv SO_RCVTIMEO", "accept", "poll", "epoll_wait",
    "select", "nanosleep", "clock_nanosleep", "usleep", "sleep", "sem_wait",
    "sem_timedwait", "sigsuspend", "pause", "sigtimedwait", "waitpid", "msgrcv"};
/* Which ones go on waiting after an SA_RESTART handler. */
static const int restarts[KINDS] = {
    [READ] = 1, [WRITE] = 1, [RECV] = 1, [ACCEPT] = 1, [SEM_WAIT] = 1, [WAITPID] = 1};

#define LONG_NS (5LL * 1000000000) /* the sleeps and timeouts: 5 s */

static volatile sig_atomic_t hits;
static volatile pthread_t hit_on;
static __thread volatile int my_hits;

static void on_usr1(int sig)
{
    (void)sig;
    hit_on = pthread_self();
    my_hits++;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    hits++;
}

/* Per-case state. */
static int fds[2], lfd, cfd = -1, epfd, child_pipe[2], msq = -1;
static long filled;
static pid_t child;
static sem_t sem;
static char sock_name[64];

/* What the thread saw. */
static volatile int about_to_wait, done;
static long res_r;
static int res_errno, res_hits, res_status;
static char res_byte;
static struct timespec res_rem;

static void fill_pipe(int wfd)
{
    static char chunk[4096];
    int fl = fcntl(wfd, F_GETFL);
    CHECK_SYS(fcntl(wfd, F_SETFL, fl | O_NONBLOCK));
    filled = 0;
    for (;;) {
        ssize_t n = write(wfd, chunk, sizeof chunk);
        if (n < 0)
            break;
        filled += n;
    }
    for (;;) {
        ssize_t n = write(wfd, chunk, 1);
        if (n < 0)
            break;
        filled += n;
    }
    CHECK_EQ(errno, EAGAIN);
    CHECK_SYS(fcntl(wfd, F_SETFL, fl));
}

/* Read everything there is without blocking; returns the byte count. */
static long drain(int rfd)
{
    static char buf[8192];
    long total = 0;
    int fl = fcntl(rfd, F_GETFL);
    CHECK_SYS(fcntl(rfd, F_SETFL, fl | O_NONBLOCK));
    for (;;) {
        ssize_t n = read(rfd, buf, sizeof buf);
        if (n <= 0)
            break;
        total += n;
    }
    CHECK_SYS(fcntl(rfd, F_SETFL, fl));
    return total;
}

static void setup(int k)
{
    switch (k) {
    case READ: case POLL: case EPOLL: case SELECT:
        CHECK_SYS(pipe(fds));
        if (k == EPOLL) {
            epfd = epoll_create1(0);
            CHECK_SYS(epfd);
            struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 1};
            CHECK_SYS(epoll_ctl(epfd, EPOLL_CTL_ADD, fds[0], &ev));
        }
        break;
    case WRITE:
        CHECK_SYS(pipe(fds));
        fill_pipe(fds[1]);
        break;
    case RECV: case RECV_TIMEO:
        CHECK_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, fds));
        if (k == RECV_TIMEO) {
            struct timeval tv = {10, 0};
            CHECK_SYS(setsockopt(fds[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
        }
        break;
    case ACCEPT: {
        lfd = socket(AF_UNIX, SOCK_STREAM, 0);
        CHECK_SYS(lfd);
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        snprintf(sock_name, sizeof sock_name, "mnthread-sig-eintr-%d", (int)getpid());
        memcpy(a.sun_path + 1, sock_name, strlen(sock_name)); /* abstract */
        CHECK_SYS(bind(lfd, (struct sockaddr *)&a,
                       offsetof(struct sockaddr_un, sun_path) + 1 + strlen(sock_name)));
        CHECK_SYS(listen(lfd, 4));
        break;
    }
    case SEM_WAIT: case SEM_TIMEDWAIT:
        CHECK_SYS(sem_init(&sem, 0, 0));
        break;
    case WAITPID:
        CHECK_SYS(pipe(child_pipe));
        child = fork_checked();
        if (child == 0) {
            char c;
            close(child_pipe[1]);
            while (read(child_pipe[0], &c, 1) < 0 && errno == EINTR)
                ;
            _exit(3);
        }
        close(child_pipe[0]);
        break;
    case MSGRCV:
        msq = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
        CHECK_SYS(msq);
        break;
    }
}

struct msg {
    long mtype;
    char text[8];
};

static void *runner(void *arg)
{
    int k = (int)(intptr_t)arg;
    long r = 0;
    char buf[8] = {0};
    struct timespec req = {LONG_NS / 1000000000, 0}, rem = {-1, -1};
    struct timespec abs = abs_in_ns(CLOCK_REALTIME, LONG_NS);
    struct pollfd p = {fds[0], POLLIN, 0};
    struct epoll_event ev;
    fd_set set;
    FD_ZERO(&set);
    FD_SET(fds[0], &set);
    sigset_t empty, u2;
    sigemptyset(&empty);
    sigemptyset(&u2);
    sigaddset(&u2, SIGUSR2);
    CHECK_OK(pthread_sigmask(SIG_BLOCK, &u2, NULL));
    siginfo_t si;
    struct msg m;
    int st = 0;

    set_flag(&about_to_wait);
    errno = 0;
    switch (k) {
    case READ: r = read(fds[0], buf, 1); break;
    case WRITE: r = write(fds[1], "w", 1); break;
    case RECV: case RECV_TIMEO: r = recv(fds[0], buf, 1, 0); break;
    case ACCEPT: r = accept(lfd, NULL, NULL); break;
    case POLL: r = poll(&p, 1, -1); break;
    case EPOLL: r = epoll_wait(epfd, &ev, 1, -1); break;
    case SELECT: r = select(fds[0] + 1, &set, NULL, NULL, NULL); break;
    case NANOSLEEP: r = nanosleep(&req, &rem); break;
    case CLOCK_NANOSLEEP: r = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &rem); break;
    case USLEEP: r = usleep(LONG_NS / 1000); break;
    case SLEEP: r = sleep(LONG_NS / 1000000000); break;
    case SEM_WAIT: r = sem_wait(&sem); break;
    case SEM_TIMEDWAIT: r = sem_timedwait(&sem, &abs); break;
    case SIGSUSPEND: r = sigsuspend(&empty); break;
    case PAUSE: r = pause(); break;
    case SIGTIMEDWAIT: r = sigtimedwait(&u2, &si, &req); break;
    case WAITPID: r = waitpid(child, &st, 0); break;
    case MSGRCV: r = msgrcv(msq, &m, sizeof m.text, 0, 0); break;
    }
    res_errno = errno;
    res_r = r;
    res_hits = my_hits;
    res_byte = buf[0];
    res_rem = rem;
    res_status = st;
    set_flag(&done);
    return NULL;
}

/* Main supplies what a restarted call waits for. */
static void release(int k)
{
    switch (k) {
    case READ: CHECK_EQ(write(fds[1], "r", 1), 1); break;
    case WRITE: CHECK_GE(drain(fds[0]), filled); break;
    case RECV: CHECK_EQ(send(fds[1], "s", 1, 0), 1); break;
    case ACCEPT: {
        cfd = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        memcpy(a.sun_path + 1, sock_name, strlen(sock_name));
        CHECK_SYS(connect(cfd, (struct sockaddr *)&a,
                          offsetof(struct sockaddr_un, sun_path) + 1 + strlen(sock_name)));
        break;
    }
    case SEM_WAIT: CHECK_SYS(sem_post(&sem)); break;
    case WAITPID: CHECK_EQ(write(child_pipe[1], "x", 1), 1); break;
    default: TEST_FAIL_("%s has no release", names[k]);
    }
}

/* The result of a call that completed after release(). */
static void check_completed(int k)
{
    switch (k) {
    case READ: CHECK_EQ(res_r, 1); CHECK_EQ(res_byte, 'r'); break;
    case WRITE: CHECK_EQ(res_r, 1); break;
    case RECV: CHECK_EQ(res_r, 1); CHECK_EQ(res_byte, 's'); break;
    case ACCEPT: CHECK_GE(res_r, 0); close((int)res_r); break;
    case SEM_WAIT: CHECK_EQ(res_r, 0); break;
    case WAITPID:
        CHECK_EQ(res_r, child);
        CHECK(WIFEXITED(res_status));
        CHECK_EQ(WEXITSTATUS(res_status), 3);
        child = 0;
        break;
    }
}

/* The result of an interrupted call. */
static void check_interrupted(int k)
{
    long long req = LONG_NS;
    switch (k) {
    case CLOCK_NANOSLEEP:
        CHECK_EQ(res_r, EINTR); /* the error is the result; errno untouched */
        /* fall through */
    case NANOSLEEP: {
        if (k == NANOSLEEP) {
            CHECK_EQ(res_r, -1);
            CHECK_EQ(res_errno, EINTR);
        }
        long long rem = res_rem.tv_sec * 1000000000LL + res_rem.tv_nsec;
        CHECK_MSG(rem > 0 && rem < req, "%s: rem %lld ns of %lld", names[k], rem, req);
        CHECK(res_rem.tv_nsec >= 0 && res_rem.tv_nsec < 1000000000);
        break;
    }
    case SLEEP:
        CHECK_GT(res_r, 0);
        CHECK_LE(res_r, LONG_NS / 1000000000);
        break;
    default:
        CHECK_MSG(res_r == -1 && res_errno == EINTR, "%s returned %ld errno %s", names[k],
                  res_r, test_errname_(res_errno));
    }
    if (k == WRITE) /* nothing of the interrupted write reached the pipe */
        CHECK_EQ(drain(fds[0]), filled);
}

static void teardown(int k)
{
    switch (k) {
    case EPOLL: close(epfd); /* fall through */
    case READ: case POLL: case SELECT: case WRITE: case RECV: case RECV_TIMEO:
        close(fds[0]);
        close(fds[1]);
        break;
    case ACCEPT:
        close(lfd);
        if (cfd >= 0)
            close(cfd);
        cfd = -1;
        break;
    case SEM_WAIT: case SEM_TIMEDWAIT:
        CHECK_SYS(sem_destroy(&sem));
        break;
    case SIGTIMEDWAIT: {
        sigset_t p;
        CHECK_SYS(sigpending(&p));
        CHECK(!sigismember(&p, SIGUSR2));
        break;
    }
    case WAITPID:
        if (child) {
            int st;
            CHECK_EQ(write(child_pipe[1], "x", 1), 1);
            CHECK_EQ(waitpid(child, &st, 0), child);
            CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3);
            child = 0;
        }
        close(child_pipe[1]);
        break;
    case MSGRCV:
        CHECK_SYS(msgctl(msq, IPC_RMID, NULL));
        msq = -1;
        break;
    }
}

static void one(int k, int sa_restart)
{
    setup(k);
    about_to_wait = done = 0;
    int before = hits;
    pthread_t t;
    CHECK_OK(pthread_create(&t, NULL, runner, (void *)(intptr_t)k));
    wait_flag(&about_to_wait, 20, names[k]);
    usleep(25000);
    CHECK_MSG(!done, "%s returned before the signal: %ld errno %s", names[k], res_r,
              test_errname_(res_errno));
    CHECK_OK(pthread_kill(t, SIGUSR1));
    long long deadline = now_ns() + 20LL * 1000000000;
    while (hits == before) {
        if (now_ns() > deadline)
            TEST_FAIL_("%s: the handler did not run", names[k]);
        sched_yield();
    }
    CHECK_MSG(pthread_equal(hit_on, t), "%s: the handler ran on another thread", names[k]);
    if (sa_restart && restarts[k]) {
        usleep(25000);
        CHECK_MSG(!done, "%s returned after an SA_RESTART handler: %ld errno %s", names[k],
                  res_r, test_errname_(res_errno));
        release(k);
        CHECK_OK(pthread_join(t, NULL));
        check_completed(k);
    } else {
        CHECK_OK(pthread_join(t, NULL));
        check_interrupted(k);
    }
    CHECK_MSG(res_hits == 1, "%s: the handler ran %d times on the thread before it returned",
              names[k], res_hits);
    teardown(k);
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_usr1;
    for (int sa_restart = 0; sa_restart < 2; sa_restart++) {
        sa.sa_flags = sa_restart ? SA_RESTART : 0;
        CHECK_SYS(sigaction(SIGUSR1, &sa, NULL));
        for (int k = 0; k < KINDS; k++)
            one(k, sa_restart);
    }
    return 0;
}
