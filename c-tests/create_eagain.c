// When a thread's resources cannot be had, pthread_create fails with
// EAGAIN (never a crash) and leaves nothing behind: the process goes on
// creating ordinary threads — also when the failed create had picked up a
// recycled thread whose cached stack two later threads must not share.
#include "common.h"

static void *ret_arg(void *arg) { return arg; }

int main(void) {
    pthread_attr_t a;
    CHECK_EQ(pthread_attr_init(&a), 0);
    CHECK_EQ(pthread_attr_setstacksize(&a, (size_t)1 << 50), 0); /* 1 PiB */
    for (int i = 0; i < 100; i++) {
        pthread_t t;
        CHECK_EQ(pthread_create(&t, &a, ret_arg, NULL), EAGAIN);
    }
    for (long i = 0; i < 2000; i++) {
        pthread_t t, u, v[2];
        void *r0, *r1;
        CHECK_EQ(pthread_create(&t, NULL, ret_arg, NULL), 0);
        CHECK_EQ(pthread_join(t, NULL), 0);
        CHECK_EQ(pthread_create(&u, &a, ret_arg, NULL), EAGAIN);
        CHECK_EQ(pthread_create(&v[0], NULL, ret_arg, (void *)(2 * i)), 0);
        CHECK_EQ(pthread_create(&v[1], NULL, ret_arg, (void *)(2 * i + 1)), 0);
        CHECK_EQ(pthread_join(v[0], &r0), 0);
        CHECK_EQ(pthread_join(v[1], &r1), 0);
        CHECK_EQ((long)r0, 2 * i);
        CHECK_EQ((long)r1, 2 * i + 1);
    }
    CHECK_EQ(pthread_attr_destroy(&a), 0);
    for (long i = 0; i < 1000; i++) {
        pthread_t t;
        void *r;
        CHECK_EQ(pthread_create(&t, NULL, ret_arg, (void *)i), 0);
        CHECK_EQ(pthread_join(t, &r), 0);
        CHECK_EQ((long)r, i);
    }
    printf("create_eagain OK\n");
    return 0;
}
