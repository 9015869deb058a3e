/*
 * scenarios/tool/runner.c - scenario loading, runs, replays, comparisons,
 * saved tapes and the metrics file.
 *
 * Saved tape format 2 (text header lines, then two counted blobs):
 *     KVMSIM-TAPE 2
 *     scenario NAME                the scenario as it was given (a built-in
 *                                  name or a path): for messages only
 *     text N                       then N bytes of scenario text and '\n'
 *     set section.key=value        one per override, in order
 *     bytes N                      then the N raw tape bytes, to the end
 * The tape embeds the scenario text it ran, so it replays from any
 * directory and after the scenario file was edited or deleted; a tape of
 * another format is refused with a message.  A file without the first
 * line is a raw tape (a fuzzer input) and needs --scenario.
 * scn_tape_write() is its one writer and scn_tape_read() its one reader:
 * saved files, replays and `kvmsim explain`'s replays all use them.
 * Replaying a saved tape reads exactly the bytes the original run
 * consumed, so the replay makes the same decisions and ends with the same
 * trace hash.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/platform.h"
#include "scenarios/tool/builtin.h"
#include "scenarios/tool/crash.h"
#include "scenarios/tool/input.h"
#include "scenarios/tool/json_out.h"
#include "scenarios/tool/report.h"
#include "scenarios/tool/runner.h"
#include "scenarios/tool/swarm.h"
#include "sim/fault.h"
#include "sim/liveness.h"
#include "sim/tape.h"
#include "sim/trace.h"

#define TAPE_MAGIC "KVMSIM-TAPE 2\n"
#define TAPE_MAGIC_ANY "KVMSIM-TAPE "

/* ---- helpers for drivers ---- */

int scn_sim_create(struct scn_run *r)
{
    r->sim = sim_create(&r->sim_opt, r->tape);
    if (!r->sim) {
        fprintf(stderr, "kvmsim: out of memory creating the simulation\n");
        return -ENOMEM;
    }
    sim_set_cost_model(r->sim, &r->cost);
    return 0;
}

enum sim_result scn_simulate(struct scn_run *r)
{
    r->result = sim_run(r->sim);
    r->simulated = true;
    return r->result;
}

bool scn_check(struct scn_run *r, bool ok, const char *invariant,
               const char *fmt, ...)
{
    va_list ap;
    int n;

    r->checks++;
    if (ok) {
        return true;
    }
    if (r->failures++ == 0) {
        n = snprintf(r->first_failure, sizeof(r->first_failure), "%s: ",
                     invariant);
        if (n > 0 && (size_t)n < sizeof(r->first_failure)) {
            va_start(ap, fmt);
            vsnprintf(r->first_failure + n, sizeof(r->first_failure) - n,
                      fmt, ap);
            va_end(ap);
        }
        sim_where(r->failure_where, sizeof(r->failure_where));
        r->failure_ns = sim_current() ? plat_now_ns()
                                      : (r->sim ? sim_now_ns(r->sim) : 0);
    }
    if (r->sim) {
        struct sim_event e = {
            .ts = r->failure_ns, .kind = SIM_EV_INVARIANT, .name = invariant,
            .arg = (int64_t)r->failures,
        };
        sim_trace_note_failure(sim_get_trace(r->sim), r->first_failure);
        sim_trace_add(sim_get_trace(r->sim), &e);
    }
    return false;
}

void scn_deadline(struct scn_run *r, const char *fmt, ...)
{
    va_list ap;

    if (r->deadline_missed) {
        return;
    }
    r->deadline_missed = true;
    va_start(ap, fmt);
    vsnprintf(r->deadline_msg, sizeof(r->deadline_msg), fmt, ap);
    va_end(ap);
}

void scn_liveness(struct scn_run *r, const char *fmt, ...)
{
    va_list ap;

    if (r->liveness_failed) {
        return;
    }
    r->liveness_failed = true;
    va_start(ap, fmt);
    vsnprintf(r->liveness_msg, sizeof(r->liveness_msg), fmt, ap);
    va_end(ap);
}

bool scn_heal_armed(const struct scn_run *r, bool world_faults)
{
    return r->heal_ns > 0 && (r->faults_armed || world_faults);
}

uint64_t scn_heal_begin(struct scn_run *r, bool world_faults)
{
    if (!scn_heal_armed(r, world_faults)) {
        return 0;
    }
    for (unsigned i = 0; i < PLAT_FAULT_NR; i++) {
        sim_fault_set_prob(i, 0);
        sim_fault_fail_nth(i, 0, false);
    }
    return plat_now_ns() + r->heal_ns;
}

void scn_heal_end(struct scn_run *r, int outcome, const char *fmt, ...)
{
    char msg[400];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (outcome == SCN_HEAL_STUCK) {
        scn_liveness(r, "heal: not converged within %llu ns of faults "
                     "stopping (run.heal_ms): %s",
                     (unsigned long long)r->heal_ns, msg);
    } else if (outcome == SCN_HEAL_LATE) {
        scn_deadline(r, "heal: still converging %llu ns after faults "
                     "stopped (run.heal_ms): %s",
                     (unsigned long long)r->heal_ns, msg);
    }
    /* Under the time strategy every event before now has happened, so a
     * signal older than its bound had its chance; other strategies keep
     * no such order between threads' clocks (sim/liveness.h). */
    if (r->sim && sim_current() == r->sim &&
        r->sim_opt.strategy == SIM_STRATEGY_TIME) {
        sim_liveness_check(r->sim);
    }
}

uint64_t scn_heal_begin_cb(void *arg, bool world_faults)
{
    return scn_heal_begin(arg, world_faults);
}

void scn_heal_end_cb(void *arg, int outcome, const char *msg)
{
    scn_heal_end(arg, outcome, "%s", msg);
}

int scn_exit_rank(int code)
{
    static const int order[] = {
        KVMSIM_EXIT_CRASH, KVMSIM_EXIT_INVARIANT, KVMSIM_EXIT_LIVENESS,
        KVMSIM_EXIT_STUCK, KVMSIM_EXIT_HOST,      KVMSIM_EXIT_USAGE,
    };
    int n = (int)(sizeof(order) / sizeof(order[0]));

    for (int i = 0; i < n; i++) {
        if (code == order[i]) {
            return i;
        }
    }
    return n;
}

