// Named semaphores (sem_open/sem_close/sem_unlink) as glibc 2.36 has them:
// the errors (EINVAL for empty, slash-containing, over-long names and for
// a too-large initial value when creating; ENAMETOOLONG from the kernel for
// names of 252..255 bytes; ENOENT, EEXIST; sem_close EINVAL for anything
// not from sem_open; sem_unlink ENOENT for bad names); the file
// /dev/shm/sem.NAME (32 bytes, the creator's mode under the umask, shared
// marker); one mapping per name in a process with a reference count
// ("x" and "/x" are two, as in glibc); concurrent creators from several
// processes all see one fully initialised semaphore; ping-pong across fork;
// and across exec with a peer process that runs WITHOUT mnthread (plain
// glibc, LD_PRELOAD removed) while our side waits in user threads.
// TIMEOUT: 60
#include "common.h"
#include <semaphore.h>
#include <sys/stat.h>
#include <limits.h>

enum { ROUNDS = 1000, CREATORS = 4 };

#define CHECK_OPEN_FAILS(call, err)                                        \
    do {                                                                   \
        errno = 0;                                                         \
        sem_t *r_ = (call);                                                \
        CHECK_MSG(r_ == SEM_FAILED && errno == (err), "%s -> %p errno %s", \
                  #call, (void *)r_, test_errname_(errno));                \
    } while (0)

static char name_a[64], name_b[64], name_ping[64], name_pong[64];

static void test_errors(void)
{
    char n256[257], n255[256], n252[253];
    memset(n256, 'x', 256);
    n256[256] = 0;
    memset(n255, 'y', 255);
    n255[255] = 0;
    memset(n252, 'z', 252);
    n252[252] = 0;
    CHECK_OPEN_FAILS(sem_open("", O_CREAT, 0600, 1), EINVAL);
    CHECK_OPEN_FAILS(sem_open("/", O_CREAT, 0600, 1), EINVAL);
    CHECK_OPEN_FAILS(sem_open("///", 0), EINVAL);
    CHECK_OPEN_FAILS(sem_open("a/b", O_CREAT, 0600, 1), EINVAL);
    CHECK_OPEN_FAILS(sem_open(n256, O_CREAT, 0600, 1), EINVAL);
    CHECK_OPEN_FAILS(sem_open(n255, O_CREAT, 0600, 1), ENAMETOOLONG);
    CHECK_OPEN_FAILS(sem_open(n252, O_CREAT, 0600, 1), ENAMETOOLONG);
    CHECK_OPEN_FAILS(sem_open(name_a, 0), ENOENT);
    CHECK_OPEN_FAILS(sem_open(name_a, O_EXCL), ENOENT);
    CHECK_OPEN_FAILS(sem_open(name_a, O_CREAT | O_EXCL, 0600, (unsigned)SEM_VALUE_MAX + 1u), EINVAL);
    CHECK_OPEN_FAILS(sem_open(name_a, O_CREAT, 0600, UINT_MAX), EINVAL);

    sem_t local;
    CHECK_OK(sem_init(&local, 0, 0));
    CHECK_FAILS(sem_close(&local), EINVAL);
    CHECK_FAILS(sem_unlink(name_a), ENOENT);
    CHECK_FAILS(sem_unlink(""), ENOENT);
    CHECK_FAILS(sem_unlink("a/b"), ENOENT);
    CHECK_FAILS(sem_unlink(n256), ENOENT);
    CHECK_FAILS(sem_unlink(n255), ENAMETOOLONG);
}

static void test_mappings(void)
{
    mode_t old = umask(022);
    sem_t *a = sem_open(name_a, O_CREAT | O_EXCL, 0666, 3);
    umask(old);
    CHECK(a != SEM_FAILED);
    char path[128];
    snprintf(path, sizeof path, "/dev/shm/sem.%s", name_a + 1);
    struct stat st;
    CHECK_SYS(stat(path, &st));
    CHECK_EQ(st.st_size, 32);
    CHECK_EQ(st.st_mode & 0777, 0644);
    CHECK_EQ(((unsigned *)a)[0], 3);   /* value */
    CHECK_EQ(((unsigned *)a)[1], 0);   /* no waiters */
    CHECK_EQ(((int *)a)[2], 128);      /* glibc's shared marker */

    CHECK_OPEN_FAILS(sem_open(name_a, O_CREAT | O_EXCL, 0600, 1), EEXIST);
    /* Opening an existing one ignores mode and value, even a bad value. */
    sem_t *a2 = sem_open(name_a, O_CREAT, 0600, UINT_MAX);
    CHECK_PTR_EQ(a2, a);
    sem_t *a3 = sem_open(name_a, 0);
    CHECK_PTR_EQ(a3, a);
    sem_t *slash = sem_open(name_a + 1, 0); /* same file, other name */
    CHECK(slash != SEM_FAILED);
    CHECK(slash != a);
    CHECK_OK(sem_wait(slash)); /* ...but the same semaphore */
    int v;
    CHECK_OK(sem_getvalue(a, &v));
    CHECK_EQ(v, 2);
    CHECK_OK(sem_close(slash));
    CHECK_FAILS(sem_close(slash), EINVAL);

    CHECK_OK(sem_unlink(name_a));
    CHECK_OPEN_FAILS(sem_open(name_a, 0), ENOENT);
    /* Still usable through the three references. */
    CHECK_OK(sem_post(a));
    CHECK_OK(sem_close(a));
    CHECK_OK(sem_close(a));
    CHECK_OK(sem_getvalue(a, &v));
    CHECK_EQ(v, 3);
    CHECK_OK(sem_close(a));
    CHECK_FAILS(sem_close(a), EINVAL);

    /* A re-created name is a new semaphore. */
    sem_t *b = sem_open(name_a, O_CREAT, 0600, 0);
    CHECK(b != SEM_FAILED);
    CHECK_OK(sem_getvalue(b, &v));
    CHECK_EQ(v, 0);
    CHECK_FAILS(sem_trywait(b), EAGAIN);
    CHECK_OK(sem_close(b));
    CHECK_OK(sem_unlink(name_a));
}

/* Several processes create the same name at once: one wins, every one
 * opens that one, fully initialised. */
static void test_racing_creators(void)
{
    pid_t pids[CREATORS];
    for (int i = 0; i < CREATORS; i++) {
        pids[i] = fork_checked();
        if (pids[i] == 0) {
            sem_t *s = sem_open(name_b, O_CREAT, 0600, 10 * (i + 1));
            if (s == SEM_FAILED)
                _exit(2);
            if (sem_post(s) != 0)
                _exit(3);
            _exit(0);
        }
    }
    for (int i = 0; i < CREATORS; i++) {
        wait_child_ok(pids[i], "creator");
    }
    sem_t *s = sem_open(name_b, 0);
    CHECK(s != SEM_FAILED);
    int v;
    CHECK_OK(sem_getvalue(s, &v));
    CHECK_MSG(v % 10 == CREATORS && v / 10 >= 1 && v / 10 <= CREATORS, "value %d", v);
    CHECK_OK(sem_close(s));
    CHECK_OK(sem_unlink(name_b));
}

/* The peer side of a ping-pong: waits on ping, posts pong. */
static int peer(void)
{
    sem_t *ping = sem_open(name_ping, 0);
    sem_t *pong = sem_open(name_pong, 0);
    if (ping == SEM_FAILED || pong == SEM_FAILED)
        return 2;
    for (int i = 0; i < ROUNDS; i++) {
        if (sem_wait(ping) != 0 || sem_post(pong) != 0)
            return 3;
    }
    return sem_close(ping) || sem_close(pong) ? 4 : 0;
}

static sem_t *g_ping, *g_pong;
static void *pinger(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        CHECK_OK(sem_post(g_ping));
        CHECK_OK(sem_wait(g_pong));
    }
    return NULL;
}

