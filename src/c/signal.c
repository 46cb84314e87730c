/* The kernel's entry into mnthread for every signal the program handles
 * (protocol in src/signal/entry.rs), and the stack switch a handler that
 * runs on an alternate stack needs.
 *
 * The entry is C so that an asynchronous cancellation can start its forced
 * unwind from here: the unwinder walks from this frame through the kernel's
 * signal frame (recognised by its restorer) into the interrupted code. */
#include <pthread.h>
#include <signal.h>

int mnthread_on_signal(int sig, siginfo_t *info, void *uc);
_Noreturn void mnthread_pthread_exit(void *retval);

void mnthread_signal_entry(int sig, siginfo_t *info, void *uc)
{
    if (mnthread_on_signal(sig, info, uc))
        mnthread_pthread_exit(PTHREAD_CANCELED);
}

/* mnthread_call_on_stack(handler, sig, info, uc, top): calls
 * handler(sig, info, uc) with the stack pointer at `top` (16-byte aligned
 * down), and returns on the original stack. */
__asm__(
    ".text\n"
    ".globl mnthread_call_on_stack\n"
    ".hidden mnthread_call_on_stack\n"
    ".type mnthread_call_on_stack,@function\n"
    "mnthread_call_on_stack:\n"
    "  .cfi_startproc\n"
    "  push %rbp\n"
    "  .cfi_def_cfa_offset 16\n"
    "  .cfi_offset %rbp, -16\n"
    "  mov %rsp, %rbp\n"
    "  .cfi_def_cfa_register %rbp\n"
    "  mov %r8, %rsp\n"
    "  and $-16, %rsp\n"
    "  mov %rdi, %rax\n"
    "  mov %esi, %edi\n"
    "  mov %rdx, %rsi\n"
    "  mov %rcx, %rdx\n"
    "  call *%rax\n"
    "  mov %rbp, %rsp\n"
    "  .cfi_def_cfa_register %rsp\n"
    "  pop %rbp\n"
    "  .cfi_def_cfa_offset 8\n"
    "  ret\n"
    "  .cfi_endproc\n"
    ".size mnthread_call_on_stack, .-mnthread_call_on_stack\n");
