/*
 * sim/fiber.c - fiber stacks, first-run frames and sanitizer annotations.
 *
 * Assumes one OS thread switches between the fibers it created.  The
 * register switch itself lives in sim/arch/ (or ucontext when there is no
 * hand-written one).  Sanitizer notes: AddressSanitizer needs
 * start/finish_switch_fiber around every switch so it tracks the current
 * stack; ThreadSanitizer needs one fiber object per stack and
 * __tsan_switch_to_fiber before each switch.  The switch carries no
 * synchronisation (see sim/tsan.h), and a reused stack gets fresh pages so
 * the frames of its previous owner do not race with the new one.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sim/fiber.h"
#include "sim/tsan.h"

SIM_TSAN_ENGINE_BEGIN

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SIM_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define SIM_ASAN 1
#endif

#ifdef SIM_ASAN
void __sanitizer_start_switch_fiber(void **fake_stack_save, const void *bottom,
                                    size_t size);
void __sanitizer_finish_switch_fiber(void *fake_stack_save,
                                     const void **bottom_old,
                                     size_t *size_old);
void __asan_unpoison_memory_region(void const volatile *addr, size_t size);
#endif
#ifdef SIM_TSAN
void *__tsan_get_current_fiber(void);
void *__tsan_create_fiber(unsigned flags);
void __tsan_destroy_fiber(void *fiber);
void __tsan_switch_to_fiber(void *fiber, unsigned flags);
/* __tsan_switch_to_fiber_no_sync: the switch orders nothing. */
#define FIBER_TSAN_NO_SYNC 1u
#endif

#ifndef SIM_FIBER_UCONTEXT
void sim_arch_switch(void **save_sp, void *new_sp);
void sim_arch_trampoline(void);
#endif

/* The fiber we switched away from, for the ASan handshake. */
static struct sim_fiber *fiber_prev;

const char *sim_fiber_kind(void)
{
#if defined(SIM_FIBER_UCONTEXT)
    return "ucontext";
#elif defined(__x86_64__)
    return "x86-64 register switch";
#else
    return "aarch64 register switch";
#endif
}

void sim_fiber_init_main(struct sim_fiber *f)
{
    memset(f, 0, sizeof(*f));
#ifdef SIM_TSAN
    f->tsan = __tsan_get_current_fiber();
#endif
}

#ifdef SIM_FIBER_UCONTEXT
static void fiber_uc_entry(unsigned fh, unsigned fl, unsigned ah, unsigned al)
{
    void (*fn)(void *) =
        (void (*)(void *))(((uintptr_t)fh << 32) | (uintptr_t)fl);

    fn((void *)(((uintptr_t)ah << 32) | (uintptr_t)al));
}
#endif

static void fiber_prepare(struct sim_fiber *f, void (*fn)(void *), void *arg)
{
    uintptr_t top = (uintptr_t)f->stack + (size_t)sysconf(_SC_PAGESIZE) +
                    f->stack_size;

    top &= ~(uintptr_t)15;
#if defined(SIM_FIBER_UCONTEXT)
    getcontext(&f->uc);
    f->uc.uc_stack.ss_sp = (char *)f->stack + sysconf(_SC_PAGESIZE);
    f->uc.uc_stack.ss_size = f->stack_size;
    f->uc.uc_link = NULL;
    /* makecontext passes int arguments; split the pointers. */
    makecontext(&f->uc, (void (*)(void))fiber_uc_entry, 4,
                (unsigned)((uintptr_t)fn >> 32), (unsigned)(uintptr_t)fn,
                (unsigned)((uintptr_t)arg >> 32), (unsigned)(uintptr_t)arg);
#elif defined(__x86_64__)
    {
        /* Popped in order r15 r14 r13 r12 rbx rbp, then `ret`; the final
         * rsp is 16-byte aligned, as after a call into the trampoline. */
        uintptr_t *sp = (uintptr_t *)top - 7;

        sp[0] = 0;
        sp[1] = 0;
        sp[2] = (uintptr_t)fn;
        sp[3] = (uintptr_t)arg;
        sp[4] = 0;
        sp[5] = 0;
        sp[6] = (uintptr_t)sim_arch_trampoline;
        f->sp = sp;
    }
#elif defined(__aarch64__)
    {
        uintptr_t *sp = (uintptr_t *)(top - 160);

        memset(sp, 0, 160);
        sp[0] = (uintptr_t)fn;                  /* x19 */
        sp[1] = (uintptr_t)arg;                 /* x20 */
        sp[11] = (uintptr_t)sim_arch_trampoline; /* x30 */
        f->sp = sp;
    }
#endif
    f->dying = false;
}

