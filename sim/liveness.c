/*
 * sim/liveness.c - the conservation check of sim/liveness.h: one record
 * per watched eventfd, its open pending window, and the check at points
 * where the system can settle.
 *
 * Records live in an array of the simulation they were made in (the
 * running one, or the one being set up), in the order their eventfds
 * became watched, and go with it (sim_destroy()).  An eventfd holds a
 * reference (the simulation's serial and the record's index), never a
 * pointer, so an eventfd that outlives its simulation, or a record of a
 * freed eventfd, is never followed.  They are the engine's memory
 * (realloc, not plat_alloc), so they never count as leaks of the code
 * under test; a record that cannot be allocated leaves its eventfd
 * unwatched.
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
    char name[48];             /* the eventfd's */
    uint64_t bound_ns;         /* 0: not watched */
    bool declared;             /* bound from sim_eventfd_set_bound() */
    bool open;                 /* a signal not consumed yet */
    bool reported;             /* this window was reported */
    bool dead;                 /* its eventfd was destroyed */
    uint64_t since_ns;         /* when the window opened */
    bool by_thread;            /* opened by a simulated thread: */
    uint32_t signaller_tid;    /* its id, */
    const char *span;          /* its innermost span then (or NULL) */
    char consumer[48];         /* the hook's consumer ("": none named) */
    bool hook;                 /* a kernel hook consumes it */
    bool hooked;               /* one did at some point */
    bool waited;               /* a thread waited on it: */
    uint32_t waiter_tid;       /* the last one */
};

/* Simulations that watched an eventfd, numbered from 1: an eventfd's
 * reference names the simulation and the index of its record there, so a
 * reference left from an earlier simulation (or by an eventfd freed
 * without plat_eventfd_destroy()) is never followed. */
static uint64_t live_runs;

SIM_UNCOVERED
static void put(char *dst, size_t len, const char *src)
{
    SIM_TSAN_IGNORE_BEGIN(); /* the engine's own records (sim/tsan.h) */
    snprintf(dst, len, "%s", src ? src : "");
    SIM_TSAN_IGNORE_END();
}

/* The simulation records go to: the running one, or the one being set
 * up (sim_alloc_charge_to()); NULL after its run (teardown). */
SIM_UNCOVERED
static struct sim *live_sim(void)
{
    struct sim *s = sim_active ? sim_active : sim_alloc_charge_to();

    if (s && s->live_run == 0) {
        s->live_run = ++live_runs;
    }
    return s;
}

/* ref's record, created (watched with `bound`) when asked; NULL when it
 * has none, outside any simulation, or on ENOMEM (then unwatched). */
SIM_UNCOVERED
static struct sim_live *rec_of(struct sim_live_ref *ref, const char *name,
                               bool create, uint64_t bound)
{
    struct sim *s = live_sim();
    struct sim_live *r;

    if (!s) {
        return NULL;
    }
    if (ref->run == s->live_run && ref->idx < s->nlive) {
        r = &s->live[ref->idx];
        return r->dead ? NULL : r;
    }
    if (!create) {
        return NULL;
    }
    if (s->nlive == s->live_cap) {
        uint32_t cap = s->live_cap ? 2 * s->live_cap : 16;
        struct sim_live *n;

        SIM_TSAN_IGNORE_BEGIN();
        n = realloc(s->live, cap * sizeof(*n));
        SIM_TSAN_IGNORE_END();
        if (!n) {
            return NULL;
        }
        s->live = n;
        s->live_cap = cap;
    }
    r = &s->live[s->nlive];
    SIM_TSAN_IGNORE_BEGIN();
    memset(r, 0, sizeof(*r));
    SIM_TSAN_IGNORE_END();
    put(r->name, sizeof(r->name), name);
    r->bound_ns = bound;
    ref->run = s->live_run;
    ref->idx = s->nlive++;
    return r;
}

SIM_UNCOVERED
void sim_live_signal(struct sim_live_ref *ref)
{
    struct sim_live *r = rec_of(ref, NULL, false, 0);
    const struct sim_thread *t = sim_active ? sim_active->cur : NULL;

    if (!r || r->open || r->bound_ns == 0) {
        return;
    }
    r->open = true;
    r->reported = false;
    r->since_ns = plat_now_ns();
    r->by_thread = t != NULL;
    r->signaller_tid = t ? t->id : 0;
    r->span = t && t->nspans ? t->span_name[t->nspans - 1] : NULL;
}

SIM_UNCOVERED
void sim_live_consumed(struct sim_live_ref *ref)
{
    struct sim_live *r = rec_of(ref, NULL, false, 0);

    if (r) {
        r->open = false;
    }
}

SIM_UNCOVERED
void sim_live_waiter(struct sim_live_ref *ref, const char *name)
{
    const struct sim_thread *t = sim_active ? sim_active->cur : NULL;
    struct sim_live *r = rec_of(ref, name, true, SIM_LIVENESS_BOUND_NS);

    if (r && t) {
        r->waited = true;
        r->waiter_tid = t->id;
    }
}

