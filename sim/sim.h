/*
 * sim/sim.h - the deterministic engine: virtual clock, simulated CPUs,
 * simulated threads (fibers), the scheduler and run results.
 *
 * One simulation runs at a time on the calling OS thread; while it runs,
 * core/platform.h calls made by simulated threads are served by it.  Outside
 * a run, platform calls behave as one thread at time 0 (so unit tests can
 * call core code directly); faults and allocation accounting still apply.
 *
 * Every choice the engine makes comes from the decision tape (sim/tape.h):
 * equal-time ties under the `time` strategy, every step under `random`,
 * priorities and change points under `pct`, priorities under `pos`,
 * weighted steps under `surw`, the member under `portfolio`, and jitter.
 * sim/engine.c says where each strategy comes from and when to pick it.
 */
#ifndef KVMSIM_SIM_SIM_H
#define KVMSIM_SIM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct sim;
struct sim_thread;
struct sim_tape;
struct sim_trace;

enum sim_strategy {
    SIM_STRATEGY_TIME = 0, /* smallest virtual time first; ties from tape */
    SIM_STRATEGY_RANDOM,   /* any runnable thread, chosen by the tape */
    SIM_STRATEGY_PCT,      /* priorities with depth-1 change points */
    SIM_STRATEGY_POS,      /* partial order sampling: random priorities,
                              re-drawn for the steps that race */
    SIM_STRATEGY_SURW,     /* random walk weighted by each thread's
                              estimated remaining steps (surw_events) */
    SIM_STRATEGY_PORTFOLIO, /* the tape's first decision picks one of the
                               above and its parameters */
    SIM_STRATEGY_NR,
};

enum sim_result {
    SIM_OK = 0,         /* every non-daemon thread finished */
    SIM_DEADLOCK = 1,   /* nothing runnable while threads wait */
    SIM_STEP_LIMIT = 2, /* step bound hit: a livelock or a runaway run */
    SIM_STOPPED = 3,    /* sim_stop() was called */
};

struct sim_options {
    unsigned ncpus;            /* simulated physical CPUs (>= 1) */
    enum sim_strategy strategy;
    unsigned pct_depth;        /* PCT bug depth d (>= 1); d-1 change points */
    uint64_t pct_steps;        /* PCT: steps over which change points fall */
    uint64_t step_limit;       /* scheduling steps before SIM_STEP_LIMIT */
    size_t stack_size;         /* bytes per simulated thread stack */
    FILE *trace_out;           /* stream the trace's JSON here (borrowed;
                                  see sim/trace.h), or NULL; the hash is
                                  always on */
    const uint32_t *surw_events; /* SURW: steps each thread (by creation
                                    order) took in a profile run; copied
                                    by sim_create(); NULL: all equal */
    uint32_t surw_nthreads;      /* entries in surw_events */
};

/* Defaults: 4 CPUs, time strategy, depth 3, 20000 PCT steps, 50M steps,
 * 256 KiB stacks (1 MiB under sanitizers), no trace file. */
void sim_options_default(struct sim_options *o);

/* Resolve SIM_STRATEGY_PORTFOLIO in o: read one decision from the tape
 * and set o->strategy to the member it names: time, random, pct, pos or
 * surw; for pct a second decision sets o->pct_depth to 2..5.  Other
 * strategies read nothing.  sim_create() calls it; a driver that must know the member
 * first (to run a SURW profile) calls it on the same tape beforehand. */
void sim_portfolio_pick(struct sim_options *o, struct sim_tape *tape);
/* Name of a strategy ("time", ..., "portfolio"), or "?". */
const char *sim_strategy_name(enum sim_strategy st);

/* The tape is borrowed and must outlive the simulation.  NULL on ENOMEM. */
struct sim *sim_create(const struct sim_options *o, struct sim_tape *tape);
/* Frees the simulation.  After an unclean end (sim_frozen_threads() > 0)
 * it also frees every plat_alloc() block charged to the run that is still
 * live: blocks allocated from sim_create() until sim_run() returned.  Tear
 * the world down first; what is left then belonged to frozen threads. */
void sim_destroy(struct sim *s);

/* Create a simulated thread pinned to `cpu` (taken modulo ncpus).  It starts
 * at the current virtual time.  Callable before sim_run() and from inside.
 * A daemon thread does not keep the run alive: when only daemons remain,
 * blocked or not, the run ends with SIM_OK. */
struct sim_thread *sim_spawn(struct sim *s, const char *name, unsigned cpu,
                             void (*fn)(void *arg), void *arg);
void sim_thread_set_daemon(struct sim_thread *t, bool daemon);

/* Run until every non-daemon thread has finished, a deadlock, the step
 * bound, or sim_stop().  Call once per simulation. */
enum sim_result sim_run(struct sim *s);

