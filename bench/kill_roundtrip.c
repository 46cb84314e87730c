/* kill_roundtrip: a signal to a waiting thread and back. The receiver
 * waits in pause(); main sends it SIGUSR1 with pthread_kill, the handler
 * (on the receiver) posts a semaphore main waits on, and the receiver
 * waits again.
 * usage: kill_roundtrip [round trips]   (default 20000)
 * RESULT kill_roundtrip <ns per round trip> ns */
#include "bench.h"
#include <semaphore.h>
#include <signal.h>

static sem_t done;
static volatile int stop;

static void on_usr1(int sig)
{
    (void)sig;
    sem_post(&done);
}

static void *receiver(void *arg)
{
    sem_post(&done);
    while (!stop)
        pause();
    return arg;
}

int main(int argc, char **argv)
{
    long n = bench_arg(argc, argv, 1, 20000);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    sem_init(&done, 0, 0);
    pthread_t t;
    int rc;
    if ((rc = pthread_create(&t, NULL, receiver, NULL)))
        bench_die("pthread_create", rc);
    sem_wait(&done);
    usleep(10000); /* the receiver is in pause() */
    long long t0 = bench_now_ns();
    for (long i = 0; i < n; i++) {
        pthread_kill(t, SIGUSR1);
        while (sem_wait(&done) != 0)
            ;
    }
    long long el = bench_now_ns() - t0;
    stop = 1;
    pthread_kill(t, SIGUSR1);
    pthread_join(t, NULL);
    printf("%ld round trips in %.3f s\n", n, el / 1e9);
    printf("RESULT kill_roundtrip %.1f ns\n", (double)el / n);
    return 0;
}
