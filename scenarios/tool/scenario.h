/*
 * scenarios/tool/scenario.h - what a scenario driver provides and what the
 * runner gives it.
 *
 * A driver builds one simulated system from its configuration, runs it with
 * scn_simulate(), checks its invariants with scn_check() and reports
 * metrics.  The runner owns everything else: loading the scenario file,
 * the tape, fault settings, the exit code, saving a failing tape, the
 * trace and metrics files.  A driver never exits or aborts on bad input;
 * it reports a configuration error with scn_config_error() and returns
 * -EINVAL.
 */
#ifndef KVMSIM_SCN_SCENARIO_H
#define KVMSIM_SCN_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/fault.h"
#include "model/cost.h"
#include "scenarios/tool/config.h"
#include "sim/sim.h"

struct scn_run;
struct scn_request;
struct scn_cost_key;

/* One fault site in a driver's fault_sites. */
#define SCN_FAULT(site) (1u << (site))

struct scn_driver {
    const char *name;
    const char *summary;          /* one line for `kvmsim list` */
    const char *const *variants;  /* NULL-terminated; the first is default */
    const struct cfg_key *keys;   /* driver keys; NULL name ends the table */
    /* The fault sites (SCN_FAULT(PLAT_FAULT_...) ORed) its paths can hit
     * under some variant and workload: [faults] may arm only these
     * (cfg_fault_reach()), `kvmsim keys` lists them, and
     * tests/test_fault_sites.c holds them to the sites runs do hit. */
    uint32_t fault_sites;
    const struct scn_cost_key *cost; /* its [cost] keys; NULL key ends the
                                        table; NULL: none */
    /* Build, simulate, check.  0, or -errno for a setup failure that was
     * already reported. */
    int (*run)(struct scn_run *r);
    /* Optional: the seed comparison for `kvmsim compare`, from the
     * finished runs of every variant (same order as variants), recorded
     * in q->report (never NULL here) as one section of rows, constants,
     * claims and notes; the runner prints their rendering
     * (report_write_text()).  It may run more simulations of request q
     * (fits, sweeps), and says why on stderr when one fails.  Returns an
     * exit code. */
    int (*compare)(const struct scn_request *q, struct scn_run *const *runs,
                   size_t nruns);
};

#define SCN_MAX_METRICS 64
#define SCN_MAX_VALUES 4096

struct scn_metric {
    const char *name;  /* static text */
    size_t n;          /* 1 for a number, else an array */
    double *v;
    bool array;
};

struct scn_run {
    const struct scn_driver *drv;
    struct cfg *cfg;
    const char *scenario;     /* as given: builtin name or path */
    const char *text;         /* the scenario text the run was loaded from */
    char *text_owned;         /* text, when read from a file (freed) */
    const char *variant;      /* resolved */
    unsigned variant_index;
    uint64_t seed;
    struct sim_options sim_opt;
    struct cost_model cost;   /* the model with the [cost] keys applied;
                                 scn_sim_create() hands it to the sim */
    uint32_t *surw_events;    /* SURW profile (sim_opt.surw_events) */
    struct sim_tape *tape;
    struct sim *sim;          /* created by scn_simulate() */
    enum sim_result result;
    bool simulated;
    /* invariants */
    unsigned checks;
    unsigned failures;
    char first_failure[512];
    char failure_where[128];  /* sim_where() at the first failure */
    uint64_t failure_ns;
    /* a deadline the scenario gave itself passed with work outstanding
     * (a liveness matter, not a violated invariant): exit STUCK */
    bool deadline_missed;
    char deadline_msg[512];
    /* a lost wakeup (sim/liveness.h) or a heal phase that did not
     * converge: exit LIVENESS */
    bool liveness_failed;
    char liveness_msg[512];
    /* the heal phase's bound (run.heal_ms; 0: no heal phase, as under
     * `kvmsim compare`), and whether the run armed any fault */
    uint64_t heal_ns;
    bool faults_armed;
    /* metrics, in report order */
    struct scn_metric metrics[SCN_MAX_METRICS];
    size_t nmetrics;
    bool quiet;
};

/* Create the simulation from r->sim_opt and r->tape.  Drivers call this
 * first, spawn their threads on r->sim, then call scn_simulate(). */
int scn_sim_create(struct scn_run *r);
/* Run the simulation; the result is kept in r->result. */
enum sim_result scn_simulate(struct scn_run *r);

/* Record one invariant check; a failure keeps the first message and
 * marks the trace.  Returns ok. */
