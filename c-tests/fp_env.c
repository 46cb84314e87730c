// The floating-point control state is per thread and survives switches:
// each thread sets its own rounding mode (x87 + SSE via fesetround) and a
// different MXCSR exception mask, then yields many times while the others
// run with theirs; each must find its own state every time. A new thread
// inherits its creator's rounding mode, as POSIX requires.
// LINK: -lm
#include "common.h"
#include <fenv.h>
#include <xmmintrin.h>

static const int modes[4] = {FE_TONEAREST, FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO};

static void *worker(void *arg) {
    long i = (long)arg;
    int mode = modes[i % 4];
    unsigned mask = (i % 2) ? (_MM_MASK_MASK & ~_MM_MASK_UNDERFLOW) : _MM_MASK_MASK;
    CHECK_EQ(fesetround(mode), 0);
    _MM_SET_EXCEPTION_MASK(mask);
    for (int k = 0; k < 2000; k++) {
        sched_yield();
        CHECK_EQ(fegetround(), mode);
        CHECK_EQ(_MM_GET_EXCEPTION_MASK(), mask);
        volatile double one = 1.0, three = 3.0;
        double q = one / three; /* rounding differs per mode; must not trap */
        CHECK(q > 0.33 && q < 0.34);
    }
    return NULL;
}

static void *child_reports_mode(void *arg) {
    (void)arg;
    return (void *)(long)fegetround();
}

int main(void) {
    pthread_t t[16];
    for (long i = 0; i < 16; i++)
        CHECK_EQ(pthread_create(&t[i], NULL, worker, (void *)i), 0);
    for (int i = 0; i < 16; i++)
        CHECK_EQ(pthread_join(t[i], NULL), 0);

    CHECK_EQ(fesetround(FE_UPWARD), 0);
    pthread_t c;
    void *r;
    CHECK_EQ(pthread_create(&c, NULL, child_reports_mode, NULL), 0);
    CHECK_EQ(pthread_join(c, &r), 0);
    CHECK_EQ((long)r, FE_UPWARD);
    CHECK_EQ(fegetround(), FE_UPWARD);
    printf("fp_env OK\n");
    return 0;
}
