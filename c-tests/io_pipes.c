// ONE-CARRIER
// TIMEOUT: 60
// Reads and writes on pipes and sockets park only the calling thread, with
// glibc's results: 8 threads blocked reading their own pipes while main
// writes to them; a pipe ping-pong; 1 MiB through a pipe in one write();
// socketpair send/recv, readv/writev, sendmsg/recvmsg; EOF, EPIPE, EBADF;
// the program's own O_NONBLOCK (EAGAIN at once) and flags never changed;
// SO_RCVTIMEO; a pipe shared with a child process that still blocks there;
// close() of a descriptor another thread is parked on.
#include "common.h"
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#define READERS 8
static int pipes[READERS][2];

static void *reader(void *arg) {
    long i = (long)arg;
    char c = 0;
    CHECK_EQ(read(pipes[i][0], &c, 1), 1);
    CHECK_EQ(c, (char)('a' + i));
    return NULL;
}

#define HOPS 20000
static int ping[2], pong[2];
static void *ponger(void *arg) {
    for (int i = 0; i < HOPS; i++) {
        int v;
        CHECK_EQ(read(ping[0], &v, sizeof v), (ssize_t)sizeof v);
        CHECK_EQ(v, i);
        v = -i;
        CHECK_EQ(write(pong[1], &v, sizeof v), (ssize_t)sizeof v);
    }
    return arg;
}

#define BIG (1 << 20)
static int bigp[2];
static void *big_reader(void *arg) {
    unsigned char *buf = malloc(BIG);
    size_t got = 0;
    while (got < BIG) {
        ssize_t r = read(bigp[0], buf + got, BIG - got);
        CHECK_GT(r, 0);
        got += r;
    }
    for (size_t i = 0; i < BIG; i++)
        CHECK_EQ(buf[i], (unsigned char)(i * 7));
    free(buf);
    return arg;
}

static int sp[2];
static void *sock_echo(void *arg) {
    char buf[64];
    /* recv, then send back */
    ssize_t n = recv(sp[1], buf, sizeof buf, 0);
    CHECK_EQ(n, 5);
    CHECK_EQ(send(sp[1], buf, n, 0), n);
    /* readv into two pieces, writev back */
    char a[3], b[4];
    struct iovec in[2] = {{a, 3}, {b, 4}};
    CHECK_EQ(readv(sp[1], in, 2), 7);
    CHECK_EQ(writev(sp[1], in, 2), 7);
    /* recvmsg, sendmsg */
    struct iovec v = {buf, sizeof buf};
    struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1};
    n = recvmsg(sp[1], &m, 0);
    CHECK_EQ(n, 4);
    v.iov_len = n;
    CHECK_EQ(sendmsg(sp[1], &m, 0), n);
    return arg;
}

static void *two_sends(void *arg) {
    CHECK_EQ(send(sp[1], "abc", 3, 0), 3);
    usleep(20000);
    CHECK_EQ(send(sp[1], "def", 3, 0), 3);
    return arg;
}

