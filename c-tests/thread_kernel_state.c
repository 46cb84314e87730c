// ONE-CARRIER
/* State the kernel keeps per kernel thread stays the calling thread's:
 * after unshare(CLONE_FS) and chdir in one thread, its working directory is
 * its own (others keep theirs, also after it parked many times); its
 * prctl(PR_SET_TIMERSLACK) and setpriority(PRIO_PROCESS, 0) nice value are
 * seen by it alone; prctl(PR_SET_NAME) names the thread as
 * pthread_setname_np does.  Many ordinary threads run meanwhile (on one
 * carrier they would share a kernel thread with the changed one). */
#include "common.h"

#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#define OTHERS 8

static char start_dir[4096];
static pthread_barrier_t changed, checked;

static void *changer(void *arg)
{
    (void)arg;
    CHECK_SYS(unshare(CLONE_FS));
    CHECK_SYS(chdir("/"));
    CHECK_SYS(prctl(PR_SET_TIMERSLACK, 123457UL, 0UL, 0UL, 0UL));
    errno = 0;
    CHECK_SYS(setpriority(PRIO_PROCESS, 0, 7));
    CHECK_SYS(prctl(PR_SET_NAME, (unsigned long)"changer-thread", 0UL, 0UL, 0UL));
    pthread_barrier_wait(&changed);
    for (int i = 0; i < 100; i++) {
        usleep(100);
        char cwd[4096];
        CHECK(getcwd(cwd, sizeof cwd) != NULL);
        CHECK_STR_EQ(cwd, "/");
        CHECK_EQ(prctl(PR_GET_TIMERSLACK, 0UL, 0UL, 0UL, 0UL), 123457);
        errno = 0;
        CHECK_EQ(getpriority(PRIO_PROCESS, 0), 7);
    }
    char name[16];
    CHECK_SYS(prctl(PR_GET_NAME, (unsigned long)name, 0UL, 0UL, 0UL));
    CHECK_STR_EQ(name, "changer-thread");
    CHECK_OK(pthread_getname_np(pthread_self(), name, sizeof name));
    CHECK_STR_EQ(name, "changer-thread");
    pthread_barrier_wait(&checked);
    return NULL;
}

static long default_slack;

static void *other(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&changed);
    for (int i = 0; i < 100; i++) {
        usleep(100);
        char cwd[4096];
        CHECK(getcwd(cwd, sizeof cwd) != NULL);
        CHECK_STR_EQ(cwd, start_dir);
        CHECK_EQ(prctl(PR_GET_TIMERSLACK, 0UL, 0UL, 0UL, 0UL), default_slack);
        errno = 0;
        CHECK_EQ(getpriority(PRIO_PROCESS, 0), 0);
        sched_yield();
    }
    pthread_barrier_wait(&checked);
    return NULL;
}

int main(void)
{
    CHECK(getcwd(start_dir, sizeof start_dir) != NULL);
    if (strcmp(start_dir, "/") == 0) {
        CHECK_SYS(chdir("/tmp"));
        CHECK(getcwd(start_dir, sizeof start_dir) != NULL);
    }
    default_slack = prctl(PR_GET_TIMERSLACK, 0UL, 0UL, 0UL, 0UL);
    CHECK_GT(default_slack, 0);
    CHECK_NE(default_slack, 123457);
    for (int round = 0; round < 3; round++) {
        pthread_barrier_init(&changed, NULL, OTHERS + 1);
        pthread_barrier_init(&checked, NULL, OTHERS + 1);
        pthread_t c, o[OTHERS];
        CHECK_OK(pthread_create(&c, NULL, changer, NULL));
        for (int i = 0; i < OTHERS; i++)
            CHECK_OK(pthread_create(&o[i], NULL, other, NULL));
        CHECK_OK(pthread_join(c, NULL));
        for (int i = 0; i < OTHERS; i++)
            CHECK_OK(pthread_join(o[i], NULL));
        pthread_barrier_destroy(&changed);
        pthread_barrier_destroy(&checked);
        /* The main thread, too, kept its state. */
        char cwd[4096];
        CHECK(getcwd(cwd, sizeof cwd) != NULL);
        CHECK_STR_EQ(cwd, start_dir);
        CHECK_EQ(prctl(PR_GET_TIMERSLACK, 0UL, 0UL, 0UL, 0UL), default_slack);
    }
    puts("ok");
    return 0;
}
