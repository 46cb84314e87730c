// ONE-CARRIER
/* CPU affinity of threads: two threads that pin themselves to two CPUs run
 * in parallel (each spins until it has seen the other spin: on one carrier
 * this hangs unless each got a kernel thread of its own), sched_getcpu()
 * agrees with the mask, pthread_getaffinity_np/sched_getaffinity read it
 * back, pthread_attr_setaffinity_np applies before the start routine, a
 * mask set on another thread applies once it has parked, pinning leaks to
 * no other thread, and bad input gets glibc's errors. */
#include "common.h"

#include <sys/syscall.h>

static int cpus[2];
static cpu_set_t process_set;

static volatile long spinning[2];

static int in_set(const cpu_set_t *s, int cpu)
{
    return CPU_ISSET(cpu, s);
}

static void pin_self(int cpu, int how)
{
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(cpu, &s);
    if (how == 0)
        CHECK_OK(pthread_setaffinity_np(pthread_self(), sizeof s, &s));
    else
        CHECK_SYS(sched_setaffinity(0, sizeof s, &s));
}

static void *pinned_spinner(void *arg)
{
    int i = (int)(long)arg;
    pin_self(cpus[i], i);
    CHECK_EQ(sched_getcpu(), cpus[i]);
    cpu_set_t got;
    CHECK_OK(pthread_getaffinity_np(pthread_self(), sizeof got, &got));
    CHECK_EQ(CPU_COUNT(&got), 1);
    CHECK(in_set(&got, cpus[i]));
    CHECK_SYS(sched_getaffinity(0, sizeof got, &got));
    CHECK_EQ(CPU_COUNT(&got), 1);
    /* Spin without ever calling into the thread library: only a kernel
     * thread of its own lets the other one run meanwhile. */
    __atomic_store_n(&spinning[i], 1, __ATOMIC_RELEASE);
    long long deadline = now_ns() + 20 * 1000000000LL;
    while (!__atomic_load_n(&spinning[1 - i], __ATOMIC_ACQUIRE)) {
        if (now_ns() > deadline) {
            fprintf(stderr, "pinned thread %d never saw the other run\n", i);
            exit(1);
        }
    }
    usleep(1000);
    CHECK_EQ(sched_getcpu(), cpus[i]);
    return NULL;
}

static void *created_pinned(void *arg)
{
    int cpu = (int)(long)arg;
    CHECK_EQ(sched_getcpu(), cpu);
    cpu_set_t got;
    CHECK_OK(pthread_getaffinity_np(pthread_self(), sizeof got, &got));
    CHECK_EQ(CPU_COUNT(&got), 1);
    CHECK(in_set(&got, cpu));
    return NULL;
}

static volatile int go;

static void *pinned_by_other(void *arg)
{
    int cpu = (int)(long)arg;
    while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
        usleep(500);
    usleep(1000);
    CHECK_EQ(sched_getcpu(), cpu);
    return NULL;
}

/* Other threads keep the process's whole mask. */
static void *unpinned(void *arg)
{
    (void)arg;
    cpu_set_t got;
    CHECK_OK(pthread_getaffinity_np(pthread_self(), sizeof got, &got));
    CHECK(CPU_EQUAL(&got, &process_set));
    CHECK_SYS(sched_getaffinity(0, sizeof got, &got));
    CHECK(CPU_EQUAL(&got, &process_set));
    return NULL;
}

int main(void)
{
    CHECK_SYS(sched_getaffinity(0, sizeof process_set, &process_set));
    int n = 0;
    for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
        if (CPU_ISSET(c, &process_set))
            cpus[n++] = c;
    if (n == 1)
        cpus[1] = cpus[0];

    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        CHECK_OK(pthread_create(&t[i], NULL, pinned_spinner, (void *)(long)i));
    for (int i = 0; i < 2; i++)
        CHECK_OK(pthread_join(t[i], NULL));

    /* The mask in the attribute applies before the start routine runs. */
    pthread_attr_t a;
    CHECK_OK(pthread_attr_init(&a));
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpus[1], &one);
    CHECK_OK(pthread_attr_setaffinity_np(&a, sizeof one, &one));
    cpu_set_t back;
    CHECK_OK(pthread_attr_getaffinity_np(&a, sizeof back, &back));
    CHECK(CPU_EQUAL(&back, &one));
    for (int i = 0; i < 2; i++)
        CHECK_OK(pthread_create(&t[i], &a, created_pinned, (void *)(long)cpus[1]));
    for (int i = 0; i < 2; i++)
        CHECK_OK(pthread_join(t[i], NULL));
    pthread_attr_destroy(&a);

    /* A mask set on another thread: it reads back at once and holds once
     * the thread has parked. */
    go = 0;
    CHECK_OK(pthread_create(&t[0], NULL, pinned_by_other, (void *)(long)cpus[0]));
    CPU_ZERO(&one);
    CPU_SET(cpus[0], &one);
    CHECK_OK(pthread_setaffinity_np(t[0], sizeof one, &one));
    CHECK_OK(pthread_getaffinity_np(t[0], sizeof back, &back));
    CHECK(CPU_EQUAL(&back, &one));
    set_flag(&go);
    CHECK_OK(pthread_join(t[0], NULL));

    /* Nothing leaked to other threads or to the main thread. */
    for (int i = 0; i < 4; i++) {
        CHECK_OK(pthread_create(&t[0], NULL, unpinned, NULL));
        CHECK_OK(pthread_join(t[0], NULL));
    }
    unpinned(NULL);

    /* Errors as glibc gives them. */
    cpu_set_t none;
    CPU_ZERO(&none);
    CHECK_ERR(pthread_setaffinity_np(pthread_self(), sizeof none, &none), EINVAL);
    CHECK_FAILS(sched_setaffinity(0, sizeof none, &none), EINVAL);
    CHECK_ERR(pthread_getaffinity_np(pthread_self(), 0, &back), EINVAL);
    CHECK_FAILS(sched_getaffinity(0, 0, &back), EINVAL);
    unpinned(NULL);
    puts("ok");
    return 0;
}
