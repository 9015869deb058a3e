/*
 * model/fit.c - normal equations solved by Gaussian elimination with
 * partial pivoting.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "model/fit.h"

int fit_least_squares(const double *x, const double *y, size_t n, size_t k,
                      double *theta)
{
    double a[8][9];

    if (k == 0 || k > 8 || n < k) {
        return -EINVAL;
    }
    memset(a, 0, sizeof(a));
    for (size_t r = 0; r < n; r++) {
        for (size_t i = 0; i < k; i++) {
            for (size_t j = 0; j < k; j++) {
                a[i][j] += x[r * k + i] * x[r * k + j];
            }
            a[i][k] += x[r * k + i] * y[r];
        }
    }
    for (size_t c = 0; c < k; c++) {
        size_t p = c;

        for (size_t r = c + 1; r < k; r++) {
            if (fabs(a[r][c]) > fabs(a[p][c])) {
                p = r;
            }
        }
        if (fabs(a[p][c]) < 1e-12) {
            return -EINVAL;
        }
        if (p != c) {
            for (size_t j = 0; j <= k; j++) {
                double t = a[c][j];

                a[c][j] = a[p][j];
                a[p][j] = t;
            }
        }
        for (size_t r = 0; r < k; r++) {
            double f;

            if (r == c) {
                continue;
            }
            f = a[r][c] / a[c][c];
            for (size_t j = c; j <= k; j++) {
                a[r][j] -= f * a[c][j];
            }
        }
    }
    for (size_t i = 0; i < k; i++) {
        theta[i] = a[i][k] / a[i][i];
    }
    return 0;
}

double fit_error_pct(double predicted, double actual)
{
    return actual != 0 ? 100.0 * (predicted - actual) / actual : NAN;
}

double fit_print_zero(double v, int decimals)
{
    double half = 0.5;

    for (int i = 0; i < decimals; i++) {
        half /= 10;
    }
    return fabs(v) < half ? 0.0 : v;
}
