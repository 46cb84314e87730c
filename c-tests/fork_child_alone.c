// After fork, only the forking thread exists in the child: threads the
// parent had made runnable (but not yet run) must not run in the child,
// even when the child then creates, joins and yields to threads of its own.
// The parent's threads all still run, in the parent.
#include "common.h"
#include <stdatomic.h>

#define N 64
struct shared {
    atomic_int ran_in_parent;
    atomic_int ran_in_child;
};
static struct shared *sh;
static pid_t parent_pid;

static void *worker(void *arg) {
    if (getpid() == parent_pid)
        atomic_fetch_add(&sh->ran_in_parent, 1);
    else
        atomic_fetch_add(&sh->ran_in_child, 1);
    return arg;
}

static void *child_thread(void *arg) {
    sched_yield();
    return (void *)((long)arg + 1);
}

int main(void) {
    sh = shared_alloc(sizeof *sh);
    parent_pid = getpid();
    for (int round = 0; round < 10; round++) {
        pthread_t w[N];
        for (int i = 0; i < N; i++)
            CHECK_EQ(pthread_create(&w[i], NULL, worker, NULL), 0);
        pid_t pid = fork();
        CHECK_GE(pid, 0);
        if (pid == 0) {
            for (long i = 0; i < 20; i++) {
                pthread_t t;
                void *r;
                if (pthread_create(&t, NULL, child_thread, (void *)i) != 0)
                    _exit(2);
                sched_yield();
                if (pthread_join(t, &r) != 0 || (long)r != i + 1)
                    _exit(3);
            }
            _exit(0);
        }
        wait_child_ok(pid, "child");
        for (int i = 0; i < N; i++)
            CHECK_EQ(pthread_join(w[i], NULL), 0);
    }
    CHECK_EQ(atomic_load(&sh->ran_in_child), 0);
    CHECK_EQ(atomic_load(&sh->ran_in_parent), 10 * N);
    printf("fork_child_alone OK\n");
    return 0;
}
