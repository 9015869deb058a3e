/*
 * scenarios/tool/swarm.c - swarm testing (see swarm.h): the picks read from
 * the front of the tape, set in the run's configuration, and the summary
 * line and metrics JSON that describe them.
 *
 * Assumes it runs in scn_prepare() after the scenario text and the
 * overrides are loaded and the tape exists, and before anything reads the
 * configuration it may change (the fault settings, vm.cpus, the driver).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/fault.h"
#include "scenarios/tool/json_out.h"
#include "scenarios/tool/runner.h"
#include "scenarios/tool/swarm.h"
#include "sim/fault.h"
#include "sim/tape.h"

#define SWARM_STEPS 65536u  /* resolution of a rate or a number */

bool scn_swarm_on(const struct scn_run *r)
{
    return r->cfg && cfg_bool(r->cfg, "run", "swarm");
}

/* u in [0, SWARM_STEPS) mapped onto [lo, hi], log-uniformly with log. */
static double swarm_scale(uint64_t u, double lo, double hi, bool log)
{
    double t = (double)u / (double)(SWARM_STEPS - 1);
    double v;

    if (log && lo > 0 && hi > lo) {
        v = lo * pow(hi / lo, t);
    } else {
        v = lo + (hi - lo) * t;
    }
    return v < lo ? lo : v > hi ? hi : v;
}

/* The value of knob k drawn from the tape, as text for the key. */
static void swarm_draw(struct sim_tape *t, const struct cfg_swarm_knob *k,
                       char *buf, size_t len)
{
    if (k->nchoices) {
        snprintf(buf, len, "%s", k->choices[sim_tape_below(t, k->nchoices)]);
        return;
    }
    switch (k->type) {
    case CFG_INT: {
        uint64_t span = (uint64_t)k->ihi - (uint64_t)k->ilo;
        int64_t v;

        if (k->log) {
            double d = swarm_scale(sim_tape_below(t, SWARM_STEPS),
                                   (double)k->ilo, (double)k->ihi, true);

            v = (int64_t)llround(d);
            v = v < k->ilo ? k->ilo : v > k->ihi ? k->ihi : v;
        } else {
            uint64_t n = span == UINT64_MAX ? UINT64_MAX : span + 1;

            v = (int64_t)((uint64_t)k->ilo + sim_tape_below(t, n));
        }
        snprintf(buf, len, "%" PRId64, v);
        return;
    }
    case CFG_DOUBLE:
        snprintf(buf, len, "%.17g",
                 swarm_scale(sim_tape_below(t, SWARM_STEPS), k->dlo, k->dhi,
                             k->log));
        return;
    default:
        buf[0] = '\0';
        return;
    }
}

int scn_swarm_pick(struct scn_run *r)
{
    const struct cfg_swarm *sw;
    char err[512], text[CFG_SWARM_CHOICE_LEN + 16];
    int rc;

    if (!scn_swarm_on(r)) {
        return 0;
    }
    sw = cfg_swarm(r->cfg);
    for (unsigned i = 0; i < sw->nsites; i++) {
        bool on = sim_tape_below(r->tape, 2) == 1;
        double p = swarm_scale(sim_tape_below(r->tape, SWARM_STEPS),
                               sw->rate_lo, sw->rate_hi, sw->rate_log);

        snprintf(text, sizeof(text), "%.17g", on ? p : 0.0);
        rc = cfg_swarm_apply(r->cfg, "faults",
                             plat_fault_site_name(sw->site[i]), text,
                             sw->faults_line, err, sizeof(err));
        if (rc < 0) {
            fprintf(stderr, "%s\n", err);
            return rc;
        }
    }
    for (unsigned i = 0; i < sw->nknobs; i++) {
        const struct cfg_swarm_knob *k = &sw->knob[i];

        swarm_draw(r->tape, k, text, sizeof(text));
        rc = cfg_swarm_apply(r->cfg, k->section, k->name, text, k->line,
                             err, sizeof(err));
        if (rc < 0) {
            fprintf(stderr, "%s\n", err);
            return rc;
        }
    }
    return 0;
}

static bool pinned(const struct scn_run *r, const char *section,
                   const char *name)
{
    return strncmp(cfg_where(r->cfg, section, name), "--set:", 6) == 0;
}

