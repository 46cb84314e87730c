// pthread_key_create fails with EAGAIN once PTHREAD_KEYS_MAX keys exist
// (glibc: 1024 in all); all keys are distinct and usable; deleting them
// frees the slots again.
#include "common.h"
#include <limits.h>

#define MAXTRY (PTHREAD_KEYS_MAX + 100)
static pthread_key_t keys[MAXTRY];

static void *check_all(void *arg)
{
    long n = (long)(intptr_t)arg;
    for (long i = 0; i < n; i++)
        CHECK_PTR_EQ(pthread_getspecific(keys[i]), NULL);
    for (long i = 0; i < n; i++)
        CHECK_OK(pthread_setspecific(keys[i], (void *)(intptr_t)(i + 7)));
    for (long i = 0; i < n; i++)
        CHECK_EQ((intptr_t)pthread_getspecific(keys[i]), i + 7);
    return NULL;
}

int main(void)
{
    long n = 0;
    int rc = 0;
    while (n < MAXTRY) {
        rc = pthread_key_create(&keys[n], NULL);
        if (rc != 0)
            break;
        n++;
    }
    printf("created %ld keys (PTHREAD_KEYS_MAX %d)\n", n, PTHREAD_KEYS_MAX);
    CHECK_ERR(rc, EAGAIN);
    CHECK_LE(n, PTHREAD_KEYS_MAX);
    CHECK_GE(n, PTHREAD_KEYS_MAX - 8); /* a few may be used by the runtime */
    CHECK_ERR(pthread_key_create(&keys[n], NULL), EAGAIN);

    /* distinct */
    for (long i = 0; i < n; i++)
        for (long j = i + 1; j < n; j++)
            CHECK(keys[i] != keys[j]);

    /* usable, per thread */
    for (long i = 0; i < n; i++)
        CHECK_OK(pthread_setspecific(keys[i], (void *)(intptr_t)(i + 1)));
    pthread_t t;
    CHECK_OK(pthread_create(&t, NULL, check_all, (void *)(intptr_t)n));
    CHECK_OK(pthread_join(t, NULL));
    for (long i = 0; i < n; i++)
        CHECK_EQ((intptr_t)pthread_getspecific(keys[i]), i + 1);

    /* free one, create one */
    CHECK_OK(pthread_key_delete(keys[n / 2]));
    CHECK_OK(pthread_key_create(&keys[n / 2], NULL));
    CHECK_PTR_EQ(pthread_getspecific(keys[n / 2]), NULL);
    CHECK_ERR(pthread_key_create(&keys[n], NULL), EAGAIN);

    for (long i = 0; i < n; i++)
        CHECK_OK(pthread_key_delete(keys[i]));
    for (long i = 0; i < n; i++)
        CHECK_ERR(pthread_key_delete(keys[i]), EINVAL);
    /* all usable again */
    long m = 0;
    while (m < MAXTRY && pthread_key_create(&keys[m], NULL) == 0)
        m++;
    CHECK_EQ(m, n);
    puts("keys_limits OK");
    return 0;
}
