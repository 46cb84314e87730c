// TIMEOUT: 120
// The reader-count limit: glibc lets 2^28 - 1 readers hold an rwlock at
// once; one more gets EAGAIN from tryrdlock, rdlock and timedrdlock alike,
// and after every reader has left the lock is free for a writer.
#include "common.h"

int main(void)
{
    static pthread_rwlock_t l = PTHREAD_RWLOCK_INITIALIZER;
    unsigned long n = 0;
    int r;
    while ((r = pthread_rwlock_tryrdlock(&l)) == 0)
        n++;
    CHECK_ERR(r, EAGAIN);
    CHECK_EQ(n, (1UL << 28) - 1);
    CHECK_ERR(pthread_rwlock_rdlock(&l), EAGAIN);
    struct timespec ts = {0, 0};
    CHECK_ERR(pthread_rwlock_timedrdlock(&l, &ts), EAGAIN);
    CHECK_ERR(pthread_rwlock_trywrlock(&l), EBUSY);
    CHECK_OK(pthread_rwlock_unlock(&l));
    CHECK_OK(pthread_rwlock_rdlock(&l));
    for (unsigned long i = 0; i < n; i++)
        CHECK_OK(pthread_rwlock_unlock(&l));
    CHECK_OK(pthread_rwlock_trywrlock(&l));
    CHECK_OK(pthread_rwlock_unlock(&l));
    puts("rwlock_overflow OK");
    return 0;
}