uint64_t scn_host_alloc_refused;

/* Host allocations refused so far.  In the kvmsim program the wrapped
 * malloc() counts every refusal, plat_alloc()'s included; elsewhere only
 * the simulator's own count (plat_alloc()) is there.  The larger of the
 * two never counts a refusal twice. */
static uint64_t host_refusals(void)
{
    uint64_t sim = sim_alloc_host_failures();

    return scn_host_alloc_refused > sim ? scn_host_alloc_refused : sim;
}

int scn_exit_worst(int a, int b)
{
    return scn_exit_rank(b) < scn_exit_rank(a) ? b : a;
}

static struct scn_metric *metric_slot(struct scn_run *r, const char *name)
{
    for (size_t i = 0; i < r->nmetrics; i++) {
        if (strcmp(r->metrics[i].name, name) == 0) {
            free(r->metrics[i].v);
            r->metrics[i].v = NULL;
            return &r->metrics[i];
        }
    }
    if (r->nmetrics == SCN_MAX_METRICS) {
        return NULL;
    }
    r->metrics[r->nmetrics].name = name;
    return &r->metrics[r->nmetrics++];
}

void scn_metric_array(struct scn_run *r, const char *name, const double *v,
                      size_t n)
{
    struct scn_metric *m = metric_slot(r, name);

    if (!m) {
        return;
    }
    if (n > SCN_MAX_VALUES) {
        n = SCN_MAX_VALUES;
    }
    m->v = malloc((n ? n : 1) * sizeof(double));
    m->n = m->v ? n : 0;
    m->array = true;
    if (m->v && n) {
        memcpy(m->v, v, n * sizeof(double));
    }
}

void scn_metric(struct scn_run *r, const char *name, double v)
{
    scn_metric_array(r, name, &v, 1);
    if (r->nmetrics) {
        struct scn_metric *m = (struct scn_metric *)scn_metric_find(r, name);

        if (m) {
            m->array = false;
        }
    }
}

const struct scn_metric *scn_metric_find(const struct scn_run *r,
                                         const char *name)
{
    for (size_t i = 0; i < r->nmetrics; i++) {
        if (strcmp(r->metrics[i].name, name) == 0) {
            return &r->metrics[i];
        }
    }
    return NULL;
}

double scn_metric_get(const struct scn_run *r, const char *name)
{
    const struct scn_metric *m = scn_metric_find(r, name);

    return m && !m->array && m->n == 1 ? m->v[0] : NAN;
}

void scn_config_error(const struct scn_run *r, const char *section,
                      const char *key, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", cfg_where(r->cfg, section, key));
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* ---- [cost] keys ---- */

#define COST_MAX_DRIVERS 16
#define COST_MAX_KEYS 16

uint64_t scn_cost_key_default_ns(const struct scn_cost_key *k)
{
    const struct cost_constant *c =
        k->constant ? cost_constant_find(k->constant) : NULL;
    double scale = strcmp(k->unit, "us") == 0 ? 1e3 : 1.0;

    if (isnan(k->def)) {
        return c ? c->ns : 0;
    }
    return (uint64_t)(k->def * scale);
}

const char *scn_cost_key_source(const struct scn_cost_key *k)
{
    const struct cost_constant *c =
        k->constant ? cost_constant_find(k->constant) : NULL;

    if (k->source) {
        return k->source;
    }
    return c ? c->source : COST_SOURCE_ASSUMED;
}

const struct cfg_key *scn_cost_cfg_keys(const struct scn_driver *d)
{
    static struct cfg_key keys[COST_MAX_DRIVERS][COST_MAX_KEYS + 1];
    static char defs[COST_MAX_DRIVERS][COST_MAX_KEYS][32];
    static char docs[COST_MAX_DRIVERS][COST_MAX_KEYS][400];
    static bool made[COST_MAX_DRIVERS];
    size_t di, n = 0;

    if (!d->cost) {
        return NULL;
    }
    for (di = 0; scn_drivers[di] && scn_drivers[di] != d; di++) {
    }
    if (!scn_drivers[di] || di >= COST_MAX_DRIVERS) {
        return NULL;
    }
    if (made[di]) {
        return keys[di];
    }
    for (const struct scn_cost_key *k = d->cost; k->key; k++) {
        uint64_t ns = scn_cost_key_default_ns(k);
        bool us = strcmp(k->unit, "us") == 0;

        if (n == COST_MAX_KEYS) {
            break;
        }
        if (us) {
            snprintf(defs[di][n], sizeof(defs[di][n]), "%g",
                     (double)ns / 1e3);
        } else {
            snprintf(defs[di][n], sizeof(defs[di][n]), "%" PRIu64, ns);
        }
        snprintf(docs[di][n], sizeof(docs[di][n]), "%s, %s (default %s)",
                 k->doc, k->unit, scn_cost_key_source(k));
        keys[di][n] = (struct cfg_key){
            .section = "cost", .name = k->key,
            .type = us ? CFG_DOUBLE : CFG_INT, .def = defs[di][n],
            .min = 0, .max = us ? 1e8 : 1e11, .doc = docs[di][n],
        };
        n++;
    }
    keys[di][n] = (struct cfg_key){0};
    made[di] = true;
    return keys[di];
}

/* r->cost: the model's defaults with every [cost] key of the driver. */
static void cost_apply(struct scn_run *r)
{
    cost_model_default(&r->cost);
    for (const struct scn_cost_key *k = r->drv->cost; k && k->key; k++) {
        const struct cost_constant *c =
            k->constant ? cost_constant_find(k->constant) : NULL;

        if (c) {
            *cost_constant_at(&r->cost, c) = scn_cost_ns(r, k->key);
        }
    }
}

uint64_t scn_cost_ns(const struct scn_run *r, const char *key)
{
    for (const struct scn_cost_key *k = r->drv->cost; k && k->key; k++) {
        if (strcmp(k->key, key) != 0) {
            continue;
        }
        if (strcmp(k->unit, "us") == 0) {
            return (uint64_t)(cfg_double(r->cfg, "cost", key) * 1e3);
        }
        return (uint64_t)cfg_int(r->cfg, "cost", key);
    }
    return 0;
}

/* A key's unit from its name's ending ("" when it names none). */
static const char *unit_of(const char *key)
{
    static const char *const ends[][2] = {
        {"_ns", "ns"}, {"_us", "us"}, {"_ms", "ms"}, {"_pct", "%"},
        {"_gbps", "Gbit/s"}, {"_kib", "KiB"}, {"_mib", "MiB"},
    };
    size_t n = strlen(key);

    for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
        size_t e = strlen(ends[i][0]);

        if (n > e && strcmp(key + n - e, ends[i][0]) == 0) {
            return ends[i][1];
        }
    }
    return "";
}

