// LINK: -lrt
// Semaphores and raw private futex words (syscall(SYS_futex)) shared
// between user threads and a kernel thread the program did not create (a
// SIGEV_THREAD timer callback's thread, started by glibc internally): a
// ping-pong through two private semaphores in which each side both waits
// and posts (hangs if a wake-up is lost either way), the same through a
// futex word with FUTEX_WAIT/WAKE_PRIVATE, and a process-shared semaphore
// the callback waits on while a user thread posts it.
#include "common.h"
#include <semaphore.h>
#include <linux/futex.h>
#include <sys/syscall.h>

#define ROUNDS 2000
static sem_t ping, pong, shared_sem;
static unsigned word; /* futex ping-pong: even = user's turn, odd = callback's */
static long futex(unsigned *w, int op, unsigned val)
{
    return syscall(SYS_futex, w, op, val, NULL, NULL, 0);
}

/* Waits until *w == want, with FUTEX_WAIT_PRIVATE. */
static int futex_await(unsigned *w, unsigned want)
{
    for (;;) {
        unsigned v = __atomic_load_n(w, __ATOMIC_ACQUIRE);
        if (v == want)
            return 0;
        if (futex(w, FUTEX_WAIT_PRIVATE, v) != 0 && errno != EAGAIN)
            return -1;
    }
}

static void futex_set(unsigned *w, unsigned v)
{
    __atomic_store_n(w, v, __ATOMIC_RELEASE);
    futex(w, FUTEX_WAKE_PRIVATE, 1);
}

static void callback(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        CB_CHECK(sem_wait(&ping) == 0);
        CB_CHECK(sem_post(&pong) == 0);
    }
    for (unsigned i = 0; i < ROUNDS; i++) {
        CB_CHECK(futex_await(&word, 2 * i + 1) == 0);
        futex_set(&word, 2 * i + 2);
    }
    for (int i = 0; i < 10; i++)
        CB_CHECK(sem_wait(&shared_sem) == 0);
out:
    return;
}

static void *user_side(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        CHECK_OK(sem_post(&ping));
        CHECK_OK(sem_wait(&pong));
    }
    for (unsigned i = 0; i < ROUNDS; i++) {
        CHECK_OK(futex_await(&word, 2 * i));
        futex_set(&word, 2 * i + 1);
    }
    CHECK_OK(futex_await(&word, 2 * ROUNDS));
    for (int i = 0; i < 10; i++) {
        sched_yield();
        CHECK_OK(sem_post(&shared_sem));
    }
    return NULL;
}

int main(void)
{
    CHECK_OK(sem_init(&ping, 0, 0));
    CHECK_OK(sem_init(&pong, 0, 0));
    CHECK_OK(sem_init(&shared_sem, 1, 0));

    pthread_t user;
    CHECK_OK(pthread_create(&user, NULL, user_side, NULL));

    static struct foreign_run fr;
    run_on_foreign_thread(&fr, callback, NULL);

    CHECK_OK(pthread_join(user, NULL));
    foreign_wait(&fr, 1, 30, "timer callback");
    CHECK_NO_CB_FAILURE();
    int v;
    CHECK_OK(sem_getvalue(&ping, &v));
    CHECK_EQ(v, 0);
    CHECK_OK(sem_getvalue(&shared_sem, &v));
    CHECK_EQ(v, 0);
    foreign_stop(&fr);
    printf("sem_foreign ok\n");
    return 0;
}
