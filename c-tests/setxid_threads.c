// set*id and setgroups in a threaded process change the credentials of
// every kernel thread (read back from /proc/self/task/*/status, so a change
// of the calling thread alone fails), also when called from a thread glibc
// created itself and in a fork child of a threaded process; threads created
// afterwards (by mnthread or by glibc) have the new ids; EPERM and EINVAL
// change nothing; initgroups too (glibc's calls setgroups internally).  The
// whole sequence runs twice in a re-executed child: with
// MNTHREAD_CARRIERS=1 and with the default carriers, each bounded by a
// timeout (a hang fails with a message).  As root it changes real ids;
// otherwise it makes only the calls an unprivileged process may make.
// TIMEOUT: 40
// LINK: -lrt
#include "common.h"
#include <dirent.h>
#include <grp.h>
#include <pwd.h>
#include <semaphore.h>

#define NT 8
#define MAXG 16

struct ids {
    unsigned uid[4], gid[4]; /* real, effective, saved, fs */
    int ngroups;
    unsigned groups[MAXG];
};

static struct ids want;
static const char *step = "start";

static void set_ids(unsigned ru, unsigned eu, unsigned su, unsigned rg,
                    unsigned eg, unsigned sg)
{
    unsigned u[4] = {ru, eu, su, eu}, g[4] = {rg, eg, sg, eg};
    memcpy(want.uid, u, sizeof u);
    memcpy(want.gid, g, sizeof g);
}

static void set_groups(int n, const unsigned *gs)
{
    want.ngroups = n;
    memcpy(want.groups, gs, n * sizeof *gs);
}

static int parse_line(const char *line, const char *key, unsigned *v, int max)
{
    size_t k = strlen(key);
    if (strncmp(line, key, k) != 0)
        return -1;
    int n = 0;
    char *p = (char *)line + k, *end;
    for (;;) {
        unsigned long x = strtoul(p, &end, 10);
        if (end == p || n == max)
            return n;
        v[n++] = (unsigned)x;
        p = end;
    }
}

static void describe(const unsigned *v, int n, char *buf, size_t sz)
{
    size_t len = 0;
    buf[0] = 0;
    for (int i = 0; i < n && len < sz; i++)
        len += snprintf(buf + len, sz - len, "%s%u", i ? " " : "", v[i]);
}

static void check_field(const char *tid, const char *what, const unsigned *got,
                        int ngot, const unsigned *exp, int nexp)
{
    if (ngot == nexp && memcmp(got, exp, nexp * sizeof *exp) == 0)
        return;
    char g[256], e[256];
    describe(got, ngot, g, sizeof g);
    describe(exp, nexp, e, sizeof e);
    TEST_FAIL_("after %s: kernel thread %s has %s [%s], expected [%s]", step,
               tid, what, g, e);
}

/* Every kernel thread of the process has `want`; returns how many there
 * are, which must be at least min_tasks (2, but 1 in the fork child: there
 * mnthread's threads share one carrier). */
static int min_tasks = 2;
static int check_all_tasks(void)
{
    DIR *d = opendir("/proc/self/task");
    CHECK(d != NULL);
    struct dirent *de;
    int tasks = 0;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char path[64], line[512];
        snprintf(path, sizeof path, "/proc/self/task/%s/status", de->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue; /* ended meanwhile */
        unsigned uid[4], gid[4], groups[MAXG];
        int nu = -1, ng = -1, ngr = -1;
        while (fgets(line, sizeof line, f)) {
            int n;
            if ((n = parse_line(line, "Uid:", uid, 4)) >= 0)
                nu = n;
            else if ((n = parse_line(line, "Gid:", gid, 4)) >= 0)
                ng = n;
            else if ((n = parse_line(line, "Groups:", groups, MAXG)) >= 0)
                ngr = n;
        }
        fclose(f);
        check_field(de->d_name, "Uid", uid, nu, want.uid, 4);
        check_field(de->d_name, "Gid", gid, ng, want.gid, 4);
        check_field(de->d_name, "Groups", groups, ngr, want.groups, want.ngroups);
        tasks++;
    }
    closedir(d);
    CHECK_MSG(tasks >= min_tasks, "after %s: only %d kernel thread(s)", step, tasks);
    return tasks;
}

