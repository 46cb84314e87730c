/* The variadic exec calls, which Rust cannot define: they gather their
 * arguments and call the exported execve/execvp (src/abi/exec.rs), as
 * glibc's do internally. */
#include <stdarg.h>
#include <stddef.h>
#include <unistd.h>

extern char **environ;

/* How many arguments follow in `ap` up to the NULL, the NULL included. */
static size_t count(va_list ap)
{
    va_list c;
    va_copy(c, ap);
    size_t n = 1;
    while (va_arg(c, const char *) != NULL)
        n++;
    va_end(c);
    return n;
}

/* argv = arg, then the n arguments of `ap` (the last one NULL). */
static void gather(const char **argv, const char *arg, va_list ap, size_t n)
{
    argv[0] = arg;
    for (size_t i = 1; i <= n; i++)
        argv[i] = va_arg(ap, const char *);
}

int mnthread_execl(const char *path, const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    size_t n = count(ap);
    const char *argv[n + 1];
    gather(argv, arg, ap, n);
    va_end(ap);
    return execve(path, (char *const *)argv, environ);
}

int mnthread_execlp(const char *file, const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    size_t n = count(ap);
    const char *argv[n + 1];
    gather(argv, arg, ap, n);
    va_end(ap);
    return execvp(file, (char *const *)argv);
}

int mnthread_execle(const char *path, const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    size_t n = count(ap);
    const char *argv[n + 1];
    gather(argv, arg, ap, n);
    char *const *envp = va_arg(ap, char *const *);
    va_end(ap);
    return execve(path, (char *const *)argv, envp);
}
