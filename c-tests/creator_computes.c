// A new thread runs while its creator keeps computing (on a machine with
// more than one CPU), even when the other carriers were asleep: the idle
// carrier woken for it takes it from the busy creator's carrier.
// Also after the creator slept, parked (usleep) or in a raw system call the
// runtime cannot see.
#include "common.h"
#include <stdatomic.h>
#include <sys/syscall.h>

static atomic_int ran;

static void *mark(void *arg) {
    atomic_store(&ran, 1);
    return arg;
}

static void compute_until_ran(void) {
    volatile unsigned long x = 0;
    while (!atomic_load(&ran))
        x++;
}

int main(void) {
    /* Two CPUs, and under mnthread two carriers (no preemption yet). */
    int (*carriers)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "mnthread_carriers");
    if (sysconf(_SC_NPROCESSORS_ONLN) < 2 || (carriers && carriers() < 2)) {
        printf("creator_computes: needs 2 CPUs / carriers, skipped\n");
        return 0;
    }
    for (int round = 0; round < 20; round++) {
        atomic_store(&ran, 0);
        /* let idle carriers fall asleep */
        if (round % 8 == 0) {
            struct timespec ts = {0, 20 * 1000 * 1000};
            syscall(SYS_nanosleep, &ts, NULL);
        } else if (round % 8 == 4) {
            usleep(20000);
        }
        pthread_t t;
        CHECK_EQ(pthread_create(&t, NULL, mark, NULL), 0);
        compute_until_ran();
        CHECK_EQ(pthread_join(t, NULL), 0);
    }
    printf("creator_computes OK\n");
    return 0;
}
