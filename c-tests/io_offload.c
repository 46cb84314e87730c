// ONE-CARRIER
// TIMEOUT: 60
// LINK: -lrt
// Calls that block with nothing to poll for park only the calling thread:
// while one waits, a ticker thread (1 ms sleeps) must keep ticking — on one
// carrier it can only run if the call did not block the carrier. Each
// waiter is released by the main thread after a pause, and every call
// returns glibc's results:
// * flock(LOCK_EX) contended by another open file description of the same
//   file (flock locks belong to the description); LOCK_NB: EWOULDBLOCK.
// * fcntl(F_SETLKW) contended by a child process; F_SETLK: EAGAIN;
//   F_OFD_SETLKW contended by another description; lockf(F_LOCK) likewise;
//   fcntl's other commands unchanged (F_GETFL, F_DUPFD, F_GETLK).
// * open of a FIFO blocks until the other end opens (both directions);
//   O_NONBLOCK and regular files do not wait; ENOENT, ENXIO.
// * msgrcv waits for another thread's msgsnd; msgsnd waits for room;
//   IPC_NOWAIT: ENOMSG/EAGAIN; EINVAL, E2BIG.
// * semop waits for another thread's semop; IPC_NOWAIT: EAGAIN;
//   semtimedop times out (EAGAIN) after its timeout; EINVAL, EFAULT.
// * mq_receive waits for another thread's mq_send, mq_send for room;
//   mq_timedreceive times out (ETIMEDOUT) and checks its timeout (EINVAL)
//   even with a message there; O_NONBLOCK queues: EAGAIN.
// * fsync, fdatasync, sync_file_range of a written file; EBADF, EINVAL.
#include "common.h"
#include <mqueue.h>
#include <stdatomic.h>
#include <sys/file.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/stat.h>

static atomic_int released;
static char path[64], fifo[64];

/* Runs fn in a thread, waits 30 ms, releases it with release(), joins; the
 * thread must not return before the release, and the ticker must tick
 * while it waits. */
struct waiter {
    const char *what;
    void (*fn)(void);
    long before;
};

static void *waiter_main(void *arg)
{
    struct waiter *w = arg;
    w->before = ticks_now();
    w->fn();
    CHECK_MSG(atomic_load(&released), "%s returned before it was released", w->what);
    CHECK_MSG(ticks_now() > w->before, "%s: the ticker did not run while it waited", w->what);
    return NULL;
}

static void run_waiter(const char *what, void (*fn)(void), void (*release)(void))
{
    struct waiter w = {what, fn, 0};
    atomic_store(&released, 0);
    pthread_t t;
    CHECK_OK(pthread_create(&t, NULL, waiter_main, &w));
    usleep(30000);
    atomic_store(&released, 1);
    release();
    CHECK_OK(pthread_join(t, NULL));
}

/* ---- flock ---- */
static int lock_fd1, lock_fd2;
static void flock_wait(void) { CHECK_SYS(flock(lock_fd2, LOCK_EX)); }
static void flock_release(void) { CHECK_SYS(flock(lock_fd1, LOCK_UN)); }

static void flocks(void)
{
    lock_fd1 = open(path, O_RDWR | O_CREAT, 0600);
    lock_fd2 = open(path, O_RDWR);
    CHECK_SYS(lock_fd1);
    CHECK_SYS(lock_fd2);
    CHECK_SYS(flock(lock_fd1, LOCK_EX));
    CHECK_FAILS(flock(lock_fd2, LOCK_EX | LOCK_NB), EWOULDBLOCK);
    CHECK_FAILS(flock(lock_fd2, LOCK_SH | LOCK_NB), EWOULDBLOCK);
    run_waiter("flock", flock_wait, flock_release);
    CHECK_FAILS(flock(lock_fd1, LOCK_SH | LOCK_NB), EWOULDBLOCK);
    CHECK_SYS(flock(lock_fd2, LOCK_UN));
    CHECK_SYS(flock(lock_fd1, LOCK_SH));
    CHECK_SYS(flock(lock_fd2, LOCK_SH)); /* shared locks do not conflict */
    CHECK_SYS(flock(lock_fd1, LOCK_UN));
    CHECK_SYS(flock(lock_fd2, LOCK_UN));
    CHECK_FAILS(flock(lock_fd1, 0), EINVAL);
    CHECK_FAILS(flock(1 << 20, LOCK_EX), EBADF);
    close(lock_fd1);
    close(lock_fd2);
}

