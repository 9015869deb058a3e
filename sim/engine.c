/*
 * sim/engine.c - simulated threads, simulated CPUs and the scheduler.
 *
 * A discrete-event simulation: each thread carries its own virtual time and
 * runs until its next platform call (a scheduling point); then the
 * scheduler resumes the runnable thread chosen by the strategy.  Under
 * `time`, that is the thread with the smallest virtual time, so events
 * happen in time order; equal times are broken by the tape.  A thread that
 * spends CPU time occupies its CPU: a second thread on the same CPU starts
 * its slice when the first one ends.
 *
 * Strategies (each draws every choice from the tape; any byte string is a
 * valid run under each):
 *   time    smallest virtual time first, ties from the tape.  Models
 *           performance; the default.
 *   random  a uniform random walk over runnable threads.
 *   pct     PCT (Burckhardt et al., ASPLOS 2010): random distinct
 *           priorities, d-1 change points that demote the running thread.
 *           Good for bugs of small, known depth in long runs.
 *   pos     POS, partial order sampling (Yuan, Yang, Gu, CAV 2018): each
 *           step has a random priority, the highest runs; after a step,
 *           the pending steps that race with it get fresh priorities, and
 *           so does the thread's own next step.  Two steps race when they
 *           touch the same simulated object: the same lock (acquire,
 *           release), the same eventfd (signal, test-and-clear, wait), the
 *           same thread (exit, join), the same atomic word.  A step's
 *           object is declared by the platform call before its scheduling
 *           point (sim_pos_next()); a blocked thread's pending step is the
 *           object it waits on; work, sleeps, yields, thread creation
 *           and read-side sections touch nothing (a grace-period wait is
 *           not matched to the readers it waits for: a known gap).  A
 *           sleeper's next step gets the lowest priority, as under pct,
 *           so polling a virtual-time deadline cannot starve the threads
 *           it waits for.
 *           Samples partial orders far more evenly than a random walk;
 *           pick it when the bug needs a few specific races in a run.
 *   surw    SURW, selectively uniform random walk (ASPLOS 2025; as shipped
 *           in Shuttle 0.9 and Fray): each step picks a runnable thread
 *           with probability proportional to its estimated remaining
 *           steps (its profile-run steps minus those taken, at least 1),
 *           which makes every interleaving of the threads' steps about
 *           equally likely where a plain random walk favours those that
 *           run the short thread first.  The estimates come from a
 *           profile run (sim_options.surw_events; the scenario runner
 *           takes them from the same scenario and seed under `time`).
 *           Here every step is "selected".  Pick it when threads differ
 *           much in length.
 *   portfolio  the tape's first decision picks a member and its
 *           parameters (sim_portfolio_pick()), so one exploration spreads
 *           its seeds over all of the above.
 *
 * The scheduler runs on the stack of the thread that reached the
 * scheduling point and switches directly to the next thread; the OS
 * thread's own context (main_fiber) is resumed only when the run ends.
 *
 * Unclean ends.  When a run ends with anything but SIM_OK (a deadlock,
 * the step bound, sim_stop()), every thread that has not finished is
 * marked frozen: it will never run again, so whatever it holds (a lock),
 * awaits (a lock, an eventfd, a join, a grace period) or keeps on its
 * stack (plat_alloc() blocks) can only be released by the world's
 * teardown.  The platform lets that teardown proceed: destroying a lock
 * held or awaited only by frozen threads, or an eventfd awaited only by
 * frozen threads, releases them instead of panicking, and sim_destroy()
 * frees the plat_alloc() blocks still charged to the run (see
 * sim_alloc_charge_to()).  Frozen threads keep their state, so
 * sim_report() still names what each one waited on.  After SIM_OK nothing
 * is frozen: the same misuse (a lock destroyed while a daemon holds it)
 * still panics.
 *
 * ThreadSanitizer (sim/tsan.h).  The engine is not instrumented and a
 * fiber switch orders nothing.  A thread starts after what its creator did
 * before sim_spawn() (and after what the driver did before sim_run()); its
 * end is what plat_thread_join() acquires; and every switch away from a
 * thread releases into the run's end, which sim_run() acquires before the
 * driver looks at the world again.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/internal.h"
#include "sim/liveness.h"
#include "sim/tape.h"
#include "sim/tsan.h"

SIM_TSAN_ENGINE_BEGIN

struct sim *sim_active;
static struct sim *sim_last_created;

/* Fibers kept across simulations (fuzzers and explorations create many
 * short runs): mapping a stack costs more than a whole small run.  Only
 * stacks of the default size are kept; addresses never influence a run. */
