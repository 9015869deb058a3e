/*
 * tests/test_report.c - the structured seed report (scenarios/tool/report.c):
 * errors computed from the two figures, the renderers, and the rows the
 * compare hooks record, checked against the seed's figures and against a
 * fresh run with each row's own overrides.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model/cost.h"
#include "model/fit.h"
#include "model/seeds.h"
#include "scenarios/tool/report.h"
#include "scenarios/tool/runner.h"
#include "tests/lib.h"

/* Documented in README.md (seed report): the bounds the model's
 * predictions stay within. */
#define SEED004_AFTER_ERROR_BOUND_PCT 1.0
#define SEED000_AFTER_TOTAL_ERROR_BOUND_PCT 30.0

/* ---- the module on its own ---- */

static void report_error_pct_from_published_and_model(void **state)
{
    struct report_row r = {.published = 200, .model = 210};

    (void)state;
    ASSERT_LT(fabs(report_error_pct(&r) - 5.0), 1e-12);
    r.model = 190;
    ASSERT_LT(fabs(report_error_pct(&r) + 5.0), 1e-12);
    r.published = NAN;
    assert_true(isnan(report_error_pct(&r)));
    r.published = 0;
    assert_true(isnan(report_error_pct(&r)));
    r.published = 200;
    r.model = NAN;
    assert_true(isnan(report_error_pct(&r)));
}

static void report_null_report_accepts_every_call(void **state)
{
    struct report_row r = {.table = "t", .label = "l", .model = 1};

    (void)state;
    assert_int_equal(report_begin(NULL, "000", "x", 1, "t"), 0);
    assert_int_equal(report_add(NULL, &r), 0);
    assert_int_equal(report_fitted(NULL, "%d", 1), 0);
    assert_int_equal(report_note(NULL, "n"), 0);
    assert_int_equal(report_param(NULL, "p", 1, "ns", "assumed"), 0);
    assert_int_equal(report_claim(NULL, "w", "c", true), 0);
    assert_null(report_find(NULL, "000", NULL, NULL));
}

static void report_add_before_begin_records_nothing(void **state)
{
    struct report *rep = report_create();
    struct report_row r = {.table = "t", .label = "l", .model = 1};

    (void)state;
    assert_non_null(rep);
    assert_int_equal(report_add(rep, &r), 0);
    assert_int_equal(rep->nsections, 0);
    report_destroy(rep);
}

/* Render rep with `write` into a new string (caller frees). */
static char *render(const struct report *rep,
                    int (*write)(const struct report *, FILE *))
{
    /* The stream's buffer and size live on the heap, not in this frame,
     * so the returned text is never taken for a pointer into it. */
    struct {
        char *buf;
        size_t len;
    } *out = calloc(1, sizeof(*out));
    char *buf;
    FILE *f;

    assert_non_null(out);
    f = open_memstream(&out->buf, &out->len);
    assert_non_null(f);
    assert_int_equal(write(rep, f), 0);
    assert_int_equal(fclose(f), 0);
    buf = out->buf;
    free(out);
    return buf;
}

static struct report *two_section_report(void)
{
    struct report *rep = report_create();
    struct report_row fit = {
        .table = "rate", .label = "n=1", .variant = "before",
        .published = 100, .model = 101, .unit = "ops/s",
        .role = REPORT_FITTED, .metric = "ops", .key = "workload.n", .x = 1,
        .sets = "run.variant=before workload.n=1",
    };
    struct report_row pred = fit;

    assert_non_null(rep);
    /* Opened out of seed order: the writers sort. */
    assert_int_equal(report_begin(rep, "004", "late", 1, "later <seed>"), 0);
    pred.variant = "after";
    pred.published = 200;
    pred.model = 210;
    pred.role = REPORT_PREDICTED;
    pred.headline = true;
    assert_int_equal(report_fitted(rep, "the before figure"), 0);
    assert_int_equal(report_predicted(rep, "the after figure"), 0);
    assert_int_equal(report_add(rep, &fit), 0);
    assert_int_equal(report_add(rep, &pred), 0);
    assert_int_equal(report_begin(rep, "001", "early", 1, "words only"), 0);
    assert_int_equal(report_claim(rep, "it gets faster", "ratio 2x", true),
                     0);
    return rep;
}

