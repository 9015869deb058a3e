/*
 * sim/decision.c - decisions in words: the labels the engine, the fault
 * layer and jitter give their tape reads when the tape keeps a decision
 * log (sim/tape.h), for `kvmsim explain`.
 *
 * Every function here returns at once unless the tape logs, and none of
 * them reads the tape, touches the trace or changes engine state: a run
 * makes the same decisions and hashes alike with or without labels.  A
 * label names a thread by its name and where it is: its innermost open
 * trace span and, when one of that span's children ended last, "after"
 * that child ("'vcpu1' in virtio_pci_stop after deassign").
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sim/internal.h"
#include "sim/tape.h"
#include "sim/tsan.h"

SIM_TSAN_ENGINE_BEGIN

SIM_UNCOVERED
char *sim_thread_where(const struct sim_thread *t, char *buf, size_t len)
{
    int k;

    if (!t) {
        snprintf(buf, len, "no thread");
        return buf;
    }
    k = snprintf(buf, len, "'%s' #%" PRIu32, t->name, t->id);
    if (k < 0 || (size_t)k >= len) {
        return buf;
    }
    if (t->nspans > 0 && t->nspans <= SIM_SPAN_DEPTH) {
        k += snprintf(buf + k, len - (size_t)k, " in %s",
                      t->span_name[t->nspans - 1]);
    }
    if (k >= 0 && (size_t)k < len && t->span_done &&
        t->span_done_depth == t->nspans) {
        snprintf(buf + k, len - (size_t)k, " after %s", t->span_done);
    }
    return buf;
}

/* The thread `time` or `random` would have run had the read returned 0,
 * or NULL for a strategy whose default is not this simple. */
static struct sim_thread *default_pick(const struct sim *s)
{
    uint64_t best = UINT64_MAX;
    struct sim_thread *first = NULL;

    if (s->nrunq == 0) {
        return NULL;
    }
    switch (s->opt.strategy) {
    case SIM_STRATEGY_RANDOM:
        return s->runq[0];
    case SIM_STRATEGY_TIME:
        for (uint32_t i = 0; i < s->nrunq; i++) {
            if (s->runq[i]->t < best) {
                best = s->runq[i]->t;
                first = s->runq[i];
            }
        }
        return first;
    default:
        return NULL;
    }
}

SIM_UNCOVERED
void sim_label_pick(struct sim *s, const struct sim_thread *next,
                    size_t mark)
{
    char a[160], b[160];
    const struct sim_thread *dflt;
    const struct sim_thread *cur = s->cur;

    if (!sim_tape_logging(s->tape) || sim_tape_ndecisions(s->tape) <= mark ||
        !sim_tape_wants_label(s->tape) || !next) {
        return;
    }
    dflt = default_pick(s);
    sim_thread_where(next, a, sizeof(a));
    if (dflt && dflt == cur && cur->state == SIM_T_RUNNABLE) {
        sim_tape_label(s->tape, "preempt %s: %s runs first (step %" PRIu64
                       ", %" PRIu64 " ns)",
                       sim_thread_where(cur, b, sizeof(b)), a, s->steps,
                       next->t);
    } else if (dflt && dflt != next) {
        sim_tape_label(s->tape, "run %s before %s (step %" PRIu64 ", %"
                       PRIu64 " ns)", a,
                       sim_thread_where(dflt, b, sizeof(b)), s->steps,
                       next->t);
    } else {
        sim_tape_label(s->tape, "run %s (step %" PRIu64 ", %" PRIu64
                       " ns)", a, s->steps, next->t);
    }
}

SIM_UNCOVERED
void sim_label_prio(struct sim *s, const struct sim_thread *t)
{
    if (!sim_tape_wants_label(s->tape)) {
        return;
    }
    sim_tape_label(s->tape, "PCT: raise '%s' #%" PRIu32 " above every "
                   "thread with a lower priority draw (draw %" PRIu64 "; at "
                   "the default draw, 0, a later thread runs first)",
                   t->name, t->id, t->prio >> 24);
}

SIM_UNCOVERED
void sim_label_pct_change(struct sim *s, uint64_t step)
{
    if (!sim_tape_wants_label(s->tape)) {
        return;
    }
    sim_tape_label(s->tape, "PCT change point at step %" PRIu64 ", "
                   "past the run's end (at its default, step 1, it would "
                   "demote the first thread to run)", step);
}

SIM_UNCOVERED
void sim_label_pct_fired(struct sim *s, uint64_t step)
{
    struct sim_tape_decision d;
    static const char prefix[] = "PCT change point at step ";
    char where[160];

    if (!sim_tape_logging(s->tape)) {
        return;
    }
    for (size_t i = s->pct_dec0; i < s->pct_dec0 + s->pct_nchange; i++) {
        if (!sim_tape_decision(s->tape, i, &d) || !d.what ||
            d.value + 1 != step ||
            strncmp(d.what, prefix, sizeof(prefix) - 1) != 0) {
            continue;
        }
        sim_tape_relabel(s->tape, i, "demote %s below every thread (PCT "
                         "change point, step %" PRIu64 ", %" PRIu64 " ns)",
                         sim_thread_where(s->cur, where, sizeof(where)),
                         s->steps, s->cur ? s->cur->t : s->now);
        return;
    }
}

SIM_UNCOVERED
void sim_label_fault(enum plat_fault_site site, uint64_t hit)
{
    char where[160];
    struct sim *s = sim_active;

    if (!s || !sim_tape_wants_label(s->tape)) {
        return;
    }
    sim_tape_label(s->tape, "fail %s, call %" PRIu64 ", %s (%" PRIu64
                   " ns)", plat_fault_site_name(site), hit,
                   sim_thread_where(s->cur, where, sizeof(where)),
                   s->cur ? s->cur->t : s->now);
}

SIM_UNCOVERED
void sim_label_jitter(uint64_t lo, uint64_t hi, uint64_t v)
{
    char where[160];
    struct sim *s = sim_active;

    if (!s || !sim_tape_wants_label(s->tape)) {
        return;
    }
    sim_tape_label(s->tape, "jitter %" PRIu64 " (of %" PRIu64 "..%" PRIu64
                   ") for %s (%" PRIu64 " ns)", v, lo, hi,
                   sim_thread_where(s->cur, where, sizeof(where)),
                   s->cur ? s->cur->t : s->now);
}

SIM_TSAN_ENGINE_END
