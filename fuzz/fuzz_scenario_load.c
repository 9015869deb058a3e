/*
 * fuzz/fuzz_scenario_load.c - libFuzzer target for scenario files
 * (scenarios/tool/config.c).
 *
 * The input is INI text, used as is: cfg_peek_driver() and cfg_load_text()
 * read all of it, and its first lines are also applied as --set overrides.
 * Keeping the input plain text (no opcode header) lets the seed corpus be
 * real scenario files and keeps every mutation meaningful.  Besides
 * "no crash, no leak, no UB", it checks:
 *  - every error message is NUL-terminated within errlen, starts with
 *    "ORIGIN:LINE: ", and a short errlen gives a prefix of the full one;
 *  - a file that loads also peeks, with the same driver;
 *  - values stay in their declared ranges;
 *  - cfg_dump() replays through cfg_set() into the same dump;
 *  - when the text names a registered driver, it is loaded again with
 *    that driver's own key table (common keys and the driver's): every
 *    numeric key of the table holds a value inside its declared range,
 *    also after taking each end (or choice) of every [swarm] range.
 * Keys reach their whole range through the dictionary: fuzz/
 * scenario_load.dict holds, for every numeric key of every driver, the
 * key assigned each boundary value of its range (min, min + 1, max - 1,
 * max, and the out-of-range min - 1 and max + 1; 0, 1 and the powers of
 * two inside the range), so boundaries are drawn far more often than the
 * rest; tests/test_domain.c loads each of them and checks it is accepted
 * exactly when it lies in the range.
 * Nothing is kept between inputs.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fault.h"
#include "scenarios/tool/config.h"
#include "scenarios/tool/scenario.h"

#define FZ_MAX_INPUT 8192 /* longer inputs only slow the fuzzer down */
#define FZ_MAX_SETS 8     /* input lines also applied as --set */
#define FZ_ERRLEN 512

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fz_modes[] = { "batch", "single", "off", NULL };

/* A workload table like a driver's: every type, and a "cpus" key that
 * makes the bare --set key ambiguous with vm.cpus. */
static const struct cfg_key fz_workload_keys[] = {
    { "workload", "vectors", CFG_INT, "32", 1, 2048, NULL,
      "MSI-X vectors per device" },
    { "workload", "cpus", CFG_INT, "1", 1, 64, NULL, "worker CPUs" },
    { "workload", "offset", CFG_INT, "0", -9223372036854775808.0,
      9223372036854775807.0, NULL, "any int64" },
    { "workload", "ratio", CFG_DOUBLE, "0.5", -1, 1, NULL, "a ratio" },
    { "workload", "batch", CFG_BOOL, "true", 0, 0, NULL, "batch commits" },
    { "workload", "mode", CFG_ENUM, "batch", 0, 0, fz_modes, "mode" },
    { "workload", "label", CFG_STRING, "", 0, 0, NULL, "free text" },
    { "invariants", "no_lost_irq", CFG_BOOL, "true", 0, 0, NULL,
      "every interrupt is delivered" },
    { NULL, NULL, CFG_INT, NULL, 0, 0, NULL, NULL },
};

static const struct cfg_key *const fz_tables[] = {
    cfg_common_keys, fz_workload_keys, NULL,
};

static void fz_fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_scenario_load: %s: %s\n", what,
            detail ? detail : "");
    __builtin_trap();
}

/* err must be a C string within errlen that starts "ORIGIN:DIGITS: ". */
static void check_message(const char *err, size_t errlen, const char *origin)
{
    size_t olen = strlen(origin);
    const char *p;

    if (errlen == 0) {
        return;
    }
    if (memchr(err, '\0', errlen) == NULL) {
        fz_fail("message not terminated within errlen", NULL);
    }
    if (errlen < olen + 16) {
        return;
    }
    if (strncmp(err, origin, olen) != 0 || err[olen] != ':') {
        fz_fail("message without origin", err);
    }
    p = err + olen + 1;
    if (*p < '0' || *p > '9') {
        fz_fail("message without line", err);
    }
    while (*p >= '0' && *p <= '9') {
        p++;
    }
    if (p[0] != ':' || p[1] != ' ' || p[2] == '\0') {
        fz_fail("message without text", err);
    }
}

static char *dump_text(const struct cfg *c)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    if (!f) {
        return NULL;
    }
    cfg_dump(c, f);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* Load text again with a short err buffer: same result, and the message
 * is a prefix of the full one. */
