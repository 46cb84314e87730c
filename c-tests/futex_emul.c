// libc's syscall(SYS_futex, ...) — what Rust std and C++20 atomic wait
// use — for every private operation mnthread emulates: FUTEX_WAIT
// (relative timeout), WAKE (exact counts), WAIT_BITSET (absolute timeout
// on MONOTONIC and, with FUTEX_CLOCK_REALTIME, REALTIME) and WAKE_BITSET
// (only matching waiters), REQUEUE and CMP_REQUEUE (moved waiters are woken
// from the new word only; EAGAIN on a value mismatch), WAKE_OP (every
// operation, OPARG_SHIFT, every comparison, signed, deciding whether the
// second word's waiters wake); the kernel's errors (EAGAIN, ETIMEDOUT,
// EINVAL for bad timeouts, zero bitsets, misalignment and negative requeue
// counts, EFAULT, ENOSYS); and other syscalls and shared futexes passing
// through unchanged. Waiters are threads, which with MNTHREAD_CARRIERS=1
// must park rather than block the carrier. Waiter counts are read with a
// CMP_REQUEUE of a word onto itself (moves, never wakes).
// TIMEOUT: 60
#include "common.h"
#include <limits.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>

static long futex(unsigned *uaddr, int op, unsigned val, const void *timeout_or_val2,
                  unsigned *uaddr2, unsigned val3)
{
    return syscall(SYS_futex, uaddr, op, val, timeout_or_val2, uaddr2, val3);
}

#define VAL2(n) ((const void *)(long)(n))

/* How many waiters sit on w (a requeue onto itself wakes nobody). */
static long queued(unsigned *w)
{
    for (;;) {
        long r = futex(w, FUTEX_CMP_REQUEUE_PRIVATE, 0, VAL2(INT_MAX), w,
                       __atomic_load_n(w, __ATOMIC_RELAXED));
        if (r >= 0)
            return r;
        CHECK_EQ(errno, EAGAIN); /* the word changed under us: again */
    }
}

static void wait_queued(unsigned *w, long n)
{
    long long deadline = now_ns() + 20LL * 1000000000;
    while (queued(w) < n) {
        CHECK_MSG(now_ns() < deadline, "only %ld of %ld waiters queued", queued(w), n);
        sched_yield();
    }
}

struct waiter {
    pthread_t t;
    unsigned *word;
    int op;
    unsigned expected, bits;
    long result;
    int err;
    volatile int done;
};

static void *waiter_main(void *arg)
{
    struct waiter *w = arg;
    errno = 0;
    w->result = futex(w->word, w->op, w->expected, NULL, NULL, w->bits);
    w->err = errno;
    set_flag(&w->done);
    return NULL;
}

static void start(struct waiter *w, unsigned *word, int op, unsigned expected, unsigned bits)
{
    memset(w, 0, sizeof *w);
    w->word = word;
    w->op = op;
    w->expected = expected;
    w->bits = bits;
    CHECK_OK(pthread_create(&w->t, NULL, waiter_main, w));
}

static void finish(struct waiter *w)
{
    CHECK_OK(pthread_join(w->t, NULL));
    CHECK_MSG(w->result == 0, "waiter returned %ld (%s)", w->result, test_errname_(w->err));
}

