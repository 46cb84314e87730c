// ONE-CARRIER
// TIMEOUT: 60
// The calls that start a process with clone inside glibc — vfork (then
// exec or _exit), _Fork, posix_spawn, posix_spawnp, system, popen — from
// several threads at once (small stacks of their own, the main thread
// among them) while another thread keeps ticking: each gets its child's
// real output and exit status, and the parent's threads go on.
#include "common.h"

#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

#define SPAWNERS 4
#define ROUNDS 5

static int exit_status(pid_t pid)
{
    int st;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK_MSG(WIFEXITED(st), "child %d: status 0x%x", (int)pid, st);
    return WEXITSTATUS(st);
}

static void via_vfork(int n)
{
    pid_t pid = vfork();
    CHECK_NE(pid, -1);
    if (pid == 0) {
        char code[16];
        snprintf(code, sizeof code, "exit %d", 10 + n);
        execl("/bin/sh", "sh", "-c", code, (char *)NULL);
        _exit(127);
    }
    CHECK_EQ(exit_status(pid), 10 + n);
    pid = vfork();
    CHECK_NE(pid, -1);
    if (pid == 0)
        _exit(20 + n);
    CHECK_EQ(exit_status(pid), 20 + n);
}

static void via_Fork(int n)
{
    pid_t pid = _Fork();
    CHECK_NE(pid, -1);
    if (pid == 0)
        _exit(30 + n);
    CHECK_EQ(exit_status(pid), 30 + n);
}

static void via_spawn(int n)
{
    char code[16];
    snprintf(code, sizeof code, "exit %d", 40 + n);
    char *argv[] = {"sh", "-c", code, NULL};
    pid_t pid;
    CHECK_OK(posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ));
    CHECK_EQ(exit_status(pid), 40 + n);
    /* spawnp with a file action: the child's stdout is our pipe. */
    int fds[2];
    CHECK_EQ(pipe(fds), 0);
    posix_spawn_file_actions_t fa;
    CHECK_OK(posix_spawn_file_actions_init(&fa));
    CHECK_OK(posix_spawn_file_actions_adddup2(&fa, fds[1], 1));
    CHECK_OK(posix_spawn_file_actions_addclose(&fa, fds[0]));
    char *echo[] = {"echo", code, NULL};
    CHECK_OK(posix_spawnp(&pid, "echo", &fa, NULL, echo, environ));
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    char buf[32] = {0};
    size_t got = 0;
    ssize_t r;
    while ((r = read(fds[0], buf + got, sizeof buf - 1 - got)) > 0)
        got += (size_t)r;
    close(fds[0]);
    CHECK_EQ(exit_status(pid), 0);
    char want[20];
    snprintf(want, sizeof want, "%s\n", code);
    CHECK_STR_EQ(buf, want);
}

static void via_system(int n)
{
    char cmd[32];
    snprintf(cmd, sizeof cmd, "exit %d", 50 + n);
    int st = system(cmd);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 50 + n, "system: status 0x%x", st);
}

static void via_popen(int n)
{
    char cmd[32];
    snprintf(cmd, sizeof cmd, "echo popen %d", n);
    FILE *f = popen(cmd, "r");
    CHECK(f != NULL);
    char line[32] = {0};
    CHECK(fgets(line, sizeof line, f) != NULL);
    char want[32];
    snprintf(want, sizeof want, "popen %d\n", n);
    CHECK_STR_EQ(line, want);
    CHECK_EQ(pclose(f), 0);
    /* A "w" pipe to a child that counts what it was given. */
    f = popen("test \"$(wc -c)\" -eq 6", "w");
    CHECK(f != NULL);
    CHECK(fputs("hello\n", f) >= 0);
    int st = pclose(f);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "popen w: status 0x%x", st);
}

static void spawn_all(int n)
{
    for (int r = 0; r < ROUNDS; r++) {
        via_vfork(n);
        via_Fork(n);
        via_spawn(n);
        via_system(n);
        via_popen(n);
    }
}

static void *spawner(void *arg)
{
    spawn_all((int)(long)arg);
    return NULL;
}

int main(void)
{
    ticker_start();
    pthread_attr_t a;
    pthread_attr_init(&a);
    CHECK_OK(pthread_attr_setstacksize(&a, 64 * 1024));
    pthread_t t[SPAWNERS];
    for (long i = 0; i < SPAWNERS; i++)
        CHECK_OK(pthread_create(&t[i], &a, spawner, (void *)(i + 1)));
    long before = ticks_now();
    spawn_all(0);
    for (int i = 0; i < SPAWNERS; i++)
        CHECK_OK(pthread_join(t[i], NULL));
    CHECK_GT(ticks_now(), before);
    ticker_stop();
    puts("ok");
    return 0;
}
