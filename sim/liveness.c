/*
 * sim/liveness.c - the conservation check of sim/liveness.h: one record
 * per watched eventfd, its open pending window, and the check at points
 * where the system can settle.
 *
 * Records live on one list in the order their eventfds became watched
 * (one simulation runs at a time; eventfds used outside a run are watched
 * the same way).  They are the engine's memory (malloc, not plat_alloc),
 * so they never count as leaks of the code under test; a record that
 * cannot be allocated leaves its eventfd unwatched.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/platform.h"
#include "sim/internal.h"
#include "sim/liveness.h"
#include "sim/tsan.h"

SIM_TSAN_ENGINE_BEGIN

struct sim_live {
    struct sim_live *prev, *next;
    char name[48];             /* the eventfd's */
    uint64_t run;              /* serial of the run the window opened in */
    uint64_t bound_ns;         /* 0: not watched */
    bool declared;             /* bound from sim_eventfd_set_bound() */
    bool open;                 /* a signal not consumed yet */
    bool reported;             /* this window was reported */
    uint64_t since_ns;         /* when the window opened */
    char signaller[40];        /* thread that opened it */
    char span[48];             /* its innermost span then */
    char waiter[48];           /* last thread that waited, or the hook */
    bool hook;                 /* waiter names a kernel hook */
    uint32_t waiter_run;       /* live_run of the last wait (0: none) */
    uint32_t waiter_tid;       /* its thread's id there */
};

static struct sim_live *live_head, *live_tail;
/* Runs that opened a window, numbered from 1: a record left by an eventfd
 * of an earlier simulation (or one freed without plat_eventfd_destroy())
 * is never reported against a later one. */
static uint64_t live_runs;

SIM_UNCOVERED
static void put(char *dst, size_t len, const char *src)
{
    snprintf(dst, len, "%s", src ? src : "");
}

SIM_UNCOVERED
void sim_live_watch(struct sim_live **rec, const char *name, uint64_t bound)
{
    struct sim_live *r = *rec;

    if (!r) {
        r = calloc(1, sizeof(*r));
        if (!r) {
            return;
        }
        r->prev = live_tail;
        if (live_tail) {
            live_tail->next = r;
        } else {
            live_head = r;
        }
        live_tail = r;
        *rec = r;
    }
    put(r->name, sizeof(r->name), name);
    if (!r->declared) {
        r->bound_ns = bound;
    }
}

SIM_UNCOVERED
void sim_live_signal(struct sim_live *r)
{
    const struct sim_thread *t;

    if (!r || r->open || r->bound_ns == 0) {
        return;
    }
    t = sim_active ? sim_active->cur : NULL;
    if (sim_active && sim_active->live_run == 0) {
        sim_active->live_run = ++live_runs;
    }
    r->run = sim_active ? sim_active->live_run : 0;
    r->open = true;
    r->reported = false;
    r->since_ns = plat_now_ns();
    put(r->signaller, sizeof(r->signaller), t ? t->name : "outside a run");
    put(r->span, sizeof(r->span),
        t && t->nspans ? t->span_name[t->nspans - 1] : "no span");
}

SIM_UNCOVERED
void sim_live_consumed(struct sim_live *r)
{
    if (r) {
        r->open = false;
    }
}

SIM_UNCOVERED
void sim_live_waiter(struct sim_live **rec, const char *name)
{
    const struct sim_thread *t = sim_active ? sim_active->cur : NULL;
    char buf[48];

    sim_live_watch(rec, name, SIM_LIVENESS_BOUND_NS);
    if (*rec && !(*rec)->hook) {
        snprintf(buf, sizeof(buf), "thread '%s'", t ? t->name : "?");
        put((*rec)->waiter, sizeof((*rec)->waiter), buf);
        if (sim_active && sim_active->live_run == 0) {
            sim_active->live_run = ++live_runs;
        }
        (*rec)->waiter_run = sim_active ? (uint32_t)sim_active->live_run
                                        : 0;
        (*rec)->waiter_tid = t ? t->id : 0;
    }
}