#define FIBER_POOL_MAX 64
static struct sim_fiber *fiber_pool[FIBER_POOL_MAX];
static unsigned fiber_pool_n;
static size_t fiber_pool_size;

static void fiber_release(struct sim_fiber *f, size_t size)
{
    if (fiber_pool_n < FIBER_POOL_MAX &&
        (fiber_pool_n == 0 || fiber_pool_size == size)) {
        fiber_pool_size = size;
        fiber_pool[fiber_pool_n++] = f;
        return;
    }
    sim_fiber_destroy(f);
    free(f);
}

static struct sim_fiber *fiber_from_pool(size_t size)
{
    if (fiber_pool_n > 0 && fiber_pool_size == size) {
        return fiber_pool[--fiber_pool_n];
    }
    return NULL;
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SIM_BIG_STACKS 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SIM_BIG_STACKS 1
#endif

void sim_options_default(struct sim_options *o)
{
    memset(o, 0, sizeof(*o));
    o->ncpus = 4;
    o->strategy = SIM_STRATEGY_TIME;
    o->pct_depth = 3;
    o->pct_steps = 20000;
    o->step_limit = 50000000;
#ifdef SIM_BIG_STACKS
    o->stack_size = 1024 * 1024;
#else
    o->stack_size = 256 * 1024;
#endif
    o->trace_out = NULL;
}

const char *sim_result_name(enum sim_result r)
{
    switch (r) {
    case SIM_OK:
        return "ok";
    case SIM_DEADLOCK:
        return "deadlock";
    case SIM_STEP_LIMIT:
        return "step limit";
    case SIM_STOPPED:
        return "stopped";
    }
    return "?";
}

static sim_panic_hook panic_hook;

void sim_set_panic_hook(sim_panic_hook fn)
{
    panic_hook = fn;
}

_Noreturn void sim_panic(const char *fmt, ...)
{
    static char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(stderr, "kvmsim: engine: %s\n", msg);
    if (panic_hook) {
        panic_hook(msg);
    }
    abort();
}

const char *sim_strategy_name(enum sim_strategy st)
{
    static const char *const names[SIM_STRATEGY_NR] = {
        "time", "random", "pct", "pos", "surw", "portfolio",
    };

    return (unsigned)st < SIM_STRATEGY_NR ? names[st] : "?";
}

/* The portfolio's members, equally likely: time, random, pct, pos, surw;
 * pct's depth (2..5) is a second decision.  Each member gets a fifth of
 * the seeds, so on a defect that only one member finds the portfolio
 * needs about five times the seeds of that member.  Appending members
 * changes which member a byte names: keep the order. */
void sim_portfolio_pick(struct sim_options *o, struct sim_tape *tape)
{
    static const enum sim_strategy member[] = {
        SIM_STRATEGY_TIME, SIM_STRATEGY_RANDOM, SIM_STRATEGY_PCT,
        SIM_STRATEGY_POS,  SIM_STRATEGY_SURW,
    };

    if (o->strategy != SIM_STRATEGY_PORTFOLIO) {
        return;
    }
    o->strategy = member[sim_tape_below(tape, sizeof(member) /
                                              sizeof(member[0]))];
    if (o->strategy == SIM_STRATEGY_PCT) {
        o->pct_depth = 2 + (unsigned)sim_tape_below(tape, 4);
    }
}

static int surw_setup(struct sim *s)
{
    uint64_t sum = 0;

    if (s->opt.strategy != SIM_STRATEGY_SURW || !s->opt.surw_events ||
        s->opt.surw_nthreads == 0) {
        return 0;
    }
    s->surw_est = calloc(s->opt.surw_nthreads, sizeof(uint32_t));
    if (!s->surw_est) {
        return -ENOMEM;
    }
    for (uint32_t i = 0; i < s->opt.surw_nthreads; i++) {
        s->surw_est[i] = s->opt.surw_events[i];
        sum += s->opt.surw_events[i];
    }
    s->surw_n = s->opt.surw_nthreads;
    s->surw_mean = (uint32_t)(sum / s->surw_n);
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

struct sim *sim_create(const struct sim_options *o, struct sim_tape *tape)
{
    struct sim *s = calloc(1, sizeof(*s));

    if (!s) {
        return NULL;
    }
    s->allocs.prev = &s->allocs;
    s->allocs.next = &s->allocs;
    s->opt = *o;
    sim_portfolio_pick(&s->opt, tape);
    if (surw_setup(s) < 0) {
        sim_destroy(s);
        return NULL;
    }
    s->opt.surw_events = NULL;  /* borrowed: copied by surw_setup() */
    if (s->opt.ncpus == 0) {
        s->opt.ncpus = 1;
    }
    if (s->opt.pct_depth == 0) {
        s->opt.pct_depth = 1;
    }
    if (s->opt.stack_size < 64 * 1024) {
        s->opt.stack_size = 64 * 1024;
    }
    s->tape = tape;
    s->labels = sim_tape_logging(tape);
    cost_model_default(&s->cost);
    s->cpus = calloc(s->opt.ncpus, sizeof(*s->cpus));
    s->trace = sim_trace_create(o->trace_out, 4u << 20);
    if (!s->cpus || !s->trace) {
        sim_destroy(s);
        return NULL;
    }
    sim_trace_set_ncpus(s->trace, s->opt.ncpus);
    if (s->opt.strategy == SIM_STRATEGY_PCT && s->opt.pct_depth > 1) {
        s->pct_nchange = s->opt.pct_depth - 1;
        s->pct_change = calloc(s->pct_nchange, sizeof(uint64_t));
        if (!s->pct_change) {
            sim_destroy(s);
            return NULL;
        }
        s->pct_dec0 = sim_tape_ndecisions(tape);
        for (uint32_t i = 0; i < s->pct_nchange; i++) {
            s->pct_change[i] = 1 + sim_tape_below(tape, s->opt.pct_steps);
            sim_label_pct_change(s, s->pct_change[i]);
        }
        qsort(s->pct_change, s->pct_nchange, sizeof(uint64_t), cmp_u64);
    }
    sim_last_created = s;
    return s;
}

void sim_destroy(struct sim *s)
{
    if (!s) {
        return;
    }
    sim_lock_violations_settle(s);
    sim_rcu_settle(s);
    sim_alloc_settle(s);
    sim_liveness_release(s);
    for (uint32_t i = 0; i < s->nthreads; i++) {
        free(s->threads[i]->rcu_snap);
        if (s->threads[i]->fiber) {
            fiber_release(s->threads[i]->fiber, s->opt.stack_size);
        }
        free(s->threads[i]);
    }
    for (uint32_t i = 0; i < s->nfree_fibers; i++) {
        fiber_release(s->free_fibers[i], s->opt.stack_size);
    }
    free(s->free_fibers);
    free(s->threads);
    free(s->runq);
    free(s->cpus);
    free(s->pct_change);
    free(s->surw_est);
    sim_trace_destroy(s->trace);
    if (sim_last_created == s) {
        sim_last_created = NULL;
    }
    free(s);
}

struct sim *sim_current(void)
{
    return sim_active;
}

struct sim *sim_alloc_charge_to(void)
{
    if (sim_active) {
        return sim_active;
    }
    if (sim_last_created && !sim_last_created->finished) {
        return sim_last_created;
    }
    return NULL;
}

uint32_t sim_frozen_threads(const struct sim *s)
{
    return s->nfrozen;
}

uint64_t sim_now_ns(const struct sim *s)
{
    return s->now;
}

uint64_t sim_steps(const struct sim *s)
{
    return s->steps;
}

uint64_t sim_switches(const struct sim *s)
{
    return s->switches;
}

uint32_t sim_thread_steps(const struct sim *s, uint32_t *out, uint32_t cap)
{
    for (uint32_t i = 0; i < s->nthreads && i < cap; i++) {
        out[i] = s->threads[i]->steps;
    }
    return s->nthreads;
}

unsigned sim_ncpus(const struct sim *s)
{
    return s->opt.ncpus;
}

struct sim_trace *sim_get_trace(struct sim *s)
{
    return s->trace;
}

uint64_t sim_trace_hash(const struct sim *s)
{
    return sim_trace_hash_value(s->trace);
}

void sim_stop(struct sim *s)
{
    s->stop_requested = true;
}

/* ---- run queue ---- */

static void runq_add(struct sim *s, struct sim_thread *t)
{
    if (t->runq_idx >= 0) {
        return;
    }
    t->runq_idx = (int)s->nrunq;
    s->runq[s->nrunq++] = t;
}

static void runq_del(struct sim *s, struct sim_thread *t)
{
    uint32_t i;

    if (t->runq_idx < 0) {
        return;
    }
    /* Keep the queue in insertion order: a removal shifts the tail, so
     * the order never depends on anything but the run's own history. */
    i = (uint32_t)t->runq_idx;
    SIM_TSAN_IGNORE_BEGIN();
    memmove(&s->runq[i], &s->runq[i + 1],
            (s->nrunq - i - 1) * sizeof(s->runq[0]));
    SIM_TSAN_IGNORE_END();
    s->nrunq--;
    for (; i < s->nrunq; i++) {
        s->runq[i]->runq_idx = (int)i;
    }
    t->runq_idx = -1;
}

/* ---- tracing ---- */

void sim_emit(struct sim *s, uint8_t kind, const char *name, int64_t arg,
              uint64_t dur)
{
    struct sim_thread *t = s->cur;
    struct sim_event e = {
        .ts = t ? t->t - dur : s->now,
        .dur = dur,
        .arg = arg,
        .name = name,
        .tid = t ? t->id : 0,
        .cpu = t ? t->cpu : 0,
        .kind = kind,
    };

    sim_trace_add(s->trace, &e);
}

static void cpu_flush_slice(struct sim *s, struct sim_cpu *c, uint32_t cpu)
{
    struct sim_event e;

    if (!c->slice_open) {
        return;
    }
    e = (struct sim_event){
        .ts = c->slice_start,
        .dur = c->slice_end - c->slice_start,
        .tid = c->slice_tid,
        .cpu = cpu,
        .kind = SIM_EV_RUN,
    };
    sim_trace_add(s->trace, &e);
    c->slice_open = false;
}

/* ---- threads ---- */

static void thread_entry(void *arg);

static void reclaim_zombie(struct sim *s)
{
    struct sim_thread *z = s->zombie;

    if (!z || z == s->cur) {
        return;
    }
    s->zombie = NULL;
    if (s->nfree_fibers < s->free_cap) {
        s->free_fibers[s->nfree_fibers++] = z->fiber;
        z->fiber = NULL;
    }
}

static int sim_grow_threads(struct sim *s)
{
    uint32_t cap = s->threads_cap ? s->threads_cap * 2 : 16;
    struct sim_thread **th = realloc(s->threads, cap * sizeof(*th));
    struct sim_thread **rq;
    struct sim_fiber **ff;

    if (!th) {
        return -ENOMEM;
    }
    s->threads = th;
    rq = realloc(s->runq, cap * sizeof(*rq));
    if (!rq) {
        return -ENOMEM;
    }
    s->runq = rq;
    ff = realloc(s->free_fibers, cap * sizeof(*ff));
    if (!ff) {
        return -ENOMEM;
    }
    s->free_fibers = ff;
    s->free_cap = cap;
    s->threads_cap = cap;
    return 0;
}

static struct sim_thread *spawn(struct sim *s, const char *name,
                                unsigned cpu, void (*fn)(void *arg),
                                void *arg)
{
    struct sim_thread *t;

    if (s->finished) {
        return NULL;
    }
    if (s->nthreads == s->threads_cap && sim_grow_threads(s) < 0) {
        return NULL;
    }
    t = calloc(1, sizeof(*t));
    if (!t) {
        return NULL;
    }
    if (s->nfree_fibers > 0) {
        t->fiber = s->free_fibers[--s->nfree_fibers];
        sim_fiber_reset(t->fiber, thread_entry, t);
    } else if ((t->fiber = fiber_from_pool(s->opt.stack_size)) != NULL) {
        sim_fiber_reset(t->fiber, thread_entry, t);
    } else {
        t->fiber = malloc(sizeof(*t->fiber));
        if (!t->fiber || sim_fiber_create(t->fiber, s->opt.stack_size,
                                          thread_entry, t) < 0) {
            free(t->fiber);
            free(t);
            return NULL;
        }
    }
    t->id = s->nthreads;
    t->name = name ? name : "thread";
    t->cpu = cpu % s->opt.ncpus;
    t->t = s->cur ? s->cur->t : s->now;
    t->fn = fn;
    t->arg = arg;
    t->runq_idx = -1;
    if (s->opt.strategy == SIM_STRATEGY_PCT) {
        /* Distinct priorities above every change-point priority. */
        t->prio = ((sim_tape_below(s->tape, 1u << 16) << 24) | t->id) +
                  s->opt.pct_depth + 1;
        sim_label_prio(s, t);
    } else if (s->opt.strategy == SIM_STRATEGY_POS) {
        t->prio = 1 + sim_tape_below(s->tape, 1u << 16);
    }
    s->threads[s->nthreads++] = t;
    s->live_nondaemon++;
    runq_add(s, t);
    sim_trace_name_thread(s->trace, t->id, t->name, t->cpu);
    {
        struct sim_event e = {
            .ts = t->t, .tid = t->id, .cpu = t->cpu,
            .kind = SIM_EV_THREAD_START, .name = t->name,
        };
        sim_trace_add(s->trace, &e);
    }
    return t;
}

struct sim_thread *sim_spawn(struct sim *s, const char *name, unsigned cpu,
                             void (*fn)(void *arg), void *arg)
{
    struct sim_thread *t;

    SIM_TSAN_IGNORE_BEGIN();
    t = spawn(s, name, cpu, fn, arg);
    SIM_TSAN_IGNORE_END();
    if (t) {
        /* What the creator did so far happens before the thread starts. */
        SIM_TSAN_RELEASE(t);
    }
    return t;
}

void sim_thread_set_daemon(struct sim_thread *t, bool daemon)
{
    struct sim *s = sim_active ? sim_active : sim_last_created;

    if (t->daemon == daemon || t->state == SIM_T_DONE) {
        t->daemon = daemon;
        return;
    }
    t->daemon = daemon;
    if (s) {
        if (daemon) {
            s->live_nondaemon--;
        } else {
            s->live_nondaemon++;
        }
    }
}

static void thread_exit(struct sim *s, struct sim_thread *t)
{
    SIM_TSAN_RELEASE(t);  /* acquired by plat_thread_join() */
    t->state = SIM_T_DONE;
    runq_del(s, t);
    if (!t->daemon) {
        s->live_nondaemon--;
    }
    sim_emit(s, SIM_EV_THREAD_END, t->name, 0, 0);
    if (t->joiner) {
        sim_wake(s, t->joiner, t->t, s->cost.wakeup_ns);
        t->joiner = NULL;
    }
    s->zombie = t;
    t->pos_touch = t;  /* POS: its end races with a join */
    t->fiber->dying = true;
    sim_sched_point(s);
    sim_panic("finished thread '%s' was resumed", t->name);
}

static void thread_entry(void *arg)
{
    struct sim_thread *t = arg;
    struct sim *s = sim_active;

    sim_fiber_started(t->fiber);
    SIM_TSAN_ACQUIRE(t);
    SIM_TSAN_ACQUIRE(&s->main_fiber);
    reclaim_zombie(s);
    t->fn(t->arg);
    thread_exit(s, t);
}

/* ---- scheduling ---- */

static struct sim_thread *pick_time(struct sim *s)
{
    uint64_t best = UINT64_MAX;
    uint32_t ties = 0;
    uint64_t k;

    for (uint32_t i = 0; i < s->nrunq; i++) {
        uint64_t t = s->runq[i]->t;

        if (t < best) {
            best = t;
            ties = 1;
        } else if (t == best) {
            ties++;
        }
    }
    if (ties == 0) {
        return NULL;
    }
    k = sim_tape_below(s->tape, ties);
    for (uint32_t i = 0; i < s->nrunq; i++) {
        if (s->runq[i]->t == best && k-- == 0) {
            return s->runq[i];
        }
    }
    return NULL;
}

static struct sim_thread *pick_pct(struct sim *s)
{
    struct sim_thread *best = NULL;

    for (uint32_t i = 0; i < s->nrunq; i++) {
        if (!best || s->runq[i]->prio > best->prio) {
            best = s->runq[i];
        }
    }
    return best;
}

/* POS, at a scheduling point of s->cur: the step it just ran touched
 * pos_run (and pos_touch); every other pending step on one of those
 * objects races with it and gets a fresh priority, in run-queue order,
 * and so does the thread's own next step.  A thread that blocked keeps
 * its priority: its pending step (the object it waits on) is still the
 * one it tried.  Priorities are 1..65536; a sleeper's next step gets 0,
 * below all (see sim_pos_sleep()). */
static void pos_redraw(struct sim *s)
{
    struct sim_thread *c = s->cur;
    const void *a = c->pos_run, *b = c->pos_touch;

    if (c->state == SIM_T_BLOCKED) {
        c->pos_next = c->wait_obj;
    }
    if (a || b) {
        for (uint32_t i = 0; i < s->nrunq; i++) {
            struct sim_thread *u = s->runq[i];

            if (u != c && u->pos_next &&
                (u->pos_next == a || u->pos_next == b)) {
                u->prio = 1 + sim_tape_below(s->tape, 1u << 16);
            }
        }
    }
    if (c->pos_sleep) {
        c->prio = 0;
    } else if (c->state == SIM_T_RUNNABLE) {
        c->prio = 1 + sim_tape_below(s->tape, 1u << 16);
    }
    c->pos_touch = NULL;
    c->pos_sleep = false;
}

/* SURW weight: estimated steps left, at least 1; a thread the profile
 * did not see gets the profile's mean. */
static uint64_t surw_weight(const struct sim *s, const struct sim_thread *t)
{
    uint32_t est;

    if (s->surw_n == 0) {
        return 1;
    }
    est = t->id < s->surw_n ? s->surw_est[t->id] : s->surw_mean;
    return est > t->steps ? est - t->steps : 1;
}

static struct sim_thread *pick_surw(struct sim *s)
{
    uint64_t total = 0, k;

    for (uint32_t i = 0; i < s->nrunq; i++) {
        total += surw_weight(s, s->runq[i]);
    }
    k = sim_tape_below(s->tape, total);
    for (uint32_t i = 0; i < s->nrunq; i++) {
        uint64_t w = surw_weight(s, s->runq[i]);

        if (k < w) {
            return s->runq[i];
        }
        k -= w;
    }
    return s->runq[s->nrunq - 1];
}

static struct sim_thread *pick(struct sim *s)
{
    struct sim_thread *t;

    if (s->nrunq == 0) {
        return NULL;
    }
    switch (s->opt.strategy) {
    case SIM_STRATEGY_RANDOM:
        return s->runq[sim_tape_below(s->tape, s->nrunq)];
    case SIM_STRATEGY_PCT:
        return pick_pct(s);
    case SIM_STRATEGY_POS:
        /* Highest priority, earliest in the queue on a tie. */
        t = pick_pct(s);
        t->pos_run = t->pos_next;
        t->pos_next = NULL;
        return t;
    case SIM_STRATEGY_SURW:
        return pick_surw(s);
    case SIM_STRATEGY_TIME:
    default:
        return pick_time(s);
    }
}

/* pick(), its tape decision labelled when the tape logs (sim/decision.c). */
static struct sim_thread *pick_labelled(struct sim *s)
{
    size_t mark;
    struct sim_thread *next;

    if (!s->labels) {
        return pick(s);
    }
    mark = sim_tape_ndecisions(s->tape);
    next = pick(s);
    sim_label_pick(s, next, mark);
    return next;
}

static void run_end(struct sim *s, enum sim_result r)
{
    struct sim_thread *self = s->cur;

    s->result = r;
    s->finished = true;
    s->cur = NULL;
    SIM_TSAN_RELEASE(s);
    sim_fiber_switch(self->fiber, &s->main_fiber);
    sim_panic("thread '%s' resumed after the run ended", self->name);
}

static void switch_to(struct sim *s, struct sim_thread *next)
{
    struct sim_thread *prev = s->cur;
    struct sim_event e;

    if (next == prev) {
        return;
    }
    s->switches++;
    e = (struct sim_event){
        .ts = next->t, .tid = next->id, .cpu = next->cpu,
        .arg = (int64_t)s->steps, .kind = SIM_EV_SWITCH,
    };
    sim_trace_add(s->trace, &e);
    if (next->t > s->now) {
        s->now = next->t;
    }
    s->cur = next;
    SIM_TSAN_RELEASE(s);  /* into the run's end, acquired by sim_run() */
    sim_fiber_switch(prev->fiber, next->fiber);
    /* Resumed: s->cur is this thread again. */
    reclaim_zombie(s);
}

void sim_sched_point(struct sim *s)
{
    struct sim_thread *next;

    s->steps++;
    if (s->steps > s->opt.step_limit) {
        run_end(s, SIM_STEP_LIMIT);
    }
    if (s->stop_requested) {
        run_end(s, SIM_STOPPED);
    }
    if (s->pct_next < s->pct_nchange &&
        s->steps >= s->pct_change[s->pct_next]) {
        /* Change point i demotes the running thread below everyone. */
        s->cur->prio = s->pct_nchange - s->pct_next;
        sim_label_pct_fired(s, s->pct_change[s->pct_next]);
        s->pct_next++;
    }
    s->cur->steps++;
    if (s->live_nondaemon == 0) {
        run_end(s, SIM_OK);
    }
    if (s->opt.strategy == SIM_STRATEGY_POS) {
        pos_redraw(s);
    }
    next = pick_labelled(s);
    if (!next) {
        run_end(s, SIM_DEADLOCK);
    }
    switch_to(s, next);
}

void sim_block(struct sim *s, enum sim_wait why, const void *obj,
               const char *name)
{
    struct sim_thread *t = s->cur;
    uint64_t since = t->t;

    t->state = SIM_T_BLOCKED;
    t->wait = why;
    t->wait_obj = obj;
    t->wait_name = name;
    t->wait_since = since;
    runq_del(s, t);
    sim_sched_point(s);
    /* Woken. */
    t->wait = SIM_WAIT_NONE;
    t->wait_obj = NULL;
    if (t->t > since) {
        sim_emit(s, SIM_EV_WAIT, name, why, t->t - since);
    }
}

void sim_wake(struct sim *s, struct sim_thread *t, uint64_t at_ns,
              uint64_t extra_ns)
{
    if (t->state != SIM_T_BLOCKED) {
        return;
    }
    if (t->t < at_ns) {
        t->t = at_ns;
    }
    t->t += extra_ns;
    t->state = SIM_T_RUNNABLE;
    runq_add(s, t);
}

void sim_charge(struct sim *s, uint64_t ns)
{
    sim_charge_quiet(s, ns);
    sim_sched_point(s);
}

void sim_charge_quiet(struct sim *s, uint64_t ns)
{
    struct sim_thread *t = s->cur;
    struct sim_cpu *c = &s->cpus[t->cpu];
    uint64_t start = t->t > c->busy_until ? t->t : c->busy_until;

    t->t = start + ns;
    c->busy_until = t->t;
    if (ns) {
        if (c->slice_open && c->slice_tid == t->id &&
            c->slice_end == start) {
            c->slice_end = t->t;
        } else {
            cpu_flush_slice(s, c, t->cpu);
            c->slice_open = true;
            c->slice_tid = t->id;
            c->slice_start = start;
            c->slice_end = t->t;
        }
    }
}

uint32_t sim_pick_cpu(const struct sim *s)
{
    uint32_t best = 0;

    for (uint32_t i = 1; i < s->opt.ncpus; i++) {
        if (s->cpus[i].busy_until < s->cpus[best].busy_until) {
            best = i;
        }
    }
    return best;
}

/* After an unclean end: no unfinished thread will run again. */
static void freeze_unfinished(struct sim *s)
{
    if (s->result == SIM_OK) {
        return;
    }
    for (uint32_t i = 0; i < s->nthreads; i++) {
        struct sim_thread *t = s->threads[i];

        if (t->state != SIM_T_DONE) {
            t->frozen = true;
            s->nfrozen++;
        }
    }
}

enum sim_result sim_run(struct sim *s)
{
    struct sim_thread *first;

    if (s->running || s->finished || sim_active) {
        return SIM_STOPPED;
    }
    s->running = true;
    sim_active = s;
    sim_fiber_init_main(&s->main_fiber);
    first = s->live_nondaemon ? pick_labelled(s) : NULL;
    if (!first) {
        s->result = s->live_nondaemon ? SIM_DEADLOCK : SIM_OK;
        s->finished = true;
    } else {
        if (first->t > s->now) {
            s->now = first->t;
        }
        s->cur = first;
        s->switches++;
        SIM_TSAN_RELEASE(&s->main_fiber);
        sim_fiber_switch(&s->main_fiber, first->fiber);
        SIM_TSAN_ACQUIRE(s);
    }
    /* Back on the OS thread's own stack: the run is over. */
    for (uint32_t i = 0; i < s->opt.ncpus; i++) {
        cpu_flush_slice(s, &s->cpus[i], i);
        if (s->cpus[i].busy_until > s->now) {
            s->now = s->cpus[i].busy_until;
        }
    }
    for (uint32_t i = 0; i < s->nthreads; i++) {
        if (s->threads[i]->t > s->now &&
            s->threads[i]->state == SIM_T_DONE) {
            s->now = s->threads[i]->t;
        }
    }
    for (uint32_t i = 0; i < s->nthreads; i++) {
        const struct sim_thread *t = s->threads[i];

        /* A wait that never ended, or ended without the thread running
         * again, has no span yet: keep one for the JSON. */
        bool blocked = t->state == SIM_T_BLOCKED;
        uint64_t end = blocked ? s->now : t->t;

        if (t->state != SIM_T_DONE && t->wait != SIM_WAIT_NONE &&
            end > t->wait_since) {
            struct sim_event e = {
                .ts = t->wait_since, .dur = end - t->wait_since,
                .arg = blocked, .name = t->wait_name, .tid = t->id,
                .cpu = t->cpu, .kind = SIM_EV_OPEN_WAIT,
            };
            sim_trace_keep(s->trace, &e);
        }
    }
    sim_trace_mix(s->trace, (uint64_t)s->result);
    sim_trace_mix(s->trace, s->now);
    freeze_unfinished(s);
    if (s->result == SIM_OK) {
        sim_liveness_settle(s); /* observes only (sim/liveness.h) */
    }
    s->running = false;
    sim_active = NULL;
    return s->result;
}

static const char *wait_name(enum sim_wait w)
{
    switch (w) {
    case SIM_WAIT_LOCK:
        return "lock";
    case SIM_WAIT_EVENTFD:
        return "eventfd";
    case SIM_WAIT_JOIN:
        return "join of thread";
    case SIM_WAIT_RCU:
        return "grace period";
    case SIM_WAIT_RCU_CB:
        return "rcu callbacks";
    case SIM_WAIT_NONE:
        break;
    }
    return "nothing";
}

void sim_report(const struct sim *s, FILE *out)
{
    for (uint32_t i = 0; i < s->nthreads; i++) {
        const struct sim_thread *t = s->threads[i];

        if (t->state == SIM_T_DONE) {
            continue;
        }
        fprintf(out, "  thread %" PRIu32 " '%s'%s on CPU %" PRIu32
                " at %" PRIu64 " ns: ", t->id, t->name,
                t->daemon ? " (daemon)" : "", t->cpu, t->t);
        if (t->state == SIM_T_RUNNABLE) {
            fprintf(out, "runnable\n");
        } else {
            fprintf(out, "waits on %s '%s' since %" PRIu64 " ns\n",
                    wait_name(t->wait), t->wait_name ? t->wait_name : "?",
                    t->wait_since);
        }
    }
}

char *sim_where(char *buf, size_t len)
{
    const struct sim_thread *t = sim_active ? sim_active->cur : NULL;

    if (!t) {
        snprintf(buf, len, "after the run");
    } else if (t->nspans > 0 && t->nspans <= SIM_SPAN_DEPTH) {
        snprintf(buf, len, "thread '%s' in %s", t->name,
                 t->span_name[t->nspans - 1]);
    } else {
        snprintf(buf, len, "thread '%s'", t->name);
    }
    return buf;
}

SIM_TSAN_ENGINE_END
