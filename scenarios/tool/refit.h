/*
 * scenarios/tool/refit.h - the cost-model refits of the seed drivers, for
 * their compare hooks and the unit tests' refit checks: each runs the
 * seed's scenario at its fitted points and fits the constants the model
 * stores (model/cost.c).  Each returns 0 or a kvmsim exit code.
 */
#ifndef KVMSIM_SCENARIOS_REFIT_H
#define KVMSIM_SCENARIOS_REFIT_H

#include <stdbool.h>

#include "scenarios/tool/runner.h"

/* Seed 004 (scn_iobus.c): the price of one bus comparison, ns. */
int scn_iobus_fit(const struct scn_request *q, double *user_ns);

/* Seed 000 (scn_msix.c): the two constants of the seed's before column,
 * ns. */
int scn_msix_fit(const struct scn_request *q, double *theta);

/* Seed 002 (scn_lpi.c): inject, table walk, probe and kworker delay, ns,
 * fitted by Gauss-Newton on four points. */
enum { SCN_LPI_FIT_NPTS = 4 };

struct lpi_fit_info {
    double gram_det;  /* conditioning of the last step */
    double resid_us[SCN_LPI_FIT_NPTS];
    unsigned iters;
    bool clamped;     /* a constant hit zero */
};

int scn_lpi_fit(const struct scn_request *q, double *theta,
                struct lpi_fit_info *info);

#endif