SIM_UNCOVERED
void sim_live_hook(struct sim_live_ref *ref, const char *name, bool on)
{
    struct sim_live *r = rec_of(ref, name, on, SIM_LIVENESS_BOUND_NS);

    if (!r) {
        return;
    }
    r->hook = on;
    r->hooked |= on;
}

SIM_UNCOVERED
void sim_live_declare(struct sim_live_ref *ref, const char *name,
                      uint64_t b)
{
    struct sim_live *r = rec_of(ref, name, true, b);

    if (r) {
        r->bound_ns = b;
        r->declared = true;
    }
}

SIM_UNCOVERED
void sim_live_consumer(struct sim_live_ref *ref, const char *name,
                       const char *text)
{
    struct sim_live *r = rec_of(ref, name, true, SIM_LIVENESS_BOUND_NS);

    if (r) {
        r->hook = true;
        r->hooked = true;
        put(r->consumer, sizeof(r->consumer), text);
    }
}

/* The first lost wakeup of s, in words; the text is made here only, so
 * the hot paths above record ids and pointers (threads and span names
 * live as long as the simulation, like the records). */
SIM_UNCOVERED
static void report(struct sim *s, struct sim_live *r, uint64_t now,
                   bool destroyed)
{
    char by[64], waiter[80];

    r->reported = true;
    if (s->lost_wakeups++ > 0) {
        return;
    }
    SIM_TSAN_IGNORE_BEGIN(); /* text of the engine's records */
    if (r->by_thread && r->signaller_tid < s->nthreads) {
        snprintf(by, sizeof(by), "thread '%s'",
                 s->threads[r->signaller_tid]->name);
    } else {
        snprintf(by, sizeof(by), "code outside a run");
    }
    if (r->hook || (!r->waited && r->hooked)) {
        snprintf(waiter, sizeof(waiter), "%s",
                 r->consumer[0] ? r->consumer : "a kernel hook");
    } else if (r->waited && r->waiter_tid < s->nthreads) {
        snprintf(waiter, sizeof(waiter), "thread '%s'",
                 s->threads[r->waiter_tid]->name);
    } else {
        snprintf(waiter, sizeof(waiter), "none yet");
    }
    snprintf(s->lost_wakeup, sizeof(s->lost_wakeup),
             "lost wakeup: eventfd '%s' signalled by %s in %s at %" PRIu64
             " ns, %s %" PRIu64 " ns (bound %" PRIu64 " ns); waiter: %s",
             r->name, by, r->span ? r->span : "no span", r->since_ns,
             destroyed ? "destroyed unconsumed at" : "not consumed by", now,
             r->bound_ns, waiter);
    SIM_TSAN_IGNORE_END();
}

/* Only ever consumed by a kernel hook, which is gone (an irqfd deassigned
 * with its vector), with no declared bound: a signal left is dropped with
 * the hook.  A thread that waited and finished does not excuse a signal
 * pending when its eventfd is destroyed: that is the shape of a lost
 * wakeup at shutdown.  Known gap: an irqfd removed while its vector is
 * still enabled is excused too; the core would have to say which
 * eventfds the host may still signal. */
static bool hook_removed(const struct sim_live *r)
{
    return !r->declared && !r->hook && !r->waited && r->hooked;
}

static bool consumer_gone(const struct sim *s, const struct sim_live *r);

SIM_UNCOVERED
void sim_live_free(struct sim_live_ref *ref)
{
    struct sim_live *r = rec_of(ref, NULL, false, 0);

    if (!r) {
        return;
    }
    /* Destroyed inside the run with a signal pending: that signal can
     * never be consumed now (a kick dropped with its notifier) -- unless
     * nobody was meant to consume it any more (consumer_gone()). */
    if (sim_active && r->open && !r->reported && r->bound_ns &&
        !hook_removed(r)) {
        report(sim_active, r, plat_now_ns(), true);
    }
    r->dead = true;
    ref->run = 0;
}

/* Nobody is meant to consume r any more: its waiter thread finished, or
 * the kernel hook that consumed it was removed (an irqfd deassigned when
 * its vector was disabled) and no thread waits on it instead.  A signal
 * left then is dropped, not lost.  On an eventfd destroyed in the run only
 * the removed hook excuses it (sim_live_free()). */
SIM_UNCOVERED
static bool consumer_gone(const struct sim *s, const struct sim_live *r)
{
    if (r->declared || r->hook) {
        return false;
    }
    if (!r->waited) {
        return r->hooked;
    }
    return r->waiter_tid < s->nthreads &&
           s->threads[r->waiter_tid]->state == SIM_T_DONE;
}

SIM_UNCOVERED
static uint32_t check_at(struct sim *s, uint64_t now)
{
    uint32_t found = 0;

    for (uint32_t i = 0; i < s->nlive; i++) {
        struct sim_live *r = &s->live[i];

        if (r->dead || !r->open || r->reported || r->bound_ns == 0 ||
            now < r->since_ns || now - r->since_ns <= r->bound_ns ||
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

void sim_liveness_release(struct sim *s)
{
    free(s->live);
    s->live = NULL;
    s->nlive = s->live_cap = 0;
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