int sim_fiber_create(struct sim_fiber *f, size_t size, void (*fn)(void *),
                     void *arg)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    void *m;

    memset(f, 0, sizeof(*f));
    size = (size + page - 1) & ~(page - 1);
    m = mmap(NULL, size + page, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) {
        return -ENOMEM;
    }
    mprotect(m, page, PROT_NONE);
    f->stack = m;
    f->stack_size = size;
#ifdef SIM_ASAN
    /* The mapping may reuse addresses whose shadow a dead fiber left
     * poisoned. */
    __asan_unpoison_memory_region((char *)m + page, size);
#endif
#ifdef SIM_TSAN
    f->tsan = __tsan_create_fiber(0);
#endif
    fiber_prepare(f, fn, arg);
    return 0;
}

void sim_fiber_reset(struct sim_fiber *f, void (*fn)(void *), void *arg)
{
#ifdef SIM_TSAN
    if (f->tsan) {
        __tsan_destroy_fiber(f->tsan);
    }
    f->tsan = __tsan_create_fiber(0);
    {
        /* Fresh pages: the runtime forgets the accesses the previous
         * owner's frames made, which no synchronisation orders before the
         * new owner's.  On failure the old pages stay mapped. */
        char *base = (char *)f->stack + sysconf(_SC_PAGESIZE);

        SIM_TSAN_IGNORE_BEGIN();
        (void)mmap(base, f->stack_size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED,
                   -1, 0);
        SIM_TSAN_IGNORE_END();
    }
#endif
    f->asan_fake = NULL;
#ifdef SIM_ASAN
    /* The previous owner never returned from its frames, so their
     * redzones are still poisoned. */
    __asan_unpoison_memory_region((char *)f->stack + sysconf(_SC_PAGESIZE),
                                  f->stack_size);
#endif
    fiber_prepare(f, fn, arg);
}

void sim_fiber_destroy(struct sim_fiber *f)
{
    if (!f->stack) {
        return;
    }
#ifdef SIM_TSAN
    if (f->tsan) {
        __tsan_destroy_fiber(f->tsan);
    }
#endif
#ifdef SIM_ASAN
    __asan_unpoison_memory_region((char *)f->stack + sysconf(_SC_PAGESIZE),
                                  f->stack_size);
#endif
    munmap(f->stack, f->stack_size + (size_t)sysconf(_SC_PAGESIZE));
    f->stack = NULL;
}

static void fiber_finish_switch(struct sim_fiber *self)
{
#ifdef SIM_ASAN
    __sanitizer_finish_switch_fiber(self->asan_fake,
                                    &fiber_prev->asan_bottom,
                                    &fiber_prev->asan_size);
#else
    (void)self;
#endif
}

void sim_fiber_started(struct sim_fiber *self)
{
    self->asan_fake = NULL;
    fiber_finish_switch(self);
}

void sim_fiber_switch(struct sim_fiber *from, struct sim_fiber *to)
{
    fiber_prev = from;
#ifdef SIM_ASAN
    {
        const void *bottom = to->asan_bottom;
        size_t size = to->asan_size;

        if (to->stack && !bottom) {
            bottom = (char *)to->stack + sysconf(_SC_PAGESIZE);
            size = to->stack_size;
        }
        __sanitizer_start_switch_fiber(from->dying ? NULL : &from->asan_fake,
                                       bottom, size);
    }
#endif
#ifdef SIM_TSAN
    __tsan_switch_to_fiber(to->tsan, FIBER_TSAN_NO_SYNC);
#endif
#ifdef SIM_FIBER_UCONTEXT
    swapcontext(&from->uc, &to->uc);
#else
    sim_arch_switch(&from->sp, to->sp);
#endif
    fiber_finish_switch(from);
}

SIM_TSAN_ENGINE_END