static void ping_pong(int plain_glibc_peer, const char *self_path)
{
    g_ping = sem_open(name_ping, O_CREAT | O_EXCL, 0600, 0);
    g_pong = sem_open(name_pong, O_CREAT | O_EXCL, 0600, 0);
    CHECK(g_ping != SEM_FAILED && g_pong != SEM_FAILED);
    pid_t pid = fork_checked();
    if (pid == 0) {
        if (!plain_glibc_peer)
            _exit(peer());
        unsetenv("LD_PRELOAD");
        execl(self_path, "peer", "peer", name_ping, name_pong, (char *)NULL);
        _exit(127);
    }
    /* Our side runs in a thread while another thread keeps working. */
    pthread_t t;
    CHECK_OK(pthread_create(&t, NULL, pinger, NULL));
    CHECK_OK(pthread_join(t, NULL));
    wait_child_ok(pid, "peer");
    int v;
    CHECK_OK(sem_getvalue(g_ping, &v));
    CHECK_EQ(v, 0);
    CHECK_EQ(((unsigned *)g_pong)[1], 0); /* nobody left registered */
    CHECK_OK(sem_close(g_ping));
    CHECK_OK(sem_close(g_pong));
    CHECK_OK(sem_unlink(name_ping));
    CHECK_OK(sem_unlink(name_pong));
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "peer") == 0) {
        snprintf(name_ping, sizeof name_ping, "%s", argv[2]);
        snprintf(name_pong, sizeof name_pong, "%s", argv[3]);
        return peer();
    }
    int id = getpid();
    snprintf(name_a, sizeof name_a, "/mnt_sem_a_%d", id);
    snprintf(name_b, sizeof name_b, "/mnt_sem_b_%d", id);
    snprintf(name_ping, sizeof name_ping, "/mnt_sem_ping_%d", id);
    snprintf(name_pong, sizeof name_pong, "mnt_sem_pong_%d", id);
    sem_unlink(name_a);
    test_errors();
    test_mappings();
    test_racing_creators();
    ping_pong(0, NULL);
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    CHECK(n > 0);
    self[n] = 0;
    ping_pong(1, self);
    printf("sem_named ok\n");
    return 0;
}
