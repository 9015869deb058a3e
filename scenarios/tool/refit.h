/*
 * scenarios/tool/refit.h - the fits behind the fitted constants of
 * model/cost.c, each on exactly the published figures its constant's
 * source names.  `kvmsim compare` runs them; tests/test_model.c refits
 * every fitted constant with them and holds it to the stored default.
 *
 * Each returns 0 or a kvmsim exit code, and fits from a fixed start (never
 * from the stored constants, so a refit is a real check).
 */
#ifndef KVMSIM_SCENARIOS_REFIT_H
#define KVMSIM_SCENARIOS_REFIT_H

#include <stdbool.h>

#include "scenarios/tool/runner.h"

/* Seed 000 (msix-resume-8vf), on the before column: theta[0] the
 * KVM_SET_GSI_ROUTING price per assigned irqfd, theta[1] the VMM's setup
 * per vector, ns. */
int scn_msix_fit(const struct scn_request *q, double *theta);

/* Seed 002 (lpi-storm), on the kworker and global rows at 1 and 10 NICs:
 * theta[0..3] inject, table walk, cache probe and kworker delay, ns. */
#define SCN_LPI_FIT_POINTS 4
struct lpi_fit_info {
    double gram_det;  /* conditioning of the last step */
    double resid_us[SCN_LPI_FIT_POINTS]; /* model - published, per point */
    unsigned iters;
    bool clamped;     /* a constant hit zero */
};
int scn_lpi_fit(const struct scn_request *q, double *theta,
                struct lpi_fit_info *info);

/* Seed 004 (iobus-200-ioeventfds), on the before figure alone: the extra
 * price of an exit completed in userspace, ns. */
int scn_iobus_fit(const struct scn_request *q, double *user_ns);

#endif
