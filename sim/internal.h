/*
 * sim/internal.h - engine state shared by sim/engine.c (threads and the
 * scheduler) and sim/platform_sim.c (core/platform.h on top of them).
 *
 * Not for use outside sim/.  Every field that influences a decision is
 * updated in the same order on every run of a tape; pointers are used for
 * identity only, never compared for order or hashed.
 */
#ifndef KVMSIM_SIM_INTERNAL_H
#define KVMSIM_SIM_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/fault.h"
#include "model/cost.h"
#include "sim/fiber.h"
#include "sim/sim.h"
#include "sim/trace.h"

enum sim_wait {
    SIM_WAIT_NONE = 0,
    SIM_WAIT_LOCK,
    SIM_WAIT_EVENTFD,
    SIM_WAIT_JOIN,
    SIM_WAIT_RCU,
    SIM_WAIT_RCU_CB,   /* the callback thread idle, or a callback barrier */
};

enum sim_tstate {
    SIM_T_RUNNABLE = 0,
    SIM_T_BLOCKED,
    SIM_T_DONE,
};

#define SIM_SPAN_DEPTH 32
#define SIM_RCU_SEEN 8

/* Platform bookkeeping whose branches are no news about the code under
 * test (fault counters, span nesting, lookups in the simulator's own
 * tables): kept out of a fuzzer's coverage feedback, and its cost. */
#if defined(__clang__) && __clang_major__ >= 13
#define SIM_UNCOVERED __attribute__((no_sanitize("coverage")))
#else
#define SIM_UNCOVERED
#endif

struct sim_thread {
    uint32_t id;             /* creation order: the stable identity */
    const char *name;
    uint32_t cpu;
    uint64_t t;              /* the thread's virtual time */
    enum sim_tstate state;
    bool daemon;
    bool joined;
    struct sim_fiber *fiber;
    void (*fn)(void *);
    void *arg;
    int runq_idx;            /* index in sim.runq, -1 when not runnable */
    /* blocking */
    enum sim_wait wait;
    const void *wait_obj;
    const char *wait_name;
    uint64_t wait_since;
    struct sim_thread *wait_next;   /* intrusive waiter list */
    struct sim_thread *joiner;
    /* read-side sections */
    uint32_t rcu_nest;
    uint64_t rcu_gen;
    uint64_t *rcu_snap;      /* a grace-period wait's snapshot (owned) */
    /* pointers loaded with plat_atomic_load_ptr() in the open section
     * (identity only; the last SIM_RCU_SEEN of them) */
    const void *rcu_seen[SIM_RCU_SEEN];
    uint32_t rcu_nseen;
    /* the run ended without it finishing: it never runs again, and what
     * it holds or awaits may be released by the world's teardown */
    bool frozen;
    /* PCT and POS priority: larger runs first */
    uint64_t prio;
    /* POS: the simulated object (a sim_lock, sim_eventfd, sim_thread or
     * atomic word) the thread's next step touches, as declared by the
     * platform call before its scheduling point (NULL: none known); the
     * one the step now running touches; and one it released on the way
     * (an unlock).  Identities only. */
    const void *pos_next, *pos_run, *pos_touch;
    bool pos_sleep;          /* POS: the step ending is a sleep */
    uint32_t steps;          /* scheduling points reached (SURW profile) */
    /* trace spans */
    const char *span_name[SIM_SPAN_DEPTH];
    uint64_t span_start[SIM_SPAN_DEPTH];
    uint32_t nspans;
    const char *span_done;   /* the span that ended last, and nspans */
    uint32_t span_done_depth; /* after it ended (decision labels) */
};

/* Links a live plat_alloc() block into the list of the simulation it is
 * charged to (sim.allocs, a circular list around a sentinel). */
struct sim_alloc_link {
    struct sim_alloc_link *prev, *next;
};

struct sim_cpu {
    uint64_t busy_until;  /* end of the last slice run here */
    /* open run slice, merged while one thread keeps running */
    bool slice_open;
    uint32_t slice_tid;
    uint64_t slice_start, slice_end;
};

struct sim {
    struct sim_options opt;
    struct sim_tape *tape;
    struct cost_model cost;
    struct sim_trace *trace;
    struct sim_cpu *cpus;
    struct sim_thread **threads; /* by id */
    uint32_t nthreads, threads_cap;
    struct sim_thread **runq;    /* runnable threads */
    uint32_t nrunq;
    uint32_t live_nondaemon;     /* non-daemon threads not yet done */
    struct sim_thread *cur;
    struct sim_fiber main_fiber;
    struct sim_fiber **free_fibers;
    uint32_t nfree_fibers, free_cap;
    struct sim_thread *zombie;   /* exited; its stack is reclaimable */
    uint64_t steps, switches, now;
    bool stop_requested;
    bool running, finished;
    enum sim_result result;
    /* PCT */
    uint64_t *pct_change;        /* sorted change-point steps */
    uint32_t pct_nchange, pct_next;
    size_t pct_dec0;             /* tape decision of the first change point */
    bool labels;                 /* the tape logs decisions (sim/decision.c) */
    /* SURW: profile steps per thread id (owned) */
    uint32_t *surw_est;
    uint32_t surw_n, surw_mean;
    /* an unclean end: threads frozen, blocks charged to this run */
    uint32_t nfrozen;
    struct sim_alloc_link allocs;
    /* lock rules broken inside the run (plat_lock_rule_broken()) */
    uint32_t lock_violations;
    bool lock_violations_read;   /* sim_lock_violations() was called */
    char lock_violation[320];    /* the first, as text */
    /* lost wakeups found by sim/liveness.c */
    uint32_t lost_wakeups;
    char lost_wakeup[400];       /* the first, as text */
    uint64_t live_run;           /* its serial there, 0 until watched */
    struct sim_live *live;       /* watched eventfds' records */
    uint32_t nlive, live_cap;
    /* cache lines (sim/coherence.c) */
    uint32_t nlines;             /* ids given by plat_line_init() */
    uint64_t line_transfers;     /* transfers priced */
};