static void check_short_errlen(const char *text, int rc, const char *full,
                               size_t errlen)
{
    struct cfg *c = cfg_create(fz_tables);
    char err[32];
    int rc2;

    if (!c) {
        return;
    }
    memset(err, 'Z', sizeof(err));
    rc2 = cfg_load_text(c, "fuzz.ini", text, err, errlen);
    if (rc2 != rc) {
        fz_fail("second load differs", full);
    }
    if (rc < 0) {
        if (memchr(err, '\0', errlen) == NULL ||
            strncmp(err, full, strlen(err)) != 0 ||
            (strlen(err) < errlen - 1 && strlen(err) != strlen(full))) {
            fz_fail("short message is not a prefix", full);
        }
        if (errlen < sizeof(err) && err[errlen] != 'Z') {
            fz_fail("message written past errlen", full);
        }
    }
    cfg_destroy(c);
}

static void check_ranges(const struct cfg *c)
{
    int site;
    uint64_t n;
    int64_t vcpus = cfg_int(c, "vm", "vcpus");
    double ratio = cfg_double(c, "workload", "ratio");

    for (unsigned s = 0; s < PLAT_FAULT_NR; s++) {
        double p = cfg_fault_prob(c, s);

        if (!(p >= 0 && p <= 1)) {
            fz_fail("fault probability out of range", NULL);
        }
    }
    cfg_fault_nth(c, &site, &n);
    if (site < -1 || site >= PLAT_FAULT_NR || n < 1) {
        fz_fail("nth setting out of range", NULL);
    }
    if (vcpus < 1 || vcpus > 1024 || !(ratio >= -1 && ratio <= 1)) {
        fz_fail("value out of range", NULL);
    }
    if (strlen(cfg_str(c, "workload", "label")) > 255) {
        fz_fail("string too long", NULL);
    }
    (void)cfg_where(c, "run", "seed");
    (void)cfg_bool(c, "workload", "batch");
    (void)cfg_str(c, "run", "strategy");
}

/* Apply the first lines of text as --set overrides. */
static void apply_sets(struct cfg *c, const char *text)
{
    char err[FZ_ERRLEN];
    char line[512];
    unsigned index = 0;

    while (*text && index < FZ_MAX_SETS) {
        const char *nl = strchr(text, '\n');
        size_t len = nl ? (size_t)(nl - text) : strlen(text);

        if (len >= sizeof(line)) {
            len = sizeof(line) - 1;
        }
        memcpy(line, text, len);
        line[len] = '\0';
        text = nl ? nl + 1 : text + strlen(text);
        if (cfg_set(c, line, ++index, err, sizeof(err)) < 0) {
            check_message(err, sizeof(err), "--set");
        }
    }
}

/* Every dumped line must replay through cfg_set into the same dump. */
static void check_dump_replays(const struct cfg *c)
{
    char err[FZ_ERRLEN];
    char *dump = dump_text(c);
    char *copy;
    char *save = NULL;
    char *again;
    struct cfg *c2;
    unsigned index = 0;

    if (!dump) {
        return;
    }
    c2 = cfg_create(fz_tables);
    copy = strdup(dump);
    if (!c2 || !copy) {
        cfg_destroy(c2);
        free(copy);
        free(dump);
        return;
    }
    for (char *l = strtok_r(copy, "\n", &save); l;
         l = strtok_r(NULL, "\n", &save)) {
        if (cfg_set(c2, l, ++index, err, sizeof(err)) != 0) {
            fz_fail("dumped line does not replay", err);
        }
    }
    again = dump_text(c2);
    if (again && strcmp(again, dump) != 0) {
        fz_fail("replayed dump differs", again);
    }
    free(again);
    free(copy);
    free(dump);
    cfg_destroy(c2);
}

/* Every numeric key of table t holds a value in its declared range. */
static void check_table_ranges(const struct cfg *c, const struct cfg_key *t)
{
    char what[160];

    for (; t->name; t++) {
        double v;

        if (t->type == CFG_INT) {
            v = (double)cfg_int(c, t->section, t->name);
        } else if (t->type == CFG_DOUBLE) {
            v = cfg_double(c, t->section, t->name);
        } else {
            continue;
        }
        if (!(v >= t->min && v <= t->max)) {
            snprintf(what, sizeof(what), "%s.%s = %g outside [%g, %g]",
                     t->section, t->name, v, t->min, t->max);
            fz_fail("value out of its declared range", what);
        }
    }
}

