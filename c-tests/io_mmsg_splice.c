// ONE-CARRIER
// TIMEOUT: 60
// recvmmsg/sendmmsg, splice and sendfile park only the calling thread, with
// glibc's results. A ticker thread (1 ms sleeps) must keep ticking while a
// party waits — on one carrier it can only run if the wait did not block
// the carrier:
// * recvmmsg on a datagram socketpair waits for the first message; with
//   MSG_WAITFORONE it returns what is there then, without it it waits for
//   all vlen; its timeout is checked only after a message came (a late
//   message ends the batch, the time left written back is 0); MSG_DONTWAIT
//   and O_NONBLOCK give EAGAIN; EFAULT for a bad timeout, EINVAL for an
//   invalid one, EBADF, ENOTSOCK.
// * sendmmsg of a batch larger than a stream socket's buffer waits for room
//   and sends every message whole (msg_len), the reader draining slowly.
// * splice pipe -> pipe waits for data (parked), and for room in a full
//   output pipe; SPLICE_F_NONBLOCK gives EAGAIN; EINVAL, EBADF, ESPIPE.
// * sendfile file -> socket waits for room in the socket and sends it all;
//   the offset is advanced and the file position untouched; sendfile64.
#include "common.h"
#include <stdatomic.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>

#define VLEN 4
static int dg[2];
static atomic_int released;
static char bufs[VLEN][16];
static struct iovec iovs[VLEN];
static struct mmsghdr msgs[VLEN];

