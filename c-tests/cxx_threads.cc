// C++ threads: std::thread + join with results, thread_local objects with
// constructors and destructors (destructors run at thread exit, counted),
// exceptions thrown and caught inside threads (also across many frames and
// std::exception_ptr handed back), std::this_thread::yield.  (No
// std::mutex/condition_variable/future: not in this milestone.)
#include "common.h"
#include <atomic>
#include <exception>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

static std::atomic<int> ctor_count{0}, dtor_count{0}, dtor_bad{0};

struct Tracked {
    int value;
    std::string tag;
    Tracked() : value(17), tag("fresh") { ctor_count++; }
    ~Tracked()
    {
        if (tag.rfind("thread-", 0) != 0 && tag != "fresh")
            dtor_bad++;
        dtor_count++;
    }
};

static thread_local Tracked tracked;
static thread_local int tl_plain = 5;
static thread_local std::vector<int> tl_vec(3, 9);

static int touch_tracked(int id)
{
    if (tracked.value != 17 || tracked.tag != "fresh" || tl_plain != 5 ||
        tl_vec.size() != 3 || tl_vec[2] != 9)
        return -1;
    tracked.value = id;
    tracked.tag = "thread-" + std::to_string(id);
    tl_plain = id;
    tl_vec.push_back(id);
    for (int i = 0; i < 20; i++) {
        std::this_thread::yield();
        if (tracked.value != id || tl_plain != id || tl_vec.back() != id)
            return -2;
    }
    return id;
}

[[noreturn]] static void deep_throw(int depth, int v)
{
    if (depth == 0)
        throw std::runtime_error("boom " + std::to_string(v));
    deep_throw(depth - 1, v);
}

struct Guard {
    std::atomic<int> *c;
    ~Guard() { (*c)++; }
};

static int catcher(int v)
{
    static std::atomic<int> unwound{0};
    int before = unwound.load();
    try {
        Guard g{&unwound};
        deep_throw(20, v);
    } catch (const std::runtime_error &e) {
        if (std::string(e.what()) != "boom " + std::to_string(v))
            return -1;
        if (unwound.load() <= before)
            return -2; /* the guard's destructor must have run */
        return v * 2;
    }
    return -3;
}

int main()
{
    /* std::thread + results */
    {
        std::vector<std::thread> ts;
        std::vector<long> out(64, 0);
        for (int i = 0; i < 64; i++)
            ts.emplace_back([i, &out] {
                long s = 0;
                for (int k = 0; k <= i * 1000; k++)
                    s += k;
                out[i] = s;
            });
        for (auto &t : ts)
            t.join();
        for (long i = 0; i < 64; i++)
            CHECK_EQ(out[i], (i * 1000) * (i * 1000 + 1) / 2);
    }

    /* thread_local constructors/destructors */
    {
        int base_ctor = ctor_count.load(), base_dtor = dtor_count.load();
        const int N = 16;
        std::vector<std::thread> ts;
        std::vector<int> res(N, 0);
        for (int i = 0; i < N; i++)
            ts.emplace_back([i, &res] { res[i] = touch_tracked(i + 1); });
        for (auto &t : ts)
            t.join();
        for (int i = 0; i < N; i++)
            CHECK_EQ(res[i], i + 1);
        CHECK_EQ(ctor_count.load() - base_ctor, N);
        CHECK_EQ(dtor_count.load() - base_dtor, N);
        CHECK_EQ(dtor_bad.load(), 0);
        /* a thread that never touches the thread_local constructs nothing */
        std::thread idle([] { std::this_thread::yield(); });
        idle.join();
        CHECK_EQ(ctor_count.load() - base_ctor, N);
        /* main's own instance is independent */
        CHECK_EQ(touch_tracked(1000), 1000);
    }

    /* exceptions inside threads */
    {
        std::vector<std::thread> ts;
        std::vector<int> res(8, 0);
        for (int i = 0; i < 8; i++)
            ts.emplace_back([i, &res] {
                int r = 0;
                for (int k = 0; k < 50; k++) {
                    r = catcher(i + k);
                    if (r != 2 * (i + k))
                        break;
                    std::this_thread::yield();
                }
                res[i] = r;
            });
        for (auto &t : ts)
            t.join();
        for (int i = 0; i < 8; i++)
            CHECK_EQ(res[i], 2 * (i + 49));
    }

    /* exception_ptr carried from a thread to main */
    {
        std::exception_ptr ep;
        std::thread t([&ep] {
            try {
                throw std::out_of_range("from thread");
            } catch (...) {
                ep = std::current_exception();
            }
        });
        t.join();
        CHECK(ep != nullptr);
        bool caught = false;
        try {
            std::rethrow_exception(ep);
        } catch (const std::out_of_range &e) {
            caught = std::string(e.what()) == "from thread";
        }
        CHECK(caught);
    }

    /* yield and thread ids */
    {
        std::atomic<int> turns{0};
        std::thread::id other;
        std::thread t([&] {
            other = std::this_thread::get_id();
            for (int i = 0; i < 1000; i++) {
                turns++;
                std::this_thread::yield();
            }
        });
        for (int i = 0; i < 1000; i++)
            std::this_thread::yield();
        std::thread::id tid = t.get_id();
        t.join();
        CHECK_EQ(turns.load(), 1000);
        CHECK(other == tid);
        CHECK(other != std::this_thread::get_id());
    }

    /* hardware_concurrency is sane */
    CHECK_GE(std::thread::hardware_concurrency(), 1u);

    puts("cxx_threads OK");
    return 0;
}
