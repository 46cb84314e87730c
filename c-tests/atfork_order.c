// Fork handler order, from a created thread: prepare handlers in reverse
// order of registration, parent and child handlers in registration order
// (the child reports its sequence through a pipe).  A handler registered
// from inside a prepare handler does not deadlock and does not run in that
// fork (which runs the handlers registered when it began), only in the
// next one.  Every handler runs on the forking thread (a handler that sees
// another pthread_self() records '?').
#include "common.h"

static char seq[64];
static int seq_n;
static int registered_late;
static pthread_t forking;

static void put(char c)
{
    if (!pthread_equal(pthread_self(), forking))
        c = '?';
    if (seq_n < (int)sizeof seq - 1)
        seq[seq_n++] = c;
    seq[seq_n] = 0;
}

static void late_prep(void) { put('x'); }
static void late_parent(void) { put('y'); }
static void late_child(void) { put('z'); }

static void prep1(void) { put('1'); }
static void prep2(void)
{
    put('2');
    if (!registered_late) {
        registered_late = 1;
        if (pthread_atfork(late_prep, late_parent, late_child) != 0)
            put('!');
    }
}
static void prep3(void) { put('3'); }
static void par1(void) { put('a'); }
static void par2(void) { put('b'); }
static void par3(void) { put('c'); }
static void chi1(void) { put('A'); }
static void chi2(void) { put('B'); }
static void chi3(void) { put('C'); }

/* fork; the parent's sequence must be `want_parent`, the child's
 * `want_child` */
static void fork_expect(const char *want_parent, const char *want_child)
{
    int pfd[2];
    CHECK_SYS(pipe(pfd));
    seq_n = 0;
    seq[0] = 0;
    pid_t pid = fork_checked();
    if (pid == 0) {
        close(pfd[0]);
        ssize_t n = write(pfd[1], seq, strlen(seq) + 1);
        _exit(n == (ssize_t)strlen(seq) + 1 ? 0 : 1);
    }
    close(pfd[1]);
    char got[64] = {0};
    size_t len = 0;
    ssize_t n;
    while ((n = read(pfd[0], got + len, sizeof got - 1 - len)) > 0)
        len += (size_t)n;
    close(pfd[0]);
    wait_child_ok(pid, "child");
    CHECK_STR_EQ(seq, want_parent);
    CHECK_STR_EQ(got, want_child);
}

static void *forker(void *arg)
{
    (void)arg;
    forking = pthread_self();
    /* prepare 3,2,1 (2 registers the late handlers); parent a,b,c */
    fork_expect("321abc", "321ABC");
    /* the late handlers now run: prepare first, parent/child last */
    fork_expect("x321abcy", "x321ABCz");
    return NULL;
}

int main(void)
{
    CHECK_OK(pthread_atfork(prep1, par1, chi1));
    CHECK_OK(pthread_atfork(prep2, par2, chi2));
    CHECK_OK(pthread_atfork(prep3, par3, chi3));
    /* null handlers are allowed and skipped */
    CHECK_OK(pthread_atfork(NULL, NULL, NULL));
    pthread_t t;
    CHECK_OK(pthread_create(&t, NULL, forker, NULL));
    CHECK_OK(pthread_join(t, NULL));
    printf("ok\n");
    return 0;
}
