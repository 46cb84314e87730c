// A signal handler (installed without SA_RESTART) interrupting a blocked
// sem_wait or sem_timedwait makes it fail with EINTR; the same for a private
// FUTEX_WAIT made through syscall().  Checked on the main thread of a process
// that never created a thread (under mnthread: a thread it did not create,
// before the runtime started).  (Taught by Open POSIX sem_wait/7-1 and
// sem_timedwait/9-1, which hang or fail if the wait swallows the EINTR.)
#include "common.h"
#include <semaphore.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <linux/futex.h>

static volatile sig_atomic_t handled;
/* If a wait swallowed the EINTR, the second signal posts this semaphore
 * (sem_post is async-signal-safe) so the test fails instead of hanging. */
static sem_t *volatile rescue;
static volatile sig_atomic_t in_phase;

static void on_alarm(int sig)
{
    (void)sig;
    handled++;
    if (++in_phase >= 2 && rescue)
        sem_post(rescue);
}

/* SIGALRM 100 ms from now, then every 500 ms until disarm(). */
static void arm(void)
{
    struct itimerval it = {{0, 500 * 1000}, {0, 100 * 1000}};
    in_phase = 0;
    CHECK_SYS(setitimer(ITIMER_REAL, &it, NULL));
}

static void disarm(void)
{
    struct itimerval it = {{0, 0}, {0, 0}};
    CHECK_SYS(setitimer(ITIMER_REAL, &it, NULL));
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART */
    CHECK_SYS(sigaction(SIGALRM, &sa, NULL));

    sem_t s;
    CHECK_SYS(sem_init(&s, 0, 0));
    rescue = &s;

    arm();
    errno = 0;
    CHECK_EQ(sem_wait(&s), -1);
    CHECK_EQ(errno, EINTR);
    disarm();
    CHECK_EQ(handled, 1);

    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 30;
    arm();
    errno = 0;
    CHECK_EQ(sem_timedwait(&s, &ts), -1);
    CHECK_EQ(errno, EINTR);
    disarm();
    CHECK_EQ(handled, 2);
    rescue = NULL;

    /* The semaphore still works afterwards. */
    CHECK_SYS(sem_post(&s));
    CHECK_SYS(sem_wait(&s));
    CHECK_SYS(sem_destroy(&s));

    /* A relative timeout of 5 s: a swallowed EINTR shows as ETIMEDOUT. */
    static unsigned word;
    struct timespec rel = {5, 0};
    arm();
    errno = 0;
    CHECK_EQ(syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &rel, NULL, 0), -1);
    CHECK_EQ(errno, EINTR);
    disarm();
    CHECK_EQ(handled, 3);
    puts("ok");
    return 0;
}
