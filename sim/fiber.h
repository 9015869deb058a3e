/*
 * sim/fiber.h - stackful fibers for simulated threads.
 *
 * A fiber owns an mmap'd stack with a guard page.  sim_fiber_switch() saves
 * the caller's registers and resumes another fiber; on x86-64 and AArch64 it
 * is a hand-written register switch (sim/arch/), elsewhere ucontext.  Both
 * switch paths tell AddressSanitizer and ThreadSanitizer about the change of
 * stack so sanitizer builds run simulated threads correctly.
 */
#ifndef KVMSIM_SIM_FIBER_H
#define KVMSIM_SIM_FIBER_H

#include <stdbool.h>
#include <stddef.h>

#if (!defined(__x86_64__) && !defined(__aarch64__)) ||                      \
    defined(KVMSIM_PORTABLE_SWITCH)
#include <ucontext.h>
#define SIM_FIBER_UCONTEXT 1
#endif

struct sim_fiber {
    void *sp;            /* saved stack pointer while switched out */
    void *stack;         /* mapping base (guard page first), NULL for main */
    size_t stack_size;   /* usable bytes above the guard page */
    void *asan_fake;     /* ASan fake-stack handle while switched out */
    const void *asan_bottom; /* stack bounds as ASan reports them */
    size_t asan_size;
    void *tsan;          /* ThreadSanitizer fiber handle */
    bool dying;          /* switching away for the last time */
#ifdef SIM_FIBER_UCONTEXT
    ucontext_t uc;
#endif
};

/* The calling OS thread's own context, to switch back to. */
void sim_fiber_init_main(struct sim_fiber *f);
/* Allocate a stack of `size` bytes and prepare f to start fn(arg) on its
 * first switch.  fn must never return; it ends by switching away with
 * f->dying set.  -ENOMEM on failure. */
int sim_fiber_create(struct sim_fiber *f, size_t size, void (*fn)(void *),
                     void *arg);
/* Prepare an existing fiber's stack again (stack reuse). */
void sim_fiber_reset(struct sim_fiber *f, void (*fn)(void *), void *arg);
void sim_fiber_destroy(struct sim_fiber *f);
/* Save into `from`, resume `to`.  Returns when something switches back. */
void sim_fiber_switch(struct sim_fiber *from, struct sim_fiber *to);
/* "x86-64 register switch", "aarch64 register switch" or "ucontext". */
const char *sim_fiber_kind(void);
/* First thing a new fiber's entry function calls. */
void sim_fiber_started(struct sim_fiber *self);

#endif
