/* pipe_pingpong: pairs of threads (default 1 pair) pass a 4-byte token back
 * and forth through two pipes with blocking read() and write(), N round
 * trips each (default 100000); with a third argument 1, every read waits in
 * poll() first (the call mnthread hands to an offload worker).  Under glibc every hop is a kernel sleep and
 * wake-up of a kernel thread; under mnthread the reader parks on the poller
 * and the writer's carrier, or the idle carrier in epoll, wakes it.
 * usage: pipe_pingpong [round-trips] [pairs] [poll-first]
 * RESULT pipe_pingpong_round_trip <ns> ns   (wall time per round trip, all
 * pairs running at once; pipe_pingpong_poll_round_trip with poll-first) */
#include "bench.h"
#include <poll.h>
#include <unistd.h>

static int poll_first;

/* Waits in poll() for fd to be readable when asked to. */
static void maybe_poll(int fd)
{
    struct pollfd p = {fd, POLLIN, 0};
    if (poll_first && poll(&p, 1, -1) != 1)
        bench_die("poll", errno);
}

struct pair {
    int ping[2], pong[2];
    long rounds;
    pthread_t ponger;
};

static void *ponger(void *arg)
{
    struct pair *p = arg;
    int v;
    for (long i = 0; i < p->rounds; i++) {
        maybe_poll(p->ping[0]);
        if (read(p->ping[0], &v, sizeof v) != sizeof v || write(p->pong[1], &v, sizeof v) != sizeof v)
            bench_die("ponger read/write", errno);
    }
    return NULL;
}

static void *pinger(void *arg)
{
    struct pair *p = arg;
    for (int v = 0; v < p->rounds; v++) {
        int back;
        if (write(p->ping[1], &v, sizeof v) != sizeof v)
            bench_die("pinger write", errno);
        maybe_poll(p->pong[0]);
        if (read(p->pong[0], &back, sizeof back) != sizeof back)
            bench_die("pinger read", errno);
        if (back != v)
            bench_die("token out of order", 0);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    long rounds = bench_arg(argc, argv, 1, 100000);
    long pairs = bench_arg(argc, argv, 2, 1);
    poll_first = bench_arg(argc, argv, 3, 0) != 0;
    struct pair *p = calloc(pairs, sizeof *p);
    pthread_t *pt = calloc(pairs, sizeof *pt);
    for (long i = 0; i < pairs; i++) {
        if (pipe(p[i].ping) || pipe(p[i].pong))
            bench_die("pipe", errno);
        p[i].rounds = rounds;
    }
    long long t0 = bench_now_ns();
    for (long i = 0; i < pairs; i++) {
        int rc = pthread_create(&p[i].ponger, NULL, ponger, &p[i]);
        if (!rc)
            rc = pthread_create(&pt[i], NULL, pinger, &p[i]);
        if (rc)
            bench_die("pthread_create", rc);
    }
    for (long i = 0; i < pairs; i++) {
        pthread_join(pt[i], NULL);
        pthread_join(p[i].ponger, NULL);
    }
    long long t1 = bench_now_ns();
    printf("RESULT pipe_pingpong%s_round_trip %.1f ns\n", poll_first ? "_poll" : "", (double)(t1 - t0) / rounds);
    return 0;
}
