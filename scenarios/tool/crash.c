/*
 * scenarios/tool/crash.c - fatal signals, engine panics and sanitizer
 * reports become KVMSIM_EXIT_CRASH with the run's replay command (see
 * crash.h).
 *
 * The handlers only write() a prepared buffer and _exit(), which is safe
 * in a signal handler; the runner fills the buffer (through fmemopen)
 * before each run.
 * Under AddressSanitizer the sanitizer keeps SIGSEGV, SIGBUS and SIGFPE
 * (its report is better than ours) and exits through the death callback
 * with the exit code main.c gives it.
 */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scenarios/tool/crash.h"
#include "scenarios/tool/runner.h"
#include "sim/sim.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(undefined_behavior_sanitizer)
#define CRASH_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define CRASH_SANITIZED 1
#endif

#ifdef CRASH_SANITIZED
void __sanitizer_set_death_callback(void (*callback)(void));
#endif

/* The report hook runs in whichever simulated thread raced, and
 * ThreadSanitizer orders nothing between them: its own accesses must not
 * be instrumented, or the hook would race with itself inside a report. */
#if defined(__clang__)
#define CRASH_NO_TSAN __attribute__((no_sanitize("thread")))
#else
#define CRASH_NO_TSAN
#endif

#define CRASH_TEXT_MAX 4096

static char context[CRASH_TEXT_MAX];
static volatile unsigned long reports;

CRASH_NO_TSAN
static void put(const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(STDERR_FILENO, s, n);

        if (w <= 0) {
            return;
        }
        s += w;
        n -= (size_t)w;
    }
}

CRASH_NO_TSAN
static void puts_err(const char *s)
{
    put(s, strlen(s));
}

CRASH_NO_TSAN
static void print_context(void)
{
    put(context, strnlen(context, sizeof(context) - 1));
}

FILE *scn_crash_context_open(void)
{
    memset(context, 0, sizeof(context));
    return fmemopen(context, sizeof(context) - 1, "w");
}

void scn_crash_context_clear(void)
{
    context[0] = '\0';
}

CRASH_NO_TSAN
unsigned long scn_crash_reports(void)
{
    return reports;
}

CRASH_NO_TSAN
void scn_crash_note_report(const char *summary)
{
    reports++;
    if (summary) {
        /* The runtime passes the whole "SUMMARY: ..." line. */
        puts_err(summary);
        puts_err("\n");
    }
    print_context();
}

/* Every sanitizer report ends with its summary, through this weak hook of
 * the sanitizer runtime: count it and say which run it was in and how to
 * reproduce it. */
void __sanitizer_report_error_summary(const char *summary);
void __sanitizer_report_error_summary(const char *summary)
{
    scn_crash_note_report(summary);
}

static const char *signal_text(int sig)
{
    switch (sig) {
    case SIGSEGV:
        return "signal 11 (Segmentation fault)";
    case SIGBUS:
        return "signal 7 (Bus error)";
    case SIGILL:
        return "signal 4 (Illegal instruction)";
    case SIGFPE:
        return "signal 8 (Floating point exception)";
    case SIGABRT:
        return "signal 6 (Aborted)";
    default:
        return "a fatal signal";
    }
}

static void on_fatal_signal(int sig)
{
    puts_err("kvmsim: crash: ");
    puts_err(signal_text(sig));
    puts_err("\n");
    print_context();
    _exit(KVMSIM_EXIT_CRASH);
}

static void on_panic(const char *msg)
{
    (void)msg;
    puts_err("kvmsim: crash: engine panic\n");
    print_context();
    _exit(KVMSIM_EXIT_CRASH);
}

#ifdef CRASH_SANITIZED
static void on_sanitizer_death(void)
{
    /* The report's summary already printed the context. */
    _exit(KVMSIM_EXIT_CRASH);
}
#endif

void scn_crash_install(void)
{
    static char altstack[64 * 1024];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack)};
    struct sigaction sa;
#ifdef CRASH_SANITIZED
    static const int sigs[] = {SIGABRT, SIGILL};
#else
    static const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
#endif

    sigaltstack(&ss, NULL);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_fatal_signal;
    sa.sa_flags = SA_ONSTACK | SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        sigaction(sigs[i], &sa, NULL);
    }
    sim_set_panic_hook(on_panic);
#ifdef CRASH_SANITIZED
    __sanitizer_set_death_callback(on_sanitizer_death);
#endif
}
