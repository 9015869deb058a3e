/*
 * scenarios/tool/report.c - seed comparisons as structured rows (see
 * report.h), and their JSON, Markdown, HTML and plain-text renderings
 * (the last is what `kvmsim compare` prints).
 *
 * The renderers format every number the same way (four significant
 * digits, no exponent) and compute every error from the row's two
 * figures; nothing here knows a seed's values.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/fit.h"
#include "scenarios/tool/json_out.h"
#include "scenarios/tool/report.h"

/* ---- building ---- */

static char *dup_or_null(struct report *rep, const char *s)
{
    char *d;

    if (!s) {
        return NULL;
    }
    d = strdup(s);
    if (!d) {
        rep->failed = true;
    }
    return d;
}

/* Grow *arr (elements of `size` bytes) by one zeroed element; NULL and
 * rep->failed when out of memory. */
static void *grow(struct report *rep, void **arr, size_t *n, size_t size)
{
    char *p = realloc(*arr, (*n + 1) * size);

    if (!p) {
        rep->failed = true;
        return NULL;
    }
    *arr = p;
    memset(p + *n * size, 0, size);
    return p + (*n)++ * size;
}

static struct report_section *current(struct report *rep)
{
    if (!rep || rep->nsections == 0) {
        return NULL;
    }
    return &rep->sections[rep->nsections - 1];
}

struct report *report_create(void)
{
    return calloc(1, sizeof(struct report));
}

static void section_free(struct report_section *s)
{
    free(s->seed);
    free(s->scenario);
    free(s->title);
    free(s->fitted);
    free(s->predicted);
    for (size_t i = 0; i < s->nrows; i++) {
        struct report_row *r = &s->rows[i];

        free((char *)r->table);
        free((char *)r->label);
        free((char *)r->variant);
        free((char *)r->unit);
        free((char *)r->metric);
        free((char *)r->key);
        free((char *)r->sets);
    }
    free(s->rows);
    for (size_t i = 0; i < s->nparams; i++) {
        free(s->params[i].name);
        free(s->params[i].unit);
        free(s->params[i].source);
    }
    free(s->params);
    for (size_t i = 0; i < s->nclaims; i++) {
        free(s->claims[i].words);
        free(s->claims[i].check);
    }
    free(s->claims);
    for (size_t i = 0; i < s->nnotes; i++) {
        free(s->notes[i]);
    }
    free(s->notes);
}

void report_destroy(struct report *rep)
{
    if (!rep) {
        return;
    }
    for (size_t i = 0; i < rep->nsections; i++) {
        section_free(&rep->sections[i]);
    }
    free(rep->sections);
    for (size_t i = 0; i < rep->nrequest_sets; i++) {
        free(rep->request_sets[i]);
    }
    free(rep->request_sets);
    free(rep);
}

int report_request(struct report *rep, const char *const *sets,
                   unsigned nsets)
{
    if (!rep) {
        return 0;
    }
    for (unsigned i = 0; i < nsets; i++) {
        char **slot = grow(rep, (void **)&rep->request_sets,
                           &rep->nrequest_sets, sizeof(char *));

        if (!slot) {
            return -ENOMEM;
        }
        *slot = dup_or_null(rep, sets[i]);
    }
    return rep->failed ? -ENOMEM : 0;
}

int report_begin(struct report *rep, const char *seed, const char *scenario,
                 uint64_t run_seed, const char *title)
{
    struct report_section *s;

    if (!rep) {
        return 0;
    }
    s = grow(rep, (void **)&rep->sections, &rep->nsections, sizeof(*s));
    if (!s) {
        return -ENOMEM;
    }
    s->seed = dup_or_null(rep, seed);
    s->scenario = dup_or_null(rep, scenario);
    s->title = dup_or_null(rep, title);
    s->run_seed = run_seed;
    return rep->failed ? -ENOMEM : 0;
}

/* Format into a new string; NULL and rep->failed when out of memory. */
static char *vformat(struct report *rep, const char *fmt, va_list ap)
{
    char *s = NULL;

    if (vasprintf(&s, fmt, ap) < 0) {
        rep->failed = true;
        return NULL;
    }
    return s;
}

/* Set *dst (replacing it) to the formatted text. */
static int set_text(struct report *rep, char **dst, const char *fmt,
                    va_list ap)
{
    char *s = vformat(rep, fmt, ap);

    if (!s) {
        return -ENOMEM;
    }
    free(*dst);
    *dst = s;
    return 0;
}

