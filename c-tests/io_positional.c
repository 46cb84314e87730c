// ONE-CARRIER
// TIMEOUT: 60
// Positioned reads and writes with glibc's results: pread/pwrite,
// preadv/pwritev, preadv2/pwritev2 (and the 64 and _chk forms) on a regular
// file at offsets, the file position left alone, short reads at end of
// file; ESPIPE on pipes and sockets, EINVAL for a negative offset, EBADF,
// EFAULT. preadv2/pwritev2 at offset -1 use the file position: a thread
// blocked in preadv2 on an empty pipe (no RWF_NOWAIT) must let a ticker
// thread run before the writer writes (on one carrier this hangs if the
// call blocks the carrier), and the program's own RWF_NOWAIT gets EAGAIN.
#include "common.h"
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/uio.h>

ssize_t __pread_chk(int fd, void *buf, size_t n, off_t off, size_t buflen);
ssize_t __pread64_chk(int fd, void *buf, size_t n, off64_t off, size_t buflen);

static int pfd[2];
static atomic_int released;

static void *pipe_reader(void *arg)
{
    long before = ticks_now();
    char a[3] = {0}, b[4] = {0};
    struct iovec iov[2] = {{a, 2}, {b, 3}};
    ssize_t r = arg ? preadv64v2(pfd[0], iov, 2, -1, 0) : preadv2(pfd[0], iov, 2, -1, 0);
    CHECK_MSG(atomic_load(&released), "preadv2 returned before the writer wrote");
    CHECK_MSG(ticks_now() > before, "the ticker did not run while preadv2 waited");
    CHECK_EQ(r, 5);
    CHECK_STR_EQ(a, "he");
    CHECK_STR_EQ(b, "llo");
    return NULL;
}

static void *pipe_writer_waits(void *arg)
{
    (void)arg;
    /* The pipe is full: pwritev2 at the file position waits for room, then
     * writes everything. */
    long before = ticks_now();
    static char big[100000];
    memset(big, 'w', sizeof big);
    struct iovec iov[2] = {{big, 60000}, {big + 60000, 40000}};
    ssize_t r = pwritev2(pfd[1], iov, 2, -1, 0);
    CHECK_MSG(atomic_load(&released), "pwritev2 returned before the reader read");
    CHECK_MSG(ticks_now() > before, "the ticker did not run while pwritev2 waited");
    CHECK_EQ(r, 100000);
    return NULL;
}

static void regular_file(void)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/mnthread-io-positional-%d", (int)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK_SYS(fd);
    unlink(path);
    CHECK_EQ(pwrite(fd, "0123456789", 10, 0), 10);
    CHECK_EQ(pwrite64(fd, "abc", 3, 20), 3); /* a hole from 10 to 20 */
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 0);     /* the position is untouched */
    char buf[32] = {0};
    CHECK_EQ(pread(fd, buf, 4, 3), 4);
    CHECK_STR_EQ(buf, "3456");
    memset(buf, 'x', sizeof buf);
    CHECK_EQ(pread64(fd, buf, sizeof buf, 8), 15); /* short: end of file at 23 */
    CHECK_EQ(buf[0], '8');
    CHECK_EQ(buf[2], 0); /* the hole reads as zeros */
    CHECK_EQ(buf[12], 'a');
    CHECK_EQ(pread(fd, buf, 4, 23), 0);  /* at end of file */
    CHECK_EQ(pread(fd, buf, 4, 1000), 0); /* past it */
    CHECK_EQ(pread(fd, buf, 0, 0), 0);

    char a[3] = {0}, b[5] = {0};
    struct iovec iov[2] = {{a, 2}, {b, 4}};
    CHECK_EQ(preadv(fd, iov, 2, 1), 6);
    CHECK_STR_EQ(a, "12");
    CHECK_STR_EQ(b, "3456");
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    CHECK_EQ(preadv64(fd, iov, 2, 20), 3);
    CHECK_STR_EQ(a, "ab");
    CHECK_STR_EQ(b, "c");
    struct iovec w[2] = {{"XY", 2}, {"Z", 1}};
    CHECK_EQ(pwritev(fd, w, 2, 4), 3);
    CHECK_EQ(pwritev64(fd, w, 1, 30), 2);
    CHECK_EQ(pread(fd, buf, 5, 3), 5);
    CHECK(memcmp(buf, "3XYZ7", 5) == 0);
    CHECK_EQ(lseek(fd, 0, SEEK_END), 32);

    /* preadv2/pwritev2: at an offset, and at the file position (-1). */
    CHECK_EQ(lseek(fd, 2, SEEK_SET), 2);
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    CHECK_EQ(preadv2(fd, iov, 2, 0, 0), 6);
    CHECK_STR_EQ(a, "01");
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 2);
    CHECK_EQ(preadv2(fd, iov, 1, -1, 0), 2);
    CHECK_STR_EQ(a, "23");
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 4);
    CHECK_EQ(pwritev2(fd, w, 2, -1, 0), 3);
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 7);
    CHECK_EQ(pwritev2(fd, w, 1, 0, 0), 2);
    CHECK_EQ(pwritev64v2(fd, w + 1, 1, -1, 0), 1);
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 8);
    CHECK_EQ(preadv64v2(fd, iov, 2, 0, 0), 6);
    CHECK_STR_EQ(a, "XY"); /* "XY23XYZZ89" */
    CHECK_STR_EQ(b, "23XY");
    /* The program's own RWF_NOWAIT: the data is in the page cache. */
    CHECK_EQ(preadv2(fd, iov, 1, 0, RWF_NOWAIT), 2);

    /* The fortified forms. */
    CHECK_EQ(__pread_chk(fd, buf, 4, 0, sizeof buf), 4);
    CHECK_EQ(__pread64_chk(fd, buf, 4, 4, sizeof buf), 4);
    CHECK(memcmp(buf, "XYZZ", 4) == 0);

    /* Errors. */
    CHECK_FAILS(pread(fd, buf, 4, -1), EINVAL);
    CHECK_FAILS(pwrite(fd, buf, 4, -5), EINVAL);
    CHECK_FAILS(preadv(fd, iov, 2, -1), EINVAL);
    CHECK_FAILS(preadv2(fd, iov, 2, -2, 0), EINVAL);
    CHECK_FAILS(preadv2(fd, iov, -1, 0, 0), EINVAL);
    CHECK_FAILS(preadv2(fd, iov, 1, 0, 0x40000000), EOPNOTSUPP); /* unknown flag */
    CHECK_FAILS(pread(fd, (void *)16, 4, 0), EFAULT);
    struct iovec bad = {(void *)16, 4};
    CHECK_FAILS(preadv(fd, &bad, 1, 0), EFAULT);
    CHECK_FAILS(pread(1 << 20, buf, 4, 0), EBADF);
    CHECK_FAILS(preadv2(1 << 20, iov, 1, -1, 0), EBADF);
    CHECK_FAILS(pwritev2(1 << 20, w, 1, -1, 0), EBADF);
    close(fd);
    CHECK_FAILS(pread(fd, buf, 4, 0), EBADF);
    int ro = open("/proc/self/exe", O_RDONLY);
    CHECK_SYS(ro);
    CHECK_FAILS(pwrite(ro, "x", 1, 0), EBADF);
    int wo = open("/dev/null", O_WRONLY);
    CHECK_FAILS(pread(wo, buf, 1, 0), EBADF);
    close(ro);
    close(wo);
}

