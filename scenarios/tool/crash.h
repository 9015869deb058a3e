/*
 * scenarios/tool/crash.h - a crash is never success: how the kvmsim
 * command turns a fatal signal, an engine panic or a sanitizer report into
 * KVMSIM_EXIT_CRASH with the run's replay command.
 *
 * The runner keeps a crash context, the text that says which run was going
 * on and how to reproduce it; scn_crash_install() (the CLI only: fuzzers
 * keep their engine's own handlers) makes a fatal signal or an engine
 * panic print it and exit with KVMSIM_EXIT_CRASH.  A sanitizer's report
 * summary also prints it and counts as a report, so a run during which a
 * non-fatal report (ThreadSanitizer's) was made ends as a crash too.
 */
#ifndef KVMSIM_SCN_CRASH_H
#define KVMSIM_SCN_CRASH_H

#include <stdio.h>

/* Fatal-signal handlers (on an alternate stack), the engine panic hook and
 * the sanitizer death callback.  Call once, from main(). */
void scn_crash_install(void);

/* A stream whose text, once closed, is the crash context (it replaces the
 * last one); NULL when it cannot be opened (no context then). */
FILE *scn_crash_context_open(void);
/* No run is going on: a crash prints no replay command. */
void scn_crash_context_clear(void);

/* Sanitizer reports seen so far in this process. */
unsigned long scn_crash_reports(void);
/* Called for every sanitizer report summary: prints the context. */
void scn_crash_note_report(const char *summary);

#endif