static void test_errors(void)
{
    unsigned w = 1, w2 = 5;
    struct timespec zero = {0, 0}, neg = {-1, 0}, bad = {0, 1000000000}, badn = {0, -1};
    CHECK_FAILS(futex(&w, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0), EAGAIN);
    CHECK_FAILS(futex(&w, FUTEX_WAIT_BITSET_PRIVATE, 2, NULL, NULL, ~0u), EAGAIN);
    CHECK_FAILS(futex(&w, FUTEX_WAIT_PRIVATE, 1, &zero, NULL, 0), ETIMEDOUT);
    CHECK_FAILS(futex(&w, FUTEX_WAIT_PRIVATE, 1, &neg, NULL, 0), EINVAL);
    CHECK_FAILS(futex(&w, FUTEX_WAIT_PRIVATE, 1, &bad, NULL, 0), EINVAL);
    CHECK_FAILS(futex(&w, FUTEX_WAIT_PRIVATE, 1, &badn, NULL, 0), EINVAL);
    CHECK_FAILS(futex(&w, FUTEX_WAIT_BITSET_PRIVATE, 1, &zero, NULL, 0), EINVAL);
    CHECK_FAILS(futex(&w, FUTEX_WAIT_BITSET_PRIVATE, 1, &neg, NULL, 1), EINVAL);
    CHECK_FAILS(futex(&w, FUTEX_WAIT_BITSET_PRIVATE, 1, &zero, NULL, 1), ETIMEDOUT);
    CHECK_FAILS(futex(&w, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 1, &zero, NULL, 1), ETIMEDOUT);
    CHECK_FAILS(futex(&w, FUTEX_WAIT_PRIVATE | FUTEX_CLOCK_REALTIME, 1, &zero, NULL, 0), ENOSYS);
    CHECK_FAILS(futex(&w, FUTEX_WAKE_PRIVATE | FUTEX_CLOCK_REALTIME, 1, NULL, NULL, 0), ENOSYS);
    CHECK_FAILS(futex(&w, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 0), EINVAL);
    CHECK_FAILS(futex((unsigned *)((char *)&w + 1), FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), EINVAL);
    CHECK_FAILS(futex((unsigned *)((char *)&w + 2), FUTEX_WAIT_PRIVATE, 1, NULL, NULL, 0), EINVAL);
    CHECK_FAILS(futex((unsigned *)8, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0), EFAULT);
    CHECK_EQ(futex((unsigned *)8, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 0);
    CHECK_EQ(futex((unsigned *)8, FUTEX_REQUEUE_PRIVATE, 1, VAL2(1), &w2, 0), 0);
    CHECK_FAILS(futex((unsigned *)8, FUTEX_CMP_REQUEUE_PRIVATE, 1, VAL2(1), &w2, 0), EFAULT);
    CHECK_FAILS(futex(&w, FUTEX_WAKE_OP_PRIVATE, 1, VAL2(1), (unsigned *)8, FUTEX_OP(FUTEX_OP_ADD, 1, 0, 0)), EFAULT);
    CHECK_EQ(futex(&w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 0);
    CHECK_EQ(futex(&w, FUTEX_WAKE_PRIVATE, 0, NULL, NULL, 0), 0);
    CHECK_FAILS(futex(&w, FUTEX_REQUEUE_PRIVATE, (unsigned)-1, VAL2(1), &w2, 0), EINVAL);
    CHECK_FAILS(futex(&w, FUTEX_REQUEUE_PRIVATE, 1, VAL2(-1), &w2, 0), EINVAL);
    CHECK_FAILS(futex(&w, FUTEX_CMP_REQUEUE_PRIVATE, 1, VAL2(1), &w2, 2), EAGAIN);
    CHECK_EQ(futex(&w, FUTEX_CMP_REQUEUE_PRIVATE, 1, VAL2(1), &w2, 1), 0);
    /* WAKE_OP: an unknown operation changes nothing; an unknown comparison
     * still applies the operation. */
    CHECK_FAILS(futex(&w, FUTEX_WAKE_OP_PRIVATE, 1, VAL2(1), &w2, FUTEX_OP(7, 1, 0, 0)), ENOSYS);
    CHECK_EQ(w2, 5);
    CHECK_FAILS(futex(&w, FUTEX_WAKE_OP_PRIVATE, 1, VAL2(1), &w2, FUTEX_OP(FUTEX_OP_ADD, 1, 7, 0)), ENOSYS);
    CHECK_EQ(w2, 6);
    CHECK_FAILS(futex(&w, 99 | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0), ENOSYS);

    /* Not a futex: straight to the kernel, errors through errno. */
    CHECK_EQ(syscall(SYS_getpid), getpid());
    CHECK_FAILS(syscall(-1), ENOSYS);
    CHECK_FAILS(syscall(SYS_close, -1), EBADF);
    char buf[4];
    int p[2];
    CHECK_EQ(syscall(SYS_pipe2, p, O_CLOEXEC), 0);
    CHECK_EQ(syscall(SYS_write, p[1], "abc", 3), 3);
    CHECK_EQ(syscall(SYS_read, p[0], buf, 3), 3);
    CHECK(memcmp(buf, "abc", 3) == 0);
    long m = syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != -1);
    CHECK_EQ(syscall(SYS_munmap, m, 4096), 0);
    close(p[0]);
    close(p[1]);

    /* Shared (non-private) futexes are the kernel's. */
    CHECK_FAILS(futex(&w, FUTEX_WAIT, 2, NULL, NULL, 0), EAGAIN);
    CHECK_FAILS(futex(&w, FUTEX_WAIT, 1, &zero, NULL, 0), ETIMEDOUT);
    CHECK_EQ(futex(&w, FUTEX_WAKE, 1, NULL, NULL, 0), 0);
}

static void test_timeouts(void)
{
    unsigned w = 0;
    struct timespec rel = {0, 20000000}, abs;
    long long t0 = now_ns();
    CHECK_FAILS(futex(&w, FUTEX_WAIT_PRIVATE, 0, &rel, NULL, 0), ETIMEDOUT);
    abs = abs_in_ms(CLOCK_MONOTONIC, 20);
    CHECK_FAILS(futex(&w, FUTEX_WAIT_BITSET_PRIVATE, 0, &abs, NULL, ~0u), ETIMEDOUT);
    abs = abs_in_ms(CLOCK_REALTIME, 20);
    CHECK_FAILS(futex(&w, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 0, &abs, NULL, ~0u), ETIMEDOUT);
    CHECK_GE(now_ns() - t0, 55 * 1000000LL);
}

enum { N = 8 };

static void test_wait_wake(void)
{
    unsigned w = 0;
    struct waiter ws[N];
    for (int i = 0; i < N; i++)
        start(&ws[i], &w, FUTEX_WAIT_PRIVATE, 0, 0);
    wait_queued(&w, N);
    CHECK_EQ(futex(&w, FUTEX_WAKE_PRIVATE, 3, NULL, NULL, 0), 3);
    CHECK_EQ(queued(&w), N - 3);
    CHECK_EQ(futex(&w, FUTEX_WAKE_PRIVATE, 0, NULL, NULL, 0), 1); /* 0 wakes one */
    CHECK_EQ(futex(&w, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0), N - 4);
    CHECK_EQ(futex(&w, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0), 0);
    for (int i = 0; i < N; i++)
        finish(&ws[i]);
}

static void test_bitsets(void)
{
    unsigned w = 0;
    struct waiter ws[N];
    for (int i = 0; i < N; i++)
        start(&ws[i], &w, FUTEX_WAIT_BITSET_PRIVATE, 0, i % 2 ? 0x2 : 0x1);
    wait_queued(&w, N);
    CHECK_EQ(futex(&w, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, NULL, NULL, 0x4), 0);
    CHECK_EQ(futex(&w, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, NULL, NULL, 0x2), N / 2);
    for (int i = 1; i < N; i += 2)
        finish(&ws[i]);
    for (int i = 0; i < N; i += 2)
        CHECK(!ws[i].done);
    CHECK_EQ(queued(&w), N / 2);
    /* Plain FUTEX_WAKE matches every bitset. */
    CHECK_EQ(futex(&w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 1);
    CHECK_EQ(futex(&w, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, NULL, NULL, 0x3), N / 2 - 1);
    for (int i = 0; i < N; i += 2)
        finish(&ws[i]);
}

static void test_requeue(int cmp)
{
    unsigned w1 = 7, w2 = 0;
    struct waiter ws[N];
    for (int i = 0; i < N; i++)
        start(&ws[i], &w1, FUTEX_WAIT_PRIVATE, 7, 0);
    wait_queued(&w1, N);
    int op = cmp ? FUTEX_CMP_REQUEUE_PRIVATE : FUTEX_REQUEUE_PRIVATE;
    if (cmp)
        CHECK_FAILS(futex(&w1, op, 1, VAL2(INT_MAX), &w2, 8), EAGAIN);
    CHECK_EQ(queued(&w1), N);
    /* Wake 2, move 3: returns 5. */
    CHECK_EQ(futex(&w1, op, 2, VAL2(3), &w2, 7), 5);
    CHECK_EQ(queued(&w1), N - 5);
    CHECK_EQ(queued(&w2), 3);
    /* Moved waiters only answer to their new word. */
    CHECK_EQ(futex(&w1, op, 0, VAL2(INT_MAX), &w2, 7), N - 5);
    CHECK_EQ(futex(&w1, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0), 0);
    CHECK_EQ(queued(&w2), N - 2);
    CHECK_EQ(futex(&w2, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0), N - 2);
    for (int i = 0; i < N; i++)
        finish(&ws[i]);
}

/* One WAKE_OP on (w1, w2): returns what it woke; checks w2 afterwards. */
static void wake_op_case(int op, int oparg, int cmp, int cmparg, unsigned old,
                         unsigned expect_new, int expect_second)
{
    unsigned w1 = 0, w2 = old;
    struct waiter a, b;
    start(&a, &w1, FUTEX_WAIT_PRIVATE, 0, 0);
    start(&b, &w2, FUTEX_WAIT_PRIVATE, old, 0);
    wait_queued(&w1, 1);
    wait_queued(&w2, 1);
    long r = futex(&w1, FUTEX_WAKE_OP_PRIVATE, 1, VAL2(1), &w2, FUTEX_OP(op, oparg, cmp, cmparg));
    CHECK_MSG(r == 1 + expect_second, "op %d arg %d cmp %d cmparg %d old %u: woke %ld",
              op, oparg, cmp, cmparg, old, r);
    CHECK_MSG(w2 == expect_new, "op %d arg %d old %u: new %u, expected %u", op, oparg, old, w2, expect_new);
    finish(&a);
    if (!expect_second)
        CHECK_EQ(futex(&w2, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 1);
    finish(&b);
}

static void test_wake_op(void)
{
    /* Operations (the comparison always true: old == old). */
    wake_op_case(FUTEX_OP_SET, 9, FUTEX_OP_CMP_EQ, 5, 5, 9, 1);
    wake_op_case(FUTEX_OP_ADD, 3, FUTEX_OP_CMP_EQ, 5, 5, 8, 1);
    wake_op_case(FUTEX_OP_ADD, -1, FUTEX_OP_CMP_EQ, 5, 5, 4, 1); /* 12-bit signed */
    wake_op_case(FUTEX_OP_OR, 0x30, FUTEX_OP_CMP_EQ, 5, 5, 0x35, 1);
    wake_op_case(FUTEX_OP_ANDN, 0x4, FUTEX_OP_CMP_EQ, 5, 5, 1, 1);
    wake_op_case(FUTEX_OP_XOR, 0xf, FUTEX_OP_CMP_EQ, 5, 5, 0xa, 1);
    wake_op_case(FUTEX_OP_SET | FUTEX_OP_OPARG_SHIFT, 4, FUTEX_OP_CMP_EQ, 5, 5, 16, 1);
    wake_op_case(FUTEX_OP_OR | FUTEX_OP_OPARG_SHIFT, 31, FUTEX_OP_CMP_EQ, 5, 5, 0x80000005u, 1);
    /* Comparisons on the old value, signed. */
    wake_op_case(FUTEX_OP_ADD, 0, FUTEX_OP_CMP_EQ, 4, 5, 5, 0);
    wake_op_case(FUTEX_OP_ADD, 0, FUTEX_OP_CMP_NE, 4, 5, 5, 1);
    wake_op_case(FUTEX_OP_ADD, 0, FUTEX_OP_CMP_NE, 5, 5, 5, 0);
    wake_op_case(FUTEX_OP_ADD, 0, FUTEX_OP_CMP_LT, 6, 5, 5, 1);
    wake_op_case(FUTEX_OP_ADD, 0, FUTEX_OP_CMP_LT, 5, 5, 5, 0);
    wake_op_case(FUTEX_OP_ADD, 0, FUTEX_OP_CMP_LE, 5, 5, 5, 1);
    wake_op_case(FUTEX_OP_ADD, 0, FUTEX_OP_CMP_LE, 4, 5, 5, 0);
    wake_op_case(FUTEX_OP_ADD, 0, FUTEX_OP_CMP_GT, 4, 5, 5, 1);
    wake_op_case(FUTEX_OP_ADD, 0, FUTEX_OP_CMP_GT, 5, 5, 5, 0);
    wake_op_case(FUTEX_OP_ADD, 0, FUTEX_OP_CMP_GE, 5, 5, 5, 1);
    wake_op_case(FUTEX_OP_ADD, 0, FUTEX_OP_CMP_GE, 6, 5, 5, 0);
    wake_op_case(FUTEX_OP_ADD, 0, FUTEX_OP_CMP_LT, 0, 0xffffffffu, 0xffffffffu, 1); /* -1 < 0 */
    wake_op_case(FUTEX_OP_ADD, 0, FUTEX_OP_CMP_EQ, -1, 0xffffffffu, 0xffffffffu, 1);
    /* The comparison sees the value before the operation. */
    wake_op_case(FUTEX_OP_SET, 0, FUTEX_OP_CMP_GT, 1, 2, 0, 1);
}

int main(void)
{
    test_errors();
    test_timeouts();
    test_wait_wake();
    test_bitsets();
    test_requeue(0);
    test_requeue(1);
    test_wake_op();
    printf("futex_emul ok\n");
    return 0;
}