static int closing[2];
static atomic_int close_reader_started;
static void *close_reader(void *arg) {
    char c;
    atomic_store(&close_reader_started, 1);
    ssize_t r = read(closing[0], &c, 1);
    /* glibc: the read goes on on the file and sees EOF once the write end
     * is closed; mnthread: woken by the close, the retried read says EBADF. */
    CHECK_MSG(r == 0 || (r == -1 && errno == EBADF), "read after close: %zd (%s)", r, strerror(errno));
    return arg;
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);

    /* 8 blocked readers; main writes to each after they started. */
    pthread_t t[READERS];
    for (long i = 0; i < READERS; i++) {
        CHECK_SYS(pipe(pipes[i]));
        CHECK_OK(pthread_create(&t[i], NULL, reader, (void *)i));
    }
    usleep(20000);
    for (long i = 0; i < READERS; i++) {
        char c = 'a' + i;
        CHECK_EQ(write(pipes[i][1], &c, 1), 1);
    }
    for (int i = 0; i < READERS; i++) {
        CHECK_OK(pthread_join(t[i], NULL));
        /* EOF once the write end is closed */
        CHECK_SYS(close(pipes[i][1]));
        char c;
        CHECK_EQ(read(pipes[i][0], &c, 1), 0);
        CHECK_SYS(close(pipes[i][0]));
    }

    /* ping-pong */
    CHECK_SYS(pipe(ping));
    CHECK_SYS(pipe(pong));
    pthread_t pt;
    CHECK_OK(pthread_create(&pt, NULL, ponger, NULL));
    for (int i = 0; i < HOPS; i++) {
        int v = i;
        CHECK_EQ(write(ping[1], &v, sizeof v), (ssize_t)sizeof v);
        CHECK_EQ(read(pong[0], &v, sizeof v), (ssize_t)sizeof v);
        CHECK_EQ(v, -i);
    }
    CHECK_OK(pthread_join(pt, NULL));

    /* 1 MiB in one write: it returns only when all is in the pipe. */
    CHECK_SYS(pipe(bigp));
    unsigned char *big = malloc(BIG);
    for (size_t i = 0; i < BIG; i++)
        big[i] = (unsigned char)(i * 7);
    CHECK_OK(pthread_create(&pt, NULL, big_reader, NULL));
    CHECK_EQ(write(bigp[1], big, BIG), (ssize_t)BIG);
    CHECK_OK(pthread_join(pt, NULL));
    free(big);

    /* EPIPE once the read end is gone; EBADF for closed descriptors. */
    CHECK_SYS(close(bigp[0]));
    CHECK_FAILS(write(bigp[1], "x", 1), EPIPE);
    CHECK_SYS(close(bigp[1]));
    char c;
    CHECK_FAILS(read(bigp[0], &c, 1), EBADF);
    CHECK_FAILS(read(-1, &c, 1), EBADF);
    CHECK_FAILS(write(-1, &c, 1), EBADF);

    /* sockets */
    CHECK_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sp));
    CHECK_OK(pthread_create(&pt, NULL, sock_echo, NULL));
    char buf[16] = {0};
    usleep(10000);
    CHECK_EQ(send(sp[0], "hello", 5, 0), 5);
    CHECK_EQ(recv(sp[0], buf, 5, MSG_WAITALL), 5);
    CHECK(memcmp(buf, "hello", 5) == 0);
    CHECK_EQ(write(sp[0], "abcdefg", 7), 7);
    CHECK_EQ(recv(sp[0], buf, 7, MSG_WAITALL), 7);
    CHECK(memcmp(buf, "abcdefg", 7) == 0);
    CHECK_EQ(send(sp[0], "wxyz", 4, 0), 4);
    CHECK_EQ(recvfrom(sp[0], buf, 4, MSG_WAITALL, NULL, NULL), 4);
    CHECK(memcmp(buf, "wxyz", 4) == 0);
    CHECK_OK(pthread_join(pt, NULL));

    /* MSG_WAITALL waits for all of it, across two sends. */
    CHECK_OK(pthread_create(&pt, NULL, two_sends, NULL));
    CHECK_EQ(recv(sp[0], buf, 6, MSG_WAITALL), 6);
    CHECK(memcmp(buf, "abcdef", 6) == 0);
    CHECK_OK(pthread_join(pt, NULL));

    /* MSG_DONTWAIT and the program's O_NONBLOCK: EAGAIN at once. */
    CHECK_FAILS(recv(sp[0], buf, 1, MSG_DONTWAIT), EAGAIN);
    int fl = fcntl(sp[0], F_GETFL);
    CHECK_SYS(fcntl(sp[0], F_SETFL, fl | O_NONBLOCK));
    CHECK_FAILS(read(sp[0], buf, 1), EAGAIN);
    CHECK_FAILS(recv(sp[0], buf, 1, 0), EAGAIN);
    CHECK_SYS(fcntl(sp[0], F_SETFL, fl));
    CHECK_EQ(fcntl(sp[0], F_GETFL), fl);

    /* SO_RCVTIMEO: EAGAIN once the timeout passed. */
    struct timeval tv = {0, 100 * 1000};
    CHECK_SYS(setsockopt(sp[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
    long long t0 = now_ns();
    CHECK_FAILS(recv(sp[0], buf, 1, 0), EAGAIN);
    CHECK_FAILS(read(sp[0], buf, 1), EAGAIN);
    CHECK_GE(now_ns() - t0, 180LL * 1000 * 1000);
    close(sp[0]);
    close(sp[1]);

    /* A pipe shared with a child: its flags are the program's, and a
     * child blocking on it in the kernel still blocks (and gets a byte). */
    int shared[2];
    CHECK_SYS(pipe(shared));
    memcpy(pipes[0], shared, sizeof shared);
    CHECK_OK(pthread_create(&pt, NULL, reader, (void *)0L));
    usleep(20000);
    pid_t pid = fork();
    if (pid == 0) {
        if (fcntl(shared[0], F_GETFL) & O_NONBLOCK)
            _exit(2);
        char ch;
        if (syscall(SYS_read, shared[0], &ch, 1) != 1)
            _exit(3);
        _exit(ch == 'a' ? 0 : 4);
    }
    CHECK_SYS(pid);
    usleep(20000);
    CHECK_EQ(write(shared[1], "aa", 2), 2);
    CHECK_OK(pthread_join(pt, NULL));
    int st;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    char sb[64];
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child: %s", describe_status(st, sb, sizeof sb));
    close(shared[0]);
    close(shared[1]);

    /* close() of a descriptor another thread is parked on. */
    CHECK_SYS(pipe(closing));
    CHECK_OK(pthread_create(&pt, NULL, close_reader, NULL));
    while (!atomic_load(&close_reader_started))
        sched_yield();
    usleep(20000);
    CHECK_SYS(close(closing[0]));
    usleep(20000);
    CHECK_SYS(close(closing[1]));
    CHECK_OK(pthread_join(pt, NULL));

    printf("io_pipes OK\n");
    return 0;
}
