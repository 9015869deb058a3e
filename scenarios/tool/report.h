/*
 * scenarios/tool/report.h - the structured record of a seed comparison:
 * what `kvmsim compare` prints, kept as rows a program can read, and
 * rendered as plain text (the terminal table), JSON, Markdown or HTML.
 *
 * A compare hook opens a section per seed table (report_begin), says in
 * words what was fitted and what is predicted, and adds one row per figure:
 * a label, the variant, the seed's published figure (NAN when the seed
 * publishes none), the model's figure, the unit and its role (a fit
 * target, a prediction, or model only).  The prediction error of a row is
 * never stored: report_error_pct() computes it from the two figures
 * (fit_error_pct), for every rendering alike.  A hook prints nothing
 * itself: `kvmsim compare` prints report_write_text() of its section.
 *
 * Every function accepts rep == NULL and then does nothing.  Allocation
 * failures are remembered and make the writers fail with -ENOMEM rather
 * than write a partial report.
 */
#ifndef KVMSIM_SCN_REPORT_H
#define KVMSIM_SCN_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model/cost.h"

enum report_role {
    REPORT_FITTED,     /* a published figure the model was fitted on */
    REPORT_PREDICTED,  /* a published figure the fit did not see */
    REPORT_MODEL_ONLY, /* the seed publishes no such figure */
};

/* One figure.  Strings are copied by report_add(). */
struct report_row {
    const char *table;   /* the table it belongs to, e.g. "total enable" */
    const char *label;   /* its row in that table, e.g. "VF 3" */
    const char *variant; /* the variant as `kvmsim list` names it */
    double published;    /* the seed's figure; NAN: none published */
    double model;        /* the model's figure; NAN: the run failed */
    const char *unit;    /* "ms", "exits/s", ... */
    enum report_role role;
    bool headline;       /* also listed in the summary table */
    /* Optional, to reproduce the model figure with `kvmsim run`: the
     * metric's name in --metrics, the key the figure varies with and its
     * value, and every override the comparison used, as space-separated
     * KEY=VALUE (the variant and the key included). */
    const char *metric;
    const char *key;
    double x;
    const char *sets;
};

/* A model constant and where its value comes from.  The source starts
 * with one of REPORT_SOURCE_FITTED ("fitted on " and the published
 * figures the fit used, listed), REPORT_SOURCE_MEASURED ("measured by "
 * the benchmark, on COST_MACHINE) or REPORT_SOURCE_ASSUMED, the kinds of
 * model/cost.h; tests/test_model.c holds every fitted one to the constant
 * in model/cost.c. */
#define REPORT_SOURCE_FITTED COST_SOURCE_FITTED
#define REPORT_SOURCE_MEASURED COST_SOURCE_MEASURED
#define REPORT_SOURCE_ASSUMED COST_SOURCE_ASSUMED
struct report_param {
    char *name;
    double value;
    char *unit;
    char *source;
};

/* A claim the seed makes in words, and whether the model bears it out by
 * the stated check. */
struct report_claim {
    char *words;
    char *check;
    bool holds;
};

struct report_section {
    char *seed;      /* "000" .. "004" */
    char *scenario;  /* the scenario compared */
    char *title;
    uint64_t run_seed;
    char *fitted;    /* in words: what the fit used; NULL: nothing */
    char *predicted; /* in words: what is predicted; NULL: nothing */
    struct report_row *rows; /* owned copies */
    size_t nrows;
    struct report_param *params;
    size_t nparams;
    struct report_claim *claims;
    size_t nclaims;
    char **notes;
    size_t nnotes;
};

struct report {
    struct report_section *sections;
    size_t nsections;
    char **request_sets; /* the overrides every comparison ran with */
    size_t nrequest_sets;
    bool failed;         /* an allocation failed; nothing is written */
};

/* Create an empty report; NULL when out of memory. */
struct report *report_create(void);
void report_destroy(struct report *rep);

/* Remember the request's overrides (copied), shown with every section. */
int report_request(struct report *rep, const char *const *sets,
                   unsigned nsets);

/* Open a section; the calls below add to the last one opened.  0 or
 * -ENOMEM. */
int report_begin(struct report *rep, const char *seed, const char *scenario,
                 uint64_t run_seed, const char *title);
/* What the fit used and what is predicted, in words. */
int report_fitted(struct report *rep, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int report_predicted(struct report *rep, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int report_note(struct report *rep, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int report_add(struct report *rep, const struct report_row *row);
int report_param(struct report *rep, const char *name, double value,
                 const char *unit, const char *source);
int report_claim(struct report *rep, const char *words, const char *check,
                 bool holds);

/* (model - published) / published in percent; NAN when the seed publishes
 * no figure, it is 0, or the model's figure is missing. */
double report_error_pct(const struct report_row *row);
const char *report_role_name(enum report_role role);

/* The first row of section `seed` with this label and variant (a NULL
 * argument matches any), or NULL. */
const struct report_row *report_find(const struct report *rep,
                                     const char *seed, const char *label,
                                     const char *variant);

/* Writers: sections in seed order, a summary table first (Markdown and
 * HTML).  0, -ENOMEM when the report is incomplete, -EIO on a write
 * error. */
int report_write_json(const struct report *rep, FILE *f);
int report_write_markdown(const struct report *rep, FILE *f);
int report_write_html(const struct report *rep, FILE *f);
/* Sections first.. as plain text, the terminal table of `kvmsim
 * compare`: per section its title, what was fitted and predicted, each
 * table with a line per label and a column group per variant, the
 * constants, claims and notes.  0, -ENOMEM or -EIO. */
int report_write_text(const struct report *rep, size_t first, FILE *f);
/* By the path's ending: .md Markdown, .html HTML, anything else JSON.
 * 0 or -errno; the caller reports the error. */
int report_write_file(const struct report *rep, const char *path);

#endif
