// ONE-CARRIER
// TIMEOUT: 30
// Deferred cancellation acts in a thread parked in a cancellation point:
// read on a pipe, recv on a socketpair, accept, poll, select, sleep,
// nanosleep, usleep, clock_nanosleep, pthread_cond_wait,
// pthread_cond_timedwait, pthread_join of a thread that never ends (which
// is cancelled next, still joinable), sem_wait, sem_timedwait, sigwait,
// sigsuspend, pause, waitpid on a running child, msgrcv on an empty SysV
// queue. Main cancels it once it is surely waiting; pthread_join returns
// PTHREAD_CANCELED and the cleanup handler pushed around the call ran
// exactly once (the call never returned). In pthread_cond_wait and
// pthread_cond_timedwait the cleanup handler runs with the mutex held
// again by the cancelled thread (an error-checking mutex: its unlock there
// succeeds), and main can lock it after the join. Also: a loop of
// pthread_testcancel (yielding) is cancelled; pthread_cancel of a thread
// that has returned but is not joined yet returns 0 (glibc 2.34 and later;
// before, ESRCH) and its join gives its own return value.
#include "common.h"
#include <poll.h>
#include <semaphore.h>
#include <stddef.h>
#include <sys/msg.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/un.h>

enum {
    READ, RECV, ACCEPT, POLL, SELECT, SLEEP, NANOSLEEP, USLEEP, CLOCK_NANOSLEEP,
    COND_WAIT, COND_TIMEDWAIT, JOIN, SEM_WAIT, SEM_TIMEDWAIT, SIGWAIT, SIGSUSPEND,
    PAUSE, WAITPID, MSGRCV, TESTCANCEL, KINDS
};
static const char *names[KINDS] = {
    "read", "recv", "accept", "poll", "select", "sleep", "nanosleep", "usleep",
    "clock_nanosleep", "pthread_cond_wait", "pthread_cond_timedwait", "pthread_join",
    "sem_wait", "sem_timedwait", "sigwait", "sigsuspend", "pause", "waitpid", "msgrcv",
    "pthread_testcancel loop"};

static volatile int cleanups, about_to_wait, returned, mutex_unlock_in_cleanup = -1;
static int fds[2], lfd, child_pipe[2], msq;
static pid_t child;
static sem_t sem;
static pthread_mutex_t m;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_t forever_t;
static volatile int forever_cleanups;

static void cleanup(void *arg)
{
    (void)arg;
    cleanups++;
}

static void cleanup_unlock(void *arg)
{
    (void)arg;
    /* Error-checking mutex: 0 only if this thread owns it. */
    mutex_unlock_in_cleanup = pthread_mutex_unlock(&m);
    cleanups++;
}

static void forever_cleanup(void *arg)
{
    (void)arg;
    forever_cleanups++;
}

static void *forever(void *arg)
{
    pthread_cleanup_push(forever_cleanup, NULL);
    for (;;)
        pause();
    pthread_cleanup_pop(0);
    return arg;
}

struct msg {
    long mtype;
    char text[8];
};

static void *target(void *arg)
{
    int k = (int)(intptr_t)arg;
    char buf[8];
    struct pollfd p = {fds[0], POLLIN, 0};
    fd_set set;
    FD_ZERO(&set);
    FD_SET(fds[0], &set);
    struct timespec ten = {10, 0};
    struct timespec abs = abs_in_ms(CLOCK_REALTIME, 10000);
    sigset_t u1, empty;
    sigemptyset(&u1);
    sigaddset(&u1, SIGUSR1);
    sigemptyset(&empty);
    int sig, st;
    struct msg mm;

    if (k == SIGWAIT)
        CHECK_OK(pthread_sigmask(SIG_BLOCK, &u1, NULL));
    if (k == COND_WAIT || k == COND_TIMEDWAIT) {
        CHECK_OK(pthread_mutex_lock(&m));
        pthread_cleanup_push(cleanup_unlock, NULL);
        set_flag(&about_to_wait);
        for (;;) {
            int r = k == COND_WAIT ? pthread_cond_wait(&cv, &m)
                                   : pthread_cond_timedwait(&cv, &m, &abs);
            CHECK(r == 0); /* spurious wake-ups wait on */
        }
        pthread_cleanup_pop(1);
        return NULL;
    }

    pthread_cleanup_push(cleanup, NULL);
    set_flag(&about_to_wait);
    switch (k) {
    case READ: read(fds[0], buf, 1); break;
    case RECV: recv(fds[0], buf, 1, 0); break;
    case ACCEPT: accept(lfd, NULL, NULL); break;
    case POLL: poll(&p, 1, -1); break;
    case SELECT: select(fds[0] + 1, &set, NULL, NULL, NULL); break;
    case SLEEP: sleep(10); break;
    case NANOSLEEP: nanosleep(&ten, NULL); break;
    case USLEEP: usleep(10000000); break;
    case CLOCK_NANOSLEEP: clock_nanosleep(CLOCK_MONOTONIC, 0, &ten, NULL); break;
    case JOIN: pthread_join(forever_t, NULL); break;
    case SEM_WAIT: sem_wait(&sem); break;
    case SEM_TIMEDWAIT: sem_timedwait(&sem, &abs); break;
    case SIGWAIT: sigwait(&u1, &sig); break;
    case SIGSUSPEND: sigsuspend(&empty); break;
    case PAUSE: pause(); break;
    case WAITPID: waitpid(child, &st, 0); break;
    case MSGRCV: msgrcv(msq, &mm, sizeof mm.text, 0, 0); break;
    case TESTCANCEL:
        for (;;) {
            pthread_testcancel();
            sched_yield();
        }
    }
    set_flag(&returned); /* never: the call must not return */
    pthread_cleanup_pop(0);
    return NULL;
}

