// ONE-CARRIER
// TIMEOUT: 60
// poll, ppoll, select, pselect, epoll_wait, epoll_pwait, accept, accept4,
// connect and the wait family block only the calling thread: while one
// waits, a ticker thread (which sleeps 1 ms a round) must keep ticking —
// on a single carrier it can only run if the wait did not block the
// carrier. Each waiter is released by the main thread after a pause, and
// every call returns what glibc returns: ready counts and revents,
// timeouts (0 after at least the timeout, select's remaining time),
// EBADF/EINVAL/ECHILD/ECONNREFUSED, a child's exit status.
#include "common.h"
#include <poll.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>

/* The waiting thread's side: which call, on what. */
enum { POLL, PPOLL, SELECT, PSELECT, EPOLL_WAIT, EPOLL_PWAIT, ACCEPT, ACCEPT4, KINDS };
static const char *kind_name[KINDS] = {"poll", "ppoll", "select", "pselect", "epoll_wait", "epoll_pwait", "accept", "accept4"};
static int rfd, epfd, listen_fd;
static atomic_int released;

static void *waiter(void *arg)
{
    int kind = (int)(intptr_t)arg;
    long before = ticks_now();
    int r = -1;
    struct pollfd p = {rfd, POLLIN, 0};
    fd_set set;
    FD_ZERO(&set);
    FD_SET(rfd, &set);
    struct epoll_event ev;
    switch (kind) {
    case POLL: r = poll(&p, 1, -1); CHECK_EQ(p.revents, POLLIN); break;
    case PPOLL: r = ppoll(&p, 1, NULL, NULL); CHECK_EQ(p.revents, POLLIN); break;
    case SELECT: r = select(rfd + 1, &set, NULL, NULL, NULL); CHECK(FD_ISSET(rfd, &set)); break;
    case PSELECT: r = pselect(rfd + 1, &set, NULL, NULL, NULL, NULL); CHECK(FD_ISSET(rfd, &set)); break;
    case EPOLL_WAIT: r = epoll_wait(epfd, &ev, 1, -1); CHECK_EQ(ev.data.u32, 77u); break;
    case EPOLL_PWAIT: r = epoll_pwait(epfd, &ev, 1, 10000, NULL); CHECK_EQ(ev.data.u32, 77u); break;
    case ACCEPT: r = accept(listen_fd, NULL, NULL); break;
    case ACCEPT4: r = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC); break;
    }
    CHECK_MSG(atomic_load(&released), "%s returned before it was released", kind_name[kind]);
    CHECK_MSG(ticks_now() > before, "%s: the ticker did not run while it waited", kind_name[kind]);
    if (kind == ACCEPT || kind == ACCEPT4) {
        CHECK_SYS(r);
        CHECK_EQ(fcntl(r, F_GETFD) & FD_CLOEXEC, kind == ACCEPT4 ? FD_CLOEXEC : 0);
        char c;
        CHECK_EQ(read(r, &c, 1), 1);
        CHECK_EQ(c, 'x');
        close(r);
    } else {
        CHECK_EQ(r, 1);
    }
    return NULL;
}

static void run_waiter(int kind, const char *sock_path)
{
    int pfd[2];
    CHECK_SYS(pipe(pfd));
    rfd = pfd[0];
    epfd = epoll_create1(0);
    CHECK_SYS(epfd);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 77};
    CHECK_SYS(epoll_ctl(epfd, EPOLL_CTL_ADD, rfd, &ev));
    atomic_store(&released, 0);
    pthread_t t;
    CHECK_OK(pthread_create(&t, NULL, waiter, (void *)(intptr_t)kind));
    usleep(30000);
    atomic_store(&released, 1);
    if (kind == ACCEPT || kind == ACCEPT4) {
        int c = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        strcpy(a.sun_path, sock_path);
        CHECK_SYS(connect(c, (struct sockaddr *)&a, sizeof a));
        CHECK_EQ(write(c, "x", 1), 1);
        CHECK_OK(pthread_join(t, NULL));
        close(c);
    } else {
        CHECK_EQ(write(pfd[1], "y", 1), 1);
        CHECK_OK(pthread_join(t, NULL));
    }
    close(epfd);
    close(pfd[0]);
    close(pfd[1]);
}