/* The section's "fitted on" (predicted == false) or "predicted" text. */
static int set_basis(struct report *rep, bool predicted, const char *fmt,
                     va_list ap)
{
    struct report_section *s = current(rep);

    if (!s) {
        return 0;
    }
    return set_text(rep, predicted ? &s->predicted : &s->fitted, fmt, ap);
}

int report_fitted(struct report *rep, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = set_basis(rep, false, fmt, ap);
    va_end(ap);
    return rc;
}

int report_predicted(struct report *rep, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = set_basis(rep, true, fmt, ap);
    va_end(ap);
    return rc;
}

int report_note(struct report *rep, const char *fmt, ...)
{
    struct report_section *s = current(rep);
    char **slot;
    va_list ap;

    if (!s) {
        return 0;
    }
    slot = grow(rep, (void **)&s->notes, &s->nnotes, sizeof(char *));
    if (!slot) {
        return -ENOMEM;
    }
    va_start(ap, fmt);
    *slot = vformat(rep, fmt, ap);
    va_end(ap);
    return *slot ? 0 : -ENOMEM;
}

int report_add(struct report *rep, const struct report_row *row)
{
    struct report_section *s = current(rep);
    struct report_row *r;

    if (!s) {
        return 0;
    }
    r = grow(rep, (void **)&s->rows, &s->nrows, sizeof(*r));
    if (!r) {
        return -ENOMEM;
    }
    *r = *row;
    r->table = dup_or_null(rep, row->table ? row->table : "");
    r->label = dup_or_null(rep, row->label ? row->label : "");
    r->variant = dup_or_null(rep, row->variant ? row->variant : "");
    r->unit = dup_or_null(rep, row->unit ? row->unit : "");
    r->metric = dup_or_null(rep, row->metric);
    r->key = dup_or_null(rep, row->key);
    r->sets = dup_or_null(rep, row->sets);
    return rep->failed ? -ENOMEM : 0;
}

int report_param(struct report *rep, const char *name, double value,
                 const char *unit, const char *source)
{
    struct report_section *s = current(rep);
    struct report_param *p;

    if (!s) {
        return 0;
    }
    p = grow(rep, (void **)&s->params, &s->nparams, sizeof(*p));
    if (!p) {
        return -ENOMEM;
    }
    p->name = dup_or_null(rep, name);
    p->value = value;
    p->unit = dup_or_null(rep, unit);
    p->source = dup_or_null(rep, source);
    return rep->failed ? -ENOMEM : 0;
}

int report_claim(struct report *rep, const char *words, const char *check,
                 bool holds)
{
    struct report_section *s = current(rep);
    struct report_claim *c;

    if (!s) {
        return 0;
    }
    c = grow(rep, (void **)&s->claims, &s->nclaims, sizeof(*c));
    if (!c) {
        return -ENOMEM;
    }
    c->words = dup_or_null(rep, words);
    c->check = dup_or_null(rep, check);
    c->holds = holds;
    return rep->failed ? -ENOMEM : 0;
}

/* ---- queries ---- */

double report_error_pct(const struct report_row *row)
{
    if (!isfinite(row->published) || row->published == 0 ||
        !isfinite(row->model)) {
        return NAN;
    }
    return fit_error_pct(row->model, row->published);
}

const char *report_role_name(enum report_role role)
{
    switch (role) {
    case REPORT_FITTED:
        return "fitted";
    case REPORT_PREDICTED:
        return "predicted";
    case REPORT_MODEL_ONLY:
        return "model only";
    }
    return "?";
}

const struct report_row *report_find(const struct report *rep,
                                     const char *seed, const char *label,
                                     const char *variant)
{
    for (size_t i = 0; rep && i < rep->nsections; i++) {
        const struct report_section *s = &rep->sections[i];

        if (seed && strcmp(s->seed, seed) != 0) {
            continue;
        }
        for (size_t j = 0; j < s->nrows; j++) {
            const struct report_row *r = &s->rows[j];

            if ((!label || strcmp(r->label, label) == 0) &&
                (!variant || strcmp(r->variant, variant) == 0)) {
                return r;
            }
        }
    }
    return NULL;
}

/* ---- shared formatting ---- */

/* Section indexes in seed order (stable), in a caller-freed array. */
static size_t *seed_order(const struct report *rep)
{
    size_t *o = malloc((rep->nsections ? rep->nsections : 1) *
                       sizeof(size_t));

    if (!o) {
        return NULL;
    }
    for (size_t i = 0; i < rep->nsections; i++) {
        size_t j = i;

        while (j > 0 && strcmp(rep->sections[o[j - 1]].seed,
                               rep->sections[i].seed) > 0) {
            o[j] = o[j - 1];
            j--;
        }
        o[j] = i;
    }
    return o;
}

