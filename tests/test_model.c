/*
 * tests/test_model.c - the cost model's provenance in one place: every
 * constant of model/cost.c names one of three kinds of source; every
 * fitted one is refitted here from exactly the published figures its
 * source names (scenarios/tool/refit.h) and must come back as the stored
 * default; and the seed reports name each constant with the value and the
 * kind of source the cost table gives it.
 */
#include <inttypes.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model/cost.h"
#include "model/seeds.h"
#include "scenarios/tool/refit.h"
#include "scenarios/tool/report.h"
#include "scenarios/tool/runner.h"
#include "scenarios/tool/scenario.h"

/* The fitted constants and the fit that refits each (index into its
 * theta). */
struct refit {
    const char *constant;
    const char *seed;
    unsigned theta;
};

static const struct refit refits[] = {
    {"gsi_routing_per_irqfd_ns", "000", 0},
    {"vfio_vector_use_ns", "000", 1},
    {"its_inject_ns", "002", 0},
    {"its_table_walk_ns", "002", 1},
    {"its_cache_probe_ns", "002", 2},
    {"kworker_sched_ns", "002", 3},
    {"io_exit_user_ns", "004", 0},
};
#define NREFITS (sizeof(refits) / sizeof(refits[0]))

static bool starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static const struct refit *refit_of(const char *constant)
{
    for (size_t i = 0; i < NREFITS; i++) {
        if (strcmp(refits[i].constant, constant) == 0) {
            return &refits[i];
        }
    }
    return NULL;
}

/* The stored default of a constant (the test fails on an unknown name). */
static uint64_t stored_ns(const char *constant)
{
    const struct cost_constant *c = cost_constant_find(constant);

    if (!c) {
        fail_msg("no constant '%s' in model/cost.c", constant);
    }
    return c->ns;
}

/* theta must be the stored default, rounded. */
static void check_refit(const char *constant, double theta)
{
    uint64_t ns = stored_ns(constant);

    if (!(fabs(theta - (double)ns) < 1.0)) {
        fail_msg("refit gives %s = %.2f, model/cost.c has %" PRIu64,
                 constant, theta, ns);
    }
}

static struct scn_request request(const char *scenario)
{
    struct scn_request q;

    memset(&q, 0, sizeof(q));
    q.scenario = scenario;
    q.quiet = true;
    return q;
}

/* ---- the table ---- */

static void cost_constants_each_source_is_fitted_measured_or_assumed(
    void **state)
{
    unsigned nfitted = 0;

    (void)state;
    for (const struct cost_constant *c = cost_constants; c->name; c++) {
        bool fitted = starts(c->source, COST_SOURCE_FITTED);

        nfitted += fitted;
        if (!fitted && !starts(c->source, COST_SOURCE_MEASURED) &&
            !starts(c->source, COST_SOURCE_ASSUMED)) {
            fail_msg("%s: source '%s' is none of fitted on, measured by, "
                     "assumed", c->name, c->source);
        }
        /* Every fitted constant is refitted below, and only those. */
        if (fitted != (refit_of(c->name) != NULL)) {
            fail_msg("%s: source '%s', but %s in this test's refits",
                     c->name, c->source, fitted ? "not" : "listed");
        }
        if (cost_constant_find(c->name) != c) {
            fail_msg("%s: named twice in the table", c->name);
        }
    }
    if (nfitted != NREFITS) {
        fail_msg("%u fitted constants in model/cost.c, %zu refits here",
                 nfitted, NREFITS);
    }
}

static void cost_model_default_sets_every_constant_of_the_table(
    void **state)
{
    struct cost_model m;

    (void)state;
    cost_model_default(&m);
    for (const struct cost_constant *c = cost_constants; c->name; c++) {
        uint64_t v = *cost_constant_at(&m, c);

        if (v != c->ns) {
            fail_msg("%s: cost_model_default gives %" PRIu64 ", the table "
                     "%" PRIu64, c->name, v, c->ns);
        }
    }
}

/* Every [cost] key of every driver sets a constant of the table (or is
 * the scenario's own), is declared as a configuration key with its
 * default, and has a unit the runner knows. */
