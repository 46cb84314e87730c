// ONE-CARRIER
// TIMEOUT: 30
// A new program starts with the signal mask of the thread that made it:
// execl after fork, posix_spawn without POSIX_SPAWN_SETSIGMASK, and
// posix_spawn with it (the attribute's mask wins), from a thread whose mask
// differs from every other thread's (under mnthread the carrier's kernel
// mask blocks everything: it must not leak into the child). The child is
// this program again, printing its SigBlk line from /proc/self/status (a
// shell would not do: dash unblocks every signal as it starts).
#include "common.h"
#include <spawn.h>

extern char **environ;

static unsigned long long bit(int sig) { return 1ULL << (sig - 1); }

/* Runs `how` (0: fork+execl, 1: posix_spawn, 2: posix_spawn with a mask
 * of SIGUSR2) and returns the child's SigBlk. */
static unsigned long long child_sigblk(int how)
{
    int p[2];
    CHECK_SYS(pipe(p));
    pid_t pid;
    if (how == 0) {
        pid = fork();
        CHECK_SYS(pid);
        if (pid == 0) {
            dup2(p[1], 1);
            execl("/proc/self/exe", "sig_exec_mask", "report", (char *)NULL);
            _exit(127);
        }
    } else {
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, p[1], 1);
        posix_spawnattr_t a;
        posix_spawnattr_init(&a);
        if (how == 2) {
            sigset_t s;
            sigemptyset(&s);
            sigaddset(&s, SIGUSR2);
            posix_spawnattr_setsigmask(&a, &s);
            posix_spawnattr_setflags(&a, POSIX_SPAWN_SETSIGMASK);
        }
        char *argv[] = {"sig_exec_mask", "report", NULL};
        CHECK_EQ(posix_spawn(&pid, "/proc/self/exe", &fa, &a, argv, environ), 0);
        posix_spawnattr_destroy(&a);
        posix_spawn_file_actions_destroy(&fa);
    }
    close(p[1]);
    char buf[128] = {0};
    size_t got = 0;
    ssize_t r;
    while ((r = read(p[0], buf + got, sizeof buf - 1 - got)) > 0)
        got += r;
    close(p[0]);
    int st;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    char why[64];
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child: %s", describe_status(st, why, sizeof why));
    unsigned long long v = 0;
    CHECK_MSG(sscanf(buf, "SigBlk: %llx", &v) == 1, "child printed '%s'", buf);
    return v;
}

static void *spawner(void *arg)
{
    (void)arg;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    sigaddset(&s, SIGHUP);
    CHECK_EQ(pthread_sigmask(SIG_SETMASK, &s, NULL), 0);
    unsigned long long want = bit(SIGUSR1) | bit(SIGHUP);
    CHECK_EQ(child_sigblk(0), want);
    CHECK_EQ(child_sigblk(1), want);
    CHECK_EQ(child_sigblk(2), bit(SIGUSR2));
    sigemptyset(&s);
    CHECK_EQ(pthread_sigmask(SIG_SETMASK, &s, NULL), 0);
    CHECK_EQ(child_sigblk(1), 0);
    return NULL;
}

/* The child's part: its own mask as the kernel reports it. */
static int report(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "SigBlk:", 7) == 0)
            fputs(line, stdout);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "report") == 0)
        return report();
    /* Main blocks something else: the spawner's own mask must be used. */
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGTERM);
    CHECK_EQ(pthread_sigmask(SIG_BLOCK, &s, NULL), 0);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, spawner, NULL), 0);
    CHECK_EQ(pthread_join(t, NULL), 0);
    return 0;
}
