// A thread that waits by yielding lets every other runnable thread run,
// even while another thread keeps its carrier busy in blocking calls the
// runtime cannot see (raw nanosleep system calls): threads queued on that carrier must not
// be stranded behind it. Needs two CPUs (one carrier stays blocked).
#include "common.h"
#include <stdatomic.h>
#include <sys/syscall.h>

#define N 2000
static atomic_int release_flag, started;

static void *sleeper(void *arg) {
    struct timespec ts = {0, 5 * 1000 * 1000};
    while (!atomic_load(&release_flag))
        syscall(SYS_nanosleep, &ts, NULL);
    return arg;
}

static void *starter(void *arg) {
    atomic_fetch_add(&started, 1);
    return arg;
}

int main(void) {
    /* Two CPUs, and under mnthread two carriers (no preemption yet). */
    int (*carriers)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "mnthread_carriers");
    if (sysconf(_SC_NPROCESSORS_ONLN) < 2 || (carriers && carriers() < 2)) {
        printf("yield_progress: needs 2 CPUs / carriers, skipped\n");
        return 0;
    }
    pthread_t s, t[N];
    CHECK_EQ(pthread_create(&s, NULL, sleeper, NULL), 0);
    for (int round = 0; round < 3; round++) {
        atomic_store(&started, 0);
        for (int i = 0; i < N; i++)
            CHECK_EQ(pthread_create(&t[i], NULL, starter, (void *)(long)i), 0);
        while (atomic_load(&started) < N)
            sched_yield();
        for (int i = 0; i < N; i++) {
            void *r;
            CHECK_EQ(pthread_join(t[i], &r), 0);
            CHECK_EQ((long)r, i);
        }
    }
    atomic_store(&release_flag, 1);
    CHECK_EQ(pthread_join(s, NULL), 0);
    printf("yield_progress OK\n");
    return 0;
}
