/* Small helpers shared by the benchmarks.  Each benchmark prints lines
 *   RESULT <name> <value> <unit>
 * (lower is better) that bench/run.py collects. */
#ifndef MNTHREAD_BENCH_H
#define MNTHREAD_BENCH_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static inline long long bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* CPU time (user+system) consumed by the whole process, in ns. */
static inline long long bench_cpu_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ((long long)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
           ((long long)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
}

static inline long bench_rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0) {
            v = strtol(line + 6, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

/* BENCH_ONE_CPU=1: pin the process (and the threads it creates later) to
 * one CPU so that the glibc numbers compare with a single mnthread carrier. */
static void bench_on_usr1(int sig) { (void)sig; }

/* With BENCH_HANDLER=1 the program installs a SIGUSR1 handler first (which
 * nothing sends): a program with signal handlers must switch as fast. */
static inline void bench_maybe_handler(void)
{
    const char *e = getenv("BENCH_HANDLER");
    if (!e || strcmp(e, "1") != 0)
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = bench_on_usr1;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
}

static inline void bench_maybe_pin(void)
{
    const char *e = getenv("BENCH_ONE_CPU");
    if (!e || strcmp(e, "1") != 0)
        return;
    cpu_set_t cur, one;
    CPU_ZERO(&one);
    if (sched_getaffinity(0, sizeof cur, &cur) != 0) {
        perror("sched_getaffinity");
        return;
    }
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &cur)) {
            CPU_SET(c, &one);
            break;
        }
    if (sched_setaffinity(0, sizeof one, &one) != 0)
        perror("sched_setaffinity");
}

static inline void bench_die(const char *what, int err)
{
    fprintf(stderr, "%s failed: %s\n", what, strerror(err));
    exit(1);
}

/* Median of n values (sorts v in place). */
static inline double bench_median(double *v, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static inline long bench_arg(int argc, char **argv, int i, long def)
{
    if (argc > i) {
        char *end;
        double v = strtod(argv[i], &end);
        if (end != argv[i] && v > 0)
            return (long)v;
    }
    return def;
}
#endif
