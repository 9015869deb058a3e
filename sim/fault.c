/*
 * sim/fault.c - the fault-injection state behind plat_fault().
 *
 * Process-global so unit tests can arm a fault outside a run.  The order of
 * checks is fixed: count the hit, then the nth-call settings, then the
 * site's probability (the only one that reads the tape).
 */
#include "sim/fault.h"
#include "sim/internal.h"
#include "sim/tape.h"
#include "sim/tsan.h"

SIM_TSAN_ENGINE_BEGIN

static struct {
    double prob[PLAT_FAULT_NR];
    uint64_t hits[PLAT_FAULT_NR];
    int nth_site;          /* -1: none */
    uint64_t nth;
    bool nth_persist;
    uint64_t any_nth;      /* 0: none */
    bool any_persist;
    uint64_t any_hits;
    uint64_t injected;
    uint64_t injected_at[PLAT_FAULT_NR];
} F = {.nth_site = -1};

SIM_UNCOVERED
void sim_fault_reset(void)
{
    for (unsigned i = 0; i < PLAT_FAULT_NR; i++) {
        F.prob[i] = 0;
        F.hits[i] = 0;
        F.injected_at[i] = 0;
    }
    F.nth_site = -1;
    F.nth = 0;
    F.nth_persist = false;
    F.any_nth = 0;
    F.any_persist = false;
    F.any_hits = 0;
    F.injected = 0;
}

void sim_fault_set_prob(enum plat_fault_site site, double p)
{
    if ((unsigned)site >= PLAT_FAULT_NR) {
        return;
    }
    F.prob[site] = p < 0 ? 0 : p > 1 ? 1 : p;
}

void sim_fault_fail_nth(enum plat_fault_site site, uint64_t n, bool persist)
{
    if ((unsigned)site >= PLAT_FAULT_NR) {
        return;
    }
    F.nth_site = n ? (int)site : -1;
    F.nth = n;
    F.nth_persist = persist;
    F.hits[site] = 0;
}

void sim_fault_fail_nth_any(uint64_t n, bool persist)
{
    F.any_nth = n;
    F.any_persist = persist;
    F.any_hits = 0;
}

uint64_t sim_fault_hits(enum plat_fault_site site)
{
    return (unsigned)site < PLAT_FAULT_NR ? F.hits[site] : 0;
}

uint64_t sim_fault_injected(void)
{
    return F.injected;
}

uint64_t sim_fault_injected_at(enum plat_fault_site site)
{
    return (unsigned)site < PLAT_FAULT_NR ? F.injected_at[site] : 0;
}

SIM_UNCOVERED
bool sim_fault_decide(enum plat_fault_site site)
{
    bool fail = false;
    uint64_t h;

    if ((unsigned)site >= PLAT_FAULT_NR) {
        return false;
    }
    h = ++F.hits[site];
    F.any_hits++;
    if (F.nth_site == (int)site &&
        (h == F.nth || (F.nth_persist && h > F.nth))) {
        fail = true;
    }
    if (F.any_nth && (F.any_hits == F.any_nth ||
                      (F.any_persist && F.any_hits > F.any_nth))) {
        fail = true;
    }
    if (!fail && F.prob[site] > 0 && sim_active) {
        fail = sim_tape_chance(sim_active->tape, F.prob[site]);
        sim_label_fault(site, h);
    }
    if (fail) {
        F.injected++;
        F.injected_at[site]++;
    }
    return fail;
}

SIM_TSAN_ENGINE_END
