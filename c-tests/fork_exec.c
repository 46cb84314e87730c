// fork() from a thread of a threaded program: the child can write, exit and
// exec (what POSIX allows after fork in a threaded program), the parent's
// threads keep running, and waitpid reports the child's status.
#include "common.h"
#include <stdatomic.h>

static atomic_int stop;
static atomic_long spins;

static void *busy(void *arg) {
    (void)arg;
    while (!atomic_load(&stop)) {
        atomic_fetch_add(&spins, 1);
        sched_yield();
    }
    return NULL;
}

static void *forker(void *arg) {
    (void)arg;
    int fds[2];
    CHECK_EQ(pipe(fds), 0);
    pid_t pid = fork();
    CHECK_GE(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        const char msg[] = "child says hi";
        if (write(fds[1], msg, sizeof msg) != sizeof msg)
            _exit(2);
        _exit(7);
    }
    close(fds[1]);
    char buf[64] = {0};
    ssize_t n = read(fds[0], buf, sizeof buf);
    CHECK_GT(n, 0);
    CHECK(strcmp(buf, "child says hi") == 0);
    close(fds[0]);
    int st;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK(WIFEXITED(st));
    CHECK_EQ(WEXITSTATUS(st), 7);

    pid = fork();
    CHECK_GE(pid, 0);
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", "exit 5", (char *)NULL);
        _exit(99);
    }
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK(WIFEXITED(st));
    CHECK_EQ(WEXITSTATUS(st), 5);
    errno = 0;
    return (void *)1;
}

int main(void) {
    pthread_t b[3], f;
    for (int i = 0; i < 3; i++)
        CHECK_EQ(pthread_create(&b[i], NULL, busy, NULL), 0);
    while (atomic_load(&spins) == 0)
        sched_yield();
    for (int round = 0; round < 5; round++) {
        void *r;
        CHECK_EQ(pthread_create(&f, NULL, forker, NULL), 0);
        CHECK_EQ(pthread_join(f, &r), 0);
        CHECK_PTR_EQ(r, (void *)1);
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < 3; i++)
        CHECK_EQ(pthread_join(b[i], NULL), 0);
    printf("fork_exec OK\n");
    return 0;
}