void scn_report_cost_keys(struct report *rep, const struct scn_run *r)
{
    char name[512];

    if (!rep || !r->cfg) {
        return;
    }
    for (const struct scn_cost_key *k = r->drv->cost; k && k->key; k++) {
        uint64_t ns = scn_cost_ns(r, k->key);
        double scale = strcmp(k->unit, "us") == 0 ? 1e3 : 1.0;

        snprintf(name, sizeof(name), "%s (cost.%s)", k->doc, k->key);
        report_param(rep, name, (double)ns / scale, k->unit,
                     ns == scn_cost_key_default_ns(k)
                         ? scn_cost_key_source(k)
                         : COST_SOURCE_ASSUMED " (set for this run)");
    }
}

void scn_report_assumed(struct report *rep, const struct scn_run *r,
                        const char *section, const char *const *names)
{
    char name[512];

    if (!rep || !r->cfg) {
        return;
    }
    for (size_t i = 0; names && names[i]; i++) {
        const struct cfg_key *ck = NULL;
        double v;

        for (const struct cfg_key *k = r->drv->keys; k && k->name; k++) {
            if (strcmp(k->section, section) == 0 &&
                strcmp(k->name, names[i]) == 0) {
                ck = k;
            }
        }
        if (!ck || (ck->type != CFG_INT && ck->type != CFG_DOUBLE)) {
            continue;
        }
        v = ck->type == CFG_INT ? (double)cfg_int(r->cfg, section, ck->name)
                                : cfg_double(r->cfg, section, ck->name);
        snprintf(name, sizeof(name), "%s (%s.%s)", ck->doc, section,
                 ck->name);
        report_param(rep, name, v, unit_of(ck->name),
                     COST_SOURCE_ASSUMED " (the scenario file)");
    }
}

const struct scn_driver *scn_driver_find(const char *name)
{
    name = scn_name_current(name);
    for (size_t i = 0; scn_drivers[i]; i++) {
        if (strcmp(scn_drivers[i]->name, name) == 0) {
            return scn_drivers[i];
        }
    }
    return NULL;
}

/* ---- loading ---- */

/* The scenario text and the name used in messages ("scenarios/x.ini" for
 * a built-in).  *owned is set when the text was read from a file. */
