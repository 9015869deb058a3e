/*
 * sim/trace.h - the record of a simulated run: a running 64-bit hash of
 * every event, and (when given a file) the events themselves streamed as
 * Chrome Trace Event JSON, which the Perfetto UI opens.
 *
 * The hash covers each event's kind, time, duration, thread, CPU, argument
 * and name text (never a pointer value), so two runs hash alike exactly when
 * they did the same things at the same virtual times.  Streaming does not
 * touch the hash: a run hashes alike with or without a trace file.
 *
 * Streaming goes through one fixed buffer, so memory does not grow with the
 * run: only the thread names are kept.  The file is written in three parts:
 * the header and track names when the trace is created (thread names as
 * threads are named), the events as they are added, and the tail from
 * sim_trace_finish().
 */
#ifndef KVMSIM_SIM_TRACE_H
#define KVMSIM_SIM_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum sim_ev_kind {
    SIM_EV_SPAN = 1,     /* a named operation on a thread: ts, dur */
    SIM_EV_INSTANT,      /* a point event with arg */
    SIM_EV_COUNTER,      /* counter `name` takes value arg */
    SIM_EV_FAULT,        /* fault injected at site arg */
    SIM_EV_RUN,          /* thread ran on its CPU for [ts, ts+dur) */
    SIM_EV_SWITCH,       /* scheduler resumed thread tid (arg = step) */
    SIM_EV_THREAD_START, /* thread created */
    SIM_EV_THREAD_END,   /* thread finished */
    SIM_EV_WAIT,         /* thread waited dur ns on object `name` */
    SIM_EV_INVARIANT,    /* an invariant failed: name, arg */
    SIM_EV_OPEN_WAIT,    /* at the end, a wait on `name` since ts with no
                            span yet: arg 1 still blocked (dur to the end),
                            0 woken but never ran again; not hashed */
};

struct sim_event {
    uint64_t ts;
    uint64_t dur;
    int64_t arg;
    const char *name;   /* static text, may be NULL */
    uint32_t tid;
    uint32_t cpu;
    uint8_t kind;
};

struct sim_trace;

/* NULL on ENOMEM.  With `out` (borrowed, still owned and closed by the
 * caller) the trace streams Chrome Trace Event JSON to it, starting with
 * the header now; at most `max_events` events reach the file (SIZE_MAX: no
 * bound), later ones are hashed and counted but not written, except what
 * the end of a run needs (the first failed invariant, the open waits).
 * Without `out` the trace only hashes. */
struct sim_trace *sim_trace_create(FILE *out, size_t max_events);
/* Frees the trace; never writes (call sim_trace_finish() first). */
void sim_trace_destroy(struct sim_trace *t);

/* Hash the event and, when streaming, write it. */
void sim_trace_add(struct sim_trace *t, const struct sim_event *e);
/* Write an event without hashing it (what a run's end finds, such as
 * threads still blocked). */
void sim_trace_keep(struct sim_trace *t, const struct sim_event *e);
/* Fold a value that is not an event (for example a run's result). */
void sim_trace_mix(struct sim_trace *t, uint64_t v);
uint64_t sim_trace_hash_value(const struct sim_trace *t);
uint64_t sim_trace_events_seen(const struct sim_trace *t);

/* The first failed invariant's message (copied; later calls are ignored).
 * Written into the JSON with the invariant's event; not hashed. */
void sim_trace_note_failure(struct sim_trace *t, const char *message);

/* Names for tracks, written when given; names are copied. */
int sim_trace_name_thread(struct sim_trace *t, uint32_t tid,
                          const char *name, uint32_t cpu);
void sim_trace_set_ncpus(struct sim_trace *t, uint32_t ncpus);

/* Whether events were left out of the file (max_events reached). */
bool sim_trace_truncated(const struct sim_trace *t);

/* Write the tail (a failed invariant still waiting for its message, a
 * note of the events left out, the closing brackets) and flush `out`.
 * Returns 0, or the first write error as -errno; after it the trace only
 * hashes.  Calling it again returns the same value. */
int sim_trace_finish(struct sim_trace *t);

/* The JSON: process 1 "simulated CPUs" has a track per simulated CPU
 * (what ran there), process 2 "simulated threads" a track per simulated
 * thread (spans, waits, instants), counters are "C" events, faults "i"
 * events, a failed invariant a global "i" event with its message.
 * Timestamps are microseconds with nanosecond decimals.  Events are in the
 * order they were produced, not sorted by timestamp: a CPU's run slice is
 * written when it ends. */

#endif