/* The calling kernel thread's own ids equal `want` (0 if so). */
static int own_ids_ok(void)
{
    uid_t r, e, s;
    gid_t rg, eg, sg, gs[MAXG];
    if (getresuid(&r, &e, &s) || getresgid(&rg, &eg, &sg))
        return 0;
    int n = getgroups(MAXG, gs);
    if (r != want.uid[0] || e != want.uid[1] || s != want.uid[2] ||
        rg != want.gid[0] || eg != want.gid[1] || sg != want.gid[2] ||
        n != want.ngroups)
        return 0;
    for (int i = 0; i < n; i++)
        if (gs[i] != want.groups[i])
            return 0;
    return 1;
}

/* ---- calls ---- */
#define STEP(call)                                                         \
    do {                                                                   \
        step = #call;                                                      \
        CHECK_SYS(call);                                                   \
        check_all_tasks();                                                 \
    } while (0)

#define STEP_FAILS(call, err)                                              \
    do {                                                                   \
        step = #call;                                                      \
        CHECK_FAILS(call, err);                                            \
        check_all_tasks();                                                 \
    } while (0)

static int cmp_gid(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return x < y ? -1 : x > y;
}

/* initgroups(user of uid 0, 77): the groups getgrouplist gives, which the
 * kernel keeps sorted. */
static void step_initgroups(int root)
{
    struct passwd *pw = getpwuid(0);
    CHECK(pw != NULL);
    if (!root) {
        STEP_FAILS(initgroups(pw->pw_name, getgid()), EPERM);
        return;
    }
    gid_t gl[MAXG];
    unsigned gu[MAXG];
    int n = MAXG;
    CHECK_MSG(getgrouplist(pw->pw_name, 77, gl, &n) >= 0, "%s has over %d groups", pw->pw_name, MAXG);
    for (int i = 0; i < n; i++)
        gu[i] = gl[i];
    qsort(gu, n, sizeof *gu, cmp_gid);
    set_groups(n, gu);
    STEP(initgroups(pw->pw_name, 77));
}

/* ---- parked threads ---- */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int release_all;
static long parked;

static void *parker(void *arg)
{
    pthread_mutex_lock(&mu);
    parked++;
    while (!release_all)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    return arg;
}

static void park_threads(pthread_t *ts, int n)
{
    release_all = 0;
    parked = 0;
    for (int i = 0; i < n; i++)
        CHECK_OK(pthread_create(&ts[i], NULL, parker, NULL));
    wait_count(&parked, n, 5, "threads to park");
}

static void release_threads(pthread_t *ts, int n)
{
    pthread_mutex_lock(&mu);
    release_all = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    for (int i = 0; i < n; i++)
        CHECK_OK(pthread_join(ts[i], NULL));
}

/* A thread asleep in a process-shared semaphore: under mnthread a kernel
 * thread of its own (an offload worker) sleeps in the kernel for it. */
static sem_t *psem;
static void *shared_waiter(void *arg)
{
    (void)arg;
    errno = 0;
    int r = sem_wait(psem);
    return (void *)(intptr_t)(r == 0 ? 0 : errno);
}

static pthread_t start_shared_waiter(void)
{
    pthread_t sw;
    psem = shared_alloc(sizeof *psem);
    CHECK_SYS(sem_init(psem, 1, 0));
    CHECK_OK(pthread_create(&sw, NULL, shared_waiter, NULL));
    /* Asleep once registered: glibc 2.36's sem_t counts waiters in the high
     * half of its first 64-bit word (mnthread's has the same layout). */
    long long until = now_ns() + 5000000000LL;
    while (__atomic_load_n((uint64_t *)psem, __ATOMIC_ACQUIRE) >> 32 == 0) {
        CHECK_MSG(now_ns() < until, "the shared-semaphore waiter never waited");
        sched_yield();
    }
    return sw;
}

