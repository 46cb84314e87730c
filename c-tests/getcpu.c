// sched_getcpu() returns a valid CPU number (0 <= cpu < number of CPUs) in
// the main thread and in new threads, and getcpu() agrees on the range.
#include "common.h"
#include <sys/syscall.h>

static long ncpu;

static void *probe(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100; i++) {
        int c = sched_getcpu();
        CHECK_GE(c, 0);
        CHECK_LT(c, ncpu);
        unsigned cpu = 9999, node = 9999;
        CHECK_EQ(getcpu(&cpu, &node), 0);
        CHECK_LT(cpu, ncpu);
        sched_yield();
    }
    return (void *)1;
}

int main(void)
{
    ncpu = sysconf(_SC_NPROCESSORS_CONF);
    CHECK_GE(ncpu, 1);
    int c = sched_getcpu();
    CHECK_GE(c, 0);
    CHECK_LT(c, ncpu);
    pthread_t t[8];
    for (int i = 0; i < 8; i++)
        CHECK_OK(pthread_create(&t[i], NULL, probe, NULL));
    for (int i = 0; i < 8; i++) {
        void *r;
        CHECK_OK(pthread_join(t[i], &r));
        CHECK_EQ((intptr_t)r, 1);
    }
    printf("main on cpu %d of %ld\ngetcpu OK\n", c, ncpu);
    return 0;
}
