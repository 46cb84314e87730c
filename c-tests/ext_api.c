// MNTHREAD-ONLY
// mnthread's own API (include/mnthread.h): mnthread_version,
// mnthread_carriers (MNTHREAD_CARRIERS or one per CPU) and
// mnthread_is_user_thread (1 in threads mnthread runs — main too, once the
// first thread exists — and 0 in kernel threads it does not run, such as
// glibc's SIGEV_THREAD helper). Looked up with dlsym so that the same
// binary runs under LD_PRELOAD.
#include "common.h"
#include <stdatomic.h>
#if __has_include(<mnthread.h>) /* the linked build: the generated header */
#include <mnthread.h>
#define HAVE_MNTHREAD_H 1
#endif

static int (*is_user)(void);
static atomic_int helper_saw = -1;

static void *in_thread(void *arg) {
    (void)arg;
    return (void *)(long)is_user();
}

static void timer_cb(void *arg) {
    (void)arg;
    atomic_store(&helper_saw, is_user());
}

int main(int argc, char **argv) {
    const char *(*version)(void) = (const char *(*)(void))dlsym(RTLD_DEFAULT, "mnthread_version");
    int (*carriers)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "mnthread_carriers");
    is_user = (int (*)(void))dlsym(RTLD_DEFAULT, "mnthread_is_user_thread");
    CHECK(version && carriers && is_user);
#ifdef HAVE_MNTHREAD_H
    CHECK(version == mnthread_version && carriers == mnthread_carriers && is_user == mnthread_is_user_thread);
#endif
    const char *v = version();
    CHECK(v != NULL);
    int major, minor, patch;
    CHECK_EQ(sscanf(v, "%d.%d.%d", &major, &minor, &patch), 3);

    if (argc > 1 && strcmp(argv[1], "child") == 0) { /* run with MNTHREAD_CARRIERS=3 */
        CHECK_EQ(carriers(), 3);
        return 0;
    }
    cpu_set_t set;
    CHECK_EQ(sched_getaffinity(0, sizeof set, &set), 0);
    if (!getenv("MNTHREAD_CARRIERS"))
        CHECK_EQ(carriers(), CPU_COUNT(&set));

    CHECK_EQ(is_user(), 0); /* main, before any thread exists */
    pthread_t t;
    void *r;
    CHECK_EQ(pthread_create(&t, NULL, in_thread, NULL), 0);
    CHECK_EQ(pthread_join(t, &r), 0);
    CHECK_EQ((long)r, 1);
    CHECK_EQ(is_user(), 1); /* main is a user thread now */

    static struct foreign_run fr;
    run_on_foreign_thread(&fr, timer_cb, NULL);
    foreign_wait(&fr, 1, 20, "timer callback");
    CHECK_EQ(atomic_load(&helper_saw), 0);
    foreign_stop(&fr);

    char out[1024];
    const char *old = getenv("MNTHREAD_CARRIERS");
    char saved[32] = "";
    if (old)
        snprintf(saved, sizeof saved, "%s", old);
    setenv("MNTHREAD_CARRIERS", "3", 1);
    int st = run_self("child", NULL, out, sizeof out, 30);
    if (old)
        setenv("MNTHREAD_CARRIERS", saved, 1);
    else
        unsetenv("MNTHREAD_CARRIERS");
    CHECK_MSG(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "child: %s", out);
    printf("ext_api OK (mnthread %s, %d carriers)\n", v, carriers());
    return 0;
}