void scn_swarm_print(const struct scn_run *r, FILE *out, const char *indent,
                     bool calls)
{
    const struct cfg_swarm *sw;
    const char *sep = " ";

    if (!scn_swarm_on(r)) {
        return;
    }
    sw = cfg_swarm(r->cfg);
    fprintf(out, "%sswarm:", indent);
    if (sw->nsites == 0 && sw->nknobs == 0) {
        fputs(" nothing to vary (the scenario has no [swarm] ranges)\n", out);
        return;
    }
    for (unsigned i = 0; i < sw->nsites; i++) {
        const char *name = plat_fault_site_name(sw->site[i]);
        double p = cfg_fault_prob(r->cfg, sw->site[i]);

        fprintf(out, "%s%s ", sep, name);
        if (p > 0) {
            fprintf(out, "%.3g%%", p * 100);
        } else {
            fputs("off", out);
        }
        if (pinned(r, "faults", name)) {
            fputs(" (--set)", out);
        }
        if (calls) {
            fprintf(out, " (%" PRIu64 " calls)",
                    sim_fault_hits((enum plat_fault_site)sw->site[i]));
        }
        sep = ", ";
    }
    if (sw->nsites) {
        sep = "; ";
    }
    for (unsigned i = 0; i < sw->nknobs; i++) {
        const struct cfg_swarm_knob *k = &sw->knob[i];

        fprintf(out, "%s%s.%s=", sep, k->section, k->name);
        switch (k->type) {
        case CFG_INT:
            fprintf(out, "%" PRId64, cfg_int(r->cfg, k->section, k->name));
            break;
        case CFG_DOUBLE:
            fprintf(out, "%.4g", cfg_double(r->cfg, k->section, k->name));
            break;
        case CFG_BOOL:
            fputs(cfg_bool(r->cfg, k->section, k->name) ? "true" : "false",
                  out);
            break;
        default:
            fputs(cfg_str(r->cfg, k->section, k->name), out);
            break;
        }
        if (pinned(r, k->section, k->name)) {
            fputs(" (--set)", out);
        }
        sep = ", ";
    }
    fputc('\n', out);
}

void scn_swarm_json(const struct scn_run *r, FILE *f)
{
    const struct cfg_swarm *sw;
    char key[128];

    if (!scn_swarm_on(r)) {
        return;
    }
    sw = cfg_swarm(r->cfg);
    fputs(", \"swarm\": {", f);
    for (unsigned i = 0; i < sw->nsites; i++) {
        snprintf(key, sizeof(key), "faults.%s",
                 plat_fault_site_name(sw->site[i]));
        fputs(i ? ", " : "", f);
        scn_json_str(f, key);
        fputs(": ", f);
        scn_json_num(f, cfg_fault_prob(r->cfg, sw->site[i]));
    }
    for (unsigned i = 0; i < sw->nknobs; i++) {
        const struct cfg_swarm_knob *k = &sw->knob[i];

        snprintf(key, sizeof(key), "%s.%s", k->section, k->name);
        fputs(i || sw->nsites ? ", " : "", f);
        scn_json_str(f, key);
        fputs(": ", f);
        switch (k->type) {
        case CFG_INT:
            fprintf(f, "%" PRId64, cfg_int(r->cfg, k->section, k->name));
            break;
        case CFG_DOUBLE:
            scn_json_num(f, cfg_double(r->cfg, k->section, k->name));
            break;
        case CFG_BOOL:
            fputs(cfg_bool(r->cfg, k->section, k->name) ? "true" : "false",
                  f);
            break;
        default:
            scn_json_str(f, cfg_str(r->cfg, k->section, k->name));
            break;
        }
    }
    fputc('}', f);
}

void scn_swarm_print_seed(const struct scn_request *q, uint64_t seed,
                          FILE *out, const char *indent)
{
    struct scn_request v = *q;
    struct scn_run r;
    char seedset[64];

    if (v.nsets >= SCN_MAX_SETS) {
        return;
    }
    v.quiet = true;
    v.silent = true;
    v.trace_path = NULL;
    v.metrics_path = NULL;
    snprintf(seedset, sizeof(seedset), "run.seed=%" PRIu64, seed);
    v.sets[v.nsets++] = seedset;
    memset(&r, 0, sizeof(r));
    if (scn_prepare(&v, &r) == KVMSIM_EXIT_OK) {
        scn_swarm_print(&r, out, indent, false);
    }
    scn_run_release(&r);
}