/* Its sleep went on through the changes: sem_wait returns 0 after a post. */
static void finish_shared_waiter(pthread_t sw)
{
    void *r;
    CHECK_SYS(sem_post(psem));
    CHECK_OK(pthread_join(sw, &r));
    CHECK_MSG(r == NULL, "sem_wait across the changes: errno %s", test_errname_((int)(intptr_t)r));
}

static void *checker(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)own_ids_ok();
}

/* A new thread (mnthread's) and a new thread glibc creates (the timer
 * helper starts it, so it inherits the helper thread's ids) see `want`. */
static void check_new_threads(void)
{
    pthread_t t;
    void *r;
    CHECK_OK(pthread_create(&t, NULL, checker, NULL));
    CHECK_OK(pthread_join(t, &r));
    CHECK_MSG(r == (void *)1, "after %s: a thread created afterwards has other ids", step);
}

static int foreign_ok;
static void foreign_check(void *arg)
{
    (void)arg;
    foreign_ok = own_ids_ok();
}

static void check_foreign_thread(void)
{
    static struct foreign_run fr;
    foreign_ok = -1;
    run_on_foreign_thread(&fr, foreign_check, NULL);
    foreign_wait(&fr, 1, 5, "the foreign thread's check");
    foreign_stop(&fr);
    CHECK_MSG(foreign_ok == 1, "after %s: a thread glibc created has other ids", step);
}

/* setegid(41) made by a thread glibc created. */
static int foreign_res = -2, foreign_err;
static void foreign_setegid(void *arg)
{
    (void)arg;
    errno = 0;
    foreign_res = setegid(41);
    foreign_err = errno;
}

/* (The kernel checks setgroups' privilege before its size.) */
static void errors_change_nothing(int root)
{
    gid_t g[1] = {5};
    if (root) {
        STEP_FAILS(setgroups((size_t)-1, g), EINVAL);
        STEP_FAILS(setgroups(65537, g), EINVAL);
    }
    STEP_FAILS(seteuid((uid_t)-1), EINVAL);
    STEP_FAILS(setegid((gid_t)-1), EINVAL);
    STEP_FAILS(setuid((uid_t)-1), EINVAL);
    STEP_FAILS(setgid((gid_t)-1), EINVAL);
}

/* In a fork child of this threaded process: setgroups, setgid, then with
 * new threads of its own, setuid.  Exits 0 when all is well. */
static void fork_child_changes(int root)
{
    pid_t pid = fork_checked();
    if (pid == 0) {
        /* Alone at first; then a kernel thread sleeps for the shared waiter. */
        pthread_t ts[4], sw;
        min_tasks = 1;
        if (root) {
            gid_t g[1] = {101};
            unsigned gu[1] = {101};
            set_groups(1, gu);
            STEP(setgroups(1, g));
            set_ids(want.uid[0], want.uid[1], want.uid[2], 102, 102, 102);
            STEP(setgid(102));
            park_threads(ts, 4);
            sw = start_shared_waiter();
            min_tasks = 2;
            set_ids(103, 103, 103, 102, 102, 102);
            STEP(setuid(103));
        } else {
            STEP(setgid(getgid()));
            STEP_FAILS(setgroups(0, NULL), EPERM);
            park_threads(ts, 4);
            sw = start_shared_waiter();
            min_tasks = 2;
            STEP(setuid(getuid()));
        }
        check_new_threads();
        release_threads(ts, 4);
        finish_shared_waiter(sw);
        _exit(0);
    }
    int st = 0;
    char buf[64];
    long long deadline = now_ns() + 5000000000LL;
    while (waitpid(pid, &st, WNOHANG) != pid) {
        if (now_ns() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            TEST_FAIL_("the fork child hung in setgroups/setgid/setuid");
        }
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "fork child: %s",
              describe_status(st, buf, sizeof buf));
}