/* The simulation whose thread is running, or NULL. */
extern struct sim *sim_active;

/* A scheduling point for the current thread (which may have blocked or
 * finished): picks who runs next and switches.  Returns when the current
 * thread is chosen again. */
void sim_sched_point(struct sim *s);
/* POS: the current thread's next step touches obj (call right before
 * its scheduling point), or the step ending at the next scheduling point
 * touched obj (sim_pos_touch(), for a release made after the point). */
static inline void sim_pos_next(struct sim *s, const void *obj)
{
    if (s && s->cur) {
        s->cur->pos_next = obj;
    }
}

static inline void sim_pos_touch(struct sim *s, const void *obj)
{
    if (s && s->cur) {
        s->cur->pos_touch = obj;
    }
}

/* POS: the current thread sleeps (sim_sleep_ns()): its next step gets the
 * lowest priority, as under PCT, so a poller waiting for a virtual-time
 * deadline lets the threads it waits for run first. */
static inline void sim_pos_sleep(struct sim *s)
{
    if (s && s->cur) {
        s->cur->pos_sleep = true;
    }
}
/* Block the current thread on obj and switch away; returns once woken. */
void sim_block(struct sim *s, enum sim_wait why, const void *obj,
               const char *name);
/* Make t runnable at max(its time, at_ns) plus the wakeup cost. */
void sim_wake(struct sim *s, struct sim_thread *t, uint64_t at_ns,
              uint64_t extra_ns);
/* Spend ns on the current thread's CPU, then a scheduling point. */
void sim_charge(struct sim *s, uint64_t ns);
/* The same without the scheduling point (sim/coherence.c). */
void sim_charge_quiet(struct sim *s, uint64_t ns);
/* Trace helper for the current thread. */
void sim_emit(struct sim *s, uint8_t kind, const char *name, int64_t arg,
              uint64_t dur);
/* Re-check threads waiting for a grace period (after a reader left). */
void sim_rcu_recheck(struct sim *s);
/* Least-loaded CPU, lowest index on ties. */
uint32_t sim_pick_cpu(const struct sim *s);

/* Report a misuse of the platform by core code and abort: these are bugs
 * in the code under test (double unlock, unlocking someone else's lock),
 * which a fuzzer should see as a crash. */
_Noreturn void sim_panic(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* The simulation a new plat_alloc() block is charged to: the running one,
 * else the last created one until its run ends; NULL otherwise.  Blocks
 * allocated after the run ended cannot be held by a frozen thread. */
struct sim *sim_alloc_charge_to(void);
/* From sim_destroy(): after an unclean end (s->nfrozen > 0) free every
 * block still charged to s; otherwise only detach them from s.  Returns
 * the number of blocks freed. */
uint64_t sim_alloc_settle(struct sim *s);

/* From sim_destroy(): a lock rule broken in the run that nobody read
 * with sim_lock_violations() is an engine panic, so no broken rule goes
 * unreported (a unit test running its own simulation sees a crash). */
void sim_lock_violations_settle(const struct sim *s);

/* Decision labels for a tape that logs (sim/decision.c); each returns at
 * once otherwise and none reads the tape.  sim_thread_where() writes
 * "'NAME' in SPAN after CHILD" into buf and returns it. */
char *sim_thread_where(const struct sim_thread *t, char *buf, size_t len);
/* After a pick made from decision `mark` on (sim_tape_ndecisions()). */
void sim_label_pick(struct sim *s, const struct sim_thread *next,
                    size_t mark);
void sim_label_prio(struct sim *s, const struct sim_thread *t);
void sim_label_pct_change(struct sim *s, uint64_t step);
/* Change point `step` fires on s->cur. */
void sim_label_pct_fired(struct sim *s, uint64_t step);
void sim_label_fault(enum plat_fault_site site, uint64_t hit);
void sim_label_jitter(uint64_t lo, uint64_t hi, uint64_t v);
/* From sim_destroy(): drop the deferred callbacks still queued (they
 * were reported as lost through sim_rcu_pending()), free the blocks kept
 * back by an early free and forget the callback thread. */
void sim_rcu_settle(struct sim *s);

/* Fault decision used by plat_fault(); reads the active tape. */
bool sim_fault_decide(enum plat_fault_site site);

#endif
