// C++20 synchronisation on mnthread, with real results: std::mutex
// counters, condition_variable wait_for both timing out (cv_status::timeout)
// and being notified (predicate form), a condition_variable queue,
// shared_mutex readers never seeing a half-done write, std::atomic
// wait/notify_one/notify_all (libstdc++ waits with syscall(SYS_futex):
// mnthread's emulation), counting_semaphore, latch and barrier (built on
// atomic wait), std::call_once run once by racing threads and retried after
// an exception, promise/future (futex waits on both clocks) and std::async.
// mutex/shared_mutex/condition_variable reach pthread mutex/rwlock/cond.
// With MNTHREAD_CARRIERS=1 every blocked thread must park.
// TIMEOUT: 60
#include "common.h"
#include <atomic>
#include <barrier>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <latch>
#include <mutex>
#include <semaphore>
#include <shared_mutex>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

static void mutex_counter()
{
    std::mutex m;
    long counter = 0;
    std::vector<std::thread> ts;
    for (int i = 0; i < 8; i++)
        ts.emplace_back([&] {
            for (int j = 0; j < 5000; j++) {
                std::lock_guard<std::mutex> g(m);
                counter++;
            }
        });
    for (auto &t : ts)
        t.join();
    CHECK_EQ(counter, 40000);
}

static void condvar()
{
    std::mutex m;
    std::condition_variable cv;
    {
        std::unique_lock<std::mutex> g(m);
        auto t0 = std::chrono::steady_clock::now();
        CHECK(cv.wait_for(g, 30ms) == std::cv_status::timeout);
        CHECK(std::chrono::steady_clock::now() - t0 >= 30ms);
        CHECK(g.owns_lock());
    }
    bool ready = false;
    std::thread waiter([&] {
        std::unique_lock<std::mutex> g(m);
        bool ok = cv.wait_for(g, 30s, [&] { return ready; });
        CHECK(ok);
    });
    std::this_thread::sleep_for(5ms);
    {
        std::lock_guard<std::mutex> g(m);
        ready = true;
    }
    cv.notify_all();
    waiter.join();

    std::deque<int> q;
    bool done = false;
    long sum = 0;
    std::vector<std::thread> consumers;
    for (int i = 0; i < 4; i++)
        consumers.emplace_back([&] {
            for (;;) {
                std::unique_lock<std::mutex> g(m);
                cv.wait(g, [&] { return !q.empty() || done; });
                if (q.empty())
                    return;
                sum += q.front();
                q.pop_front();
            }
        });
    for (int i = 1; i <= 10000; i++) {
        {
            std::lock_guard<std::mutex> g(m);
            q.push_back(i);
        }
        cv.notify_one();
    }
    {
        std::lock_guard<std::mutex> g(m);
        done = true;
    }
    cv.notify_all();
    for (auto &t : consumers)
        t.join();
    CHECK_EQ(sum, 10000L * 10001 / 2);
}

static void shared_mutex()
{
    std::shared_mutex l;
    long a = 0, b = 0;
    std::vector<std::thread> readers, writers;
    for (int i = 0; i < 4; i++)
        readers.emplace_back([&] {
            for (int j = 0; j < 2000; j++) {
                {
                    std::shared_lock<std::shared_mutex> g(l);
                    CHECK_EQ(a, b);
                }
                std::this_thread::yield();
            }
        });
    for (int i = 0; i < 2; i++)
        writers.emplace_back([&] {
            for (int j = 0; j < 2000; j++) {
                std::unique_lock<std::shared_mutex> g(l);
                a++;
                std::this_thread::yield();
                b++;
            }
        });
    for (auto &t : writers)
        t.join();
    for (auto &t : readers)
        t.join();
    CHECK_EQ(a, 4000);
    CHECK_EQ(b, 4000);
}

