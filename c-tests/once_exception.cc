// An init routine that throws: the exception reaches pthread_once's caller
// and the once object is not done, so the next call runs the routine again
// — also when another thread was waiting for the throwing call meanwhile.
// std::call_once (built on pthread_once in libstdc++) behaves the same.
#include "common.h"
#include <atomic>
#include <mutex>
#include <stdexcept>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static std::atomic<int> calls{0}, waiting{0}, in_init{0};

static void init_throws_first(void) {
    int n = ++calls;
    if (n == 1) {
        in_init = 1;
        while (waiting.load() == 0)
            sched_yield(); /* let the other thread start waiting on us */
        for (int i = 0; i < 1000; i++)
            sched_yield();
        throw std::runtime_error("first init fails");
    }
}

static void *waiter(void *) {
    while (in_init.load() == 0) /* main runs the routine first */
        sched_yield();
    waiting = 1;
    CHECK_EQ(pthread_once(&once, init_throws_first), 0);
    return nullptr;
}

static std::once_flag flag;
static int cxx_calls;

int main() {
    pthread_t t;
    CHECK_EQ(pthread_create(&t, nullptr, waiter, nullptr), 0);
    bool caught = false;
    try {
        pthread_once(&once, init_throws_first);
    } catch (const std::runtime_error &) {
        caught = true;
    }
    CHECK(caught);
    CHECK_EQ(pthread_join(t, nullptr), 0);
    CHECK_EQ(calls.load(), 2); /* the waiter ran it again, successfully */
    CHECK_EQ(pthread_once(&once, init_throws_first), 0);
    CHECK_EQ(calls.load(), 2);

    for (int attempt = 0; attempt < 3; attempt++) {
        try {
            std::call_once(flag, [] {
                if (++cxx_calls < 3)
                    throw std::logic_error("not yet");
            });
        } catch (const std::logic_error &) {
        }
    }
    CHECK_EQ(cxx_calls, 3);
    std::call_once(flag, [] { cxx_calls = 100; });
    CHECK_EQ(cxx_calls, 3);
    printf("once_exception OK\n");
    return 0;
}