/* Every [swarm] range is non-empty, and its ends (or choices) are values
 * its key accepts: any pick is a valid configuration. */
static void check_swarm(struct cfg *c)
{
    const struct cfg_swarm *sw = cfg_swarm(c);
    char err[FZ_ERRLEN];
    char v[64];

    if (!(sw->rate_lo >= 0 && sw->rate_lo <= sw->rate_hi &&
          sw->rate_hi <= 1)) {
        fz_fail("[swarm] fault_rate outside [0, 1]", NULL);
    }
    for (unsigned i = 0; i < sw->nsites; i++) {
        if (sw->site[i] >= PLAT_FAULT_NR) {
            fz_fail("[swarm] fault site out of range", NULL);
        }
    }
    for (unsigned i = 0; i < sw->nknobs; i++) {
        const struct cfg_swarm_knob *k = &sw->knob[i];
        unsigned n = k->nchoices ? k->nchoices : 2;

        if (!k->nchoices && (k->type == CFG_INT ? k->ilo > k->ihi
                                                : !(k->dlo <= k->dhi))) {
            fz_fail("empty [swarm] range", k->name);
        }
        for (unsigned j = 0; j < n; j++) {
            if (k->nchoices) {
                snprintf(v, sizeof(v), "%s", k->choices[j]);
            } else if (k->type == CFG_INT) {
                snprintf(v, sizeof(v), "%" PRId64, j ? k->ihi : k->ilo);
            } else {
                snprintf(v, sizeof(v), "%.17g", j ? k->dhi : k->dlo);
            }
            if (cfg_swarm_apply(c, k->section, k->name, v, k->line, err,
                                sizeof(err)) < 0) {
                fz_fail("a [swarm] value its key refuses", err);
            }
        }
    }
}

/* Load text with the key table of the driver it names, if registered. */
static void check_driver_keys(const char *text, const char *driver)
{
    const struct scn_driver *drv = scn_driver_find(driver);
    const struct cfg_key *tables[4] = { cfg_common_keys, NULL, NULL, NULL };
    char err[FZ_ERRLEN];
    struct cfg *c;

    if (!drv) {
        return;
    }
    tables[1] = drv->keys;
    tables[2] = scn_cost_cfg_keys(drv);
    c = cfg_create(tables);
    if (!c) {
        return;
    }
    if (cfg_load_text(c, "fuzz.ini", text, err, sizeof(err)) < 0) {
        check_message(err, sizeof(err), "fuzz.ini");
    } else {
        check_swarm(c);
        check_table_ranges(c, cfg_common_keys);
        if (drv->keys) {
            check_table_ranges(c, drv->keys);
        }
        if (tables[2]) {
            check_table_ranges(c, tables[2]);
        }
    }
    cfg_destroy(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[FZ_ERRLEN];
    char driver[16];
    char *text;
    struct cfg *c;
    int peek_rc;
    int rc;

    if (size > FZ_MAX_INPUT) {
        return 0;
    }
    text = malloc(size + 1);
    if (!text) {
        return 0;
    }
    memcpy(text, data, size);
    text[size] = '\0';

    peek_rc = cfg_peek_driver("fuzz.ini", text, driver, sizeof(driver), err,
                              sizeof(err));
    if (peek_rc < 0) {
        check_message(err, sizeof(err), "fuzz.ini");
    } else {
        check_driver_keys(text, driver);
    }

    c = cfg_create(fz_tables);
    if (!c) {
        free(text);
        return 0;
    }
    rc = cfg_load_text(c, "fuzz.ini", text, err, sizeof(err));
    if (rc < 0) {
        check_message(err, sizeof(err), "fuzz.ini");
    } else {
        const char *d = cfg_str(c, "scenario", "driver");

        if (d[0] && strlen(d) < sizeof(driver) &&
            (peek_rc != 0 || strcmp(d, driver) != 0)) {
            fz_fail("loads but does not peek the same driver", d);
        }
    }
    check_short_errlen(text, rc, err, 1 + size % 24);
    check_ranges(c);
    check_table_ranges(c, cfg_common_keys);
    check_table_ranges(c, fz_workload_keys);
    apply_sets(c, text);
    check_ranges(c);
    check_dump_replays(c);
    cfg_destroy(c);
    free(text);
    return 0;
}