static void atomic_wait()
{
    std::atomic<int> turn{0};
    std::thread other([&] {
        for (int i = 0; i < 2000; i++) {
            int want = 2 * i + 1;
            for (int v = turn.load(); v != want; v = turn.load())
                turn.wait(v);
            turn.store(want + 1);
            turn.notify_one();
        }
    });
    for (int i = 0; i < 2000; i++) {
        int want = 2 * i;
        for (int v = turn.load(); v != want; v = turn.load())
            turn.wait(v);
        turn.store(want + 1);
        turn.notify_one();
    }
    other.join();
    CHECK_EQ(turn.load(), 4000);

    std::atomic<int> go{0};
    std::atomic<int> passed{0};
    std::vector<std::thread> ts;
    for (int i = 0; i < 16; i++)
        ts.emplace_back([&] {
            go.wait(0);
            passed++;
        });
    std::this_thread::sleep_for(5ms);
    go.store(1);
    go.notify_all();
    for (auto &t : ts)
        t.join();
    CHECK_EQ(passed.load(), 16);
}

static void semaphores_latches()
{
    std::counting_semaphore<> items(0);
    std::atomic<long> sum{0};
    std::vector<std::thread> ts;
    for (int i = 0; i < 4; i++)
        ts.emplace_back([&] {
            for (int j = 0; j < 1000; j++) {
                items.acquire();
                sum++;
            }
        });
    for (int j = 0; j < 4000; j++)
        items.release();
    for (auto &t : ts)
        t.join();
    CHECK_EQ(sum.load(), 4000);
    CHECK(!items.try_acquire());
    CHECK(!items.try_acquire_for(10ms));

    std::latch l(8);
    std::barrier bar(8);
    std::atomic<int> arrived{0};
    ts.clear();
    for (int i = 0; i < 8; i++)
        ts.emplace_back([&] {
            arrived++;
            l.arrive_and_wait();
            CHECK_EQ(arrived.load(), 8);
            for (int r = 0; r < 20; r++)
                bar.arrive_and_wait();
        });
    for (auto &t : ts)
        t.join();
}

/* std::future waits with syscall(SYS_futex) on both clocks (wait_for:
 * steady, wait_until a system_clock time: FUTEX_CLOCK_REALTIME). */
static void futures()
{
    std::promise<int> p;
    std::future<int> f = p.get_future();
    CHECK(f.wait_for(10ms) == std::future_status::timeout);
    CHECK(f.wait_until(std::chrono::system_clock::now() + 10ms) == std::future_status::timeout);
    std::thread t([&] {
        std::this_thread::sleep_for(5ms);
        p.set_value(42);
    });
    CHECK(f.wait_for(30s) == std::future_status::ready);
    CHECK_EQ(f.get(), 42);
    t.join();
    std::vector<std::future<long>> fs;
    for (long i = 0; i < 16; i++)
        fs.push_back(std::async(std::launch::async, [i] { return i * i; }));
    long sum = 0;
    for (auto &x : fs)
        sum += x.get();
    CHECK_EQ(sum, 1240);
}

static void call_once()
{
    std::once_flag flag;
    std::atomic<int> runs{0};
    std::vector<std::thread> ts;
    for (int i = 0; i < 16; i++)
        ts.emplace_back([&] {
            std::call_once(flag, [&] {
                runs++;
                std::this_thread::sleep_for(2ms);
            });
            CHECK_EQ(runs.load(), 1);
        });
    for (auto &t : ts)
        t.join();

    std::once_flag flag2;
    int attempts = 0;
    try {
        std::call_once(flag2, [&] {
            attempts++;
            throw std::runtime_error("first try fails");
        });
        CHECK(false);
    } catch (const std::runtime_error &) {
    }
    std::call_once(flag2, [&] { attempts++; });
    std::call_once(flag2, [&] { attempts++; });
    CHECK_EQ(attempts, 2);
}

int main()
{
    mutex_counter();
    condvar();
    shared_mutex();
    atomic_wait();
    semaphores_latches();
    futures();
    call_once();
    printf("cxx_sync ok\n");
    return 0;
}