/* ---- fcntl record locks ---- */
static int rec_fd, child_pipe[2];
static struct flock whole = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
static void setlkw_wait(void) { CHECK_SYS(fcntl(rec_fd, F_SETLKW, &whole)); }
static void setlkw_release(void) { CHECK_EQ(write(child_pipe[1], "u", 1), 1); }
static void lockf_wait(void) { CHECK_SYS(lockf(rec_fd, F_LOCK, 0)); }
static int ofd1, ofd2;
static void ofd_wait(void) { CHECK_SYS(fcntl(ofd2, F_OFD_SETLKW, &whole)); }
static void ofd_release(void)
{
    struct flock un = {.l_type = F_UNLCK, .l_whence = SEEK_SET};
    CHECK_SYS(fcntl(ofd1, F_OFD_SETLK, &un));
}

/* A child takes a write lock on the file, says so, and holds it until told. */
static pid_t lock_in_child(int use_lockf)
{
    int ready[2];
    CHECK_SYS(pipe(child_pipe));
    CHECK_SYS(pipe(ready));
    pid_t pid = fork_checked();
    if (pid == 0) {
        close(child_pipe[1]); /* EOF if the parent dies */
        int fd = open(path, O_RDWR);
        if (fd < 0 || (use_lockf ? lockf(fd, F_LOCK, 0) : fcntl(fd, F_SETLK, &whole)) != 0)
            _exit(2);
        if (write(ready[1], "l", 1) != 1)
            _exit(3);
        char c;
        if (read(child_pipe[0], &c, 1) != 1)
            _exit(4);
        _exit(0); /* exiting drops the lock */
    }
    char c;
    CHECK_EQ(read(ready[0], &c, 1), 1);
    close(ready[0]);
    close(ready[1]);
    return pid;
}

static void record_locks(void)
{
    rec_fd = open(path, O_RDWR);
    CHECK_SYS(rec_fd);
    pid_t pid = lock_in_child(0);
    CHECK_FAILS(fcntl(rec_fd, F_SETLK, &whole), EAGAIN);
    struct flock probe = whole;
    CHECK_SYS(fcntl(rec_fd, F_GETLK, &probe));
    CHECK_EQ(probe.l_pid, pid);
    CHECK_FAILS(lockf(rec_fd, F_TLOCK, 0), EAGAIN);
    CHECK_FAILS(lockf(rec_fd, F_TEST, 0), EACCES); /* glibc's F_TEST reports EACCES */
    run_waiter("fcntl(F_SETLKW)", setlkw_wait, setlkw_release);
    wait_child_ok(pid, "lock holder");
    struct flock un = {.l_type = F_UNLCK, .l_whence = SEEK_SET};
    CHECK_SYS(fcntl(rec_fd, F_SETLK, &un));
    close(child_pipe[0]);
    close(child_pipe[1]);

    pid = lock_in_child(1);
    run_waiter("lockf(F_LOCK)", lockf_wait, setlkw_release);
    wait_child_ok(pid, "lockf holder");
    CHECK_SYS(lockf(rec_fd, F_ULOCK, 0));
    close(child_pipe[0]);
    close(child_pipe[1]);

    /* OFD locks: two descriptions of one process conflict. */
    ofd1 = open(path, O_RDWR);
    ofd2 = open(path, O_RDWR);
    CHECK_SYS(fcntl(ofd1, F_OFD_SETLK, &whole));
    CHECK_FAILS(fcntl(ofd2, F_OFD_SETLK, &whole), EAGAIN);
    run_waiter("fcntl(F_OFD_SETLKW)", ofd_wait, ofd_release);
    CHECK_SYS(fcntl(ofd2, F_OFD_SETLK, &un));

    /* Errors and the other commands. */
    CHECK_FAILS(fcntl(rec_fd, F_SETLKW, (struct flock *)16), EFAULT);
    struct flock badtype = {.l_type = 77, .l_whence = SEEK_SET};
    CHECK_FAILS(fcntl(rec_fd, F_SETLKW, &badtype), EINVAL);
    CHECK_FAILS(fcntl(1 << 20, F_SETLKW, &whole), EBADF);
    CHECK_FAILS(fcntl(ofd1, F_OFD_SETLKW, &badtype), EINVAL);
    CHECK_EQ(fcntl(rec_fd, F_GETFL) & O_ACCMODE, O_RDWR);
    int d = fcntl(rec_fd, F_DUPFD, 100);
    CHECK_GE(d, 100);
    CHECK_SYS(fcntl(d, F_SETFD, FD_CLOEXEC));
    CHECK_EQ(fcntl(d, F_GETFD), FD_CLOEXEC);
    CHECK_FAILS(fcntl(rec_fd, 12345), EINVAL);
    CHECK_FAILS(lockf(rec_fd, 99, 0), EINVAL);
    close(d);
    close(ofd1);
    close(ofd2);
    close(rec_fd);
}

