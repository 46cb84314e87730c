/* mnthread: pthread_once, in C because it must let an exception or a
 * forced unwind (pthread_exit) pass through while running cleanup on the
 * way: Rust built with panic=abort can do neither (src/abi/once.rs has the
 * waiting side, in Rust).
 *
 * Word: 0 (PTHREAD_ONCE_INIT) -> 1 while the routine runs -> 2 done
 * (glibc's values). Callers that find 1 park on the word's address until it
 * changes. If the routine unwinds instead of returning, the cleanup puts the
 * word back to 0 and wakes one waiter, which runs the routine itself — what
 * glibc does, and what C++ std::call_once (built on pthread_once) needs. */
#include <pthread.h>

int mnthread_pthread_once(pthread_once_t *ctl, void (*init)(void));

enum { ONCE_INIT = 0, ONCE_RUNNING = 1, ONCE_DONE = 2 };

/* In Rust (src/abi/once.rs): park while *word == value; wake up to n. */
void mnthread_once_wait(int *word, int value);
void mnthread_once_wake(int *word, int n);

struct once_guard {
    int *word;
    int armed;
};

static void once_unwound(struct once_guard *g)
{
    if (g->armed) {
        __atomic_store_n(g->word, ONCE_INIT, __ATOMIC_RELEASE);
        mnthread_once_wake(g->word, 1);
    }
}

/* Exported as pthread_once and __pthread_once by src/abi/once.rs (a bare
 * jump, so no Rust frame stands between the routine and its caller). */
int mnthread_pthread_once(pthread_once_t *ctl, void (*init)(void))
{
    int *word = (int *)ctl;
    for (;;) {
        int s = __atomic_load_n(word, __ATOMIC_ACQUIRE);
        if (s == ONCE_DONE)
            return 0;
        if (s == ONCE_INIT) {
            int expected = ONCE_INIT;
            if (!__atomic_compare_exchange_n(word, &expected, ONCE_RUNNING, 0, __ATOMIC_ACQUIRE,
                                             __ATOMIC_ACQUIRE))
                continue;
            struct once_guard g __attribute__((cleanup(once_unwound))) = {word, 1};
            init();
            g.armed = 0;
            __atomic_store_n(word, ONCE_DONE, __ATOMIC_RELEASE);
            mnthread_once_wake(word, 0x7fffffff);
            return 0;
        }
        mnthread_once_wait(word, ONCE_RUNNING);
    }
}
