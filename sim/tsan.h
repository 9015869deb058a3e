/*
 * sim/tsan.h - ThreadSanitizer annotations for simulated schedules.
 *
 * In a ThreadSanitizer build every simulated thread is a TSan fiber and a
 * fiber switch carries no synchronisation, so happens-before between
 * simulated threads comes only from the simulated synchronisation objects
 * (locks, eventfds, thread create/join, grace periods, atomics), each of
 * which calls SIM_TSAN_RELEASE/SIM_TSAN_ACQUIRE on its own address.
 *
 * The engine's bookkeeping (run queue, thread structs, trace, tape, alloc
 * list, the simulated kernel's tables) is touched by whichever simulated
 * thread is running.  It must neither be reported nor order threads:
 * files of the engine sit between SIM_TSAN_ENGINE_BEGIN and
 * SIM_TSAN_ENGINE_END, which drop the instrumentation of their plain
 * memory accesses (atomics stay instrumented), and the few places where the
 * engine allocates, frees or copies its own memory, which the runtime's
 * interceptors would still see, sit between SIM_TSAN_IGNORE_BEGIN and
 * SIM_TSAN_IGNORE_END.  Everything is a no-op in other builds.
 */
#ifndef KVMSIM_SIM_TSAN_H
#define KVMSIM_SIM_TSAN_H

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SIM_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define SIM_TSAN 1
#endif

#ifdef SIM_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
void __tsan_ignore_thread_begin(void);
void __tsan_ignore_thread_end(void);
#define SIM_TSAN_ACQUIRE(p) __tsan_acquire((void *)(p))
#define SIM_TSAN_RELEASE(p) __tsan_release((void *)(p))
#define SIM_TSAN_IGNORE_BEGIN() __tsan_ignore_thread_begin()
#define SIM_TSAN_IGNORE_END() __tsan_ignore_thread_end()
#else
#define SIM_TSAN_ACQUIRE(p) ((void)(p))
#define SIM_TSAN_RELEASE(p) ((void)(p))
#define SIM_TSAN_IGNORE_BEGIN() ((void)0)
#define SIM_TSAN_IGNORE_END() ((void)0)
#endif

#if defined(SIM_TSAN) && defined(__clang__)
#define SIM_TSAN_ENGINE_BEGIN                                               \
    _Pragma("clang attribute push(__attribute__((no_sanitize(\"thread\"))), \
apply_to = function)")
#define SIM_TSAN_ENGINE_END _Pragma("clang attribute pop")
#else
#define SIM_TSAN_ENGINE_BEGIN
#define SIM_TSAN_ENGINE_END
#endif

#endif