/* ---- FIFO opens ---- */
static int fifo_other = -1;
static void open_fifo_read(void)
{
    int fd = open(fifo, O_RDONLY);
    CHECK_SYS(fd);
    char c;
    CHECK_EQ(read(fd, &c, 1), 1);
    CHECK_EQ(c, 'f');
    close(fd);
}
static void release_writer(void)
{
    fifo_other = open(fifo, O_WRONLY);
    CHECK_SYS(fifo_other);
    CHECK_EQ(write(fifo_other, "f", 1), 1);
}
static void open_fifo_write(void)
{
    int fd = openat(AT_FDCWD, fifo, O_WRONLY | O_CLOEXEC);
    CHECK_SYS(fd);
    CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
    CHECK_EQ(write(fd, "g", 1), 1);
    close(fd);
}
static void release_reader(void)
{
    fifo_other = open(fifo, O_RDONLY | O_NONBLOCK);
    CHECK_SYS(fifo_other);
}

static void fifo_opens(void)
{
    CHECK_SYS(mkfifo(fifo, 0600));
    run_waiter("open(FIFO, O_RDONLY)", open_fifo_read, release_writer);
    close(fifo_other);
    run_waiter("openat(FIFO, O_WRONLY)", open_fifo_write, release_reader);
    char c;
    CHECK_EQ(read(fifo_other, &c, 1), 1);
    CHECK_EQ(c, 'g');
    close(fifo_other);
    /* Opens that do not wait. */
    int r = open(fifo, O_RDONLY | O_NONBLOCK);
    CHECK_SYS(r);
    int w = open(fifo, O_WRONLY | O_NONBLOCK); /* a reader is there */
    CHECK_SYS(w);
    close(w);
    close(r);
    CHECK_FAILS(open(fifo, O_WRONLY | O_NONBLOCK), ENXIO);
    int rw = open(fifo, O_RDWR); /* Linux: never waits */
    CHECK_SYS(rw);
    close(rw);
    CHECK_FAILS(open(fifo, O_RDONLY | O_DIRECTORY), ENOTDIR);
    CHECK_FAILS(open("/nonexistent/x", O_RDONLY), ENOENT);
    CHECK_FAILS(open((const char *)16, O_RDONLY), EFAULT);
    CHECK_FAILS(open(fifo, O_WRONLY | O_CREAT | O_EXCL, 0600), EEXIST);
    int f = open(path, O_RDONLY);
    CHECK_SYS(f);
    close(f);
    f = creat(path, 0600);
    CHECK_SYS(f);
    CHECK_EQ(fcntl(f, F_GETFL) & O_ACCMODE, O_WRONLY);
    close(f);
    unlink(fifo);
}

/* ---- SysV message queues ---- */
struct msg {
    long type;
    char text[16];
};
static int msq;
static void msgrcv_wait(void)
{
    struct msg m;
    CHECK_EQ(msgrcv(msq, &m, sizeof m.text, 2, 0), 5);
    CHECK_STR_EQ(m.text, "two!");
}
static void msgsnd_release(void)
{
    struct msg m = {2, "two!"};
    CHECK_SYS(msgsnd(msq, &m, 5, 0));
}
static void msgsnd_wait(void)
{
    struct msg m = {1, "full"};
    CHECK_SYS(msgsnd(msq, &m, 5, 0));
}
static void msgrcv_release(void)
{
    struct msg m;
    CHECK_EQ(msgrcv(msq, &m, sizeof m.text, 0, 0), 5);
}

