/*
 * model/fit.h - least-squares fitting of cost constants.
 *
 * The simulated time of a scenario is linear in the cost constants when its
 * schedule does not depend on them, so a fit can measure each constant's
 * contribution by running the scenario (the design matrix) and solve the
 * normal equations.  Small systems only (k <= 8).
 */
#ifndef KVMSIM_MODEL_FIT_H
#define KVMSIM_MODEL_FIT_H

#include <stddef.h>

/* Minimise |X theta - y|^2 for X (n rows, k columns, row-major).  0, or
 * -EINVAL when k > 8, n < k or the system is singular. */
int fit_least_squares(const double *x, const double *y, size_t n, size_t k,
                      double *theta);

/* Relative error (predicted - actual) / actual, as a percentage. */
double fit_error_pct(double predicted, double actual);

/* v, or +0 when v prints as zero with `decimals` decimals (so a table
 * never shows "-0.0%"). */
double fit_print_zero(double v, int decimals);

#endif