bool scn_check(struct scn_run *r, bool ok, const char *invariant,
               const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Record that a deadline passed with work still outstanding while the
 * system was making progress (an overloaded iothread, not a lost wakeup).
 * The run ends with KVMSIM_EXIT_STUCK and this message unless an
 * invariant also failed. */
void scn_deadline(struct scn_run *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Record a liveness failure: a heal phase that did not converge within
 * its bound once faults stopped.  The run ends with KVMSIM_EXIT_LIVENESS
 * and this message unless an invariant also failed (the first message is
 * kept; lost wakeups the engine found are added by the runner). */
void scn_liveness(struct scn_run *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The heal phase.  A world that has one calls scn_heal_begin() from a
 * simulated thread after its faulty phase (the timed part and any race
 * phase): when r->heal_ns > 0 and a fault was armed (by the scenario or
 * by the world, `world_faults`), it stops every fault site (probability
 * 0, no nth-call failure) and returns the heal deadline (now +
 * r->heal_ns); otherwise 0, and the world skips its heal phase, so a
 * fault-free run or `compare` runs as it always did.  By the deadline the
 * world must have converged (its queued kicks processed, interrupts
 * delivered, devices in their target states); it says how it ended with
 * scn_heal_end(), which also runs the conservation check
 * (sim_liveness_check()) there under the time strategy. */
uint64_t scn_heal_begin(struct scn_run *r, bool world_faults);
/* How a heal phase ended: converged by its deadline; late (converged
 * after it, or still making progress at it: an overloaded system, exit
 * STUCK as a missed deadline); stuck (it cannot converge: exit
 * LIVENESS). */
enum {
    SCN_HEAL_CONVERGED = 0,
    SCN_HEAL_LATE = 1,
    SCN_HEAL_STUCK = 2,
};
/* Whether scn_heal_begin() would run the phase: for a world that must
 * spawn its heal actors before the run (and must not when there is no
 * phase, so fault-free runs keep their trace). */
bool scn_heal_armed(const struct scn_run *r, bool world_faults);
void scn_heal_end(struct scn_run *r, int outcome, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same for worlds that do not know struct scn_run (arg is one). */
uint64_t scn_heal_begin_cb(void *arg, bool world_faults);
void scn_heal_end_cb(void *arg, int outcome, const char *msg);

/* Metrics: a number, or an array (copied). */
void scn_metric(struct scn_run *r, const char *name, double v);
void scn_metric_array(struct scn_run *r, const char *name, const double *v,
                      size_t n);
/* The value of a number metric, or NAN when absent. */
double scn_metric_get(const struct scn_run *r, const char *name);
const struct scn_metric *scn_metric_find(const struct scn_run *r,
                                         const char *name);

/* Report a value that is well-formed but unusable ("vm.vcpus must be at
 * least workload.queues") at the key's origin, on stderr. */
void scn_config_error(const struct scn_run *r, const char *section,
                      const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A [cost] key of a mechanism: the one place that states its name, the
 * model constant it sets, its unit, its default and where the default
 * comes from.  The runner declares the [cost] keys from the driver's
 * table (`kvmsim keys` and docs/KEYS.md show them), and before the driver
 * runs it fills r->cost: the model's defaults with every key applied.  A
 * driver never reads a [cost] key from the configuration; a key that sets
 * no model constant (the scenario's own) it reads with scn_cost_ns(). */
struct scn_cost_key {
    const char *key;      /* the name under [cost] */
    const char *constant; /* the cost_model constant it sets
                             (cost_constant_find()); NULL: the scenario's */
    const char *unit;     /* "ns" (an integer) or "us" (a decimal) */
    double def;           /* the default in unit; NAN: the constant's */
    const char *source;   /* where def comes from (COST_SOURCE_*); NULL:
                             the constant's (model/cost.c) */
    const char *doc;      /* one line: what it prices */
};

/* A key's default in ns (the constant's when def is NAN) and its source. */
uint64_t scn_cost_key_default_ns(const struct scn_cost_key *k);
const char *scn_cost_key_source(const struct scn_cost_key *k);

/* The value of [cost] key `key` of r's driver, in ns; 0 for a key the
 * driver does not declare. */
uint64_t scn_cost_ns(const struct scn_run *r, const char *key);

/* Add run r's [cost] keys to the report's last section as model
 * constants: value in the key's unit, the key's source. */
struct report;
void scn_report_cost_keys(struct report *rep, const struct scn_run *r);
/* Add the number keys `names` of [section] (NULL-terminated) of run r's
 * driver as assumed constants, their unit from the name's ending. */
void scn_report_assumed(struct report *rep, const struct scn_run *r,
                        const char *section, const char *const *names);

/* The [cost] keys of driver d as configuration keys (generated once; a
 * NULL name ends them), or NULL when d has none. */
const struct cfg_key *scn_cost_cfg_keys(const struct scn_driver *d);

/* The registry, NULL-terminated, in `kvmsim list` order. */
extern const struct scn_driver *const scn_drivers[];
const struct scn_driver *scn_driver_find(const char *name);

/* The current name of a scenario or driver given by a former name
 * (lpi-storm is its-lpi-storm), so old commands and saved tapes still
 * work; any other name unchanged.  `kvmsim list` shows current names. */
const char *scn_name_current(const char *name);

#endif
