// pthread_exit in C++ code unwinds the calling thread's stack like glibc's
// forced unwind does: destructors of the locals of every frame run, then
// thread_local destructors and key destructors; the exit value still
// reaches pthread_join.  Also for a thread started by std::thread.
#include "common.h"
#include <atomic>
#include <thread>

static std::atomic<int> raii{0}, tl_dtors{0}, key_dtors{0};

struct Raii {
    int tag;
    ~Raii() { raii += tag; }
};

struct TL {
    int v = 0;
    ~TL() { tl_dtors++; }
};
static thread_local TL tl;
static pthread_key_t key;

static void exit_deep(int depth, intptr_t value)
{
    Raii r{10};
    if (depth == 0)
        pthread_exit((void *)value);
    exit_deep(depth - 1, value);
}

static void *exiting_thread(void *)
{
    Raii outer{1};
    tl.v = 1;
    pthread_setspecific(key, (void *)1);
    exit_deep(3, 5); /* four Raii{10} frames + outer = 41 */
    return nullptr;
}

int main()
{
    CHECK_OK(pthread_key_create(&key, [](void *) { key_dtors++; }));

    pthread_t t;
    void *r = nullptr;
    CHECK_OK(pthread_create(&t, nullptr, exiting_thread, nullptr));
    CHECK_OK(pthread_join(t, &r));
    CHECK_EQ((intptr_t)r, 5);
    CHECK_EQ(raii.load(), 41);
    CHECK_EQ(tl_dtors.load(), 1);
    CHECK_EQ(key_dtors.load(), 1);

    /* the same from inside a std::thread */
    raii = 0;
    std::thread st([] {
        Raii outer{100};
        tl.v = 2;
        exit_deep(0, 9);
    });
    st.join();
    CHECK_EQ(raii.load(), 110);
    CHECK_EQ(tl_dtors.load(), 2);

    puts("cxx_exit_unwind OK");
    return 0;
}