static void pipes_and_sockets(void)
{
    int p[2], s[2];
    char buf[8];
    CHECK_SYS(pipe(p));
    CHECK_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, s));
    CHECK_EQ(write(p[1], "abc", 3), 3);
    CHECK_EQ(write(s[1], "abc", 3), 3);
    CHECK_FAILS(pread(p[0], buf, 1, 0), ESPIPE);
    CHECK_FAILS(pread64(s[0], buf, 1, 0), ESPIPE);
    CHECK_FAILS(pwrite(p[1], "x", 1, 0), ESPIPE);
    CHECK_FAILS(pwrite(s[1], "x", 1, 0), ESPIPE);
    struct iovec iov = {buf, 2};
    CHECK_FAILS(preadv(p[0], &iov, 1, 0), ESPIPE);
    CHECK_FAILS(preadv2(s[0], &iov, 1, 5, 0), ESPIPE);
    CHECK_FAILS(__pread_chk(p[0], buf, 1, 0, sizeof buf), ESPIPE);
    /* Nothing was consumed. */
    CHECK_EQ(preadv2(p[0], &iov, 1, -1, 0), 2);
    CHECK_EQ(read(s[0], buf, 8), 3);
    /* The program's RWF_NOWAIT on an empty pipe: EAGAIN at once. */
    CHECK_EQ(read(p[0], buf, 1), 1);
    CHECK_FAILS(preadv2(p[0], &iov, 1, -1, RWF_NOWAIT), EAGAIN);
    /* pwritev2 at the position of a socket. */
    struct iovec w = {"hi", 2};
    CHECK_EQ(pwritev2(s[1], &w, 1, -1, 0), 2);
    CHECK_EQ(read(s[0], buf, 8), 2);
    close(p[0]);
    close(p[1]);
    close(s[0]);
    close(s[1]);
}

static void parked_pipe_reads(void)
{
    for (int kind = 0; kind < 2; kind++) {
        CHECK_SYS(pipe(pfd));
        atomic_store(&released, 0);
        pthread_t t;
        CHECK_OK(pthread_create(&t, NULL, pipe_reader, (void *)(intptr_t)kind));
        usleep(30000);
        atomic_store(&released, 1);
        CHECK_EQ(write(pfd[1], "hello", 5), 5);
        CHECK_OK(pthread_join(t, NULL));
        close(pfd[0]);
        close(pfd[1]);
    }
    /* A writer waiting for room in a full pipe. */
    CHECK_SYS(pipe(pfd));
    CHECK_SYS(fcntl(pfd[1], F_SETPIPE_SZ, 4096));
    atomic_store(&released, 0);
    pthread_t t;
    CHECK_OK(pthread_create(&t, NULL, pipe_writer_waits, NULL));
    usleep(30000);
    atomic_store(&released, 1);
    static char sink[100000];
    size_t got = 0;
    while (got < sizeof sink) {
        ssize_t r = read(pfd[0], sink + got, sizeof sink - got);
        CHECK_GT(r, 0);
        got += r;
    }
    CHECK_OK(pthread_join(t, NULL));
    CHECK_EQ(sink[99999], 'w');
    close(pfd[0]);
    close(pfd[1]);
}

int main(void)
{
    ticker_start();
    regular_file();
    pipes_and_sockets();
    parked_pipe_reads();
    ticker_stop();
    puts("io_positional OK");
    return 0;
}
