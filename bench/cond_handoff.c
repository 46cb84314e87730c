/* cond_handoff: two threads pass a token back and forth through one mutex
 * and condition variables:
 *   lock; while (turn != me) wait; turn = other; signal; unlock
 * Every handoff therefore wakes a thread blocked in pthread_cond_wait.
 * usage: cond_handoff [ms per repetition [repetitions]]   (default 150 5)
 * The handoff count per repetition is calibrated (doubled until one
 * repetition takes the given time); nothing else runs meanwhile (the main
 * thread waits in pthread_join, no timer thread).  Two variants, median of
 * the repetitions reported:
 *   cond_handoff      one condition variable per thread, pthread_cond_signal
 *   cond_handoff_1cv  one shared condition variable, pthread_cond_broadcast
 * BENCH_HANDLER=1: a SIGUSR1 handler is installed first (bench.h).
 * RESULT cond_handoff <ns per handoff> ns
 * RESULT cond_handoff_1cv <ns per handoff> ns */
#include "bench.h"

#define MAX_REPS 15

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv[2] = {PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER};
static int turn;      /* whose turn it is: 0 or 1; protected by mu */
static long handoffs; /* handoffs done; protected by mu */
static long turns;    /* turns each player takes in a repetition */
static int one_cv;    /* variant: both players wait on cv[0], broadcast */

static void *player(void *arg)
{
    int me = (int)(intptr_t)arg;
    pthread_cond_t *mine = &cv[one_cv ? 0 : me];
    pthread_cond_t *other = &cv[one_cv ? 0 : 1 - me];
    pthread_mutex_lock(&mu);
    for (long i = 0; i < turns; i++) {
        while (turn != me)
            pthread_cond_wait(mine, &mu);
        turn = 1 - me;
        handoffs++;
        if (one_cv)
            pthread_cond_broadcast(other);
        else
            pthread_cond_signal(other);
    }
    pthread_mutex_unlock(&mu);
    return NULL;
}

/* One repetition of 2 * n handoffs; returns the elapsed ns. */
static long long rep(long n)
{
    pthread_t t[2];
    int rc;
    turn = 1; /* player 1 starts once both run */
    handoffs = 0;
    turns = n;
    pthread_mutex_lock(&mu); /* hold the players until the clock starts */
    for (int i = 0; i < 2; i++)
        if ((rc = pthread_create(&t[i], NULL, player, (void *)(intptr_t)i)))
            bench_die("pthread_create", rc);
    long long t0 = bench_now_ns();
    pthread_mutex_unlock(&mu);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    long long el = bench_now_ns() - t0;
    if (handoffs != 2 * n) {
        fprintf(stderr, "%ld handoffs, expected %ld\n", handoffs, 2 * n);
        exit(1);
    }
    return el;
}

static void variant(const char *name, int use_one_cv, long ms, int reps)
{
    double v[MAX_REPS];
    long n = 500;
    one_cv = use_one_cv;
    while (rep(n) < ms * 1000000LL && n < (1L << 40))
        n *= 2;
    for (int i = 0; i < reps; i++) {
        v[i] = (double)rep(n) / (2.0 * n);
        printf("%s rep %d: %.1f ns per handoff\n", name, i, v[i]);
    }
    printf("RESULT %s %.1f ns\n", name, bench_median(v, reps));
    fflush(stdout);
}

int main(int argc, char **argv)
{
    long ms = bench_arg(argc, argv, 1, 150);
    int reps = (int)bench_arg(argc, argv, 2, 5);
    if (reps > MAX_REPS)
        reps = MAX_REPS;
    bench_maybe_handler();
    variant("cond_handoff", 0, ms, reps);
    variant("cond_handoff_1cv", 1, ms, reps);
    return 0;
}
