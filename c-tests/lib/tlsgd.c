// Helper library for dyn_tls: __thread variables reached through
// __tls_get_addr (global-dynamic model, the default for -fPIC code).
// CFLAGS: -ftls-model=global-dynamic
__thread int gd_counter = 100;
__thread char gd_zero[4096];
__thread struct { long a, b; } gd_pair = {3, 4};
/* large enough that it cannot fit in glibc's static TLS surplus */
__thread char gd_big[128 * 1024] = {1};

int *tlsgd_addr(void) { return &gd_counter; }
int tlsgd_get(void) { return gd_counter; }
void tlsgd_set(int v) { gd_counter = v; }
long tlsgd_pair_sum(void) { return gd_pair.a + gd_pair.b; }

/* 1 if the zero-initialised and the big array are as they should be */
int tlsgd_check_fresh(void)
{
    for (int i = 0; i < 4096; i++)
        if (gd_zero[i])
            return 0;
    if (gd_big[0] != 1)
        return 0;
    for (int i = 1; i < 128 * 1024; i += 997)
        if (gd_big[i])
            return 0;
    return 1;
}

void tlsgd_scribble(int v)
{
    for (int i = 0; i < 4096; i++)
        gd_zero[i] = (char)v;
    gd_big[1000] = (char)v;
}

int tlsgd_check_scribble(int v)
{
    for (int i = 0; i < 4096; i++)
        if (gd_zero[i] != (char)v)
            return 0;
    return gd_big[1000] == (char)v;
}