static const char *scenario_text(const struct scn_request *q, char *origin,
                                 size_t originlen, char **owned)
{
    const char *scenario = q->scenario;
    char err[1024];
    size_t len;

    *owned = NULL;
    if (q->scenario_text) {
        snprintf(origin, originlen, "%s", scenario);
        return q->scenario_text;
    }
    for (size_t i = 0; scn_builtin_files[i].name; i++) {
        if (strcmp(scn_builtin_files[i].name,
                   scn_name_current(scenario)) == 0) {
            snprintf(origin, originlen, "scenarios/%s.ini",
                     scn_builtin_files[i].name);
            return scn_builtin_files[i].text;
        }
    }
    if (!strchr(scenario, '/') && !strstr(scenario, ".ini")) {
        fprintf(stderr, "kvmsim: unknown scenario '%s' (kvmsim list shows "
                "the built-in ones; a file path must contain '/' or end in "
                ".ini)\n", scenario);
        return NULL;
    }
    if (scn_load_file(scenario, SCN_SCENARIO_FILE_MAX, true, owned, &len,
                      err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        return NULL;
    }
    snprintf(origin, originlen, "%s", scenario);
    return *owned;
}

static int strategy_from_name(const char *s, enum sim_strategy *out)
{
    for (unsigned i = 0; i < SIM_STRATEGY_NR; i++) {
        if (strcmp(s, sim_strategy_name((enum sim_strategy)i)) == 0) {
            *out = (enum sim_strategy)i;
            return 0;
        }
    }
    return -EINVAL;
}

static void fault_setup(const struct scn_run *r)
{
    int site;
    uint64_t nth;

    sim_fault_reset();
    for (unsigned i = 0; i < PLAT_FAULT_NR; i++) {
        sim_fault_set_prob(i, cfg_fault_prob(r->cfg, i));
    }
    cfg_fault_nth(r->cfg, &site, &nth);
    if (site >= 0) {
        sim_fault_fail_nth((enum plat_fault_site)site, nth, false);
    }
}

int scn_prepare(const struct scn_request *q, struct scn_run *r)
{
    char origin[512], driver[64], err[512];
    char *owned = NULL;
    const char *text;
    const struct cfg_key *tables[4];
    const char *variant;

    text = scenario_text(q, origin, sizeof(origin), &owned);
    if (!text) {
        return KVMSIM_EXIT_USAGE;
    }
    r->text = text;
    r->text_owned = owned;
    if (cfg_peek_driver(origin, text, driver, sizeof(driver), err,
                        sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        return KVMSIM_EXIT_USAGE;
    }
    r->drv = scn_driver_find(driver);
    if (!r->drv) {
        fprintf(stderr, "%s: unknown driver '%s' in [scenario] driver\n",
                origin, driver);
        return KVMSIM_EXIT_USAGE;
    }
    tables[0] = cfg_common_keys;
    tables[1] = r->drv->keys;
    tables[2] = scn_cost_cfg_keys(r->drv);
    tables[3] = NULL;
    r->cfg = cfg_create(tables);
    if (!r->cfg) {
        fprintf(stderr, "kvmsim: out of memory\n");
        return KVMSIM_EXIT_HOST;
    }
    cfg_fault_reach(r->cfg, r->drv->fault_sites, r->drv->name);
    if (cfg_load_text(r->cfg, origin, text, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        return KVMSIM_EXIT_USAGE;
    }
    for (unsigned i = 0; i < q->nsets; i++) {
        if (cfg_set(r->cfg, q->sets[i], i + 1, err, sizeof(err)) < 0) {
            fprintf(stderr, "%s\n", err);
            return KVMSIM_EXIT_USAGE;
        }
    }
    r->scenario = q->scenario;
    r->quiet = q->quiet;
    r->seed = (uint64_t)cfg_int(r->cfg, "run", "seed");
    if (q->tape) {
        r->tape = sim_tape_from_bytes(q->tape, q->tape_len);
    } else {
        r->tape = sim_tape_from_seed(r->seed);
    }
    if (!r->tape) {
        fprintf(stderr, "kvmsim: out of memory\n");
        return KVMSIM_EXIT_HOST;
    }
    /* The tape's first decisions: before anything reads what they pick. */
    if (scn_swarm_pick(r) < 0) {
        return KVMSIM_EXIT_USAGE;
    }
    variant = cfg_str(r->cfg, "run", "variant");
    r->variant = r->drv->variants[0];
    r->variant_index = 0;
    if (variant[0]) {
        size_t i;

        for (i = 0; r->drv->variants[i]; i++) {
            if (strcmp(r->drv->variants[i], variant) == 0) {
                break;
            }
        }
        if (!r->drv->variants[i]) {
            fprintf(stderr, "%s: unknown variant '%s' of %s (one of:",
                    cfg_where(r->cfg, "run", "variant"), variant,
                    r->drv->name);
            for (i = 0; r->drv->variants[i]; i++) {
                fprintf(stderr, " %s", r->drv->variants[i]);
            }
            fprintf(stderr, ")\n");
            return KVMSIM_EXIT_USAGE;
        }
        r->variant = r->drv->variants[i];
        r->variant_index = (unsigned)i;
    }
    cost_apply(r);
    sim_options_default(&r->sim_opt);
    r->sim_opt.ncpus = (unsigned)cfg_int(r->cfg, "vm", "cpus");
    strategy_from_name(cfg_str(r->cfg, "run", "strategy"),
                       &r->sim_opt.strategy);
    r->sim_opt.pct_depth = (unsigned)cfg_int(r->cfg, "run", "pct_depth");
    r->sim_opt.pct_steps = (uint64_t)cfg_int(r->cfg, "run", "pct_steps");
    r->sim_opt.step_limit = (uint64_t)cfg_int(r->cfg, "run", "step_limit");
    r->heal_ns = q->no_heal ? 0
                 : (uint64_t)cfg_int(r->cfg, "run", "heal_ms") * 1000000;
    fault_setup(r);
    for (unsigned i = 0; i < PLAT_FAULT_NR; i++) {
        r->faults_armed |= cfg_fault_prob(r->cfg, i) > 0;
    }
    {
        int site;
        uint64_t nth;

        cfg_fault_nth(r->cfg, &site, &nth);
        r->faults_armed |= site >= 0;
    }
    /* The portfolio's member: the tape's first decision after the swarm
     * picks (if any), read once for every simulation of r. */
    sim_portfolio_pick(&r->sim_opt, r->tape);
    return KVMSIM_EXIT_OK;
}

void scn_run_release(struct scn_run *r)
{
    for (size_t i = 0; i < r->nmetrics; i++) {
        free(r->metrics[i].v);
    }
    sim_destroy(r->sim);
    sim_tape_destroy(r->tape);
    cfg_destroy(r->cfg);
    free(r->surw_events);
    free(r->text_owned);
    memset(r, 0, sizeof(*r));
}

/* ---- outputs ---- */

/* Close f, which was written to path; 0, or -errno after saying which
 * output could not be written. */
static int close_output(FILE *f, const char *path, const char *what)
{
    int err = scn_fclose_checked(f);

    if (err) {
        fprintf(stderr, "%s:0: cannot write %s: %s\n", path, what,
                strerror(-err));
    }
    return err;
}

static int write_metrics(const struct scn_run *r, const char *path)
{
    FILE *f = fopen(path, "w");

    if (!f) {
        int err = -errno;

        fprintf(stderr, "%s:0: cannot write metrics: %s\n", path,
                strerror(-err));
        return err;
    }
    fputs("{\"scenario\": ", f);
    scn_json_str(f, r->scenario);
    fputs(", \"driver\": ", f);
    scn_json_str(f, r->drv->name);
    fputs(", \"variant\": ", f);
    scn_json_str(f, r->variant);
    fprintf(f, ", \"seed\": %" PRIu64 ", \"trace_hash\": \"%016" PRIx64
            "\", \"virtual_ns\": %" PRIu64 ", \"result\": \"%s\""
            ", \"invariant_checks\": %u, \"invariant_failures\": %u",
            r->seed, r->sim ? sim_trace_hash(r->sim) : 0,
            r->sim ? sim_now_ns(r->sim) : 0,
            r->failures ? "invariant" : sim_result_name(r->result),
            r->checks, r->failures);
    scn_swarm_json(r, f);
    fputs(", \"metrics\": {", f);
    for (size_t i = 0; i < r->nmetrics; i++) {
        const struct scn_metric *m = &r->metrics[i];

        fprintf(f, "%s\n  ", i ? "," : "");
        scn_json_str(f, m->name);
        fputs(": ", f);
        if (!m->array) {
            scn_json_num(f, m->n ? m->v[0] : NAN);
            continue;
        }
        fputc('[', f);
        for (size_t j = 0; j < m->n; j++) {
            if (j) {
                fputs(", ", f);
            }
            scn_json_num(f, m->v[j]);
        }
        fputc(']', f);
    }
    fputs("}}\n", f);
    return close_output(f, path, "metrics");
}

/* Open the trace file before the run: the engine streams into it. */
static int open_trace(struct scn_run *r, const char *path)
{
    r->sim_opt.trace_out = fopen(path, "w");
    if (!r->sim_opt.trace_out) {
        int err = errno ? -errno : -EIO;

        fprintf(stderr, "%s:0: cannot write the trace: %s\n", path,
                strerror(-err));
        return err;
    }
    return 0;
}

/* Finish the streamed trace (a run that never created its simulation gets
 * an empty one) and close the file. */
static int write_trace(struct scn_run *r, const char *path)
{
    FILE *f = r->sim_opt.trace_out;
    struct sim_trace *bare = NULL;
    int rc;

    r->sim_opt.trace_out = NULL;
    if (!r->sim) {
        bare = sim_trace_create(f, 0);
    }
    rc = r->sim ? sim_trace_finish(sim_get_trace(r->sim))
         : bare ? sim_trace_finish(bare)
                : -ENOMEM;
    sim_trace_destroy(bare);
    {
        int crc = scn_fclose_checked(f);

        rc = rc < 0 ? rc : crc;
    }
    if (rc < 0) {
        fprintf(stderr, "%s:0: cannot write the trace: %s\n", path,
                strerror(-rc));
    }
    return rc;
}

/* The scenario's name on one header line: control bytes become '?'. */
static void put_line_text(FILE *f, const char *text)
{
    for (const char *p = text; *p; p++) {
        unsigned char ch = (unsigned char)*p;

        fputc(ch < 0x20 || ch == 0x7f ? '?' : ch, f);
    }
    fputc('\n', f);
}

void scn_tape_write(FILE *f, const struct scn_request *q,
                    const struct scn_run *r, const char *const *extra,
                    unsigned nextra)
{
    size_t n = r->tape ? sim_tape_used(r->tape) : 0;
    size_t tn = r->text ? strlen(r->text) : 0;

    fputs(TAPE_MAGIC, f);
    fputs("scenario ", f);
    put_line_text(f, q->scenario);
    fprintf(f, "text %zu\n", tn);
    fwrite(r->text ? r->text : "", 1, tn, f);
    fputc('\n', f);
    for (unsigned i = 0; i < q->nsets; i++) {
        fprintf(f, "set %s\n", q->sets[i]);
    }
    for (unsigned i = 0; i < nextra; i++) {
        fprintf(f, "set %s\n", extra[i]);
    }
    fprintf(f, "bytes %zu\n", n);
    if (n) {
        fwrite(sim_tape_consumed(r->tape), 1, n, f);
    }
}

int scn_tape_save(const char *path, const struct scn_request *q,
                  const struct scn_run *r, const char *const *extra,
                  unsigned nextra)
{
    FILE *f;

    if (r->tape && !sim_tape_log_complete(r->tape)) {
        return -ENOMEM;
    }
    f = fopen(path, "wb");
    if (!f) {
        return -errno;
    }
    scn_tape_write(f, q, r, extra, nextra);
    return scn_fclose_checked(f);
}

static void print_value(FILE *out, double v)
{
    if (v == floor(v) && fabs(v) < 1e15) {
        fprintf(out, "%.0f", v);
    } else {
        fprintf(out, "%.4g", v);
    }
}

static void print_summary(const struct scn_run *r, FILE *out)
{
    fprintf(out, "kvmsim: %s [%s] variant %s, seed %" PRIu64
            ", strategy %s\n", r->scenario, r->drv->name, r->variant,
            r->seed, cfg_str(r->cfg, "run", "strategy"));
    scn_swarm_print(r, out, "  ", r->sim != NULL);
    if (r->sim) {
        fprintf(out, "  virtual time %.3f ms, %" PRIu64 " steps, %" PRIu64
                " switches, %" PRIu64 " faults injected\n",
                (double)sim_now_ns(r->sim) / 1e6, sim_steps(r->sim),
                sim_switches(r->sim), sim_fault_injected());
    }
    for (size_t i = 0; i < r->nmetrics; i++) {
        const struct scn_metric *m = &r->metrics[i];

        fprintf(out, "  %-28s ", m->name);
        if (!m->array) {
            print_value(out, m->n ? m->v[0] : NAN);
        } else {
            fputc('[', out);
            for (size_t j = 0; j < m->n && j < 16; j++) {
                if (j) {
                    fputs(", ", out);
                }
                print_value(out, m->v[j]);
            }
            fputs(m->n > 16 ? ", ...]" : "]", out);
        }
        fputc('\n', out);
    }
    fprintf(out, "  invariants: %u checked, %u failed\n", r->checks,
            r->failures);
    if (r->sim) {
        fprintf(out, "  trace hash %016" PRIx64 "\n", sim_trace_hash(r->sim));
    }
}

/* The commands that reproduce run r of request q: the saved tape (when
 * `tape` is not NULL), and the command that made it. */
static void put_replay_hint(FILE *out, const struct scn_request *q,
                            const char *tape)
{
    const char *lead = "reproduce with: ";

    if (q->tape && !q->replay_path && !tape) {
        /* A tape handed over in memory (a fuzzer input): its owner knows
         * how to replay it. */
        return;
    }
    if (tape) {
        fprintf(out, "%skvmsim replay ", lead);
        scn_put_shell_arg(out, tape);
        fputc('\n', out);
        lead = "            or: ";
    }
    if (q->replay_path) {
        if (tape && strcmp(tape, q->replay_path) == 0) {
            return;
        }
        fprintf(out, "%skvmsim replay ", lead);
        scn_put_shell_arg(out, q->replay_path);
        if (q->tape && !q->scenario_text) {
            fputs(" --scenario ", out);
            scn_put_shell_arg(out, q->scenario);
        }
    } else {
        fprintf(out, "%skvmsim run ", lead);
        scn_put_shell_arg(out, q->scenario);
    }
    for (unsigned i = q->replay_header_sets; i < q->nsets; i++) {
        fputs(" --set ", out);
        scn_put_shell_arg(out, q->sets[i]);
    }
    fputc('\n', out);
}

/* What a crash during r prints (crash.h). */
static void arm_crash_context(const struct scn_request *q,
                              const struct scn_run *r)
{
    FILE *f = scn_crash_context_open();

    if (!f) {
        return;
    }
    fprintf(f, "kvmsim: the crash happened in %s [%s] variant %s, seed %"
            PRIu64 "\n", r->scenario, r->drv->name, r->variant, r->seed);
    put_replay_hint(f, q, NULL);
    fclose(f);
}

/* Where a failing run's tape goes, or NULL: a replay saves only when
 * asked, and "/dev/null" means "do not save". */
static const char *tape_destination(const struct scn_request *q,
                                    const struct scn_run *r, char *buf,
                                    size_t len)
{
    if (q->save_tape) {
        return strcmp(q->save_tape, "/dev/null") == 0 ? NULL : q->save_tape;
    }
    if (q->replay_path || q->tape || q->silent) {
        return NULL;
    }
    snprintf(buf, len, "kvmsim-fail-%s-%s-%" PRIu64 ".tape", r->drv->name,
             r->variant, r->seed);
    return buf;
}

/* SURW's estimates (sim/sim.h surw_events): the steps each thread takes
 * when the same scenario, overrides and seed run under `time`.  The
 * profile reads a seed's tape even when r replays saved bytes, so a replay
 * sees the estimates the original run saw.  It costs one more run (its
 * outcome is ignored); fault counters are set up again after it.  0, or
 * -ENOMEM. */
static int surw_profile(const struct scn_request *q, struct scn_run *r)
{
    static const char *const extra[] = {"run.strategy=time"};
    struct scn_request v = *q;
    struct scn_run p;
    uint32_t n;

    if (r->sim_opt.strategy != SIM_STRATEGY_SURW || r->surw_events) {
        return 0;
    }
    v.tape = NULL;
    v.tape_len = 0;
    scn_run_with(&v, extra, 1, &p);
    n = p.sim ? sim_thread_steps(p.sim, NULL, 0) : 0;
    if (n) {
        r->surw_events = calloc(n, sizeof(uint32_t));
        if (!r->surw_events) {
            scn_run_release(&p);
            return -ENOMEM;
        }
        sim_thread_steps(p.sim, r->surw_events, n);
        r->sim_opt.surw_events = r->surw_events;
        r->sim_opt.surw_nthreads = n;
    }
    scn_run_release(&p);
    fault_setup(r);
    return 0;
}

int scn_execute(const struct scn_request *q, struct scn_run *r)
{
    unsigned long reports;
    uint64_t host_oom;
    int rc, code = KVMSIM_EXIT_OK, trace_rc = 0;
    char tape_buf[600];
    const char *tape;
    bool reported;

    host_oom = host_refusals();
    if (surw_profile(q, r) < 0) {
        fprintf(stderr, "kvmsim: out of memory\n");
        return KVMSIM_EXIT_HOST;
    }
    reports = scn_crash_reports();

    if (q->trace_path && open_trace(r, q->trace_path) < 0) {
        return KVMSIM_EXIT_HOST;
    }
    arm_crash_context(q, r);
    rc = r->drv->run(r);
    scn_crash_context_clear();
    /* A lock rule core broke during the run (sim/sim.h). */
    if (r->sim && sim_lock_violations(r->sim) && rc >= 0) {
        scn_check(r, false, "lock_rule", "%s",
                  sim_lock_violation_first(r->sim));
    }
    /* Deferred grace periods (sim/sim.h): a block freed under a reader,
     * a callback still queued after the world's teardown. */
    if (r->sim && rc >= 0) {
        char first[320];
        uint64_t lost = sim_rcu_pending();

        if (sim_rcu_violations(first, sizeof(first))) {
            scn_check(r, false, "rcu_rule", "%s", first);
        }
        if (lost) {
            scn_check(r, false, "rcu_callback_lost", "%" PRIu64 " callback"
                      "(s) queued with plat_call_rcu() never ran by the end "
                      "of the teardown", lost);
        }
    }
    /* A signal nobody consumed once the run could settle (sim/liveness.h). */
    if (r->sim && sim_lost_wakeups(r->sim) && rc >= 0) {
        scn_liveness(r, "%s", sim_lost_wakeup_first(r->sim));
    }
    /* The trace names what failed: an invariant first (scn_check). */
    if (r->sim && r->liveness_failed && !r->failures) {
        sim_trace_note_failure(sim_get_trace(r->sim), r->liveness_msg);
    }
    if (q->trace_path) {
        trace_rc = write_trace(r, q->trace_path);
    }
    /* A sanitizer report during the run is a crash whatever else the run
     * did; it was printed, with the replay command, as it happened. */
    reported = scn_crash_reports() != reports;
    if (reported && !q->silent) {
        fprintf(stderr, "kvmsim: %s: a sanitizer reported an error during "
                "the run (above)\n", r->scenario);
    }
    if (rc < 0) {
        if (rc != -EINVAL) {
            fprintf(stderr, "kvmsim: %s: cannot set the run up: %s\n",
                    r->scenario, strerror(-rc));
        }
        return reported ? KVMSIM_EXIT_CRASH
               : rc == -EINVAL ? KVMSIM_EXIT_USAGE : KVMSIM_EXIT_HOST;
    }
    if (reported) {
        code = KVMSIM_EXIT_CRASH;
    }
    if (trace_rc < 0) {
        code = scn_exit_worst(code, KVMSIM_EXIT_HOST);
    }
    if (!r->quiet) {
        print_summary(r, stdout);
    }
    if (q->metrics_path && write_metrics(r, q->metrics_path) < 0) {
        code = scn_exit_worst(code, KVMSIM_EXIT_HOST);
    }
    /* Every way the run ended is said; the code is the worst of them. */
    if (r->failures) {
        if (!q->silent) {
            fprintf(stderr, "kvmsim: %s: invariant failed: %s\n",
                    r->scenario, r->first_failure);
        }
        code = scn_exit_worst(code, KVMSIM_EXIT_INVARIANT);
    }
    if (r->liveness_failed) {
        if (!q->silent) {
            fprintf(stderr, "kvmsim: %s: liveness: %s\n", r->scenario,
                    r->liveness_msg);
        }
        code = scn_exit_worst(code, KVMSIM_EXIT_LIVENESS);
    }
    if (r->simulated && r->result != SIM_OK) {
        if (!q->silent) {
            fprintf(stderr, "kvmsim: %s: %s at %" PRIu64 " ns after %" PRIu64
                    " steps\n", r->scenario, sim_result_name(r->result),
                    sim_now_ns(r->sim), sim_steps(r->sim));
            sim_report(r->sim, stderr);
        }
        code = scn_exit_worst(code, KVMSIM_EXIT_STUCK);
    } else if (r->deadline_missed) {
        if (!q->silent) {
            fprintf(stderr, "kvmsim: %s: deadline: %s\n", r->scenario,
                    r->deadline_msg);
        }
        code = scn_exit_worst(code, KVMSIM_EXIT_STUCK);
    }
    /* Real memory ran out: failed invariants, stuck threads or a missed
     * deadline may be its effects, so the run is a host error (not a
     * crash, which stays one). */
    host_oom = host_refusals() - host_oom;
    if (host_oom && code != KVMSIM_EXIT_CRASH) {
        if (!q->silent) {
            fprintf(stderr, "kvmsim: %s: the host ran out of memory "
                    "during the run (%" PRIu64 " allocations refused); its "
                    "outcome is not a result\n", r->scenario, host_oom);
        }
        code = KVMSIM_EXIT_HOST;
    }
    if (code == KVMSIM_EXIT_OK || code == KVMSIM_EXIT_HOST || q->silent) {
        return code;
    }
    tape = tape_destination(q, r, tape_buf, sizeof(tape_buf));
    if (tape) {
        rc = scn_tape_save(tape, q, r, NULL, 0);
        if (rc < 0) {
            fprintf(stderr, "%s:0: cannot save the tape: %s\n", tape,
                    strerror(-rc));
            tape = NULL;
        }
    }
    put_replay_hint(stderr, q, tape);
    return code;
}

int scn_run_main(const struct scn_request *q)
{
    struct scn_run r;
    int code;

    memset(&r, 0, sizeof(r));
    code = scn_prepare(q, &r);
    if (code == KVMSIM_EXIT_OK) {
        code = scn_execute(q, &r);
    }
    scn_run_release(&r);
    return code;
}

int scn_run_with(const struct scn_request *q, const char *const *extra,
                 unsigned nextra, struct scn_run *r)
{
    struct scn_request v = *q;
    int code;

    v.quiet = true;
    v.silent = true;
    v.trace_path = NULL;
    v.metrics_path = NULL;
    v.save_tape = "/dev/null";
    for (unsigned i = 0; i < nextra; i++) {
        if (v.nsets == SCN_MAX_SETS) {
            fprintf(stderr, "kvmsim: too many overrides\n");
            return KVMSIM_EXIT_USAGE;
        }
        v.sets[v.nsets++] = extra[i];
    }
    memset(r, 0, sizeof(*r));
    code = scn_prepare(&v, r);
    if (code == KVMSIM_EXIT_OK) {
        code = scn_execute(&v, r);
    }
    return code;
}

/* ---- replay ---- */

/* A counted blob after a "WORD N" header line at *p: its start and length;
 * *p moves past it (and past the '\n' that ends a text blob). */
static int take_blob(const char *path, unsigned line, char **p, char *end,
                     size_t n, bool text, char **blob)
{
    if ((size_t)(end - *p) < n + (text ? 1 : 0)) {
        fprintf(stderr, "%s:%u: the header announces %zu bytes, the file "
                "holds %zu\n", path, line, n, (size_t)(end - *p));
        return -EINVAL;
    }
    *blob = *p;
    *p += n;
    if (text) {
        if (**p != '\n') {
            fprintf(stderr, "%s:%u: no newline after the scenario text\n",
                    path, line);
            return -EINVAL;
        }
        **p = '\0';
        (*p)++;
    }
    return 0;
}

/* Parse a format-2 header into q (its strings point into buf). */
static int parse_tape_header(const char *path, char *buf, size_t len,
                             struct scn_request *q)
{
    char *p = buf + strlen(TAPE_MAGIC);
    char *end = buf + len;
    const char *scenario = NULL, *text = NULL;
    unsigned line = 1;

    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        int64_t n = -1;
        char *blob;

        line++;
        if (!nl) {
            fprintf(stderr, "%s:%u: unterminated header line\n", path, line);
            return -EINVAL;
        }
        *nl = '\0';
        if (strncmp(p, "scenario ", 9) == 0) {
            scenario = p + 9;
        } else if (strncmp(p, "set ", 4) == 0) {
            if (q->nsets == SCN_MAX_SETS) {
                fprintf(stderr, "%s:%u: too many overrides (at most %d)\n",
                        path, line, SCN_MAX_SETS);
                return -EINVAL;
            }
            q->sets[q->nsets++] = p + 4;
        } else if (strncmp(p, "text ", 5) == 0 || strncmp(p, "bytes ", 6) == 0) {
            bool is_text = p[0] == 't';

            if (scn_parse_i64(p + (is_text ? 5 : 6), &n) < 0 || n < 0) {
                fprintf(stderr, "%s:%u: '%s' needs a byte count\n", path,
                        line, is_text ? "text" : "bytes");
                return -EINVAL;
            }
            p = nl + 1;
            if (take_blob(path, line, &p, end, (size_t)n, is_text,
                          &blob) < 0) {
                return -EINVAL;
            }
            if (is_text) {
                if (strlen(blob) != (size_t)n) {
                    fprintf(stderr, "%s:%u: NUL byte in the scenario text\n",
                            path, line);
                    return -EINVAL;
                }
                text = blob;
                /* The text's lines and the newline that ends it. */
                for (const char *c = blob; *c; c++) {
                    line += *c == '\n';
                }
                line++;
                continue;
            }
            if (p != end) {
                fprintf(stderr, "%s:%u: %zu bytes after the tape\n", path,
                        line, (size_t)(end - p));
                return -EINVAL;
            }
            if (!scenario || !text) {
                fprintf(stderr, "%s:%u: no %s line before the tape\n", path,
                        line, scenario ? "text" : "scenario");
                return -EINVAL;
            }
            q->tape = (const uint8_t *)blob;
            q->tape_len = (size_t)n;
            if (!q->scenario) {
                q->scenario = scenario;
                q->scenario_text = text;
            }
            return 0;
        } else {
            fprintf(stderr, "%s:%u: unknown header line '%.80s'\n", path,
                    line, p);
            return -EINVAL;
        }
        p = nl + 1;
    }
    fprintf(stderr, "%s:%u: no 'bytes N' line\n", path, line);
    return -EINVAL;
}

int scn_tape_read(const char *origin, char *buf, size_t len,
                  struct scn_request *q)
{
    const char *nl = memchr(buf, '\n', len);

    if (!nl || (size_t)(nl + 1 - buf) != strlen(TAPE_MAGIC) ||
        memcmp(buf, TAPE_MAGIC, strlen(TAPE_MAGIC)) != 0) {
        fprintf(stderr, "%s:1: unsupported tape format '%.*s' (this "
                "kvmsim reads format 2, which embeds the scenario; "
                "record the run again to get one)\n", origin,
                nl ? (int)(nl - buf) : 32, buf);
        return -EINVAL;
    }
    return parse_tape_header(origin, buf, len, q);
}

int scn_replay_load(const char *path, struct scn_request *q, char **bufp)
{
    size_t len, ml = strlen(TAPE_MAGIC_ANY);
    char *buf;
    char err[1024];

    if (scn_load_file(path, SCN_TAPE_FILE_MAX, false, &buf, &len, err,
                      sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        return KVMSIM_EXIT_USAGE;
    }
    q->replay_path = path;
    if (len >= ml && memcmp(buf, TAPE_MAGIC_ANY, ml) == 0) {
        /* Header sets go before any given on the command line. */
        const char *cli[SCN_MAX_SETS];
        unsigned ncli = q->nsets;

        memcpy(cli, q->sets, sizeof(cli));
        q->nsets = 0;
        if (scn_tape_read(path, buf, len, q) < 0) {
            free(buf);
            return KVMSIM_EXIT_USAGE;
        }
        if (q->nsets + ncli > SCN_MAX_SETS) {
            fprintf(stderr, "%s:0: too many overrides with the command "
                    "line's (at most %d)\n", path, SCN_MAX_SETS);
            free(buf);
            return KVMSIM_EXIT_USAGE;
        }
        q->replay_header_sets = q->nsets;
        for (unsigned i = 0; i < ncli; i++) {
            q->sets[q->nsets++] = cli[i];
        }
    } else {
        if (!q->scenario) {
            fprintf(stderr, "%s:0: a raw tape needs --scenario NAME\n",
                    path);
            free(buf);
            return KVMSIM_EXIT_USAGE;
        }
        q->tape = (const uint8_t *)buf;
        q->tape_len = len;
    }
    *bufp = buf;
    return KVMSIM_EXIT_OK;
}

int scn_replay_main(const char *path, struct scn_request *q)
{
    char *buf = NULL;
    int code = scn_replay_load(path, q, &buf);

    if (code == KVMSIM_EXIT_OK) {
        code = scn_run_main(q);
    }
    free(buf);
    return code;
}

/* ---- compare ---- */

int scn_compare_main(const struct scn_request *q)
{
    struct scn_run first;
    struct scn_run *runs[16];
    size_t nruns = 0;
    int code = KVMSIM_EXIT_OK;
    struct scn_request vq;
    char setbuf[16][96];

    memset(&first, 0, sizeof(first));
    if (q->nsets == SCN_MAX_SETS) {
        fprintf(stderr, "kvmsim: compare: too many overrides (at most %d, "
                "one is the variant)\n", SCN_MAX_SETS - 1);
        return KVMSIM_EXIT_USAGE;
    }
    code = scn_prepare(q, &first);
    if (code == KVMSIM_EXIT_OK && scn_swarm_on(&first)) {
        /* A seed table compares variants on one configuration. */
        fprintf(stderr, "%s: compare does not run swarm configurations "
                "(run.swarm)\n", cfg_where(first.cfg, "run", "swarm"));
        code = KVMSIM_EXIT_USAGE;
    }
    if (code != KVMSIM_EXIT_OK) {
        scn_run_release(&first);
        return code;
    }
    for (size_t v = 0; first.drv->variants[v] && nruns < 16; v++) {
        struct scn_run *r = calloc(1, sizeof(*r));
        int c;

        if (!r) {
            fprintf(stderr, "kvmsim: out of memory\n");
            code = scn_exit_worst(code, KVMSIM_EXIT_HOST);
            break;
        }
        vq = *q;
        vq.quiet = true;
        vq.no_heal = true;
        vq.trace_path = NULL;
        vq.metrics_path = NULL;
        snprintf(setbuf[v], sizeof(setbuf[v]), "run.variant=%s",
                 first.drv->variants[v]);
        vq.sets[vq.nsets++] = setbuf[v];
        c = scn_prepare(&vq, r);
        if (c == KVMSIM_EXIT_OK) {
            c = scn_execute(&vq, r);
        }
        code = scn_exit_worst(code, c);
        runs[nruns++] = r;
    }
    if (first.drv->compare) {
        /* The hook records rows; the terminal table is their rendering. */
        struct report *own = q->report ? NULL : report_create();
        struct report *rep = q->report ? q->report : own;
        size_t before = rep ? rep->nsections : 0;

        vq = *q;
        vq.no_heal = true; /* seed tables are of the timed part alone */
        vq.report = rep;
        if (!rep) {
            fprintf(stderr, "kvmsim: out of memory\n");
            code = scn_exit_worst(code, KVMSIM_EXIT_HOST);
        } else {
            code = scn_exit_worst(code,
                                  first.drv->compare(&vq, runs, nruns));
            if (report_write_text(rep, before, stdout) < 0) {
                fprintf(stderr, "kvmsim: compare: out of memory\n");
                code = scn_exit_worst(code, KVMSIM_EXIT_HOST);
            }
        }
        report_destroy(own);
    } else {
        printf("%s: every variant, seed %" PRIu64 "\n", q->scenario,
               first.seed);
        printf("  %-28s", "metric");
        for (size_t i = 0; i < nruns; i++) {
            printf(" %14s", runs[i]->variant ? runs[i]->variant : "?");
        }
        printf("\n");
        for (size_t m = 0; nruns && m < runs[0]->nmetrics; m++) {
            if (runs[0]->metrics[m].array) {
                continue;
            }
            printf("  %-28s", runs[0]->metrics[m].name);
            for (size_t i = 0; i < nruns; i++) {
                printf(" %14.6g",
                       scn_metric_get(runs[i], runs[0]->metrics[m].name));
            }
            printf("\n");
        }
    }
    for (size_t i = 0; i < nruns; i++) {
        scn_run_release(runs[i]);
        free(runs[i]);
    }
    scn_run_release(&first);
    return code;
}