static void scn_cost_keys_every_driver_key_names_a_constant(void **state)
{
    unsigned n = 0;

    (void)state;
    for (size_t d = 0; scn_drivers[d]; d++) {
        const struct cfg_key *ck = scn_cost_cfg_keys(scn_drivers[d]);

        for (const struct scn_cost_key *k = scn_drivers[d]->cost;
             k && k->key; k++) {
            const struct cfg_key *found = NULL;

            n++;
            if (k->constant && !cost_constant_find(k->constant)) {
                fail_msg("%s: cost.%s names '%s', not a constant of "
                         "model/cost.c", scn_drivers[d]->name, k->key,
                         k->constant);
            }
            if (!k->constant && (isnan(k->def) || !k->source)) {
                fail_msg("%s: cost.%s sets no constant, so it needs its "
                         "own default and source", scn_drivers[d]->name,
                         k->key);
            }
            if (strcmp(k->unit, "ns") != 0 && strcmp(k->unit, "us") != 0) {
                fail_msg("%s: cost.%s: unit '%s', want ns or us",
                         scn_drivers[d]->name, k->key, k->unit);
            }
            for (const struct cfg_key *c = ck; c && c->name; c++) {
                if (strcmp(c->name, k->key) == 0) {
                    found = c;
                }
            }
            if (!found) {
                fail_msg("%s: cost.%s is not declared",
                         scn_drivers[d]->name, k->key);
            }
        }
    }
    assert_true(n >= 20);
}

/* ---- the refits ---- */

static void cost_model_default_matches_refit_of_seed000(void **state)
{
    struct scn_request q = request("msix-resume-8vf");
    double theta[2];

    (void)state;
    assert_int_equal(scn_msix_fit(&q, theta), 0);
    for (size_t i = 0; i < NREFITS; i++) {
        if (strcmp(refits[i].seed, "000") == 0) {
            check_refit(refits[i].constant, theta[refits[i].theta]);
        }
    }
}

static void cost_model_default_matches_refit_of_seed002(void **state)
{
    struct scn_request q = request("its-lpi-storm");
    struct lpi_fit_info info;
    double theta[4];

    (void)state;
    assert_int_equal(scn_lpi_fit(&q, theta, &info), 0);
    print_message("refit: inject %.0f, walk %.0f, probe %.0f, kworker %.0f "
                  "ns; residuals %.3f %.3f %.3f %.3f us\n", theta[0],
                  theta[1], theta[2], theta[3], info.resid_us[0],
                  info.resid_us[1], info.resid_us[2], info.resid_us[3]);
    for (size_t i = 0; i < NREFITS; i++) {
        if (strcmp(refits[i].seed, "002") == 0) {
            check_refit(refits[i].constant, theta[refits[i].theta]);
        }
    }
    /* The fit reproduces the kworker rows and global at 1 NIC.  With the
     * measured line transfer (model/cost.c) the global lock saturates at
     * 10 NICs, so that row is out of reach and the report says so; when
     * a model change brings it back, this check fails and the note in
     * model/cost.c and the report must change with it. */
    for (unsigned i = 0; i < 3; i++) {
        if (!(fabs(info.resid_us[i]) < 0.05)) {
            fail_msg("fitted point %u: residual %.3f us, want < 0.05", i,
                     info.resid_us[i]);
        }
    }
    if (!(info.resid_us[3] > 1.0)) {
        fail_msg("global at 10 NICs: residual %.3f us; the saturation "
                 "the report describes is gone", info.resid_us[3]);
    }
}

static void cost_model_default_matches_refit_of_seed004(void **state)
{
    struct scn_request q = request("iobus-200-ioeventfds");
    double theta;

    (void)state;
    assert_int_equal(scn_iobus_fit(&q, &theta), 0);
    check_refit("io_exit_user_ns", theta);
}

/* ---- the reports name the table's constants ---- */

/* A constant as a seed report names it. */
struct prov_const {
    const char *seed;
    const char *name_prefix;
    const char *constant; /* in model/cost.c */
};

static const struct prov_const prov_consts[] = {
    {"000", "KVM_SET_GSI_ROUTING per assigned irqfd",
     "gsi_routing_per_irqfd_ns"},
    {"000", "VMM setup per vector", "vfio_vector_use_ns"},
    {"000", "KVM_SET_GSI_ROUTING per route", "gsi_routing_per_route_ns"},
    {"002", "irqfd wakeup + LPI inject", "its_inject_ns"},
    {"002", "kworker table walk", "its_table_walk_ns"},
    {"002", "cache probe under the lock", "its_cache_probe_ns"},
    {"002", "kworker wakeup + scheduling", "kworker_sched_ns"},
    {"002", "cache-line transfer between CPUs", "line_transfer_ns"},
    {"004", "userspace part of an exit", "io_exit_user_ns"},
    {"004", "one range comparison", "iobus_probe_ns"},
};

static struct report *compare_into_report(const char *scenario)
{
    struct scn_request q = request(scenario);
    struct report *rep = report_create();

    assert_non_null(rep);
    q.report = rep;
    assert_int_equal(scn_compare_main(&q), KVMSIM_EXIT_OK);
    assert_false(rep->failed);
    return rep;
}