static void report_write_markdown_summary_has_computed_error(void **state)
{
    struct report *rep = two_section_report();
    char *md = render(rep, report_write_markdown);
    char *early = strstr(md, "| 001 |");
    char *late = strstr(md, "| 004 |");

    (void)state;
    assert_non_null(early);
    assert_non_null(late);
    ASSERT_LT(early - md, late - md);
    /* 210 against 200, computed by the writer. */
    assert_non_null(strstr(late, "+5.0%"));
    assert_non_null(strstr(late, "after, n=1: model 210, published 200"));
    assert_non_null(strstr(md, "claim holds in the model: ratio 2x"));
    assert_non_null(strstr(md, "| n=1 | before | 100 | 101 | ops/s | +1.0% "
                               "| fitted |"));
    free(md);
    report_destroy(rep);
}

static void report_write_html_escapes_text(void **state)
{
    struct report *rep = two_section_report();
    char *html = render(rep, report_write_html);

    (void)state;
    assert_non_null(strstr(html, "later &lt;seed&gt;"));
    assert_null(strstr(html, "<seed>"));
    assert_non_null(strstr(html, "+5.0%"));
    free(html);
    report_destroy(rep);
}

static void report_write_json_has_error_and_split_sets(void **state)
{
    struct report *rep = two_section_report();
    char *json = render(rep, report_write_json);

    (void)state;
    assert_non_null(strstr(json, "\"error_pct\": 5,"));
    assert_non_null(strstr(json, "\"key\": \"workload.n\", \"x\": 1,"));
    assert_non_null(strstr(json, "\"sets\": [\"run.variant=before\", "
                                 "\"workload.n=1\"]"));
    assert_non_null(strstr(json, "\"role\": \"predicted\""));
    ASSERT_LT(strstr(json, "\"seed\": \"001\"") - json,
              strstr(json, "\"seed\": \"004\"") - json);
    free(json);
    report_destroy(rep);
}

static void report_write_file_missing_directory_is_enoent(void **state)
{
    struct report *rep = two_section_report();

    (void)state;
    assert_int_equal(report_write_file(rep, "/nonexistent-dir/x.md"),
                     -ENOENT);
    report_destroy(rep);
}

/* ---- the rows the compare hooks record ---- */

static struct report *compare_into_report(const char *scenario)
{
    struct scn_request q;
    struct report *rep = report_create();

    assert_non_null(rep);
    memset(&q, 0, sizeof(q));
    q.scenario = scenario;
    q.quiet = true;
    q.report = rep;
    assert_int_equal(scn_compare_main(&q), KVMSIM_EXIT_OK);
    assert_false(rep->failed);
    return rep;
}

/* Run the row's overrides afresh and return its metric. */
static double rerun_row(const char *scenario, const struct report_row *row)
{
    struct scn_request q;
    struct scn_run r;
    char buf[512], *save = NULL;
    const char *extra[16];
    unsigned n = 0;
    double v;

    assert_non_null(row->sets);
    assert_non_null(row->metric);
    snprintf(buf, sizeof(buf), "%s", row->sets);
    for (char *t = strtok_r(buf, " ", &save); t && n < 16;
         t = strtok_r(NULL, " ", &save)) {
        extra[n++] = t;
    }
    memset(&q, 0, sizeof(q));
    q.scenario = scenario;
    assert_int_equal(scn_run_with(&q, extra, n, &r), KVMSIM_EXIT_OK);
    v = scn_metric_get(&r, row->metric);
    scn_run_release(&r);
    return v;
}

static void report_compare_iobus_predicts_seed004_after_within_bound(
    void **state)
{
    struct report *rep = compare_into_report("iobus-200-ioeventfds");
    const struct report_row *before, *after, *ours;
    double err;

    (void)state;
    before = report_find(rep, "004", "200 ioeventfds", "linear");
    after = report_find(rep, "004", "200 ioeventfds", "bsearch");
    ours = report_find(rep, "004", "200 ioeventfds", "eytzinger");
    assert_non_null(before);
    assert_non_null(after);
    assert_non_null(ours);
    assert_int_equal(before->role, REPORT_FITTED);
    assert_int_equal(after->role, REPORT_PREDICTED);
    assert_int_equal(ours->role, REPORT_MODEL_ONLY);
    assert_true(before->published == SEED004_BEFORE_EXITS_PER_S);
    assert_true(after->published == SEED004_AFTER_EXITS_PER_S);
    assert_true(isnan(ours->published));
    assert_true(after->headline);
    err = report_error_pct(after);
    assert_true(err == fit_error_pct(after->model, after->published));
    if (!(fabs(err) < SEED004_AFTER_ERROR_BOUND_PCT)) {
        fail_msg("seed 004 after: model %.1f exits/s, seed %.0f, error "
                 "%+.2f%% (bound %.1f%%)", after->model, after->published,
                 err, SEED004_AFTER_ERROR_BOUND_PCT);
    }
    /* The fit reproduces its target. */
    ASSERT_LT(fabs(report_error_pct(before)), 0.01);
    /* Each row's overrides reproduce its figure in a plain run. */
    assert_true(rerun_row("iobus-200-ioeventfds", after) == after->model);
    assert_true(rerun_row("iobus-200-ioeventfds", before) == before->model);
    report_destroy(rep);
}

