// ONE-CARRIER
// TIMEOUT: 60
// Waits served by the poller itself: poll/ppoll of one descriptor,
// epoll_wait, accept and waitpid of one child. Results as glibc's
// (timeouts, revents, POLLHUP, EINVAL/EBADF, SO_RCVTIMEO's EAGAIN for
// accept, exit statuses) — and, under mnthread, many such waits at once
// hold no kernel thread each: the process keeps only a few kernel threads
// while 40 threads are parked in them.
#include "common.h"
#include <dirent.h>
#include <stddef.h>
#include <poll.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#define N 40

static int kernel_threads(void)
{
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    CHECK(d != NULL);
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static atomic_int started, done;

/* Under mnthread: with every waiter parked, few kernel threads exist. */
static void check_few_kernel_threads(const char *what)
{
    while (atomic_load(&started) < N)
        sched_yield();
    struct timespec pause = {0, 50 * 1000000L};
    nanosleep(&pause, NULL);
    if (under_mnthread() && kernel_threads() > N / 2) {
        fprintf(stderr, "%s: %d kernel threads for %d parked waiters\n", what, kernel_threads(), N);
        exit(1);
    }
}

static int pipes[N][2];

static void *poll_reader(void *arg)
{
    intptr_t i = (intptr_t)arg;
    struct pollfd p = {pipes[i][0], POLLIN, 0};
    atomic_fetch_add(&started, 1);
    CHECK_EQ(poll(&p, 1, i % 2 ? -1 : 20000), 1);
    CHECK_EQ(p.revents, POLLIN);
    char c;
    CHECK_EQ(read(pipes[i][0], &c, 1), 1);
    CHECK_EQ(c, (char)('a' + i % 26));
    atomic_fetch_add(&done, 1);
    return NULL;
}

static void test_poll_many(void)
{
    pthread_t t[N];
    atomic_store(&started, 0);
    atomic_store(&done, 0);
    for (intptr_t i = 0; i < N; i++) {
        CHECK_OK(pipe(pipes[i]));
        CHECK_EQ(pthread_create(&t[i], NULL, poll_reader, (void *)i), 0);
    }
    check_few_kernel_threads("poll");
    for (int i = 0; i < N; i++) {
        char c = 'a' + i % 26;
        CHECK_EQ(write(pipes[i][1], &c, 1), 1);
    }
    for (int i = 0; i < N; i++) {
        CHECK_EQ(pthread_join(t[i], NULL), 0);
        close(pipes[i][0]);
        close(pipes[i][1]);
    }
    CHECK_EQ(atomic_load(&done), N);
}

static void test_poll_results(void)
{
    int p[2];
    CHECK_OK(pipe(p));
    /* A timeout: 0 after at least the time. */
    struct pollfd q = {p[0], POLLIN, 0};
    long long t0 = now_ns();
    CHECK_EQ(poll(&q, 1, 50), 0);
    CHECK(now_ns() - t0 >= 49 * 1000000LL);
    CHECK_EQ(q.revents, 0);
    struct timespec ts = {0, 30 * 1000000L};
    t0 = now_ns();
    CHECK_EQ(ppoll(&q, 1, &ts, NULL), 0);
    CHECK(now_ns() - t0 >= 29 * 1000000LL);
    /* An invalid timeout. */
    struct timespec bad = {0, 2000000000L};
    CHECK_FAILS(ppoll(&q, 1, &bad, NULL), EINVAL);
    /* The writer goes away: POLLHUP. */
    close(p[1]);
    CHECK_EQ(poll(&q, 1, -1), 1);
    CHECK_EQ(q.revents, POLLHUP);
    close(p[0]);
    /* POLLOUT on a full pipe waits for the reader. */
    CHECK_OK(pipe(p));
    CHECK_OK(fcntl(p[1], F_SETFL, O_NONBLOCK));
    char buf[4096] = {0};
    while (write(p[1], buf, sizeof buf) > 0)
        ;
    CHECK_OK(fcntl(p[1], F_SETFL, 0));
    struct pollfd w = {p[1], POLLOUT, 0};
    CHECK_EQ(poll(&w, 1, 30), 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        usleep(50000);
        for (int k = 0; k < 8; k++)
            if (read(p[0], buf, sizeof buf) != sizeof buf)
                _exit(1);
        _exit(0);
    }
    CHECK_EQ(poll(&w, 1, 10000), 1);
    CHECK(w.revents & POLLOUT);
    int st;
    /* That child's exit is reaped through its pidfd. */
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    close(p[0]);
    close(p[1]);
}

static int ep;

static void *epoll_waiter(void *arg)
{
    struct epoll_event ev[4];
    atomic_fetch_add(&started, 1);
    int n = epoll_wait(ep, ev, 4, -1);
    CHECK(n >= 1);
    (void)arg;
    atomic_fetch_add(&done, 1);
    return NULL;
}

static void test_epoll(void)
{
    int p[2];
    CHECK_OK(pipe(p));
    ep = epoll_create1(EPOLL_CLOEXEC);
    CHECK(ep >= 0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 42};
    CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
    struct epoll_event out[4];
    long long t0 = now_ns();
    CHECK_EQ(epoll_wait(ep, out, 4, 40), 0);
    CHECK(now_ns() - t0 >= 39 * 1000000LL);
    CHECK_FAILS(epoll_wait(ep, out, 0, 10), EINVAL);
    CHECK_FAILS(epoll_wait(p[0], out, 4, 10), EINVAL);
    CHECK_FAILS(epoll_wait(-1, out, 4, 10), EBADF);
    /* Many threads parked in epoll_wait on one set; level-triggered data
     * wakes them all. */
    pthread_t t[N];
    atomic_store(&started, 0);
    atomic_store(&done, 0);
    for (int i = 0; i < N; i++)
        CHECK_EQ(pthread_create(&t[i], NULL, epoll_waiter, NULL), 0);
    check_few_kernel_threads("epoll_wait");
    CHECK_EQ(write(p[1], "x", 1), 1);
    for (int i = 0; i < N; i++)
        CHECK_EQ(pthread_join(t[i], NULL), 0);
    CHECK_EQ(epoll_pwait(ep, out, 4, -1, NULL), 1);
    CHECK_EQ(out[0].data.u32, 42u);
    struct timespec ts = {1, 0};
    CHECK_EQ(epoll_pwait2(ep, out, 4, &ts, NULL), 1);
    close(ep);
    close(p[0]);
    close(p[1]);
}

static int listener;

static void *acceptor(void *arg)
{
    (void)arg;
    atomic_fetch_add(&started, 1);
    int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
    CHECK(fd >= 0);
    char c;
    CHECK_EQ(read(fd, &c, 1), 1);
    CHECK_EQ(write(fd, &c, 1), 1);
    close(fd);
    return NULL;
}

static void test_accept(void)
{
    listener = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "mnthread-ready-%d", getpid());
    socklen_t alen = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(a.sun_path + 1);
    CHECK_OK(bind(listener, (struct sockaddr *)&a, alen));
    CHECK_OK(listen(listener, N));
    /* SO_RCVTIMEO bounds a blocking accept: EAGAIN. */
    struct timeval tv = {0, 30000};
    CHECK_OK(setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
    long long t0 = now_ns();
    CHECK_FAILS(accept(listener, NULL, NULL), EAGAIN);
    CHECK(now_ns() - t0 >= 29 * 1000000LL);
    tv.tv_usec = 0;
    CHECK_OK(setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
    pthread_t t[N];
    atomic_store(&started, 0);
    for (int i = 0; i < N; i++)
        CHECK_EQ(pthread_create(&t[i], NULL, acceptor, NULL), 0);
    check_few_kernel_threads("accept");
    for (int i = 0; i < N; i++) {
        int c = socket(AF_UNIX, SOCK_STREAM, 0);
        CHECK_OK(connect(c, (struct sockaddr *)&a, alen));
        char x = 'q', y = 0;
        CHECK_EQ(write(c, &x, 1), 1);
        CHECK_EQ(read(c, &y, 1), 1);
        CHECK_EQ(y, 'q');
        close(c);
    }
    for (int i = 0; i < N; i++)
        CHECK_EQ(pthread_join(t[i], NULL), 0);
    close(listener);
}

static pid_t kids[N];
static int go_pipe[2];

static void *reaper(void *arg)
{
    intptr_t i = (intptr_t)arg;
    int st = 0;
    atomic_fetch_add(&started, 1);
    CHECK_EQ(waitpid(kids[i], &st, 0), kids[i]);
    CHECK(WIFEXITED(st));
    CHECK_EQ(WEXITSTATUS(st), (int)(i % 100));
    return NULL;
}

static void test_waitpid(void)
{
    CHECK_OK(pipe(go_pipe));
    for (int i = 0; i < N; i++) {
        kids[i] = fork();
        CHECK(kids[i] >= 0);
        if (kids[i] == 0) {
            char c;
            close(go_pipe[1]);
            /* Blocks until the parent closes its end. */
            while (read(go_pipe[0], &c, 1) > 0)
                ;
            _exit(i % 100);
        }
    }
    close(go_pipe[0]);
    pthread_t t[N];
    atomic_store(&started, 0);
    for (intptr_t i = 0; i < N; i++)
        CHECK_EQ(pthread_create(&t[i], NULL, reaper, (void *)i), 0);
    check_few_kernel_threads("waitpid");
    close(go_pipe[1]);
    for (int i = 0; i < N; i++)
        CHECK_EQ(pthread_join(t[i], NULL), 0);
    CHECK_FAILS(waitpid(kids[0], NULL, 0), ECHILD);
}

int main(void)
{
    test_poll_results();
    test_poll_many();
    test_epoll();
    test_accept();
    test_waitpid();
    printf("io_ready_waits: ok\n");
    return 0;
}