/* True when src lists every published figure in figs (as %g). */
static bool prov_lists_figures(const char *src, const double *figs,
                               unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        char want[32];

        snprintf(want, sizeof(want), " %g", figs[i]);
        if (!strstr(src, want)) {
            return false;
        }
    }
    return true;
}

/* The kind of source ("fitted on ", ...) s starts with, or NULL. */
static const char *source_kind(const char *s)
{
    static const char *const kinds[] = {
        COST_SOURCE_FITTED, COST_SOURCE_MEASURED, COST_SOURCE_ASSUMED,
    };

    for (unsigned i = 0; i < 3; i++) {
        if (starts(s, kinds[i])) {
            return kinds[i];
        }
    }
    return NULL;
}

/* The seed comparisons fit their constants afresh from the published
 * figures; each fitted constant's source in the report must list exactly
 * those figures, and its value must be the constant model/cost.c stores
 * (so nothing in the table was tuned on what is predicted).  Every
 * constant the report names has the kind of source the cost table gives
 * it, and every other one is assumed. */
static void report_params_seed000_002_004_match_cost_model_sources(
    void **state)
{
    static const char *const scenarios[] = {
        "msix-resume-8vf", "its-lpi-storm", "iobus-200-ioeventfds",
    };
    static const double lpi_figs[] = {
        SEED002_KWORKER_1NIC_US, SEED002_KWORKER_10NIC_US,
        SEED002_GLOBAL_1NIC_US, SEED002_GLOBAL_10NIC_US,
    };
    static const double iobus_figs[] = {SEED004_BEFORE_EXITS_PER_S};
    unsigned found = 0;

    (void)state;
    for (unsigned k = 0; k < 3; k++) {
        struct report *rep = compare_into_report(scenarios[k]);
        const struct report_section *s = &rep->sections[0];

        for (size_t i = 0; i < s->nparams; i++) {
            const struct report_param *p = &s->params[i];
            const struct prov_const *c = NULL;
            const struct cost_constant *cc;
            const char *kind = source_kind(p->source);

            if (!kind) {
                fail_msg("seed %s, %s: source '%s' is none of fitted on, "
                         "measured by, assumed", s->seed, p->name,
                         p->source);
            }
            for (size_t j = 0; j < sizeof(prov_consts) /
                                       sizeof(prov_consts[0]); j++) {
                if (strcmp(prov_consts[j].seed, s->seed) == 0 &&
                    starts(p->name, prov_consts[j].name_prefix)) {
                    c = &prov_consts[j];
                }
            }
            if (!c) {
                if (strcmp(kind, COST_SOURCE_ASSUMED) != 0) {
                    fail_msg("seed %s, %s (%s): not in this test's table",
                             s->seed, p->name, p->source);
                }
                continue;
            }
            found++;
            cc = cost_constant_find(c->constant);
            assert_non_null(cc);
            if (strcmp(kind, source_kind(cc->source)) != 0) {
                fail_msg("seed %s, %s: source '%s', the cost table's '%s'",
                         s->seed, p->name, p->source, cc->source);
            }
            if (fabs(p->value - (double)cc->ns) >= 1.0) {
                fail_msg("seed %s, %s: the report has %.2f, model/cost.c "
                         "%" PRIu64, s->seed, p->name, p->value, cc->ns);
            }
            if (strcmp(kind, COST_SOURCE_FITTED) == 0) {
                bool listed =
                    strcmp(s->seed, "000") == 0
                        ? prov_lists_figures(p->source, seed000_before_ms,
                                             SEED000_VFS)
                    : strcmp(s->seed, "002") == 0
                        ? prov_lists_figures(p->source, lpi_figs, 4)
                        : prov_lists_figures(p->source, iobus_figs, 1);

                if (!listed) {
                    fail_msg("seed %s, %s: source '%s' does not list the "
                             "published figures its fit uses", s->seed,
                             p->name, p->source);
                }
            }
        }
        report_destroy(rep);
    }
    assert_int_equal(found, sizeof(prov_consts) / sizeof(prov_consts[0]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            cost_constants_each_source_is_fitted_measured_or_assumed),
        cmocka_unit_test(cost_model_default_sets_every_constant_of_the_table),
        cmocka_unit_test(scn_cost_keys_every_driver_key_names_a_constant),
        cmocka_unit_test(cost_model_default_matches_refit_of_seed000),
        cmocka_unit_test(cost_model_default_matches_refit_of_seed002),
        cmocka_unit_test(cost_model_default_matches_refit_of_seed004),
        cmocka_unit_test(
            report_params_seed000_002_004_match_cost_model_sources),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