static void sysv_msg(void)
{
    msq = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    CHECK_SYS(msq);
    struct msg m;
    CHECK_FAILS(msgrcv(msq, &m, sizeof m.text, 0, IPC_NOWAIT), ENOMSG);
    run_waiter("msgrcv", msgrcv_wait, msgsnd_release);
    /* A queue with room for one message: msgsnd waits for room. */
    struct msqid_ds ds;
    CHECK_SYS(msgctl(msq, IPC_STAT, &ds));
    ds.msg_qbytes = 5;
    CHECK_SYS(msgctl(msq, IPC_SET, &ds));
    struct msg one = {1, "abcd"};
    CHECK_SYS(msgsnd(msq, &one, 5, 0));
    CHECK_FAILS(msgsnd(msq, &one, 5, IPC_NOWAIT), EAGAIN);
    run_waiter("msgsnd", msgsnd_wait, msgrcv_release);
    CHECK_EQ(msgrcv(msq, &m, sizeof m.text, 0, IPC_NOWAIT), 5);
    CHECK_STR_EQ(m.text, "full");
    CHECK_SYS(msgsnd(msq, &one, 5, 0));
    CHECK_FAILS(msgrcv(msq, &m, 2, 0, 0), E2BIG);
    struct msg zero = {0, "x"};
    CHECK_FAILS(msgsnd(msq, &zero, 2, 0), EINVAL);
    CHECK_FAILS(msgrcv(msq, &m, sizeof m.text, 0, MSG_COPY), EINVAL); /* needs IPC_NOWAIT */
    CHECK_SYS(msgctl(msq, IPC_RMID, NULL));
    CHECK_FAILS(msgrcv(msq, &m, sizeof m.text, 0, 0), EINVAL);
    CHECK_FAILS(msgsnd(msq, &one, 5, 0), EINVAL);
}

/* ---- SysV semaphores ---- */
static int semid;
static void semop_wait(void)
{
    struct sembuf ops[2] = {{0, -1, 0}, {1, 0, 0}};
    CHECK_SYS(semop(semid, ops, 2));
}
static void semop_release(void)
{
    struct sembuf up = {0, 1, 0};
    CHECK_SYS(semop(semid, &up, 1));
}

static void sysv_sem(void)
{
    semid = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
    CHECK_SYS(semid);
    struct sembuf down = {0, -1, IPC_NOWAIT};
    CHECK_FAILS(semop(semid, &down, 1), EAGAIN);
    struct sembuf mixed[2] = {{1, 0, 0}, {0, -1, IPC_NOWAIT}};
    CHECK_FAILS(semop(semid, mixed, 2), EAGAIN); /* the op that would block has IPC_NOWAIT */
    run_waiter("semop", semop_wait, semop_release);
    CHECK_EQ(semctl(semid, 0, GETVAL), 0);
    struct timespec ts = {0, 30 * 1000000};
    struct sembuf wait_down = {0, -1, 0};
    long long t0 = now_ns();
    CHECK_FAILS(semtimedop(semid, &wait_down, 1, &ts), EAGAIN);
    CHECK_GE(now_ns() - t0, 30LL * 1000000);
    struct timespec bad = {0, -1};
    struct sembuf up = {0, 1, 0};
    CHECK_FAILS(semtimedop(semid, &up, 1, &bad), EINVAL); /* checked even when it would not wait */
    CHECK_FAILS(semop(semid, &up, 0), EINVAL);
    CHECK_FAILS(semop(semid, (struct sembuf *)16, 1), EFAULT);
    struct sembuf out_of_range = {5, 1, 0};
    CHECK_FAILS(semop(semid, &out_of_range, 1), EFBIG);
    CHECK_SYS(semop(semid, &up, 1));
    CHECK_EQ(semctl(semid, 0, GETVAL), 1);
    CHECK_SYS(semctl(semid, 0, IPC_RMID));
    CHECK_FAILS(semop(semid, &up, 1), EINVAL);
}

/* ---- POSIX message queues ---- */
static mqd_t mq;
static void mq_receive_wait(void)
{
    char buf[64];
    unsigned prio = 0;
    CHECK_EQ(mq_receive(mq, buf, sizeof buf, &prio), 3);
    CHECK_EQ(prio, 7);
    CHECK(memcmp(buf, "mq!", 3) == 0);
}
static void mq_send_release(void) { CHECK_SYS(mq_send(mq, "mq!", 3, 7)); }
static void mq_send_wait(void) { CHECK_SYS(mq_send(mq, "zz", 2, 1)); }
static void mq_receive_release(void)
{
    char buf[64];
    CHECK_EQ(mq_receive(mq, buf, sizeof buf, NULL), 2);
}

