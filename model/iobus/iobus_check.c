/*
 * model/iobus/iobus_check.c - the checks of the iobus-200-ioeventfds
 * driver: the buses against what was registered, the race phase's bus,
 * and the run's verdicts (see iobus_check.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/iodev_fixed.h"
#include "model/iobus/iobus_check.h"
#include "sim/kvm.h"
#include "sim/tsan.h"

/* The world's own state is not instrumented (sim/tsan.h); see
 * scenarios/iobus/iobus_driver.c. */
SIM_TSAN_ENGINE_BEGIN

/* The ranges the VMM expects on bus, in canonical order (addr, len; the
 * ioeventfds all look alike).  Returns the count. */
static size_t iobus_expected(const struct iobus_registered *reg,
                             enum iobus_id bus, struct iobus_range_info *out)
{
    struct iobus_range_info tmp;
    size_t n = 0;

    for (unsigned k = 0; k < IODEV_FIXED_NR; k++) {
        const struct iodev_fixed_desc *d =
            iodev_fixed_desc((enum iodev_fixed_kind)k);
        bool alive = d->bus == IOBUS_PIO ? reg->fixed_pio_alive
                                         : reg->fixed_mmio_alive;

        if (d->bus == bus && alive) {
            out[n++] = (struct iobus_range_info){
                .addr = d->addr, .len = d->len,
                .tag = IOBUS_SCN_FIXED_TAG + k,
            };
        }
    }
    for (unsigned i = 0; bus == IOBUS_PIO && i < reg->n; i++) {
        if (reg->alive[i]) {
            /* sim/kvm.c labels an ioeventfd with its address. */
            out[n++] = (struct iobus_range_info){
                .addr = IOBUS_SCN_PORT, .len = 1, .tag = IOBUS_SCN_PORT,
            };
        }
    }
    /* Insertion sort by (addr, len): few distinct entries. */
    for (size_t i = 1; i < n; i++) {
        size_t j = i;

        tmp = out[i];
        while (j > 0 && (out[j - 1].addr > tmp.addr ||
                         (out[j - 1].addr == tmp.addr &&
                          out[j - 1].len > tmp.len))) {
            out[j] = out[j - 1];
            j--;
        }
        out[j] = tmp;
    }
    return n;
}

void iobus_check_buses(const struct iobus_registered *reg,
                       struct iobus_buses_result *res)
{
    size_t cap = (size_t)reg->n + IODEV_FIXED_NR + 1;
    struct iobus_range_info *got = calloc(cap, sizeof(*got));
    struct iobus_range_info *want = calloc(cap, sizeof(*want));
    uint32_t alive = 0;

    if (!got || !want) {
        res->range_mismatch++;
        snprintf(res->mismatch, sizeof(res->mismatch), "out of memory");
        goto out;
    }
    for (unsigned b = 0; b < IOBUS_NR; b++) {
        size_t nw = iobus_expected(reg, (enum iobus_id)b, want);
        size_t ng;

        plat_lock(&reg->buses->lock);
        ng = iobus_ranges_locked(reg->buses, (enum iobus_id)b, got, cap);
        plat_unlock(&reg->buses->lock);
        if (ng != nw) {
            res->range_mismatch++;
            snprintf(res->mismatch, sizeof(res->mismatch),
                     "bus %u holds %zu ranges, %zu registered", b, ng, nw);
            continue;
        }
        for (size_t i = 0; i < ng; i++) {
            if (got[i].addr != want[i].addr || got[i].len != want[i].len ||
                got[i].tag != want[i].tag) {
                res->range_mismatch++;
                snprintf(res->mismatch, sizeof(res->mismatch),
                         "bus %u range %zu is %#" PRIx64 "/%" PRIu64
                         " tag %#" PRIx64 ", registered %#" PRIx64
                         "/%" PRIu64 " tag %#" PRIx64, b, i, got[i].addr,
                         got[i].len, got[i].tag, want[i].addr, want[i].len,
                         want[i].tag);
                break;
            }
        }
    }
    for (unsigned i = 0; i < reg->n; i++) {
        alive += reg->alive[i];
    }
    res->count_mismatch += sim_kvm_nioeventfds(reg->kvm) != alive;
out:
    free(got);
    free(want);
}

void iobus_race_check_bus(struct iobus_set *set,
                          const struct iobus_race_slot *slot,
                          uint64_t *missing_wrong, char *msg, size_t len)
{
    struct iobus_range_info got[16];
    size_t n, want = 0, seen = 0;

    plat_lock(&set->lock);
    n = iobus_ranges_locked(set, IOBUS_MMIO, got, 16);
    for (unsigned i = 0; i < IOBUS_RACE_DEVS; i++) {
        want += slot[i].registered;
    }
    for (size_t i = 0; i < n && i < 16; i++) {
        uint64_t t = got[i].tag - IOBUS_RACE_TAG;

        if (got[i].tag >= IOBUS_RACE_TAG && t < IOBUS_RACE_DEVS) {
            seen++;
            if (!slot[t].registered ||
                got[i].addr != IOBUS_RACE_DEV_BASE + t * IOBUS_RACE_DEV_LEN) {
                (*missing_wrong)++;
            }
        }
    }
    plat_unlock(&set->lock);
    if (seen != want) {
        (*missing_wrong)++;
        snprintf(msg, len, "MMIO bus holds %zu race "
                 "devices, the updater registered %zu", seen, want);
    }
}