static void reset_msgs(void)
{
    memset(bufs, 0, sizeof bufs);
    memset(msgs, 0, sizeof msgs);
    for (int i = 0; i < VLEN; i++) {
        iovs[i].iov_base = bufs[i];
        iovs[i].iov_len = sizeof bufs[i];
        msgs[i].msg_hdr.msg_iov = &iovs[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
}

static void send_dgram(const char *s)
{
    CHECK_EQ(send(dg[1], s, strlen(s), 0), (ssize_t)strlen(s));
}

/* Waits for the first message, then (MSG_WAITFORONE) takes what is there. */
static void *recv_waitforone(void *arg)
{
    (void)arg;
    long before = ticks_now();
    int r = recvmmsg(dg[0], msgs, VLEN, MSG_WAITFORONE, NULL);
    CHECK_MSG(atomic_load(&released), "recvmmsg returned before a message was sent");
    CHECK_MSG(ticks_now() > before, "the ticker did not run while recvmmsg waited");
    CHECK_GE(r, 1);
    CHECK_STR_EQ(bufs[0], "one");
    CHECK_EQ(msgs[0].msg_len, 3);
    return (void *)(intptr_t)r;
}

/* Without MSG_WAITFORONE: waits until all VLEN came. */
static void *recv_all(void *arg)
{
    (void)arg;
    long before = ticks_now();
    int r = recvmmsg(dg[0], msgs, VLEN, 0, NULL);
    CHECK_MSG(atomic_load(&released) == VLEN, "recvmmsg returned after %d of %d messages", atomic_load(&released), VLEN);
    CHECK_MSG(ticks_now() > before, "the ticker did not run while recvmmsg waited");
    CHECK_EQ(r, VLEN);
    for (int i = 0; i < VLEN; i++) {
        CHECK_EQ(bufs[i][0], 'a' + i);
        CHECK_EQ(msgs[i].msg_len, 1);
    }
    return NULL;
}

static void recvmmsg_cases(void)
{
    CHECK_SYS(socketpair(AF_UNIX, SOCK_DGRAM, 0, dg));
    reset_msgs();
    atomic_store(&released, 0);
    pthread_t t;
    CHECK_OK(pthread_create(&t, NULL, recv_waitforone, NULL));
    usleep(30000);
    atomic_store(&released, 1);
    send_dgram("one");
    void *r;
    CHECK_OK(pthread_join(t, &r));
    CHECK_EQ((intptr_t)r, 1);

    /* Messages already there: all of them at once. */
    reset_msgs();
    send_dgram("x");
    send_dgram("yy");
    CHECK_EQ(recvmmsg(dg[0], msgs, VLEN, MSG_WAITFORONE, NULL), 2);
    CHECK_EQ(msgs[1].msg_len, 2);

    /* Without MSG_WAITFORONE: until all four came, one every 10 ms. */
    reset_msgs();
    atomic_store(&released, 0);
    CHECK_OK(pthread_create(&t, NULL, recv_all, NULL));
    for (int i = 0; i < VLEN; i++) {
        usleep(10000);
        atomic_fetch_add(&released, 1);
        char s[2] = {(char)('a' + i), 0};
        send_dgram(s);
    }
    CHECK_OK(pthread_join(t, NULL));

    /* The timeout counts only after a message: with two there and a 30 ms
     * timeout, the call takes both, waits, takes the third (sent after
     * 60 ms), finds the time over and returns 3 with 0 left. */
    reset_msgs();
    send_dgram("p");
    send_dgram("q");
    struct timespec ts = {0, 30 * 1000000};
    long long t0 = now_ns();
    pid_t kid = fork_checked();
    if (kid == 0) {
        usleep(60000);
        send_dgram("r");
        _exit(0);
    }
    CHECK_EQ(recvmmsg(dg[0], msgs, VLEN, 0, &ts), 3);
    CHECK_GE(now_ns() - t0, 50LL * 1000000);
    CHECK_EQ(ts.tv_sec, 0);
    CHECK_EQ(ts.tv_nsec, 0);
    CHECK_EQ(bufs[2][0], 'r');
    wait_child_ok(kid, "sender");
    /* Enough time left: the time left is written back. */
    reset_msgs();
    for (int i = 0; i < VLEN; i++)
        send_dgram("z");
    struct timespec big = {100, 0};
    CHECK_EQ(recvmmsg(dg[0], msgs, VLEN, 0, &big), VLEN);
    CHECK_EQ(big.tv_sec >= 99 && big.tv_sec <= 100, 1);

    /* Errors, and the cases that do not wait. */
    CHECK_FAILS(recvmmsg(dg[0], msgs, VLEN, MSG_DONTWAIT, NULL), EAGAIN);
    struct timespec bad = {0, 2000000000L};
    send_dgram("w");
    CHECK_FAILS(recvmmsg(dg[0], msgs, VLEN, 0, &bad), EINVAL);
    CHECK_FAILS(recvmmsg(dg[0], msgs, VLEN, 0, (struct timespec *)16), EFAULT);
    CHECK_EQ(recvmmsg(dg[0], msgs, VLEN, MSG_WAITFORONE, NULL), 1); /* "w" is still there */
    CHECK_FAILS(recvmmsg(1 << 20, msgs, VLEN, 0, NULL), EBADF);
    int f = open("/dev/null", O_RDONLY);
    CHECK_FAILS(recvmmsg(f, msgs, VLEN, 0, NULL), ENOTSOCK);
    CHECK_FAILS(sendmmsg(f, msgs, VLEN, 0), ENOTSOCK);
    close(f);
    CHECK_EQ(recvmmsg(dg[0], msgs, 0, 0, NULL), 0);
    int fl = fcntl(dg[0], F_GETFL);
    CHECK_SYS(fcntl(dg[0], F_SETFL, fl | O_NONBLOCK));
    CHECK_FAILS(recvmmsg(dg[0], msgs, VLEN, 0, NULL), EAGAIN);
    send_dgram("n");
    CHECK_EQ(recvmmsg(dg[0], msgs, VLEN, 0, NULL), 1); /* non-blocking: what is there */
    CHECK_SYS(fcntl(dg[0], F_SETFL, fl));

    /* sendmmsg on the datagram pair. */
    reset_msgs();
    const char *out[3] = {"s1", "s22", "s333"};
    struct iovec oiov[3];
    struct mmsghdr om[3];
    memset(om, 0, sizeof om);
    for (int i = 0; i < 3; i++) {
        oiov[i].iov_base = (void *)out[i];
        oiov[i].iov_len = strlen(out[i]);
        om[i].msg_hdr.msg_iov = &oiov[i];
        om[i].msg_hdr.msg_iovlen = 1;
    }
    CHECK_EQ(sendmmsg(dg[1], om, 3, 0), 3);
    CHECK_EQ(om[2].msg_len, 4);
    CHECK_EQ(recvmmsg(dg[0], msgs, VLEN, MSG_WAITFORONE, NULL), 3);
    CHECK_STR_EQ(bufs[2], "s333");
    CHECK_EQ(sendmmsg(dg[1], om, 0, 0), 0);
    CHECK_FAILS(sendmmsg(1 << 20, om, 1, 0), EBADF);
    close(dg[0]);
    close(dg[1]);
}

/* sendmmsg of more than a stream socket holds: waits for room, sends all. */
#define BIGMSG 300000
static int st[2];
static void *slow_drain(void *arg)
{
    (void)arg;
    static char sink[4 * BIGMSG];
    size_t got = 0;
    usleep(30000);
    atomic_store(&released, 1);
    while (got < sizeof sink) {
        ssize_t r = read(st[1], sink + got, 8192);
        CHECK_GT(r, 0);
        got += r;
    }
    for (size_t i = 0; i < sizeof sink; i += 4096)
        CHECK_EQ(sink[i], (char)('A' + i / BIGMSG));
    return NULL;
}

static void sendmmsg_stream(void)
{
    CHECK_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, st));
    int sz = 65536;
    CHECK_SYS(setsockopt(st[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz));
    static char big[4][BIGMSG];
    struct iovec iov[4][2];
    struct mmsghdr m[4];
    memset(m, 0, sizeof m);
    for (int i = 0; i < 4; i++) {
        memset(big[i], 'A' + i, BIGMSG);
        iov[i][0].iov_base = big[i];
        iov[i][0].iov_len = 1000;
        iov[i][1].iov_base = big[i] + 1000;
        iov[i][1].iov_len = BIGMSG - 1000;
        m[i].msg_hdr.msg_iov = iov[i];
        m[i].msg_hdr.msg_iovlen = 2;
    }
    atomic_store(&released, 0);
    pthread_t t;
    CHECK_OK(pthread_create(&t, NULL, slow_drain, NULL));
    long before = ticks_now();
    CHECK_EQ(sendmmsg(st[0], m, 4, 0), 4);
    CHECK(atomic_load(&released));
    CHECK_MSG(ticks_now() > before, "the ticker did not run while sendmmsg waited");
    for (int i = 0; i < 4; i++)
        CHECK_EQ(m[i].msg_len, BIGMSG);
    CHECK_OK(pthread_join(t, NULL));
    close(st[0]);
    close(st[1]);
}

static int pin[2], pout[2];
static void *splicer(void *arg)
{
    long before = ticks_now();
    ssize_t r = splice(pin[0], NULL, pout[1], NULL, 100, 0);
    CHECK_MSG(atomic_load(&released), "splice returned before it was released");
    CHECK_MSG(ticks_now() > before, "the ticker did not run while splice waited");
    CHECK_EQ(r, (intptr_t)arg);
    return NULL;
}

static void splice_cases(void)
{
    /* The input pipe is empty: splice waits for data. */
    CHECK_SYS(pipe(pin));
    CHECK_SYS(pipe(pout));
    atomic_store(&released, 0);
    pthread_t t;
    CHECK_OK(pthread_create(&t, NULL, splicer, (void *)5));
    usleep(30000);
    atomic_store(&released, 1);
    CHECK_EQ(write(pin[1], "hello", 5), 5);
    CHECK_OK(pthread_join(t, NULL));
    char buf[16] = {0};
    CHECK_EQ(read(pout[0], buf, sizeof buf), 5);
    CHECK_STR_EQ(buf, "hello");

    /* The output pipe is full: splice waits for room. */
    CHECK_SYS(fcntl(pout[1], F_SETPIPE_SZ, 4096));
    static char fill[4096];
    CHECK_EQ(write(pout[1], fill, sizeof fill), 4096);
    CHECK_EQ(write(pin[1], "abc", 3), 3);
    atomic_store(&released, 0);
    CHECK_OK(pthread_create(&t, NULL, splicer, (void *)3));
    usleep(30000);
    atomic_store(&released, 1);
    CHECK_EQ(read(pout[0], fill, sizeof fill), 4096);
    CHECK_OK(pthread_join(t, NULL));
    CHECK_EQ(read(pout[0], buf, sizeof buf), 3);

    /* Nothing to wait for, and errors. */
    CHECK_FAILS(splice(pin[0], NULL, pout[1], NULL, 10, SPLICE_F_NONBLOCK), EAGAIN);
    CHECK_EQ(write(pin[1], "xy", 2), 2);
    CHECK_EQ(splice(pin[0], NULL, pout[1], NULL, 10, SPLICE_F_NONBLOCK), 2);
    CHECK_FAILS(splice(1 << 20, NULL, pout[1], NULL, 10, 0), EBADF);
    loff_t off = 0;
    CHECK_FAILS(splice(pin[0], &off, pout[1], NULL, 10, 0), ESPIPE);
    int f = open("/dev/null", O_RDONLY);
    CHECK_FAILS(splice(f, NULL, pin[0], NULL, 10, 0), EBADF); /* pin[0] is not writable */
    int fl = fcntl(pin[0], F_GETFL);
    CHECK_SYS(fcntl(pin[0], F_SETFL, fl | O_NONBLOCK));
    CHECK_SYS(fcntl(pout[1], F_SETFL, fl | O_NONBLOCK));
    CHECK_FAILS(splice(pin[0], NULL, pout[1], NULL, 10, 0), EAGAIN);
    close(f);
    close(pin[0]);
    close(pin[1]);
    close(pout[0]);
    close(pout[1]);
}

#define FILESZ (1 << 20)
static int sk[2];
static void *drain_socket(void *arg)
{
    (void)arg;
    static char sink[FILESZ];
    size_t got = 0;
    usleep(30000);
    atomic_store(&released, 1);
    while (got < FILESZ) {
        ssize_t r = read(sk[1], sink + got, 16384);
        CHECK_GT(r, 0);
        got += r;
    }
    for (size_t i = 0; i < FILESZ; i += 997)
        CHECK_EQ(sink[i], (char)(i * 13));
    return NULL;
}

static void sendfile_cases(void)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/mnthread-io-sendfile-%d", (int)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK_SYS(fd);
    unlink(path);
    static char data[FILESZ];
    for (size_t i = 0; i < FILESZ; i++)
        data[i] = (char)(i * 13);
    CHECK_EQ(write(fd, data, FILESZ), FILESZ);
    CHECK_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sk));
    atomic_store(&released, 0);
    pthread_t t;
    CHECK_OK(pthread_create(&t, NULL, drain_socket, NULL));
    long before = ticks_now();
    off_t off = 0;
    CHECK_EQ(sendfile(sk[0], fd, &off, FILESZ), FILESZ);
    CHECK(atomic_load(&released));
    CHECK_MSG(ticks_now() > before, "the ticker did not run while sendfile waited");
    CHECK_EQ(off, FILESZ);
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), FILESZ); /* from the write; sendfile with an offset leaves it */
    CHECK_OK(pthread_join(t, NULL));

    /* At the file position: it moves. sendfile64 to a pipe. */
    int p[2];
    CHECK_SYS(pipe(p));
    CHECK_EQ(lseek(fd, 10, SEEK_SET), 10);
    CHECK_EQ(sendfile64(p[1], fd, NULL, 5), 5);
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 15);
    char buf[8];
    CHECK_EQ(read(p[0], buf, 8), 5);
    CHECK_EQ(buf[0], (char)(10 * 13));
    CHECK_FAILS(sendfile(p[1], 1 << 20, NULL, 5), EBADF);
    CHECK_FAILS(sendfile(1 << 20, fd, NULL, 5), EBADF);
    CHECK_FAILS(sendfile(p[1], fd, (off_t *)16, 5), EFAULT);
    off = -1;
    CHECK_FAILS(sendfile(p[1], fd, &off, 5), EINVAL);
    close(p[0]);
    close(p[1]);
    close(sk[0]);
    close(sk[1]);
    close(fd);
}

int main(void)
{
    ticker_start();
    recvmmsg_cases();
    sendmmsg_stream();
    splice_cases();
    sendfile_cases();
    ticker_stop();
    puts("io_mmsg_splice OK");
    return 0;
}