static void report_compare_msix_total_is_sum_of_per_vf_rows(void **state)
{
    struct report *rep = compare_into_report("msix-resume-8vf");
    const struct report_section *s = &rep->sections[0];
    const struct report_row *total;
    double sum = 0, err, rerun;
    unsigned fitted = 0, predicted = 0;

    (void)state;
    assert_int_equal(rep->nsections, 1);
    assert_string_equal(s->seed, "000");
    for (size_t i = 0; i < s->nrows; i++) {
        const struct report_row *r = &s->rows[i];

        if (strcmp(r->table, "vfio_msix_enable per VF") != 0) {
            continue;
        }
        if (strcmp(r->variant, "per-vector") == 0) {
            assert_int_equal(r->role, REPORT_FITTED);
            assert_true(r->published == seed000_before_ms[fitted]);
            fitted++;
        } else {
            assert_int_equal(r->role, REPORT_PREDICTED);
            assert_true(r->published == seed000_after_ms[predicted]);
            sum += r->model;
            predicted++;
        }
    }
    assert_int_equal(fitted, SEED000_VFS);
    assert_int_equal(predicted, SEED000_VFS);
    total = report_find(rep, "000", "total of 8 VFs", "batched");
    assert_non_null(total);
    assert_true(total->published == SEED000_AFTER_TOTAL_MS);
    ASSERT_LT(fabs(total->model - sum), 1e-9 * sum);
    err = report_error_pct(total);
    if (!(fabs(err) < SEED000_AFTER_TOTAL_ERROR_BOUND_PCT)) {
        fail_msg("seed 000 after total: model %.2f ms, seed %.0f, error "
                 "%+.1f%% (bound %.0f%%)", total->model, total->published,
                 err, SEED000_AFTER_TOTAL_ERROR_BOUND_PCT);
    }
    rerun = rerun_row("msix-resume-8vf", total);
    ASSERT_LT(fabs(rerun - total->model), 1e-9 * total->model);
    report_destroy(rep);
}

static void report_compare_switchover_claim_matches_its_rows(void **state)
{
    struct report *rep = compare_into_report("switchover-vfio");
    const struct report_section *s = &rep->sections[0];
    const struct report_row *serial, *parallel;

    (void)state;
    assert_string_equal(s->seed, "003");
    assert_int_equal(s->nclaims, 1);
    serial = report_find(rep, "003", "8 devices", "serial");
    parallel = report_find(rep, "003", "8 devices", "parallel");
    assert_non_null(serial);
    assert_non_null(parallel);
    assert_true(isnan(serial->published));
    assert_int_equal(serial->role, REPORT_MODEL_ONLY);
    assert_true(s->claims[0].holds == (parallel->model < serial->model));
    assert_true(rerun_row("switchover-vfio", parallel) == parallel->model);
    report_destroy(rep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(report_error_pct_from_published_and_model),
        cmocka_unit_test(report_null_report_accepts_every_call),
        cmocka_unit_test(report_add_before_begin_records_nothing),
        cmocka_unit_test(report_write_markdown_summary_has_computed_error),
        cmocka_unit_test(report_write_html_escapes_text),
        cmocka_unit_test(report_write_json_has_error_and_split_sets),
        cmocka_unit_test(report_write_file_missing_directory_is_enoent),
        cmocka_unit_test(
            report_compare_iobus_predicts_seed004_after_within_bound),
        cmocka_unit_test(report_compare_msix_total_is_sum_of_per_vf_rows),
        cmocka_unit_test(report_compare_switchover_claim_matches_its_rows),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