static void sequence(void)
{
    pthread_t ts[NT];
    int root = geteuid() == 0;

    {
        uid_t r, e, s;
        gid_t rg, eg, sg, gs[MAXG];
        CHECK_SYS(getresuid(&r, &e, &s));
        CHECK_SYS(getresgid(&rg, &eg, &sg));
        int n = getgroups(MAXG, gs);
        CHECK(n >= 0);
        set_ids(r, e, s, rg, eg, sg);
        unsigned gu[MAXG];
        for (int i = 0; i < n; i++)
            gu[i] = gs[i];
        set_groups(n, gu);
    }
    /* The glibc timer helper thread exists from here on. */
    check_foreign_thread();
    pthread_t sw = start_shared_waiter();
    park_threads(ts, NT);
    int tasks = check_all_tasks();
    printf("%d kernel threads, %s\n", tasks,
           root ? "root: changing ids" : "not root: only calls that keep the ids (the changes need root)");

    if (!root) {
        STEP(setresuid(getuid(), geteuid(), -1));
        STEP(setresgid(getgid(), getegid(), -1));
        STEP(setuid(getuid()));
        STEP(setgid(getgid()));
        STEP(seteuid(geteuid()));
        STEP(setegid(getegid()));
        STEP(setreuid(getuid(), geteuid()));
        STEP(setregid(getgid(), getegid()));
        STEP_FAILS(setgroups(0, NULL), EPERM);
        step_initgroups(0);
        STEP_FAILS(setuid(want.uid[0] + 1), EPERM);
        errors_change_nothing(0);
        fork_child_changes(0);
    } else {
        gid_t g3[3] = {11, 12, 13};
        unsigned g3u[3] = {11, 12, 13};
        set_groups(3, g3u);
        STEP(setgroups(3, g3));
        step_initgroups(1);
        set_ids(0, 0, 0, 21, 22, 23);
        STEP(setresgid(21, 22, 23));
        set_ids(0, 0, 0, 31, 32, 32);
        STEP(setregid(31, 32));

        static struct foreign_run fr;
        step = "setegid(41) on a thread glibc created";
        run_on_foreign_thread(&fr, foreign_setegid, NULL);
        foreign_wait(&fr, 1, 5, "setegid on the foreign thread");
        foreign_stop(&fr);
        CHECK_MSG(foreign_res == 0, "setegid(41) on a foreign thread: %d errno %s",
                  foreign_res, test_errname_(foreign_err));
        set_ids(0, 0, 0, 31, 41, 32);
        check_all_tasks();

        set_ids(0, 0, 0, 51, 51, 51);
        STEP(setgid(51));
        set_ids(61, 0, 63, 51, 51, 51);
        STEP(setresuid(61, 0, 63));
        set_ids(71, 0, 0, 51, 51, 51);
        STEP(setreuid(71, 0));
        set_ids(71, 81, 0, 51, 51, 51);
        STEP(seteuid(81));
        STEP_FAILS(setgroups(0, NULL), EPERM);
        set_ids(71, 0, 0, 51, 51, 51);
        STEP(seteuid(0));
        check_new_threads();
        check_foreign_thread();
        errors_change_nothing(1);
        fork_child_changes(1);

        set_ids(91, 91, 91, 51, 51, 51);
        STEP(setuid(91));
        STEP_FAILS(setuid(0), EPERM);
        STEP_FAILS(setresgid(0, 0, 0), EPERM);
        STEP_FAILS(setgroups(0, NULL), EPERM);
        STEP_FAILS(seteuid(0), EPERM);
    }
    check_new_threads();
    check_foreign_thread();
    release_threads(ts, NT);
    finish_shared_waiter(sw);
    check_new_threads();
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "inner") == 0) {
        setvbuf(stdout, NULL, _IONBF, 0); /* a hang still shows how far it got */
        sequence();
        printf("ok\n");
        return 0;
    }
    const char *carriers[] = {"1", NULL};
    for (int i = 0; i < 2; i++) {
        static char out[1 << 16];
        char buf[64];
        if (carriers[i])
            setenv("MNTHREAD_CARRIERS", carriers[i], 1);
        else
            unsetenv("MNTHREAD_CARRIERS");
        int st = run_self("inner", NULL, out, sizeof out, 10);
        printf("MNTHREAD_CARRIERS=%s: %s", carriers[i] ? carriers[i] : "(default)", out);
        CHECK_MSG(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
                  "MNTHREAD_CARRIERS=%s: %s (a hang means a set*id call never returned)",
                  carriers[i] ? carriers[i] : "(default)", describe_status(st, buf, sizeof buf));
    }
    return 0;
}
