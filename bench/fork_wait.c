/* fork_wait: fork + waitpid of a child that exits at once, from a process
 * with T threads parked in a condition variable (64 KiB stacks; T = 0 is
 * the single-threaded case, where only the main thread exists).
 * usage: fork_wait [FORKS [T]]   (defaults 2000, 0)
 * Reports the median of 5 batches of FORKS/5, in us per fork+wait+exit.
 * RESULT fork_wait_T<T> <us> us */
#include "bench.h"

#include <sys/wait.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int release;
static long parked;

static void *parker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m);
    parked++;
    while (!release)
        pthread_cond_wait(&cv, &m);
    pthread_mutex_unlock(&m);
    return NULL;
}

static void fork_once(void)
{
    pid_t pid = fork();
    if (pid < 0)
        bench_die("fork", errno);
    if (pid == 0)
        _exit(0);
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        bench_die("waitpid", errno ? errno : EINVAL);
}

int main(int argc, char **argv)
{
    long forks = bench_arg(argc, argv, 1, 2000);
    long threads = bench_arg(argc, argv, 2, 0);
    pthread_t *ts = calloc((size_t)threads + 1, sizeof *ts);
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, 64 * 1024);
    int rc;
    for (long i = 0; i < threads; i++)
        if ((rc = pthread_create(&ts[i], &a, parker, NULL)))
            bench_die("pthread_create", rc);
    for (;;) {
        pthread_mutex_lock(&m);
        long p = parked;
        pthread_mutex_unlock(&m);
        if (p == threads)
            break;
        usleep(1000);
    }
    fork_once();
    double batch[5];
    long per = forks / 5 > 0 ? forks / 5 : 1;
    for (int b = 0; b < 5; b++) {
        long long t0 = bench_now_ns();
        for (long i = 0; i < per; i++)
            fork_once();
        batch[b] = (double)(bench_now_ns() - t0) / per / 1000.0;
    }
    printf("RESULT fork_wait_T%ld %.1f us\n", threads, bench_median(batch, 5));
    pthread_mutex_lock(&m);
    release = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&m);
    for (long i = 0; i < threads; i++)
        pthread_join(ts[i], NULL);
    return 0;
}
