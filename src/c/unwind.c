/* mnthread: the driver of pthread_exit's unwinding, in C so that the
 * unwinder never crosses a Rust frame (Rust built with panic=abort must not
 * be unwound through). The thread's state — its cleanup-buffer chain, its
 * exception object, the exit itself — stays in Rust (src/unwind.rs, whose
 * module docs describe the protocol).
 *
 * pthread_exit starts a forced unwind; the unwinder calls `stop` for every
 * frame before unwinding it (C++ destructors and cleanups run as it goes).
 * When the next frame would pass the innermost buffer registered by
 * pthread_cleanup_push, `stop` longjmps into it: the handler runs and calls
 * __pthread_unwind_next, which pops the buffer and starts the unwind again
 * from there. At the end of the stack the thread exits for good. */
#include <setjmp.h>
#include <stdint.h>
#include <unwind.h>

/* Implemented in Rust (src/unwind.rs). */
struct _Unwind_Exception *mnthread_exit_begin(void *retval);
struct _Unwind_Exception *mnthread_unwind_resume(void *buf);
void *mnthread_cleanup_top(void);
uintptr_t mnthread_cleanup_sp(void *buf);
_Noreturn void mnthread_exit_now(void);
_Noreturn void mnthread_real_pthread_exit(void *retval);
_Noreturn void mnthread_real_unwind_next(void *buf);

/* Exported as pthread_exit and __pthread_unwind_next by src/unwind.rs. */
_Noreturn void mnthread_pthread_exit(void *retval);
_Noreturn void mnthread_pthread_unwind_next(void *buf);

static _Unwind_Reason_Code stop(int version, _Unwind_Action actions, _Unwind_Exception_Class cls,
                                struct _Unwind_Exception *exc, struct _Unwind_Context *ctx, void *param)
{
    (void)version, (void)cls, (void)exc, (void)param;
    if (actions & _UA_END_OF_STACK)
        mnthread_exit_now();
    void *top = mnthread_cleanup_top();
    if (top && _Unwind_GetCFA(ctx) >= mnthread_cleanup_sp(top))
        longjmp((struct __jmp_buf_tag *)top, 1);
    return _URC_NO_REASON;
}

static _Noreturn void unwind(struct _Unwind_Exception *exc)
{
    _Unwind_ForcedUnwind(exc, stop, 0);
    /* The unwinder could not walk this stack (frames without unwind
     * information): still run the handlers, then exit. */
    void *top = mnthread_cleanup_top();
    if (top)
        longjmp((struct __jmp_buf_tag *)top, 1);
    mnthread_exit_now();
}

_Noreturn void mnthread_pthread_exit(void *retval)
{
    struct _Unwind_Exception *exc = mnthread_exit_begin(retval);
    if (!exc)
        mnthread_real_pthread_exit(retval); /* a thread glibc runs */
    unwind(exc);
}

_Noreturn void mnthread_pthread_unwind_next(void *buf)
{
    struct _Unwind_Exception *exc = mnthread_unwind_resume(buf);
    if (!exc)
        mnthread_real_unwind_next(buf); /* a thread glibc runs */
    unwind(exc);
}