SIM_UNCOVERED
void sim_live_hook(struct sim_live **rec, const char *name, bool on)
{
    if (!on) {
        if (*rec) {
            (*rec)->hook = false;
        }
        return;
    }
    sim_live_watch(rec, name, SIM_LIVENESS_BOUND_NS);
    if (*rec) {
        (*rec)->hook = true;
        put((*rec)->waiter, sizeof((*rec)->waiter), "a kernel hook");
    }
}

/* From platform_sim.c: sim_eventfd_set_bound() and _set_consumer(). */
SIM_UNCOVERED
void sim_live_declare(struct sim_live **rec, const char *name, uint64_t b)
{
    sim_live_watch(rec, name, b);
    if (*rec) {
        (*rec)->bound_ns = b;
        (*rec)->declared = true;
    }
}

SIM_UNCOVERED
void sim_live_consumer(struct sim_live **rec, const char *name,
                       const char *text)
{
    sim_live_watch(rec, name, SIM_LIVENESS_BOUND_NS);
    if (*rec) {
        (*rec)->hook = true;
        put((*rec)->waiter, sizeof((*rec)->waiter), text);
    }
}

SIM_UNCOVERED
static void report(struct sim *s, struct sim_live *r, uint64_t now,
                   bool destroyed)
{
    r->reported = true;
    if (s->lost_wakeups++ > 0) {
        return;
    }
    snprintf(s->lost_wakeup, sizeof(s->lost_wakeup),
             "lost wakeup: eventfd '%s' signalled by thread '%s' in %s at %"
             PRIu64 " ns, %s %" PRIu64 " ns (bound %" PRIu64 " ns); "
             "waiter: %s", r->name, r->signaller, r->span, r->since_ns,
             destroyed ? "destroyed unconsumed at" : "not consumed by", now,
             r->bound_ns, r->waiter[0] ? r->waiter : "none yet");
}

SIM_UNCOVERED
void sim_live_free(struct sim_live **rec)
{
    struct sim_live *r = *rec;

    if (!r) {
        return;
    }
    /* Destroyed inside the run with a signal pending: that signal can
     * never be consumed now (a kick dropped with its notifier). */
    if (sim_active && r->open && !r->reported && r->bound_ns &&
        r->run == sim_active->live_run) {
        report(sim_active, r, plat_now_ns(), true);
    }
    if (r->prev) {
        r->prev->next = r->next;
    } else {
        live_head = r->next;
    }
    if (r->next) {
        r->next->prev = r->prev;
    } else {
        live_tail = r->prev;
    }
    free(r);
    *rec = NULL;
}

/* The consumer of r left for good: the thread that last waited on it
 * finished (a worker told to stop exits with its eventfd still raised,
 * its work done), unless the bound was declared. */
SIM_UNCOVERED
static bool consumer_gone(const struct sim *s, const struct sim_live *r)
{
    return !r->declared && !r->hook && r->waiter_run == s->live_run &&
           r->waiter_tid < s->nthreads &&
           s->threads[r->waiter_tid]->state == SIM_T_DONE;
}

SIM_UNCOVERED
static uint32_t check_at(struct sim *s, uint64_t now)
{
    uint32_t found = 0;

    for (struct sim_live *r = live_head; r; r = r->next) {
        if (!r->open || r->reported || r->bound_ns == 0 ||
            s->live_run == 0 || r->run != s->live_run ||
            now - r->since_ns <= r->bound_ns || now < r->since_ns ||
            consumer_gone(s, r)) {
            continue;
        }
        found++;
        report(s, r, now, false);
    }
    return found;
}

uint32_t sim_liveness_check(struct sim *s)
{
    return s ? check_at(s, plat_now_ns()) : 0;
}

void sim_liveness_settle(struct sim *s)
{
    /* A daemon still runnable (a consumer the run's end cut short, or a
     * poller between two sleeps) might yet consume: not settled. */
    for (uint32_t i = 0; i < s->nthreads; i++) {
        if (s->threads[i]->state == SIM_T_RUNNABLE) {
            return;
        }
    }
    check_at(s, s->now);
}

uint32_t sim_lost_wakeups(const struct sim *s)
{
    return s->lost_wakeups;
}

const char *sim_lost_wakeup_first(const struct sim *s)
{
    return s->lost_wakeup;
}

SIM_TSAN_ENGINE_END
