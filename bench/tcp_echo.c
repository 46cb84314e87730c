/* tcp_echo: a thread-per-connection TCP echo server driven by a
 * single-threaded epoll client in a child process (forked before any thread
 * exists, so it never starts mnthread's runtime).  The client opens N
 * connections to 127.0.0.1, keeps one 16-byte request in flight on each and
 * counts round trips until TOTAL are done.  The server's threads block in
 * read/write; once every connection is accepted the server reports its RSS
 * and kernel threads (/proc/self/task).
 * usage: tcp_echo [connections] [total round trips]
 * RESULT echo_rt_per_s <k> krt/s, echo_p99 <us> us,
 *        echo_server_rss <KiB> KiB, echo_server_kthreads <n> threads */
#include "bench.h"
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define MSG 16

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static void *serve(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[MSG];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0)
            break;
        if (write(fd, buf, n) != n)
            break;
    }
    close(fd);
    return NULL;
}

static int count_tasks(void)
{
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    if (!d)
        return -1;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static int cmp(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

static void client(int port, int conns, long total)
{
    int ep = epoll_create1(0);
    int *fds = calloc(conns, sizeof *fds);
    long long *sent = calloc(conns, sizeof *sent);
    long long *lat = malloc(total * sizeof *lat);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    for (int i = 0; i < conns; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (fds[i] < 0)
            die("socket");
        if (connect(fds[i], (struct sockaddr *)&a, sizeof a) != 0)
            die("connect");
        int one = 1;
        setsockopt(fds[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
        epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
    }
    char msg[MSG] = "0123456789abcde";
    long long t0 = bench_now_ns();
    for (int i = 0; i < conns; i++) {
        sent[i] = bench_now_ns();
        if (write(fds[i], msg, MSG) != MSG)
            die("write");
    }
    long done = 0, inflight = conns;
    struct epoll_event evs[256];
    while (inflight > 0) {
        int n = epoll_wait(ep, evs, 256, 10000);
        if (n <= 0)
            die("epoll_wait (no reply for 10 s)");
        for (int k = 0; k < n; k++) {
            int i = evs[k].data.u32;
            char buf[MSG];
            ssize_t r = read(fds[i], buf, MSG);
            if (r != MSG)
                die("read");
            long long now = bench_now_ns();
            if (done < total)
                lat[done++] = now - sent[i];
            if (done + inflight - 1 < total) {
                sent[i] = now;
                if (write(fds[i], msg, MSG) != MSG)
                    die("write");
            } else {
                inflight--;
            }
        }
    }
    long long wall = bench_now_ns() - t0;
    qsort(lat, done, sizeof *lat, cmp);
    printf("RESULT echo_rt_per_s %.1f krt/s\n", done / (wall / 1e9) / 1e3);
    printf("RESULT echo_p99 %.1f us\n", lat[done * 99 / 100] / 1e3);
    fflush(stdout);
    for (int i = 0; i < conns; i++)
        close(fds[i]);
}

int main(int argc, char **argv)
{
    int conns = argc > 1 ? atoi(argv[1]) : 1000;
    long total = argc > 2 ? atol(argv[2]) : 100000;
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < (rlim_t)conns + 64) {
        fprintf(stderr, "tcp_echo: RLIMIT_NOFILE %lu too low for %d connections\n", (unsigned long)rl.rlim_cur, conns);
        return 1;
    }
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    if (bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 4096) || getsockname(ls, (struct sockaddr *)&a, &alen))
        die("listen");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(ls);
        client(ntohs(a.sin_port), conns, total);
        _exit(0);
    }
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    for (int i = 0; i < conns; i++) {
        int fd = accept(ls, NULL, NULL);
        if (fd < 0)
            die("accept");
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        pthread_t t;
        if (pthread_create(&t, &attr, serve, (void *)(intptr_t)fd) != 0)
            die("pthread_create");
    }
    printf("RESULT echo_server_rss %ld KiB\n", bench_rss_kib());
    printf("RESULT echo_server_kthreads %d threads\n", count_tasks());
    fflush(stdout);
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}
