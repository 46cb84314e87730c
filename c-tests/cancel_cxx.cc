// ONE-CARRIER
// TIMEOUT: 30
// Cancellation in C++ is a forced unwind: for a thread parked in read on
// an empty pipe, and one parked in sleep(), pthread_cancel unwinds its
// stack: the destructors of the locals of every frame run (counted, in
// order from the innermost), a `catch (abi::__forced_unwind &)` sees the
// unwind and must rethrow, a `catch (...)` further out sees it too and
// rethrows, a `catch (std::exception &)` does not catch it, then
// thread_local destructors and key destructors run, and pthread_join
// returns PTHREAD_CANCELED. Ordinary exceptions still work in a thread
// afterwards.
#include "common.h"
#include <atomic>
#include <cxxabi.h>
#include <stdexcept>

static std::atomic<int> dtors{0}, forced_seen{0}, catch_all_seen{0}, std_caught{0},
    tl_dtors{0}, key_dtors{0}, returned{0};
static volatile int about_to_wait;
static char order[32];
static std::atomic<int> pos{0};
static int pfd[2];
static pthread_key_t key;

struct Raii {
    char tag;
    ~Raii()
    {
        order[pos++] = tag;
        dtors++;
    }
};

struct TL {
    int v = 0;
    ~TL() { tl_dtors++; }
};
static thread_local TL tl;

static void park(int how)
{
    Raii inner{'c'};
    set_flag(&about_to_wait);
    if (how == 0) {
        char c;
        if (read(pfd[0], &c, 1) >= 0)
            returned++;
    } else {
        sleep(10);
        returned++;
    }
}

static void middle(int how)
{
    Raii r{'b'};
    try {
        park(how);
    } catch (abi::__forced_unwind &) {
        forced_seen++;
        throw; /* must: swallowing it aborts */
    }
}

static void std_layer(int how)
{
    try {
        middle(how);
    } catch (std::exception &) {
        std_caught++; /* a forced unwind is no std::exception */
    }
}

static void *victim(void *arg)
{
    int how = (int)(intptr_t)arg;
    tl.v = 1;
    CHECK_OK(pthread_setspecific(key, (void *)1));
    Raii outer{'a'};
    try {
        std_layer(how);
    } catch (...) {
        catch_all_seen++;
        throw;
    }
    returned++;
    return nullptr;
}

static void *thrower(void *)
{
    Raii r{'t'};
    try {
        throw std::runtime_error("plain");
    } catch (std::exception &e) {
        CHECK_STR_EQ(e.what(), "plain");
        return (void *)(intptr_t)1;
    }
    return nullptr;
}

static void one(int how)
{
    dtors = forced_seen = catch_all_seen = std_caught = tl_dtors = key_dtors = 0;
    pos = 0;
    memset(order, 0, sizeof order);
    about_to_wait = 0;
    pthread_t t;
    CHECK_OK(pthread_create(&t, nullptr, victim, (void *)(intptr_t)how));
    wait_flag(&about_to_wait, 20, "the victim to park");
    usleep(25000);
    CHECK_EQ(dtors.load(), 0);
    CHECK_OK(pthread_cancel(t));
    void *ret = nullptr;
    CHECK_OK(pthread_join(t, &ret));
    CHECK_PTR_EQ(ret, PTHREAD_CANCELED);
    CHECK_EQ(returned.load(), 0);
    CHECK_EQ(dtors.load(), 3);
    CHECK_STR_EQ(order, "cba");
    CHECK_EQ(forced_seen.load(), 1);
    CHECK_EQ(catch_all_seen.load(), 1);
    CHECK_EQ(std_caught.load(), 0);
    CHECK_EQ(tl_dtors.load(), 1);
    CHECK_EQ(key_dtors.load(), 1);
}

int main()
{
    CHECK_OK(pthread_key_create(&key, [](void *) { key_dtors++; }));
    CHECK_SYS(pipe(pfd));
    one(0); /* read */
    one(1); /* sleep */

    pthread_t t;
    void *ret = nullptr;
    pos = 0;
    CHECK_OK(pthread_create(&t, nullptr, thrower, nullptr));
    CHECK_OK(pthread_join(t, &ret));
    CHECK_PTR_EQ(ret, (void *)(intptr_t)1);
    CHECK_EQ(order[0], 't');
    close(pfd[0]);
    close(pfd[1]);
    return 0;
}
