/* The variadic exec calls, which Rust cannot define: they gather their
 * arguments and call the exported execve/execvp (src/abi/exec.rs), as
 * glibc's do internally. */
#include <stdarg.h>
#include <stddef.h>
#include <unistd.h>

extern char **environ;

/* Counts the arguments up to the NULL (the first included). */
#define GATHER(first, ap, argv, n)                                 \
    do {                                                           \
        va_list count_;                                            \
        va_copy(count_, ap);                                       \
        n = 1;                                                     \
        while (va_arg(count_, const char *) != NULL)               \
            n++;                                                   \
        va_end(count_);                                            \
    } while (0)

int mnthread_execl(const char *path, const char *arg, ...)
{
    va_list ap;
    size_t n;
    va_start(ap, arg);
    GATHER(arg, ap, argv, n);
    const char *argv[n + 1];
    argv[0] = arg;
    for (size_t i = 1; i <= n; i++)
        argv[i] = va_arg(ap, const char *);
    va_end(ap);
    return execve(path, (char *const *)argv, environ);
}

int mnthread_execlp(const char *file, const char *arg, ...)
{
    va_list ap;
    size_t n;
    va_start(ap, arg);
    GATHER(arg, ap, argv, n);
    const char *argv[n + 1];
    argv[0] = arg;
    for (size_t i = 1; i <= n; i++)
        argv[i] = va_arg(ap, const char *);
    va_end(ap);
    return execvp(file, (char *const *)argv);
}

int mnthread_execle(const char *path, const char *arg, ...)
{
    va_list ap;
    size_t n;
    va_start(ap, arg);
    GATHER(arg, ap, argv, n);
    const char *argv[n + 1];
    argv[0] = arg;
    for (size_t i = 1; i <= n; i++)
        argv[i] = va_arg(ap, const char *);
    char *const *envp = va_arg(ap, char *const *);
    va_end(ap);
    return execve(path, (char *const *)argv, envp);
}