/* Four significant digits, no exponent, no trailing zeros; "-" for a
 * missing figure. */
static const char *fmt_num(char *buf, size_t len, double v)
{
    int decimals;
    char *p;

    if (!isfinite(v)) {
        snprintf(buf, len, "-");
        return buf;
    }
    decimals = v == 0 ? 0 : 3 - (int)floor(log10(fabs(v)));
    if (decimals < 0) {
        decimals = 0;
    }
    if (decimals > 9) {
        decimals = 9;
    }
    snprintf(buf, len, "%.*f", decimals, v);
    if (strchr(buf, '.')) {
        p = buf + strlen(buf) - 1;
        while (*p == '0') {
            *p-- = '\0';
        }
        if (*p == '.') {
            *p = '\0';
        }
    }
    if (strcmp(buf, "-0") == 0) {
        snprintf(buf, len, "0");
    }
    return buf;
}

static const char *fmt_err(char *buf, size_t len, double e)
{
    if (!isfinite(e)) {
        snprintf(buf, len, "-");
    } else {
        snprintf(buf, len, "%+.1f%%", fit_print_zero(e, 1));
    }
    return buf;
}

/* The distinct table names of a section, in order of first appearance:
 * true when row i is the first row of its table. */
static bool first_of_table(const struct report_section *s, size_t i)
{
    for (size_t j = 0; j < i; j++) {
        if (strcmp(s->rows[j].table, s->rows[i].table) == 0) {
            return false;
        }
    }
    return true;
}

/* Escapes: one function per output language, writing s. */
typedef void (*escape_fn)(FILE *f, const char *s);

static void esc_md(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '|' || *s == '*' || *s == '_' || *s == '`' ||
            *s == '<' || *s == '>' || *s == '\\') {
            fputc('\\', f);
        }
        fputc(*s == '\n' ? ' ' : *s, f);
    }
}