void iobus_check(const struct iobus_check_in *in,
                 struct iobus_check_verdict v[IOBUS_CHECK_VERDICTS])
{
    const struct iobus_buses_result *b = in->buses;
    uint64_t writes = 0, user = 0, kernel = 0, misorder = 0, in_kernel = 0;
    uint64_t wrong = 0, missed = 0, errors = 0, notify = 0;
    uint64_t other;

    for (unsigned i = 0; i < in->vcpus; i++) {
        const struct iobus_vcpu *c = &in->vcpu[i];

        writes += c->user_writes;
        user += c->user_exits;
        kernel += c->kernel_exits;
        misorder += c->user_misorder;
        in_kernel += c->handled_in_kernel;
        wrong += c->wrong_hit;
        missed += c->missed_signal;
        errors += c->errors;
    }
    /* iobus_is_notify() holds for k = ne - 1, 2 * ne - 1, ... */
    notify = in->notify_every
                 ? in->accesses / in->notify_every * in->vcpus
                 : 0;
    v[0] = (struct iobus_check_verdict){"setup", true,
                                        in->setup_failures == 0, ""};
    snprintf(v[0].msg, sizeof(v[0].msg),
             "%" PRIu64 " setup calls failed after %u attempts",
             in->setup_failures, IOBUS_SCN_RETRIES);
    other = in->accesses * in->vcpus - notify;
    v[1] = (struct iobus_check_verdict){
        "user_exits", false,
        writes == other && user == other && in->kvm_user_exits == other &&
            misorder == 0 && in_kernel == 0 && errors == 0,
        ""};
    snprintf(v[1].msg, sizeof(v[1].msg),
             "%" PRIu64 " writes to the other byte: %" PRIu64
             " reached userspace (KVM counted %" PRIu64 "), %" PRIu64
             " out of order, %" PRIu64 " taken in the kernel, %" PRIu64
             " errors", other, writes, in->kvm_user_exits,
             misorder, in_kernel, errors);
    v[2] = (struct iobus_check_verdict){
        "ioeventfd_signals", false,
        kernel == notify && in->kvm_kernel_exits == notify && wrong == 0 &&
            missed == 0 && in->spurious_signals == 0,
        ""};
    snprintf(v[2].msg, sizeof(v[2].msg),
             "%" PRIu64 " notify writes: %" PRIu64 " completed in the "
             "kernel, %" PRIu64 " not by their ioeventfd, %" PRIu64
             " left their eventfd clear; %" PRIu64 " eventfds set "
             "with no write for them", notify, kernel, wrong, missed,
             in->spurious_signals);
    v[3] = (struct iobus_check_verdict){
        "buses_exact", false,
        b->range_mismatch == 0 && b->count_mismatch == 0 &&
            in->collisions_accepted == 0 && in->deassign_wrong_rc == 0,
        ""};
    snprintf(v[3].msg, sizeof(v[3].msg),
             "%s; %" PRIu64 " ioeventfd count mismatches, %" PRIu64
             " colliding assignments accepted, %" PRIu64 " deassigns "
             "with the wrong result",
             b->range_mismatch ? b->mismatch : "ranges as registered",
             b->count_mismatch, in->collisions_accepted,
             in->deassign_wrong_rc);
    v[4] = (struct iobus_check_verdict){
        "teardown", false, in->live_after == in->live_before, ""};
    snprintf(v[4].msg, sizeof(v[4].msg),
             "%" PRIu64 " allocations live after teardown, %" PRIu64
             " before setup", in->live_after, in->live_before);
}

void iobus_race_check(const struct iobus_race_check_in *in,
                      struct iobus_check_verdict v[IOBUS_RACE_CHECK_VERDICTS])
{
    v[0] = (struct iobus_check_verdict){"race_no_uaf", false, in->uaf == 0,
                                        ""};
    snprintf(v[0].msg, sizeof(v[0].msg),
             "%" PRIu64 " device writes ran on a freed device", in->uaf);
    v[1] = (struct iobus_check_verdict){
        "race_exits", false,
        in->kvm_kernel0 == in->reads_kernel &&
            in->kvm_user0 == in->reads_user && in->nobody_kernel == 0 &&
            in->bad_tag == 0,
        ""};
    snprintf(v[1].msg, sizeof(v[1].msg),
             "readers saw %" PRIu64 " kernel and %" PRIu64 " user "
             "exits, KVM counted %" PRIu64 " and %" PRIu64 "; %" PRIu64
             " writes to the unclaimed address handled in the kernel, "
             "%" PRIu64 " handled by the wrong device",
             in->reads_kernel, in->reads_user, in->kvm_kernel0,
             in->kvm_user0, in->nobody_kernel, in->bad_tag);
    v[2] = (struct iobus_check_verdict){
        "race_buses", false,
        in->missing_wrong == 0 && in->other_errors == 0, ""};
    snprintf(v[2].msg, sizeof(v[2].msg),
             "%" PRIu64 " objects missing or misplaced, "
             "%" PRIu64 " unexpected errors (last: %s)",
             in->missing_wrong, in->other_errors,
             in->msg[0] ? in->msg : "none");
    v[3] = (struct iobus_check_verdict){
        "race_cost", false,
        in->syncs0 >= in->syncs_lo && in->syncs0 <= in->syncs_hi, ""};
    snprintf(v[3].msg, sizeof(v[3].msg),
             "%" PRIu64 " grace periods waited; the updaters' %" PRIu64
             " operations need %" PRIu64 "..%" PRIu64,
             in->syncs0, in->ops, in->syncs_lo, in->syncs_hi);
}

SIM_TSAN_ENGINE_END
