// Ordinary libc use inside new threads: snprintf("%f"), strtod,
// isalpha/toupper, per-thread locales (uselocale), stdio from several
// threads into one FILE, and heavy malloc/free including blocks freed by a
// different thread than the one that allocated them.
#include "common.h"
#include <ctype.h>
#include <locale.h>
#include <math.h>

static void *formatting(void *arg)
{
    (void)arg;
    char buf[64];
    CHECK_EQ(snprintf(buf, sizeof buf, "%f", 3.25), 8);
    CHECK_STR_EQ(buf, "3.250000");
    snprintf(buf, sizeof buf, "%.3e|%g|%5.1f|%d|%s", 12345.678, 0.0001, -2.25, -17, "x");
    CHECK_STR_EQ(buf, "1.235e+04|0.0001| -2.2|-17|x");
    char *end;
    double d = strtod("  -6.5e2xyz", &end);
    CHECK(d == -650.0);
    CHECK_STR_EQ(end, "xyz");
    CHECK(strtod("0x1.8p1", NULL) == 3.0);
    CHECK_EQ(strtol("  -0x7f", NULL, 16), -127);
    CHECK(fabs(atof("2.5") - 2.5) < 1e-12);
    CHECK(isalpha('a') && isalpha('Z') && !isalpha('1') && !isalpha(' '));
    CHECK(isdigit('7') && isspace('\t') && ispunct('!'));
    CHECK_EQ(toupper('q'), 'Q');
    CHECK_EQ(tolower('Q'), 'q');
    CHECK_EQ(toupper('%'), '%');
    int x = 0;
    char word[16];
    CHECK_EQ(sscanf("42 apples", "%d %15s", &x, word), 2);
    CHECK_EQ(x, 42);
    CHECK_STR_EQ(word, "apples");
    return (void *)1;
}

/* uselocale is per thread */
static void *locale_thread(void *arg)
{
    (void)arg;
    CHECK_EQ(MB_CUR_MAX, 1); /* inherits the global "C" locale */
    locale_t l = newlocale(LC_ALL_MASK, "C.UTF-8", (locale_t)0);
    if (l == (locale_t)0)
        return (void *)2; /* locale not installed: skip */
    CHECK(uselocale(l) != (locale_t)0);
    CHECK_EQ(MB_CUR_MAX, 6);
    for (int i = 0; i < 20; i++) {
        sched_yield();
        CHECK_EQ(MB_CUR_MAX, 6);
    }
    uselocale(LC_GLOBAL_LOCALE);
    freelocale(l);
    return (void *)1;
}

/* ---- stdio from several threads ---- */
static FILE *shared;
static void *writer(void *arg)
{
    long id = (long)(intptr_t)arg;
    for (int i = 0; i < 2000; i++) {
        fprintf(shared, "thread %ld line %d end\n", id, i);
        if (i % 100 == 0)
            sched_yield();
    }
    return NULL;
}

/* ---- malloc ---- */
#define NM 4
#define SLOTS 256
static void *volatile mailbox[NM][SLOTS]; /* blocks handed to thread (i+1)%NM */

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(seed + i);
}
static int verify(const unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(seed + i))
            return 0;
    return 1;
}

struct blk { size_t n; unsigned seed; unsigned char data[]; };

