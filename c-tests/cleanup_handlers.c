// pthread_cleanup_push / pthread_cleanup_pop: pop(1) runs the handler,
// pop(0) does not, and pthread_exit runs every handler still pushed, most
// recent first, in nested frames too, before key destructors; the exit
// value still reaches pthread_join.
#include "common.h"

static char order[64];
static volatile int pos;
static pthread_key_t key;

static void record(void *arg)
{
    order[pos++] = *(const char *)arg;
    order[pos] = 0;
}

static void key_dtor(void *v)
{
    (void)v;
    order[pos++] = 'K';
    order[pos] = 0;
}

static void inner(void)
{
    pthread_cleanup_push(record, "c");
    pthread_cleanup_push(record, "d");
    pthread_exit((void *)77);
    pthread_cleanup_pop(0);
    pthread_cleanup_pop(0);
}

static void *with_exit(void *arg)
{
    (void)arg;
    pthread_setspecific(key, (void *)1);
    pthread_cleanup_push(record, "a");
    pthread_cleanup_push(record, "b");
    inner();
    pthread_cleanup_pop(0);
    pthread_cleanup_pop(0);
    return NULL;
}

static void *with_pop(void *arg)
{
    (void)arg;
    pthread_cleanup_push(record, "x");
    pthread_cleanup_push(record, "y");
    pthread_cleanup_pop(1); /* runs y */
    pthread_cleanup_pop(0); /* x not run */
    return (void *)3;
}

int main(void)
{
    CHECK_OK(pthread_key_create(&key, key_dtor));
    pthread_t t;
    void *r;

    CHECK_OK(pthread_create(&t, NULL, with_pop, NULL));
    CHECK_OK(pthread_join(t, &r));
    CHECK_EQ((intptr_t)r, 3);
    CHECK_STR_EQ(order, "y");

    pos = 0;
    order[0] = 0;
    CHECK_OK(pthread_create(&t, NULL, with_exit, NULL));
    CHECK_OK(pthread_join(t, &r));
    CHECK_EQ((intptr_t)r, 77);
    CHECK_STR_EQ(order, "dcbaK");
    puts("cleanup_handlers OK");
    return 0;
}