/* From inside a simulated thread: end the run after the current step. */
void sim_stop(struct sim *s);

/* The running simulation, or NULL outside sim_run(). */
struct sim *sim_current(void);

/* Where the caller is, as text for reports: "thread 'NAME' in SPAN" (the
 * innermost open trace span) from a simulated thread, "after the run"
 * otherwise.  Returns buf. */
char *sim_where(char *buf, size_t len);

/* Virtual time of the latest event (the run's length once it returns). */
uint64_t sim_now_ns(const struct sim *s);
uint64_t sim_steps(const struct sim *s);
uint64_t sim_switches(const struct sim *s);
/* Scheduling steps each thread took, by creation order, into out[0..cap);
 * returns the number of threads (a SURW profile: see surw_events). */
uint32_t sim_thread_steps(const struct sim *s, uint32_t *out, uint32_t cap);
unsigned sim_ncpus(const struct sim *s);

/* Tape-decided uniform value in [lo, hi]; lo when the tape is exhausted. */
uint64_t sim_jitter(uint64_t lo, uint64_t hi);

/* Block the calling simulated thread for ns without using its CPU.  Under
 * PCT the sleeper also drops to the lowest priority, so polling loops do
 * not starve the threads they wait for. */
void sim_sleep_ns(uint64_t ns);

/* Kernel-side wakeup callback on an eventfd (how a simulated irqfd sees
 * its eventfd signalled): called in the signaller's context after the
 * counter is raised.  NULL removes it.  sim_eventfd_consume() reads and
 * zeroes the counter without a scheduling point (for use in the hook). */
struct plat_eventfd;
typedef void (*sim_eventfd_hook)(void *arg, struct plat_eventfd *e);
void sim_eventfd_set_hook(struct plat_eventfd *e, sim_eventfd_hook hook,
                          void *arg);
bool sim_eventfd_consume(struct plat_eventfd *e);

/* The trace of the run (always present; streamed only with trace_out). */
struct sim_trace *sim_get_trace(struct sim *s);
/* 64-bit hash of everything the run did, in order. */
uint64_t sim_trace_hash(const struct sim *s);

/* After SIM_DEADLOCK or SIM_STEP_LIMIT: one line per live thread naming
 * what it waits on. */
void sim_report(const struct sim *s, FILE *out);

/* Threads frozen by an unclean end: when sim_run() returns anything but
 * SIM_OK, every unfinished thread is frozen (it never runs again).
 * Destroying a lock held or awaited only by frozen threads, or an eventfd
 * awaited only by frozen threads, releases them instead of panicking, so
 * a driver tears its world down the same way whatever the result. */
uint32_t sim_frozen_threads(const struct sim *s);

/* Lock rules (plat_lock_assert_held() in core) broken inside the run of
 * s: how many, and the first as text ("FUNCTION() expects lock 'NAME'
 * held; thread 'T' in SPAN at N ns, the lock held by ..."; "" when none).
 * The run goes on after each; the scenario runner reports them as the
 * invariant "lock_rule".  Calling sim_lock_violations() takes charge of
 * them: sim_destroy() panics on a simulation whose broken rules nobody
 * read.  Outside a run a broken rule is an engine panic at once. */
uint32_t sim_lock_violations(struct sim *s);
const char *sim_lock_violation_first(const struct sim *s);

/* Deferred grace periods (plat_call_rcu(), sim/platform_sim.c).
 * sim_rcu_pending(): callbacks queued and not run yet; once a world is
 * torn down, each one left is a lost callback.  sim_rcu_violations():
 * how many times, since the last call or sim_destroy(), plat_free() freed
 * a block that another thread had loaded with plat_atomic_load_ptr() in a
 * read-side section still open; the first as text into first (may be
 * NULL).  Resets the count.  sim_rcu_sync_wait_ns(): virtual time spent
 * in plat_rcu_synchronize() inside runs, since the process started. */
uint64_t sim_rcu_pending(void);
uint32_t sim_rcu_violations(char *first, size_t len);
uint64_t sim_rcu_sync_wait_ns(void);

/* Replace the cost model (copied); sim_create() starts from the defaults. */
struct cost_model;
void sim_set_cost_model(struct sim *s, const struct cost_model *m);
const struct cost_model *sim_cost_model(const struct sim *s);

/* An engine panic is a misuse of the platform by core code (a double
 * unlock, a lock destroyed while held): the engine prints
 * "kvmsim: engine: MESSAGE", calls the hook if one is set (it may exit;
 * the CLI prints the replay command and exits with its crash code), then
 * aborts, which a fuzzer reports as a crash.  NULL removes the hook. */
typedef void (*sim_panic_hook)(const char *msg);
void sim_set_panic_hook(sim_panic_hook fn);

/* Name of a result for messages. */
const char *sim_result_name(enum sim_result r);

#endif