static void *mallocer(void *arg)
{
    long id = (long)(intptr_t)arg;
    unsigned rs = (unsigned)id * 2654435761u + 1;
    void *mine[64] = {0};
    for (int it = 0; it < 100000; it++) {
        rs = rs * 1103515245u + 12345u;
        int slot = (rs >> 8) % 64;
        if (mine[slot]) {
            struct blk *b = mine[slot];
            CHECK(verify(b->data, b->n, b->seed));
            free(b);
            mine[slot] = NULL;
        } else {
            size_t n = (rs >> 16) % ((rs & 1) ? 64 : 4000) + 1;
            struct blk *b = malloc(sizeof *b + n);
            CHECK(b != NULL);
            b->n = n;
            b->seed = rs;
            fill(b->data, n, rs);
            mine[slot] = b;
        }
        /* hand a block to the neighbour, free what the other one sent us */
        if ((it & 15) == 0) {
            int m = (rs >> 4) % SLOTS;
            struct blk *b = malloc(sizeof *b + 100);
            CHECK(b != NULL);
            b->n = 100;
            b->seed = (unsigned)it;
            fill(b->data, 100, b->seed);
            void *old = __atomic_exchange_n(&mailbox[(id + 1) % NM][m], b, __ATOMIC_ACQ_REL);
            if (old)
                free(old); /* nobody took it yet: recycle */
            void *in = __atomic_exchange_n(&mailbox[id][m], NULL, __ATOMIC_ACQ_REL);
            if (in) {
                struct blk *ib = in;
                CHECK(verify(ib->data, ib->n, ib->seed));
                free(ib);
            }
        }
        if ((it & 1023) == 0)
            sched_yield();
    }
    for (int i = 0; i < 64; i++)
        free(mine[i]);
    /* a few big blocks (mmap'ed by malloc) */
    for (int i = 0; i < 20; i++) {
        size_t n = (size_t)(i + 1) << 18;
        char *p = malloc(n);
        CHECK(p != NULL);
        memset(p, i, n);
        p = realloc(p, n * 2);
        CHECK(p != NULL && p[n - 1] == (char)i);
        free(p);
    }
    void *al = NULL;
    CHECK_OK(posix_memalign(&al, 4096, 10000));
    CHECK(((uintptr_t)al & 4095) == 0);
    free(al);
    char *c = calloc(1000, 8);
    for (int i = 0; i < 8000; i++)
        CHECK_EQ(c[i], 0);
    free(c);
    return (void *)1;
}

int main(void)
{
    pthread_t t[8];
    void *r;

    for (int i = 0; i < 4; i++)
        CHECK_OK(pthread_create(&t[i], NULL, formatting, NULL));
    for (int i = 0; i < 4; i++) {
        CHECK_OK(pthread_join(t[i], &r));
        CHECK_EQ((intptr_t)r, 1);
    }

    CHECK_OK(pthread_create(&t[0], NULL, locale_thread, NULL));
    CHECK_OK(pthread_join(t[0], &r));
    if ((intptr_t)r == 2)
        puts("C.UTF-8 locale not available: uselocale part skipped");
    else
        CHECK_EQ((intptr_t)r, 1);
    CHECK_EQ(MB_CUR_MAX, 1);

    shared = tmpfile();
    CHECK(shared != NULL);
    for (int i = 0; i < 4; i++)
        CHECK_OK(pthread_create(&t[i], NULL, writer, (void *)(intptr_t)i));
    for (int i = 0; i < 4; i++)
        CHECK_OK(pthread_join(t[i], NULL));
    rewind(shared);
    {
        char line[128];
        int count[4] = {0}, next[4] = {0};
        while (fgets(line, sizeof line, shared)) {
            long id;
            int n;
            char tail[8];
            CHECK_MSG(sscanf(line, "thread %ld line %d %7s", &id, &n, tail) == 3 &&
                      id >= 0 && id < 4 && strcmp(tail, "end") == 0,
                      "garbled line: %s", line);
            CHECK_EQ(n, next[id]); /* per-thread order kept */
            next[id]++;
            count[id]++;
        }
        for (int i = 0; i < 4; i++)
            CHECK_EQ(count[i], 2000);
        fclose(shared);
    }

    for (int i = 0; i < NM; i++)
        CHECK_OK(pthread_create(&t[i], NULL, mallocer, (void *)(intptr_t)i));
    for (int i = 0; i < NM; i++) {
        CHECK_OK(pthread_join(t[i], &r));
        CHECK_EQ((intptr_t)r, 1);
    }
    for (int i = 0; i < NM; i++)
        for (int j = 0; j < SLOTS; j++)
            free(mailbox[i][j]);

    puts("libc_in_threads OK");
    return 0;
}