static void posix_mq(void)
{
    char name[64];
    snprintf(name, sizeof name, "/mnthread-io-offload-%d", (int)getpid());
    struct mq_attr attr = {.mq_maxmsg = 1, .mq_msgsize = 64};
    mq = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
    if (mq == (mqd_t)-1 && (errno == ENOSYS || errno == EACCES)) {
        puts("no POSIX message queues here: skipped");
        return;
    }
    CHECK_SYS(mq);
    mq_unlink(name);
    run_waiter("mq_receive", mq_receive_wait, mq_send_release);
    CHECK_SYS(mq_send(mq, "xy", 2, 1)); /* the queue is full now */
    run_waiter("mq_send", mq_send_wait, mq_receive_release);
    char buf[64];
    CHECK_FAILS(mq_receive(mq, buf, 10, NULL), EMSGSIZE);
    struct timespec bad = {0, 1000000000L};
    CHECK_FAILS(mq_timedreceive(mq, buf, sizeof buf, NULL, &bad), EINVAL); /* a message is there */
    CHECK_FAILS(mq_timedsend(mq, "q", 1, 0, &bad), EINVAL);
    CHECK_FAILS(mq_timedreceive(mq, buf, sizeof buf, NULL, (struct timespec *)16), EFAULT);
    CHECK_EQ(mq_receive(mq, buf, sizeof buf, NULL), 2);
    struct timespec ts = abs_in_ms(CLOCK_REALTIME, 30);
    long long t0 = now_ns();
    CHECK_FAILS(mq_timedreceive(mq, buf, sizeof buf, NULL, &ts), ETIMEDOUT);
    CHECK_GE(now_ns() - t0, 25LL * 1000000);
    CHECK_SYS(mq_send(mq, "a", 1, 0));
    ts = abs_in_ms(CLOCK_REALTIME, 30);
    t0 = now_ns();
    CHECK_FAILS(mq_timedsend(mq, "b", 1, 0, &ts), ETIMEDOUT);
    CHECK_GE(now_ns() - t0, 25LL * 1000000);
    struct mq_attr nb = {.mq_flags = O_NONBLOCK};
    CHECK_SYS(mq_setattr(mq, &nb, NULL));
    CHECK_FAILS(mq_send(mq, "c", 1, 0), EAGAIN);
    CHECK_EQ(mq_receive(mq, buf, sizeof buf, NULL), 1);
    CHECK_FAILS(mq_receive(mq, buf, sizeof buf, NULL), EAGAIN);
    mq_close(mq);
    CHECK_FAILS(mq_receive(mq, buf, sizeof buf, NULL), EBADF);
}

/* ---- file syncs ---- */
static void syncs(void)
{
    int fd = open(path, O_RDWR | O_TRUNC);
    CHECK_SYS(fd);
    static char data[1 << 16];
    memset(data, 's', sizeof data);
    CHECK_EQ(write(fd, data, sizeof data), (ssize_t)sizeof data);
    CHECK_SYS(fsync(fd));
    CHECK_EQ(pwrite(fd, "t", 1, 5), 1);
    CHECK_SYS(fdatasync(fd));
    CHECK_SYS(sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER));
    CHECK_SYS(sync_file_range(fd, 0, 4096, SYNC_FILE_RANGE_WRITE));
    CHECK_FAILS(sync_file_range(fd, -1, 0, SYNC_FILE_RANGE_WAIT_AFTER), EINVAL);
    CHECK_FAILS(sync_file_range(fd, 0, 0, 0x100), EINVAL);
    CHECK_FAILS(fsync(1 << 20), EBADF);
    CHECK_FAILS(fdatasync(1 << 20), EBADF);
    int p[2];
    CHECK_SYS(pipe(p));
    CHECK_FAILS(fsync(p[0]), EINVAL);
    CHECK_FAILS(sync_file_range(p[0], 0, 0, SYNC_FILE_RANGE_WAIT_AFTER), ESPIPE);
    close(p[0]);
    close(p[1]);
    close(fd);
}

int main(void)
{
    snprintf(path, sizeof path, "/tmp/mnthread-io-offload-%d", (int)getpid());
    snprintf(fifo, sizeof fifo, "/tmp/mnthread-io-offload-fifo-%d", (int)getpid());
    unlink(fifo);
    ticker_start();
    flocks();
    record_locks();
    fifo_opens();
    sysv_msg();
    sysv_sem();
    posix_mq();
    syncs();
    unlink(path);
    ticker_stop();
    puts("io_offload OK");
    return 0;
}
