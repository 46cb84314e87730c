// ONE-CARRIER
// The sleeps' results and errors, as glibc gives them, from a created
// thread (under mnthread: a user thread, whose sleeps park) and from the
// main thread before any thread exists: EINVAL for a negative or malformed
// time, EFAULT for a bad pointer, zero-length sleeps return at once, a past
// absolute time returns 0, clocks nobody may sleep on keep glibc's errors,
// and the remaining time is left alone when a sleep was not interrupted.
#include "common.h"
#include <threads.h>

static void check_all(const char *who) {
    struct timespec bad_nsec = {0, 1000000000L}, neg_nsec = {0, -1}, neg_sec = {-1, 0}, zero = {0, 0};
    CHECK_FAILS(nanosleep(&bad_nsec, NULL), EINVAL);
    CHECK_FAILS(nanosleep(&neg_nsec, NULL), EINVAL);
    CHECK_FAILS(nanosleep(&neg_sec, NULL), EINVAL);
    CHECK_FAILS(nanosleep(NULL, NULL), EFAULT);
    CHECK_FAILS(nanosleep((const struct timespec *)8, NULL), EFAULT);
    CHECK_SYS(nanosleep(&zero, NULL));

    CHECK_ERR(clock_nanosleep(CLOCK_MONOTONIC, 0, &bad_nsec, NULL), EINVAL);
    CHECK_ERR(clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &neg_sec, NULL), EINVAL);
    CHECK_ERR(clock_nanosleep(CLOCK_MONOTONIC, 0, NULL, NULL), EFAULT);
    CHECK_ERR(clock_nanosleep(CLOCK_BOOTTIME, 0, (const struct timespec *)8, NULL), EFAULT);
    CHECK_ERR(clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &zero, NULL), EINVAL);
    CHECK_ERR(clock_nanosleep(CLOCK_MONOTONIC_RAW, 0, &zero, NULL), ENOTSUP);
    CHECK_ERR(clock_nanosleep(12345, 0, &zero, NULL), EINVAL);
    CHECK_OK(clock_nanosleep(CLOCK_MONOTONIC, 0, &zero, NULL));
    CHECK_OK(clock_nanosleep(CLOCK_TAI, 0, &zero, NULL));
    /* A time already past, on each clock that sleeps. */
    struct timespec past = {1, 0};
    CHECK_OK(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &past, NULL));
    CHECK_OK(clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &past, NULL));
    CHECK_OK(clock_nanosleep(CLOCK_BOOTTIME, TIMER_ABSTIME, &past, NULL));
    /* Flags other than TIMER_ABSTIME are ignored, as the kernel does. */
    struct timespec short_ts = {0, 1000};
    CHECK_OK(clock_nanosleep(CLOCK_MONOTONIC, 2, &short_ts, NULL));

    /* Not interrupted: rem untouched. */
    struct timespec rem = {7, 7};
    CHECK_SYS(nanosleep(&short_ts, &rem));
    CHECK_MSG(rem.tv_sec == 7 && rem.tv_nsec == 7, "%s: rem written: %ld.%09ld", who, (long)rem.tv_sec, rem.tv_nsec);
    CHECK_OK(clock_nanosleep(CLOCK_MONOTONIC, 0, &short_ts, &rem));
    CHECK(rem.tv_sec == 7 && rem.tv_nsec == 7);

    CHECK_EQ(usleep(0), 0);
    CHECK_EQ(usleep(1000), 0);
    CHECK_EQ(sleep(0), 0u);
    CHECK_EQ(thrd_sleep(&zero, NULL), 0);
    CHECK_EQ(thrd_sleep(&bad_nsec, NULL), -2);
    CHECK_EQ(thrd_sleep(&neg_sec, NULL), -2);
}

static void *in_thread(void *arg) {
    check_all("created thread");
    return arg;
}

int main(void) {
    check_all("main thread, before any thread");
    pthread_t t;
    CHECK_OK(pthread_create(&t, NULL, in_thread, NULL));
    CHECK_OK(pthread_join(t, NULL));
    check_all("main thread, after");
    printf("sleep_errors OK\n");
    return 0;
}
