// pthread_attr_* setters reject invalid values exactly like glibc, and a
// rejected call leaves the attribute unchanged.
#include "common.h"
#include <limits.h>

int main(void)
{
    pthread_attr_t a;
    int v;
    size_t sz;

    CHECK_OK(pthread_attr_init(&a));

    CHECK_ERR(pthread_attr_setdetachstate(&a, 42), EINVAL);
    CHECK_ERR(pthread_attr_setdetachstate(&a, -1), EINVAL);
    CHECK_OK(pthread_attr_getdetachstate(&a, &v));
    CHECK_EQ(v, PTHREAD_CREATE_JOINABLE);

    CHECK_ERR(pthread_attr_setinheritsched(&a, 42), EINVAL);
    CHECK_OK(pthread_attr_getinheritsched(&a, &v));
    CHECK_EQ(v, PTHREAD_INHERIT_SCHED);

    CHECK_ERR(pthread_attr_setschedpolicy(&a, 42), EINVAL);
    CHECK_ERR(pthread_attr_setschedpolicy(&a, -1), EINVAL);
    CHECK_OK(pthread_attr_getschedpolicy(&a, &v));
    CHECK_EQ(v, SCHED_OTHER);

    /* SCHED_OTHER only allows priority 0 */
    struct sched_param sp = {.sched_priority = 5};
    CHECK_ERR(pthread_attr_setschedparam(&a, &sp), EINVAL);
    sp.sched_priority = -7;
    CHECK_OK(pthread_attr_getschedparam(&a, &sp));
    CHECK_EQ(sp.sched_priority, 0);

    /* glibc has kernel threads only; mnthread has both scopes. */
    CHECK_ERR(pthread_attr_setscope(&a, PTHREAD_SCOPE_PROCESS), under_mnthread() ? 0 : ENOTSUP);
    CHECK_OK(pthread_attr_setscope(&a, PTHREAD_SCOPE_SYSTEM));
    CHECK_ERR(pthread_attr_setscope(&a, 42), EINVAL);
    CHECK_OK(pthread_attr_getscope(&a, &v));
    CHECK_EQ(v, PTHREAD_SCOPE_SYSTEM);

    size_t before;
    CHECK_OK(pthread_attr_getstacksize(&a, &before));
    CHECK_ERR(pthread_attr_setstacksize(&a, PTHREAD_STACK_MIN - 1), EINVAL);
    CHECK_ERR(pthread_attr_setstacksize(&a, 0), EINVAL);
    CHECK_ERR(pthread_attr_setstacksize(&a, 100), EINVAL);
    CHECK_OK(pthread_attr_getstacksize(&a, &sz));
    CHECK_EQ(sz, before);
    CHECK_OK(pthread_attr_setstacksize(&a, PTHREAD_STACK_MIN)); /* boundary ok */
    CHECK_OK(pthread_attr_getstacksize(&a, &sz));
    CHECK_EQ(sz, PTHREAD_STACK_MIN);

    static char mem[1 << 16] __attribute__((aligned(64)));
    CHECK_ERR(pthread_attr_setstack(&a, mem, PTHREAD_STACK_MIN - 1), EINVAL);
    CHECK_OK(pthread_attr_getstacksize(&a, &sz));
    CHECK_EQ(sz, PTHREAD_STACK_MIN); /* unchanged */

    /* setattr_default_np refuses an attr carrying a stack address, and a
     * too small stack size */
    {
        pthread_attr_t b;
        CHECK_OK(pthread_attr_init(&b));
        CHECK_OK(pthread_attr_setstack(&b, mem, sizeof mem));
        CHECK_ERR(pthread_setattr_default_np(&b), EINVAL);
        CHECK_OK(pthread_attr_destroy(&b));
    }

    CHECK_OK(pthread_attr_destroy(&a));
    puts("attr_invalid OK");
    return 0;
}
