// CFLAGS: -fopenmp
// LINK: -fopenmp
// TIMEOUT: 120
// OpenMP with more threads than carriers: libgomp's barriers and team
// hand-offs wait with futex system calls issued inline, which block their
// carrier; the monitor must bring in spares so the team completes. Runs in
// a child process on one carrier (MNTHREAD_CARRIERS=1), and checks the
// results of reductions, barriers and nested team restarts.
#include "common.h"
#include <omp.h>

static void team_work(void)
{
    for (int round = 0; round < 50; round++) {
        long sum = 0;
#pragma omp parallel for num_threads(8) reduction(+ : sum)
        for (long i = 0; i < 100000; i++)
            sum += i;
        CHECK_EQ(sum, 100000L * 99999 / 2);
    }
    /* Explicit barriers: every thread must see every other's phase. */
    static int phase[8];
    int bad = 0;
#pragma omp parallel num_threads(8) reduction(+ : bad)
    {
        int me = omp_get_thread_num(), n = omp_get_num_threads();
        for (int p = 1; p <= 100; p++) {
            __atomic_store_n(&phase[me], p, __ATOMIC_RELEASE);
#pragma omp barrier
            for (int j = 0; j < n; j++)
                if (__atomic_load_n(&phase[j], __ATOMIC_ACQUIRE) < p)
                    bad++;
#pragma omp barrier
        }
    }
    CHECK_EQ(bad, 0);
    /* Critical sections and a team size the program asked for. */
    int members = 0;
#pragma omp parallel num_threads(6)
    {
#pragma omp critical
        members++;
    }
    CHECK_EQ(members, 6);
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        team_work();
        return 0;
    }
    setenv("MNTHREAD_CARRIERS", "1", 1);
    unsetenv("MNTHREAD_MAX_CARRIERS");
    unsetenv("OMP_NUM_THREADS");
    unsetenv("OMP_WAIT_POLICY");
    static char out[8192];
    int st = run_self("team", NULL, out, sizeof out, 60);
    char why[64];
    if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
        fprintf(stderr, "child: %s\n%s\n", describe_status(st, why, sizeof why), out);
        return 1;
    }
    printf("monitor_openmp: ok\n");
    return 0;
}