static void esc_html(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '&':
            fputs("&amp;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}

/* The summary cells of a section: what the model predicted against what
 * the seed published, and the errors, written through `esc` with `sep`
 * between entries. */
static void summary_compared(FILE *f, const struct report_section *s,
                             escape_fn esc, const char *sep)
{
    char a[32], b[32], line[512];
    bool any = false;

    for (size_t i = 0; i < s->nrows; i++) {
        const struct report_row *r = &s->rows[i];

        if (!r->headline) {
            continue;
        }
        snprintf(line, sizeof(line), "%s, %s: model %s, published %s %s",
                 r->variant, r->label, fmt_num(a, sizeof(a), r->model),
                 fmt_num(b, sizeof(b), r->published), r->unit);
        if (any) {
            fputs(sep, f);
        }
        esc(f, line);
        any = true;
    }
    for (size_t i = 0; i < s->nclaims; i++) {
        snprintf(line, sizeof(line), "claim %s in the model: %s",
                 s->claims[i].holds ? "holds" : "DOES NOT HOLD",
                 s->claims[i].check);
        if (any) {
            fputs(sep, f);
        }
        esc(f, line);
        any = true;
    }
    if (!any) {
        esc(f, "-");
    }
}

static void summary_errors(FILE *f, const struct report_section *s,
                           escape_fn esc, const char *sep)
{
    char e[32];
    bool any = false;

    for (size_t i = 0; i < s->nrows; i++) {
        if (!s->rows[i].headline) {
            continue;
        }
        if (any) {
            fputs(sep, f);
        }
        esc(f, fmt_err(e, sizeof(e), report_error_pct(&s->rows[i])));
        any = true;
    }
    if (!any) {
        esc(f, "no figure published");
    }
}

static const char *or_text(const char *s, const char *dflt)
{
    return s && s[0] ? s : dflt;
}

#define NOTHING_FITTED "nothing (the seed publishes no figure)"
#define NOTHING_PREDICTED "no figure (the seed gives its result in words)"

static int finish(const struct report *rep, FILE *f)
{
    if (rep->failed) {
        return -ENOMEM;
    }
    return ferror(f) ? -EIO : 0;
}

/* ---- JSON ---- */

int report_write_json(const struct report *rep, FILE *f)
{
    size_t *order;

    if (rep->failed) {
        return -ENOMEM;
    }
    order = seed_order(rep);
    if (!order) {
        return -ENOMEM;
    }
    fputs("{\"kvmsim_report\": 1, \"request_sets\": [", f);
    for (size_t i = 0; i < rep->nrequest_sets; i++) {
        fputs(i ? ", " : "", f);
        scn_json_str(f, rep->request_sets[i]);
    }
    fputs("],\n \"sections\": [", f);
    for (size_t k = 0; k < rep->nsections; k++) {
        const struct report_section *s = &rep->sections[order[k]];

        fputs(k ? ",\n  {" : "\n  {", f);
        fputs("\"seed\": ", f);
        scn_json_str(f, s->seed);
        fputs(", \"scenario\": ", f);
        scn_json_str(f, s->scenario);
        fprintf(f, ", \"run_seed\": %llu", (unsigned long long)s->run_seed);
        fputs(",\n   \"title\": ", f);
        scn_json_str(f, s->title);
        fputs(",\n   \"fitted\": ", f);
        scn_json_str(f, s->fitted);
        fputs(",\n   \"predicted\": ", f);
        scn_json_str(f, s->predicted);
        fputs(",\n   \"claims\": [", f);
        for (size_t i = 0; i < s->nclaims; i++) {
            fputs(i ? ",\n    {" : "\n    {", f);
            fputs("\"words\": ", f);
            scn_json_str(f, s->claims[i].words);
            fputs(", \"check\": ", f);
            scn_json_str(f, s->claims[i].check);
            fprintf(f, ", \"holds\": %s}",
                    s->claims[i].holds ? "true" : "false");
        }
        fputs("],\n   \"params\": [", f);
        for (size_t i = 0; i < s->nparams; i++) {
            fputs(i ? ",\n    {" : "\n    {", f);
            fputs("\"name\": ", f);
            scn_json_str(f, s->params[i].name);
            fputs(", \"value\": ", f);
            scn_json_num(f, s->params[i].value);
            fputs(", \"unit\": ", f);
            scn_json_str(f, s->params[i].unit);
            fputs(", \"source\": ", f);
            scn_json_str(f, s->params[i].source);
            fputc('}', f);
        }
        fputs("],\n   \"rows\": [", f);
        for (size_t i = 0; i < s->nrows; i++) {
            const struct report_row *r = &s->rows[i];

            fputs(i ? ",\n    {" : "\n    {", f);
            fputs("\"table\": ", f);
            scn_json_str(f, r->table);
            fputs(", \"label\": ", f);
            scn_json_str(f, r->label);
            fputs(", \"variant\": ", f);
            scn_json_str(f, r->variant);
            fputs(", \"published\": ", f);
            scn_json_num(f, r->published);
            fputs(", \"model\": ", f);
            scn_json_num(f, r->model);
            fputs(", \"unit\": ", f);
            scn_json_str(f, r->unit);
            fputs(", \"role\": ", f);
            scn_json_str(f, report_role_name(r->role));
            fputs(", \"error_pct\": ", f);
            scn_json_num(f, report_error_pct(r));
            fprintf(f, ", \"headline\": %s", r->headline ? "true" : "false");
            fputs(",\n     \"metric\": ", f);
            scn_json_str(f, r->metric);
            fputs(", \"key\": ", f);
            scn_json_str(f, r->key);
            fputs(", \"x\": ", f);
            scn_json_num(f, r->key ? r->x : NAN);
            fputs(", \"sets\": [", f);
            if (r->sets) {
                const char *p = r->sets;
                bool first = true;

                while (*p) {
                    size_t n = strcspn(p, " ");

                    if (n) {
                        char item[256];

                        snprintf(item, sizeof(item), "%.*s", (int)n, p);
                        fputs(first ? "" : ", ", f);
                        scn_json_str(f, item);
                        first = false;
                    }
                    p += n;
                    p += strspn(p, " ");
                }
            }
            fputs("]}", f);
        }
        fputs("],\n   \"notes\": [", f);
        for (size_t i = 0; i < s->nnotes; i++) {
            fputs(i ? ",\n    " : "\n    ", f);
            scn_json_str(f, s->notes[i]);
        }
        fputs("]}", f);
    }
    fputs("\n ]}\n", f);
    free(order);
    return finish(rep, f);
}

/* ---- Markdown ---- */

static void md_sets(FILE *f, const struct report *rep)
{
    if (rep->nrequest_sets == 0) {
        fputs("none", f);
        return;
    }
    for (size_t i = 0; i < rep->nrequest_sets; i++) {
        fprintf(f, "%s`%s`", i ? ", " : "", rep->request_sets[i]);
    }
}

static void md_section(FILE *f, const struct report *rep,
                       const struct report_section *s)
{
    char a[32], b[32], e[32];

    fprintf(f, "\n## Seed %s: `%s`\n\n", s->seed, s->scenario);
    esc_md(f, s->title);
    fprintf(f, "\n\n- Run: seed %llu, overrides: ",
            (unsigned long long)s->run_seed);
    md_sets(f, rep);
    fputs("\n- Fitted on: ", f);
    esc_md(f, or_text(s->fitted, NOTHING_FITTED));
    fputs("\n- Predicted: ", f);
    esc_md(f, or_text(s->predicted, NOTHING_PREDICTED));
    fputs("\n", f);
    if (s->nclaims) {
        fputs("\n| the seed says | check | in the model |\n|---|---|---|\n",
              f);
        for (size_t i = 0; i < s->nclaims; i++) {
            fputs("| \"", f);
            esc_md(f, s->claims[i].words);
            fputs("\" | ", f);
            esc_md(f, s->claims[i].check);
            fprintf(f, " | %s |\n",
                    s->claims[i].holds ? "holds" : "**does not hold**");
        }
    }
    for (size_t i = 0; i < s->nrows; i++) {
        if (!first_of_table(s, i)) {
            continue;
        }
        fputs("\n### ", f);
        esc_md(f, s->rows[i].table);
        fputs("\n\n| row | variant | published | model | unit | error "
              "| role |\n|---|---|--:|--:|---|--:|---|\n", f);
        for (size_t j = i; j < s->nrows; j++) {
            const struct report_row *r = &s->rows[j];

            if (strcmp(r->table, s->rows[i].table) != 0) {
                continue;
            }
            fputs("| ", f);
            esc_md(f, r->label);
            fputs(" | ", f);
            esc_md(f, r->variant);
            fprintf(f, " | %s | %s | ", fmt_num(a, sizeof(a), r->published),
                    fmt_num(b, sizeof(b), r->model));
            esc_md(f, r->unit);
            fprintf(f, " | %s | %s%s%s |\n",
                    fmt_err(e, sizeof(e), report_error_pct(r)),
                    r->role == REPORT_PREDICTED ? "**" : "",
                    report_role_name(r->role),
                    r->role == REPORT_PREDICTED ? "**" : "");
        }
    }
    if (s->nparams) {
        fputs("\n### Model constants\n\n| constant | value | unit | "
              "source |\n|---|--:|---|---|\n", f);
        for (size_t i = 0; i < s->nparams; i++) {
            fputs("| ", f);
            esc_md(f, s->params[i].name);
            fprintf(f, " | %s | ", fmt_num(a, sizeof(a), s->params[i].value));
            esc_md(f, s->params[i].unit);
            fputs(" | ", f);
            esc_md(f, s->params[i].source);
            fputs(" |\n", f);
        }
    }
    if (s->nnotes) {
        fputs("\n", f);
        for (size_t i = 0; i < s->nnotes; i++) {
            fputs("- ", f);
            esc_md(f, s->notes[i]);
            fputs("\n", f);
        }
    }
}

int report_write_markdown(const struct report *rep, FILE *f)
{
    size_t *order;

    if (rep->failed) {
        return -ENOMEM;
    }
    order = seed_order(rep);
    if (!order) {
        return -ENOMEM;
    }
    fputs("# kvmsim: the seeds' published figures and the model's\n\n"
          "Generated by `kvmsim report`.  Each section is one `kvmsim "
          "compare`.  *Fitted* figures are the ones the model's constants "
          "were fitted on (their error is the fit's residual); "
          "*predicted* figures were not shown to the fit, so their error "
          "is the model's prediction error, (model - published) / "
          "published.\n\n", f);
    fputs("| seed | scenario | fitted on | predicted | model vs published "
          "| error |\n|---|---|---|---|---|---|\n", f);
    for (size_t k = 0; k < rep->nsections; k++) {
        const struct report_section *s = &rep->sections[order[k]];

        fprintf(f, "| %s | `%s` | ", s->seed, s->scenario);
        esc_md(f, or_text(s->fitted, NOTHING_FITTED));
        fputs(" | ", f);
        esc_md(f, or_text(s->predicted, NOTHING_PREDICTED));
        fputs(" | ", f);
        summary_compared(f, s, esc_md, "<br>");
        fputs(" | ", f);
        summary_errors(f, s, esc_md, "<br>");
        fputs(" |\n", f);
    }
    for (size_t k = 0; k < rep->nsections; k++) {
        md_section(f, rep, &rep->sections[order[k]]);
    }
    free(order);
    return finish(rep, f);
}

/* ---- HTML ---- */

static void html_section(FILE *f, const struct report *rep,
                         const struct report_section *s)
{
    char a[32], b[32], e[32];

    fprintf(f, "<h2 id=\"seed-%s-", s->seed);
    esc_html(f, s->scenario);
    fprintf(f, "\">Seed %s: <code>", s->seed);
    esc_html(f, s->scenario);
    fputs("</code></h2>\n<p>", f);
    esc_html(f, s->title);
    fprintf(f, "</p>\n<ul>\n<li>Run: seed %llu, overrides: ",
            (unsigned long long)s->run_seed);
    if (rep->nrequest_sets == 0) {
        fputs("none", f);
    }
    for (size_t i = 0; i < rep->nrequest_sets; i++) {
        fputs(i ? ", <code>" : "<code>", f);
        esc_html(f, rep->request_sets[i]);
        fputs("</code>", f);
    }
    fputs("</li>\n<li>Fitted on: ", f);
    esc_html(f, or_text(s->fitted, NOTHING_FITTED));
    fputs("</li>\n<li>Predicted: ", f);
    esc_html(f, or_text(s->predicted, NOTHING_PREDICTED));
    fputs("</li>\n</ul>\n", f);
    if (s->nclaims) {
        fputs("<table>\n<tr><th>the seed says</th><th>check</th>"
              "<th>in the model</th></tr>\n", f);
        for (size_t i = 0; i < s->nclaims; i++) {
            fputs("<tr><td>&ldquo;", f);
            esc_html(f, s->claims[i].words);
            fputs("&rdquo;</td><td>", f);
            esc_html(f, s->claims[i].check);
            fprintf(f, "</td><td class=\"%s\">%s</td></tr>\n",
                    s->claims[i].holds ? "holds" : "fails",
                    s->claims[i].holds ? "holds" : "does not hold");
        }
        fputs("</table>\n", f);
    }
    for (size_t i = 0; i < s->nrows; i++) {
        if (!first_of_table(s, i)) {
            continue;
        }
        fputs("<h3>", f);
        esc_html(f, s->rows[i].table);
        fputs("</h3>\n<table>\n<tr><th>row</th><th>variant</th>"
              "<th>published</th><th>model</th><th>unit</th><th>error</th>"
              "<th>role</th></tr>\n", f);
        for (size_t j = i; j < s->nrows; j++) {
            const struct report_row *r = &s->rows[j];

            if (strcmp(r->table, s->rows[i].table) != 0) {
                continue;
            }
            fprintf(f, "<tr class=\"%s\"><td>",
                    r->role == REPORT_FITTED      ? "fitted"
                    : r->role == REPORT_PREDICTED ? "predicted"
                                                  : "model");
            esc_html(f, r->label);
            fputs("</td><td>", f);
            esc_html(f, r->variant);
            fprintf(f, "</td><td class=\"n\">%s</td><td class=\"n\">%s"
                    "</td><td>", fmt_num(a, sizeof(a), r->published),
                    fmt_num(b, sizeof(b), r->model));
            esc_html(f, r->unit);
            fprintf(f, "</td><td class=\"n\">%s</td><td>%s</td></tr>\n",
                    fmt_err(e, sizeof(e), report_error_pct(r)),
                    report_role_name(r->role));
        }
        fputs("</table>\n", f);
    }
    if (s->nparams) {
        fputs("<h3>Model constants</h3>\n<table>\n<tr><th>constant</th>"
              "<th>value</th><th>unit</th><th>source</th></tr>\n", f);
        for (size_t i = 0; i < s->nparams; i++) {
            fputs("<tr><td>", f);
            esc_html(f, s->params[i].name);
            fprintf(f, "</td><td class=\"n\">%s</td><td>",
                    fmt_num(a, sizeof(a), s->params[i].value));
            esc_html(f, s->params[i].unit);
            fputs("</td><td>", f);
            esc_html(f, s->params[i].source);
            fputs("</td></tr>\n", f);
        }
        fputs("</table>\n", f);
    }
    if (s->nnotes) {
        fputs("<ul class=\"notes\">\n", f);
        for (size_t i = 0; i < s->nnotes; i++) {
            fputs("<li>", f);
            esc_html(f, s->notes[i]);
            fputs("</li>\n", f);
        }
        fputs("</ul>\n", f);
    }
}

int report_write_html(const struct report *rep, FILE *f)
{
    size_t *order;

    if (rep->failed) {
        return -ENOMEM;
    }
    order = seed_order(rep);
    if (!order) {
        return -ENOMEM;
    }
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
          "<meta charset=\"utf-8\">\n"
          "<title>kvmsim: seeds and model</title>\n<style>\n"
          "body{font-family:sans-serif;max-width:72em;margin:2em auto;"
          "padding:0 1em;line-height:1.4}\n"
          "table{border-collapse:collapse;margin:.5em 0 1em}\n"
          "th,td{border:1px solid #bbb;padding:.2em .5em;text-align:left;"
          "vertical-align:top}\n"
          "th{background:#eee}\ntd.n{text-align:right;"
          "font-variant-numeric:tabular-nums}\n"
          "tr.fitted{background:#f4f4f4}\ntr.predicted{background:#fff6d5;"
          "font-weight:bold}\n"
          "td.holds{color:#060}\ntd.fails{color:#a00;font-weight:bold}\n"
          "</style>\n</head>\n<body>\n"
          "<h1>kvmsim: the seeds&rsquo; published figures and the "
          "model&rsquo;s</h1>\n"
          "<p>Generated by <code>kvmsim report</code>.  Each section is "
          "one <code>kvmsim compare</code>.  <em>Fitted</em> figures are "
          "the ones the model&rsquo;s constants were fitted on (their "
          "error is the fit&rsquo;s residual); <em>predicted</em> figures "
          "were not shown to the fit, so their error is the model&rsquo;s "
          "prediction error, (model &minus; published) / published.</p>\n"
          "<table>\n<tr><th>seed</th><th>scenario</th><th>fitted on</th>"
          "<th>predicted</th><th>model vs published</th><th>error</th>"
          "</tr>\n", f);
    for (size_t k = 0; k < rep->nsections; k++) {
        const struct report_section *s = &rep->sections[order[k]];

        fprintf(f, "<tr><td><a href=\"#seed-%s-", s->seed);
        esc_html(f, s->scenario);
        fprintf(f, "\">%s</a></td><td><code>", s->seed);
        esc_html(f, s->scenario);
        fputs("</code></td><td>", f);
        esc_html(f, or_text(s->fitted, NOTHING_FITTED));
        fputs("</td><td>", f);
        esc_html(f, or_text(s->predicted, NOTHING_PREDICTED));
        fputs("</td><td>", f);
        summary_compared(f, s, esc_html, "<br>");
        fputs("</td><td class=\"n\">", f);
        summary_errors(f, s, esc_html, "<br>");
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
    for (size_t k = 0; k < rep->nsections; k++) {
        html_section(f, rep, &rep->sections[order[k]]);
    }
    fputs("</body>\n</html>\n", f);
    free(order);
    return finish(rep, f);
}

/* ---- files ---- */

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* ---- plain text (the terminal table of `kvmsim compare`) ---- */

#define TEXT_COL 10 /* width of a figure column */

/* Variant v (index into vars) of the table starting at row t0: whether
 * any of its rows has a published figure, and an error. */
static void text_columns(const struct report_section *s, size_t t0,
                         const char *variant, bool *pub, bool *err)
{
    *pub = *err = false;
    for (size_t j = t0; j < s->nrows; j++) {
        const struct report_row *r = &s->rows[j];

        if (strcmp(r->table, s->rows[t0].table) == 0 &&
            strcmp(r->variant, variant) == 0) {
            *pub |= !isnan(r->published);
            *err |= isfinite(report_error_pct(r));
        }
    }
}

/* The row of the table at t0 with this label and variant, or NULL. */
static const struct report_row *text_cell(const struct report_section *s,
                                          size_t t0, const char *label,
                                          const char *variant)
{
    for (size_t j = t0; j < s->nrows; j++) {
        const struct report_row *r = &s->rows[j];

        if (strcmp(r->table, s->rows[t0].table) == 0 &&
            strcmp(r->label, label) == 0 &&
            strcmp(r->variant, variant) == 0) {
            return r;
        }
    }
    return NULL;
}

/* True when row j is the first row of table t0 with its field (label or
 * variant) value. */
static bool text_first(const struct report_section *s, size_t t0, size_t j,
                       bool by_label)
{
    const char *v = by_label ? s->rows[j].label : s->rows[j].variant;

    for (size_t k = t0; k < j; k++) {
        const char *w = by_label ? s->rows[k].label : s->rows[k].variant;

        if (strcmp(s->rows[k].table, s->rows[t0].table) == 0 &&
            strcmp(w, v) == 0) {
            return false;
        }
    }
    return true;
}

/* One table: a line per label, a column group per variant (published,
 * model and error where the variant has them). */
static void text_table(FILE *f, const struct report_section *s, size_t t0)
{
    const char *unit = s->rows[t0].unit;
    int lw = 5;
    char a[32];

    for (size_t j = t0; j < s->nrows; j++) {
        const struct report_row *r = &s->rows[j];

        if (strcmp(r->table, s->rows[t0].table) != 0) {
            continue;
        }
        if ((int)strlen(r->label) > lw) {
            lw = (int)strlen(r->label);
        }
        if (strcmp(r->unit, unit) != 0) {
            unit = "";
        }
    }
    fprintf(f, "%s%s%s\n", s->rows[t0].table, unit[0] ? ", " : "", unit);
    /* The header: variant names, then what each column holds. */
    for (int line = 0; line < 2; line++) {
        fprintf(f, "  %-*s", lw, "");
        for (size_t j = t0; j < s->nrows; j++) {
            const struct report_row *r = &s->rows[j];
            bool pub, err;
            int w;

            if (strcmp(r->table, s->rows[t0].table) != 0 ||
                !text_first(s, t0, j, false)) {
                continue;
            }
            text_columns(s, t0, r->variant, &pub, &err);
            w = (TEXT_COL + 1) * (1 + pub + err);
            if (line == 0) {
                fprintf(f, " |%*s", w, r->variant);
            } else {
                fputs(" |", f);
                if (pub) {
                    fprintf(f, " %*s", TEXT_COL, "published");
                }
                fprintf(f, " %*s", TEXT_COL, "model");
                if (err) {
                    fprintf(f, " %*s", TEXT_COL, "error");
                }
            }
        }
        fputc('\n', f);
    }
    for (size_t i = t0; i < s->nrows; i++) {
        if (strcmp(s->rows[i].table, s->rows[t0].table) != 0 ||
            !text_first(s, t0, i, true)) {
            continue;
        }
        fprintf(f, "  %-*s", lw, s->rows[i].label);
        for (size_t j = t0; j < s->nrows; j++) {
            const struct report_row *r = &s->rows[j], *c;
            bool pub, err;

            if (strcmp(r->table, s->rows[t0].table) != 0 ||
                !text_first(s, t0, j, false)) {
                continue;
            }
            text_columns(s, t0, r->variant, &pub, &err);
            c = text_cell(s, t0, s->rows[i].label, r->variant);
            fputs(" |", f);
            if (pub) {
                fprintf(f, " %*s", TEXT_COL,
                        c ? fmt_num(a, sizeof(a), c->published) : "");
            }
            fprintf(f, " %*s", TEXT_COL,
                    c ? fmt_num(a, sizeof(a), c->model) : "");
            if (err) {
                fprintf(f, " %*s", TEXT_COL,
                        c ? fmt_err(a, sizeof(a), report_error_pct(c)) : "");
            }
        }
        fputc('\n', f);
    }
}

int report_write_text(const struct report *rep, size_t first, FILE *f)
{
    char a[32];

    if (rep->failed) {
        return -ENOMEM;
    }
    for (size_t k = first; k < rep->nsections; k++) {
        const struct report_section *s = &rep->sections[k];

        fprintf(f, "seed %s - %s\n", s->seed, s->title);
        fprintf(f, "fitted on: %s\n", or_text(s->fitted, NOTHING_FITTED));
        fprintf(f, "predicted: %s\n",
                or_text(s->predicted, NOTHING_PREDICTED));
        for (size_t i = 0; i < s->nrows; i++) {
            if (first_of_table(s, i)) {
                text_table(f, s, i);
            }
        }
        if (s->nparams) {
            fputs("model constants\n", f);
        }
        for (size_t i = 0; i < s->nparams; i++) {
            fprintf(f, "  %s: %s %s (%s)\n", s->params[i].name,
                    fmt_num(a, sizeof(a), s->params[i].value),
                    s->params[i].unit, s->params[i].source);
        }
        for (size_t i = 0; i < s->nclaims; i++) {
            fprintf(f, "the seed says \"%s\"\n  check: %s: %s\n",
                    s->claims[i].words, s->claims[i].check,
                    s->claims[i].holds ? "holds" : "does NOT hold");
        }
        for (size_t i = 0; i < s->nnotes; i++) {
            fprintf(f, "- %s\n", s->notes[i]);
        }
    }
    return ferror(f) ? -EIO : 0;
}

int report_write_file(const struct report *rep, const char *path)
{
    FILE *f;
    int rc;

    if (rep->failed) {
        return -ENOMEM;
    }
    f = fopen(path, "w");
    if (!f) {
        return -errno;
    }
    if (ends_with(path, ".md")) {
        rc = report_write_markdown(rep, f);
    } else if (ends_with(path, ".html") || ends_with(path, ".htm")) {
        rc = report_write_html(rep, f);
    } else {
        rc = report_write_json(rep, f);
    }
    if (fclose(f) != 0 && rc == 0) {
        rc = -EIO;
    }
    return rc;
}
