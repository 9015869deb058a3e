/*
 * tests/test_fault_sites.c - every driver's fault_sites (scenario.h), the
 * declaration the loader refuses [faults] settings by, against the fault
 * sites its runs hit: no run of any variant hits an undeclared site (a
 * user could not arm it), and every declared site is hit by some run (the
 * declaration promises nothing the paths never reach).
 *
 * Hits are counted per site by sim/fault.c.  A scenario phase may reset a
 * site's count (sim_fault_fail_nth, the heal phase), so each variant runs
 * three ways and the hits are united: as configured with no heal phase;
 * with every declared site failing at 2%; and with the race and storm
 * phases off (the driver's race_rounds and storm_rounds keys at 0).
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/fault.h"
#include "scenarios/tool/runner.h"
#include "sim/fault.h"

extern const struct scn_driver *const scn_drivers[];

static bool has_key(const struct scn_driver *d, const char *name)
{
    for (const struct cfg_key *k = d->keys; k->name; k++) {
        if (strcmp(k->name, name) == 0) {
            return true;
        }
    }
    return false;
}

static void site_names(uint32_t sites, char *buf, size_t len)
{
    size_t n = 0;

    buf[0] = '\0';
    for (unsigned s = 0; s < PLAT_FAULT_NR && n < len; s++) {
        if (sites & (1u << s)) {
            int w = snprintf(buf + n, len - n, " %s",
                             plat_fault_site_name(s));

            n += w > 0 ? (size_t)w : 0;
        }
    }
}

/* The sites one run of d's variant v hits, with `how` of the three ways
 * (see the top). */
static uint32_t run_hits(const struct scn_driver *d, const char *v, int how)
{
    static char fsets[PLAT_FAULT_NR][64];
    struct scn_request q;
    struct scn_run r;
    char vset[96];
    uint32_t hits = 0;
    int saved, devnull, rc;

    memset(&q, 0, sizeof(q));
    memset(&r, 0, sizeof(r));
    q.scenario = d->name;
    q.quiet = true;
    q.silent = true;
    snprintf(vset, sizeof(vset), "run.variant=%s", v);
    q.sets[q.nsets++] = vset;
    q.sets[q.nsets++] = "run.heal_ms=0";
    if (how == 1) {
        for (unsigned s = 0; s < PLAT_FAULT_NR; s++) {
            if (d->fault_sites & (1u << s)) {
                snprintf(fsets[s], sizeof(fsets[s]), "faults.%s=0.02",
                         plat_fault_site_name(s));
                q.sets[q.nsets++] = fsets[s];
            }
        }
    } else if (how == 2) {
        if (has_key(d, "race_rounds")) {
            q.sets[q.nsets++] = "workload.race_rounds=0";
        }
        if (has_key(d, "storm_rounds")) {
            q.sets[q.nsets++] = "workload.storm_rounds=0";
        }
    }
    /* A faulty run may fail its invariants; only its hits count here. */
    fflush(stderr);
    saved = dup(STDERR_FILENO);
    devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) {
        dup2(devnull, STDERR_FILENO);
        close(devnull);
    }
    rc = scn_prepare(&q, &r);
    if (rc == KVMSIM_EXIT_OK) {
        scn_execute(&q, &r);
        for (unsigned s = 0; s < PLAT_FAULT_NR; s++) {
            if (sim_fault_hits((enum plat_fault_site)s) > 0) {
                hits |= 1u << s;
            }
        }
    }
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    if (rc != KVMSIM_EXIT_OK) {
        fail_msg("%s --variant %s (way %d): scn_prepare exit %d", d->name,
                 v, how, rc);
    }
    scn_run_release(&r);
    return hits;
}

static void scn_driver_fault_sites_equal_sites_runs_hit(void **state)
{
    char want[256], got[256];
    unsigned bad = 0;

    (void)state;
    for (size_t i = 0; scn_drivers[i]; i++) {
        const struct scn_driver *d = scn_drivers[i];
        uint32_t hit = 0;

        for (size_t v = 0; d->variants[v]; v++) {
            for (int how = 0; how < 3; how++) {
                hit |= run_hits(d, d->variants[v], how);
            }
        }
        if (hit != d->fault_sites) {
            site_names(d->fault_sites, want, sizeof(want));
            site_names(hit, got, sizeof(got));
            print_error("%s: fault_sites declares{%s }, its runs hit{%s }\n",
                        d->name, want, got);
            bad++;
        }
    }
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scn_driver_fault_sites_equal_sites_runs_hit),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