static void timeouts_and_errors(void)
{
    int pfd[2];
    CHECK_SYS(pipe(pfd));
    struct pollfd p = {pfd[0], POLLIN, 0};
    long long t0 = now_ns();
    CHECK_EQ(poll(&p, 1, 40), 0);
    CHECK_GE(now_ns() - t0, 40LL * 1000000);
    CHECK_EQ(p.revents, 0);
    struct timespec ts = {0, 30 * 1000000};
    t0 = now_ns();
    CHECK_EQ(ppoll(&p, 1, &ts, NULL), 0);
    CHECK_GE(now_ns() - t0, 30LL * 1000000);
    CHECK_EQ(ts.tv_nsec, 30 * 1000000); /* glibc leaves the program's timeout alone */
    struct pollfd bad = {1 << 20, POLLIN, 0};
    CHECK_EQ(poll(&bad, 1, 10), 1);
    CHECK_EQ(bad.revents, POLLNVAL);
    struct timespec neg = {0, -1};
    CHECK_FAILS(ppoll(&p, 1, &neg, NULL), EINVAL);
    t0 = now_ns();
    CHECK_EQ(poll(NULL, 0, 20), 0);
    CHECK_GE(now_ns() - t0, 20LL * 1000000);

    fd_set set;
    FD_ZERO(&set);
    FD_SET(pfd[0], &set);
    struct timeval tv = {0, 30000};
    t0 = now_ns();
    CHECK_EQ(select(pfd[0] + 1, &set, NULL, NULL, &tv), 0);
    CHECK_GE(now_ns() - t0, 30LL * 1000000);
    CHECK(!FD_ISSET(pfd[0], &set));
    CHECK_EQ(tv.tv_sec, 0); /* Linux writes back the time not slept */
    CHECK_EQ(tv.tv_usec, 0);
    FD_SET(pfd[0], &set);
    CHECK_FAILS(select(-1, &set, NULL, NULL, &tv), EINVAL);
    struct timespec pts = {0, 20 * 1000000};
    FD_SET(pfd[0], &set);
    CHECK_EQ(pselect(pfd[0] + 1, &set, NULL, NULL, &pts, NULL), 0);

    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 5};
    CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, pfd[0], &ev));
    t0 = now_ns();
    CHECK_EQ(epoll_wait(ep, &ev, 1, 30), 0);
    CHECK_GE(now_ns() - t0, 30LL * 1000000);
    CHECK_FAILS(epoll_wait(ep, &ev, 0, 10), EINVAL);
    CHECK_FAILS(epoll_wait(pfd[0], &ev, 1, 10), EINVAL);
    CHECK_FAILS(epoll_wait(1 << 20, &ev, 1, 10), EBADF);
    /* something ready: at once */
    CHECK_EQ(write(pfd[1], "z", 1), 1);
    CHECK_EQ(epoll_wait(ep, &ev, 1, 5000), 1);
    CHECK_EQ(poll(&p, 1, 5000), 1);
    close(ep);
    close(pfd[0]);
    close(pfd[1]);

    /* connect: refused, and to a listener with nobody accepting yet. */
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    CHECK_SYS(bind(l, (struct sockaddr *)&a, sizeof a));
    CHECK_SYS(getsockname(l, (struct sockaddr *)&a, &al));
    close(l); /* nobody listens on that port now */
    int c = socket(AF_INET, SOCK_STREAM, 0);
    CHECK_FAILS(connect(c, (struct sockaddr *)&a, sizeof a), ECONNREFUSED);
    close(c);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    CHECK_FAILS(accept(s, NULL, NULL), EINVAL); /* not listening */
    CHECK_FAILS(accept(1 << 20, NULL, NULL), EBADF);
    close(s);
}

static void children(void)
{
    int st;
    CHECK_FAILS(waitpid(-1, &st, 0), ECHILD);
    CHECK_FAILS(wait(&st), ECHILD);
    for (int kind = 0; kind < 5; kind++) {
        pid_t pid = fork();
        CHECK_SYS(pid);
        if (pid == 0) {
            usleep(60000);
            _exit(7 + kind);
        }
        if (kind == 0)
            CHECK_EQ(waitpid(pid, &st, WNOHANG), 0); /* still running */
        long before = ticks_now();
        struct rusage ru;
        siginfo_t si;
        switch (kind) {
        case 0: CHECK_EQ(waitpid(pid, &st, 0), pid); break;
        case 1: CHECK_EQ(wait(&st), pid); break;
        case 2: CHECK_EQ(wait3(&st, 0, &ru), pid); break;
        case 3: CHECK_EQ(wait4(pid, &st, 0, &ru), pid); break;
        case 4:
            CHECK_SYS(waitid(P_PID, pid, &si, WEXITED));
            CHECK_EQ(si.si_pid, pid);
            CHECK_EQ(si.si_code, CLD_EXITED);
            st = (si.si_status & 0xff) << 8;
            break;
        }
        CHECK(WIFEXITED(st));
        CHECK_EQ(WEXITSTATUS(st), 7 + kind);
        CHECK_MSG(ticks_now() > before, "wait kind %d: the ticker did not run while it waited", kind);
    }
    CHECK_FAILS(waitpid(-1, &st, WNOHANG), ECHILD);
}

int main(void)
{
    ticker_start();

    char path[64];
    snprintf(path, sizeof path, "/tmp/mnthread-io-waits-%d", (int)getpid());
    unlink(path);
    listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    strcpy(a.sun_path, path);
    CHECK_SYS(bind(listen_fd, (struct sockaddr *)&a, sizeof a));
    CHECK_SYS(listen(listen_fd, 8));
    for (int kind = 0; kind < KINDS; kind++)
        run_waiter(kind, path);
    close(listen_fd);
    unlink(path);

    timeouts_and_errors();
    children();

    ticker_stop();
    puts("io_waits OK");
    return 0;
}