static void setup(int k)
{
    switch (k) {
    case READ: case POLL: case SELECT:
        CHECK_SYS(pipe(fds));
        break;
    case RECV:
        CHECK_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, fds));
        break;
    case ACCEPT: {
        lfd = socket(AF_UNIX, SOCK_STREAM, 0);
        CHECK_SYS(lfd);
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        int n = snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "mnthread-cancel-%d",
                         (int)getpid());
        CHECK_SYS(bind(lfd, (struct sockaddr *)&a,
                       offsetof(struct sockaddr_un, sun_path) + 1 + n));
        CHECK_SYS(listen(lfd, 4));
        break;
    }
    case COND_WAIT: case COND_TIMEDWAIT: {
        pthread_mutexattr_t ma;
        CHECK_OK(pthread_mutexattr_init(&ma));
        CHECK_OK(pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK));
        CHECK_OK(pthread_mutex_init(&m, &ma));
        CHECK_OK(pthread_mutexattr_destroy(&ma));
        mutex_unlock_in_cleanup = -1;
        break;
    }
    case JOIN:
        CHECK_OK(pthread_create(&forever_t, NULL, forever, NULL));
        break;
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
            _exit(4);
        }
        close(child_pipe[0]);
        break;
    case MSGRCV:
        msq = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
        CHECK_SYS(msq);
        break;
    }
}

static void teardown(int k)
{
    switch (k) {
    case READ: case POLL: case SELECT: case RECV:
        close(fds[0]);
        close(fds[1]);
        break;
    case ACCEPT:
        close(lfd);
        break;
    case COND_WAIT: case COND_TIMEDWAIT:
        CHECK_EQ(mutex_unlock_in_cleanup, 0);
        CHECK_OK(pthread_mutex_lock(&m)); /* released by the cleanup handler */
        CHECK_OK(pthread_mutex_unlock(&m));
        CHECK_OK(pthread_mutex_destroy(&m));
        break;
    case JOIN: {
        /* The join was cancelled: the thread is still there to join. */
        void *ret;
        CHECK_OK(pthread_kill(forever_t, 0));
        CHECK_EQ(forever_cleanups, 0);
        CHECK_OK(pthread_cancel(forever_t));
        CHECK_OK(pthread_join(forever_t, &ret));
        CHECK_PTR_EQ(ret, PTHREAD_CANCELED);
        CHECK_EQ(forever_cleanups, 1);
        break;
    }
    case SEM_WAIT: case SEM_TIMEDWAIT:
        CHECK_SYS(sem_destroy(&sem));
        break;
    case WAITPID: {
        int st;
        CHECK_EQ(write(child_pipe[1], "x", 1), 1);
        CHECK_EQ(waitpid(child, &st, 0), child); /* the cancelled wait reaped nothing */
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 4);
        close(child_pipe[1]);
        break;
    }
    case MSGRCV:
        CHECK_SYS(msgctl(msq, IPC_RMID, NULL));
        break;
    }
}

static void one(int k)
{
    setup(k);
    about_to_wait = returned = 0;
    int before = cleanups;
    pthread_t t;
    CHECK_OK(pthread_create(&t, NULL, target, (void *)(intptr_t)k));
    wait_flag(&about_to_wait, 20, names[k]);
    usleep(25000);
    CHECK_MSG(cleanups == before, "%s: cleanup ran before the cancel", names[k]);
    CHECK_OK(pthread_cancel(t));
    void *ret = NULL;
    CHECK_OK(pthread_join(t, &ret));
    CHECK_MSG(ret == PTHREAD_CANCELED, "%s: join gave %p", names[k], ret);
    CHECK_MSG(!returned, "%s returned instead of acting on the cancel", names[k]);
    CHECK_MSG(cleanups == before + 1, "%s: cleanup ran %d times", names[k],
              cleanups - before);
    teardown(k);
}

static volatile int finished;

static void *quick(void *arg)
{
    set_flag(&finished);
    return arg;
}

int main(void)
{
    for (int k = 0; k < KINDS; k++)
        one(k);

    /* A finished, not yet joined thread: cancel is a no-op success. */
    pthread_t t;
    CHECK_OK(pthread_create(&t, NULL, quick, (void *)(intptr_t)42));
    wait_flag(&finished, 20, "the quick thread");
    usleep(20000);
    CHECK_OK(pthread_cancel(t));
    void *ret;
    CHECK_OK(pthread_join(t, &ret));
    CHECK_PTR_EQ(ret, (void *)(intptr_t)42);
    return 0;
}
