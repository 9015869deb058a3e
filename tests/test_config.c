/*
 * tests/test_config.c - unit tests of scenarios/tool/config.c: typed values
 * at their boundaries (files and --set), error messages with their exact
 * "ORIGIN:LINE:" prefix, cfg_where, cfg_peek_driver, [faults], cfg_dump and
 * cfg_print_keys.
 *
 * Needs no files from the source tree; the file tests write to a mkstemp()
 * file under $TMPDIR (or /tmp) and remove it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <ini.h>

#include "core/fault.h"
#include "scenarios/tool/config.h"
#include "tests/lib.h"

static const char *const test_modes[] = { "batch", "single", NULL };

/* Scenario-specific keys, as a driver would declare them.  workload.cpus
 * makes the bare key "cpus" ambiguous with vm.cpus. */
static const struct cfg_key test_keys[] = {
    { "workload", "batch", CFG_BOOL, "false", 0, 0, NULL, "batch commits" },
    { "workload", "cpus", CFG_INT, "1", 1, 8, NULL, "worker CPUs" },
    { "workload", "offset", CFG_INT, "0", -9223372036854775808.0,
      9223372036854775807.0, NULL, "any int64" },
    { "workload", "ratio", CFG_DOUBLE, "0.5", -1, 1, NULL, "a ratio" },
    { "workload", "mode", CFG_ENUM, "batch", 0, 0, test_modes, "mode" },
    { "workload", "label", CFG_STRING, "none", 0, 0, NULL, "a label" },
    { "invariants", "routes", CFG_BOOL, "true", 0, 0, NULL, "check routes" },
    { NULL, NULL, CFG_INT, NULL, 0, 0, NULL, NULL },
};

static const struct cfg_key *const test_tables[] = {
    cfg_common_keys, test_keys, NULL,
};

#define SECTIONS "(sections: scenario run vm workload invariants faults)"

static struct cfg *new_cfg(void)
{
    struct cfg *c = cfg_create(test_tables);

    assert_non_null(c);
    return c;
}

/* Everything a function printed to a FILE, as a malloc'd string. */
struct capture {
    char *buf;
    size_t len;
    FILE *f;
};

static void capture_start(struct capture *cap)
{
    cap->buf = NULL;
    cap->len = 0;
    cap->f = open_memstream(&cap->buf, &cap->len);
    assert_non_null(cap->f);
}

static char *capture_end(struct capture *cap)
{
    assert_int_equal(fclose(cap->f), 0);
    return cap->buf;
}

static char *dump_text(const struct cfg *c)
{
    struct capture cap;

    capture_start(&cap);
    cfg_dump(c, cap.f);
    return capture_end(&cap);
}

/* The value of "section.key" as cfg_dump prints it, into buf. */
static void dumped_value(const struct cfg *c, const char *section,
                         const char *key, char *buf, size_t len)
{
    char *dump = dump_text(c);
    char prefix[128];
    const char *line = dump;
    bool found = false;

    snprintf(prefix, sizeof(prefix), "%s.%s=", section, key);
    while (*line) {
        const char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);

        if (strncmp(line, prefix, strlen(prefix)) == 0) {
            size_t vlen = n - strlen(prefix);

            ASSERT_LT(vlen, len);
            memcpy(buf, line + strlen(prefix), vlen);
            buf[vlen] = '\0';
            found = true;
            break;
        }
        line += n + (nl ? 1 : 0);
    }
    free(dump);
    assert_true(found);
}

/* ---- one value at its boundaries, through a file and through --set ---- */

struct value_row {
    const char *section;
    const char *key;
    const char *input;
    bool ok;
    const char *expect; /* the value as dumped, or the message body */
};

#define BAD_BOOL "is not a boolean (true|false|on|off|yes|no|1|0)"

/* name, section, key, input, ok, expected */
#define BOTH_ROWS(X)                                                        \
    X(int_min, "vm", "vcpus", "1", true, "1")                               \
    X(int_max, "vm", "vcpus", "1024", true, "1024")                         \
    X(int_min_minus_1, "vm", "vcpus", "0", false,                           \
      "value 0 out of range [1, 1024] for vm.vcpus")                        \
    X(int_max_plus_1, "vm", "vcpus", "1025", false,                         \
      "value 1025 out of range [1, 1024] for vm.vcpus")                     \
    X(int_far_out_of_range, "vm", "vcpus", "5000", false,                   \
      "value 5000 out of range [1, 1024] for vm.vcpus")                     \
    X(int_negative, "vm", "vcpus", "-1", false,                             \
      "value -1 out of range [1, 1024] for vm.vcpus")                       \
    X(int_hex, "vm", "vcpus", "0x10", true, "16")                           \
    X(int_hex_upper, "vm", "vcpus", "0X3FF", true, "1023")                  \
    X(int_hex_out_of_range, "vm", "vcpus", "0x401", false,                  \
      "value 0x401 out of range [1, 1024] for vm.vcpus")                    \
    X(int_leading_zeros, "vm", "vcpus", "007", true, "7")                   \
    X(int_junk, "vm", "vcpus", "abc", false, "'abc' is not an integer")     \
    X(int_trailing_junk, "vm", "vcpus", "12abc", false,                     \
      "'12abc' is not an integer")                                          \
    X(int_hex_junk, "vm", "vcpus", "0x1g", false,                           \
      "'0x1g' is not an integer")                                           \
    X(int_hex_no_digits, "vm", "vcpus", "0x", false,                        \
      "'0x' is not an integer")                                             \
    X(int_plus_sign, "vm", "vcpus", "+5", false, "'+5' is not an integer")  \
    X(int_fraction, "vm", "vcpus", "1.0", false,                            \
      "'1.0' is not an integer")                                            \
    X(int_inner_space, "vm", "vcpus", "1 2", false,                         \
      "'1 2' is not an integer")                                            \
    X(int_empty, "vm", "vcpus", "", false,                                  \
      "empty value for vm.vcpus; expected an integer")                      \
    X(int64_max, "run", "seed", "9223372036854775807", true,                \
      "9223372036854775807")                                                \
    X(int64_max_hex, "run", "seed", "0x7fffffffffffffff", true,             \
      "9223372036854775807")                                                \
    X(int64_max_plus_1, "run", "seed", "9223372036854775808", false,        \
      "'9223372036854775808' does not fit in a 64-bit integer")             \
    X(int64_hex_overflow, "run", "seed", "0x10000000000000000", false,      \
      "'0x10000000000000000' does not fit in a 64-bit integer")             \
    X(seed_zero, "run", "seed", "0", true, "0")                             \
    X(seed_minus_1, "run", "seed", "-1", false,                             \
      "value -1 out of range [0, 9223372036854775807] for run.seed")        \
    X(int64_min, "workload", "offset", "-9223372036854775808", true,        \
      "-9223372036854775808")                                               \
    X(int64_min_hex, "workload", "offset", "-0x8000000000000000", true,     \
      "-9223372036854775808")                                               \
    X(int64_min_minus_1, "workload", "offset", "-9223372036854775809",      \
      false, "'-9223372036854775809' does not fit in a 64-bit integer")     \
    X(int_minus_only, "workload", "offset", "-", false,                     \
      "'-' is not an integer")                                              \
    X(step_limit_max, "run", "step_limit", "10000000000", true,             \
      "10000000000")                                                        \
    X(step_limit_max_plus_1, "run", "step_limit", "10000000001", false,     \
      "value 10000000001 out of range [1, 10000000000] for "                \
      "run.step_limit")                                                     \
    X(step_limit_min, "run", "step_limit", "1", true, "1")                  \
    X(step_limit_min_minus_1, "run", "step_limit", "0", false,              \
      "value 0 out of range [1, 10000000000] for run.step_limit")           \
    X(double_min, "faults", "alloc", "0", true, "0")                        \
    X(double_max, "faults", "alloc", "1", true, "1")                        \
    X(double_min_minus, "faults", "alloc", "-0.001", false,                 \
      "value -0.001 out of range [0, 1] for faults.alloc")                  \
    X(double_max_plus, "faults", "alloc", "1.0000001", false,               \
      "value 1.0000001 out of range [0, 1] for faults.alloc")               \
    X(double_tenth, "faults", "alloc", "0.1", true, "0.1")                  \
    X(double_exponent, "faults", "alloc", "1e-3", true, "0.001")            \
    X(double_hex, "faults", "alloc", "0x1p-2", true, "0.25")                \
    X(double_negative_range, "workload", "ratio", "-1", true, "-1")         \
    X(double_junk, "faults", "alloc", "abc", false,                         \
      "'abc' is not a number")                                              \
    X(double_trailing_junk, "faults", "alloc", "0.5x", false,               \
      "'0.5x' is not a number")                                             \
    X(double_nan, "faults", "alloc", "nan", false,                          \
      "'nan' is not a finite number")                                       \
    X(double_inf, "faults", "alloc", "inf", false,                          \
      "'inf' is not a finite number")                                       \
    X(double_overflow, "faults", "alloc", "1e999", false,                   \
      "'1e999' is not a finite number")                                     \
    X(double_empty, "faults", "alloc", "", false,                           \
      "empty value for faults.alloc; expected a number")                    \
    X(bool_true, "workload", "batch", "true", true, "true")                 \
    X(bool_false, "invariants", "routes", "false", true, "false")           \
    X(bool_on, "workload", "batch", "on", true, "true")                     \
    X(bool_off, "invariants", "routes", "off", true, "false")               \
    X(bool_yes, "workload", "batch", "yes", true, "true")                   \
    X(bool_no, "invariants", "routes", "no", true, "false")                 \
    X(bool_one, "workload", "batch", "1", true, "true")                     \
    X(bool_zero, "invariants", "routes", "0", true, "false")                \
    X(bool_upper_case, "workload", "batch", "TRUE", true, "true")           \
    X(bool_two, "workload", "batch", "2", false, "'2' " BAD_BOOL)           \
    X(bool_junk, "workload", "batch", "truex", false, "'truex' " BAD_BOOL)  \
    X(bool_empty, "workload", "batch", "", false,                           \
      "empty value for workload.batch; expected a boolean "                 \
      "(true|false|on|off|yes|no|1|0)")                                     \
    X(string_empty, "scenario", "description", "", true, "")                \
    X(string_text, "scenario", "description", "MSI-X storm: a=b, 2", true,  \
      "MSI-X storm: a=b, 2")                                                \
    X(enum_first, "run", "strategy", "time", true, "time")                  \
    X(enum_middle, "run", "strategy", "random", true, "random")             \
    X(enum_last, "run", "strategy", "pct", true, "pct")                     \
    X(enum_unknown, "run", "strategy", "foo", false,                        \
      "'foo' is not one of time|random|pct|pos|surw|portfolio")           \
    X(enum_wrong_case, "run", "strategy", "TIME", false,                    \
      "'TIME' is not one of time|random|pct|pos|surw|portfolio")          \
    X(enum_empty, "run", "strategy", "", false,                             \
      "empty value for run.strategy; expected one of "                    \
      "time|random|pct|pos|surw|portfolio")

/* Rows only --set can reach: [faults] nth and nth_site must be paired in a
 * file. */
#define SET_ROWS(X)                                                         \
    X(nth_min, "faults", "nth", "1", true, "1")                             \
    X(nth_max, "faults", "nth", "9223372036854775807", true,                \
      "9223372036854775807")                                                \
    X(nth_zero, "faults", "nth", "0", false,                                \
      "value 0 out of range [1, 9223372036854775807] for faults.nth")       \
    X(nth_site_name, "faults", "nth_site", "alloc", true, "alloc")          \
    X(nth_site_empty, "faults", "nth_site", "", true, "")

#define DEFINE_ROW(name, sec, key, in, good, exp)                           \
    static struct value_row row_##name = { sec, key, in, good, exp };
BOTH_ROWS(DEFINE_ROW)
SET_ROWS(DEFINE_ROW)

static void check_row_result(struct cfg *c, const struct value_row *r,
                             int rc, const char *err, const char *where)
{
    char want[512];
    char got[512];

    if (r->ok) {
        assert_int_equal(rc, 0);
        dumped_value(c, r->section, r->key, got, sizeof(got));
        assert_string_equal(got, r->expect);
        assert_string_equal(cfg_where(c, r->section, r->key), where);
    } else {
        assert_int_equal(rc, -EINVAL);
        snprintf(want, sizeof(want), "%s: %s", where, r->expect);
        assert_string_equal(err, want);
        assert_string_equal(cfg_where(c, r->section, r->key), "default");
    }
}

static void run_load_row(void **state)
{
    const struct value_row *r = *state;
    struct cfg *c = new_cfg();
    char text[512];
    char err[512];
    int rc;

    snprintf(text, sizeof(text), "[%s]\n%s = %s\n", r->section, r->key,
             r->input);
    rc = cfg_load_text(c, "t.ini", text, err, sizeof(err));
    check_row_result(c, r, rc, err, "t.ini:2");
    cfg_destroy(c);
}

static void run_set_row(void **state)
{
    const struct value_row *r = *state;
    struct cfg *c = new_cfg();
    char assignment[512];
    char err[512];
    int rc;

    snprintf(assignment, sizeof(assignment), "%s.%s=%s", r->section, r->key,
             r->input);
    rc = cfg_set(c, assignment, 7, err, sizeof(err));
    check_row_result(c, r, rc, err, "--set:7");
    cfg_destroy(c);
}

#define LOAD_ROW_TEST(name, sec, key, in, good, exp)                        \
    { "cfg_load_text_" #name, run_load_row, NULL, NULL, &row_##name },
#define SET_ROW_TEST(name, sec, key, in, good, exp)                         \
    { "cfg_set_" #name, run_set_row, NULL, NULL, &row_##name },

/* ---- whole files: messages and their lines ---- */

struct text_row {
    const char *name;
    const char *text;
    const char *expect; /* exact message, NULL = loads */
};

static const struct text_row text_rows[] = {
    { "unknown_section_reports_line",
      "[run]\nseed = 1\n[bogus]\nx = 1\n",
      "t.ini:3: unknown section 'bogus' " SECTIONS },
    { "unknown_empty_section_reports_header_line",
      "[vm]\n[bogus]\n; nothing here\n",
      "t.ini:2: unknown section 'bogus' " SECTIONS },
    { "unknown_key_reports_line",
      "[vm]\ncpus = 2\nvcpu = 2\n",
      "t.ini:3: unknown key 'vcpu' in section [vm]" },
    { "int_out_of_range_reports_line",
      "[vm]\n\n; a comment\nvcpus = 5000\n",
      "t.ini:4: value 5000 out of range [1, 1024] for vm.vcpus" },
    { "duplicate_key_reports_both_lines",
      "[vm]\nvcpus = 2\n[run]\nseed = 3\n[vm]\nvcpus = 4\n",
      "t.ini:6: key 'vcpus' set twice (first at line 2)" },
    { "text_before_any_section",
      "; comment\n\nseed = 1\n[run]\n",
      "t.ini:3: text before any section" },
    { "line_without_equals_reports_line",
      "[run]\nseed = 1\ngarbage here\n",
      "t.ini:3: 'garbage here' is not key=value or [section]" },
    { "unclosed_section_header_reports_line",
      "[run]\n[vm\nvcpus = 1\n",
      "t.ini:2: section header '[vm' has no closing ']'" },
    { "syntax_error_before_bad_value_reports_first",
      "[run]\nbad line\nseed = abc\n",
      "t.ini:2: 'bad line' is not key=value or [section]" },
    { "bad_value_before_syntax_error_reports_first",
      "[run]\nseed = abc\nbad line\n",
      "t.ini:2: 'abc' is not an integer" },
    { "continuation_line_is_error",
      "[vm]\ncpus = 4\n  vcpus = 2\n",
      "t.ini:3: indented line continues the value of 'cpus' from line 2; "
      "multi-line values are not supported" },
    { "continuation_after_blank_line_is_error",
      "[vm]\ncpus = 4\n\n  [run]\n",
      "t.ini:4: indented line continues the value of 'cpus' from line 2; "
      "multi-line values are not supported" },
    { "indented_key_after_header_loads",
      "[vm]\n  vcpus = 2\n[run]\n  seed = 5\n", NULL },
    { "empty_key_name_is_unknown",
      "[vm]\n= 3\n",
      "t.ini:2: unknown key '' in section [vm]" },
    { "section_names_are_case_sensitive",
      "[VM]\n",
      "t.ini:1: unknown section 'VM' " SECTIONS },
    { "nth_with_nth_site_loads",
      "[faults]\nnth_site = alloc\nnth = 3\n", NULL },
    { "nth_without_nth_site_is_error",
      "[faults]\nalloc = 0.5\nnth = 3\n",
      "t.ini:3: faults.nth = 3 needs faults.nth_site (the fault site whose "
      "nth call fails)" },
    { "nth_site_without_nth_is_error",
      "[faults]\nnth_site = thread_create\n",
      "t.ini:2: faults.nth_site = thread_create needs faults.nth (which "
      "call fails, 1 = the first)" },
    { "nth_with_empty_nth_site_reports_later_line",
      "[faults]\nnth = 3\n\nnth_site =\n",
      "t.ini:4: faults.nth = 3 needs faults.nth_site (the fault site whose "
      "nth call fails)" },
    { "empty_nth_site_alone_loads",
      "[faults]\nnth_site =\n", NULL },
    { "empty_text_loads", "", NULL },
};

static void run_text_row(void **state)
{
    const struct text_row *r = *state;
    struct cfg *c = new_cfg();
    char err[512] = "untouched";
    int rc = cfg_load_text(c, "t.ini", r->text, err, sizeof(err));

    if (r->expect) {
        assert_int_equal(rc, -EINVAL);
        assert_string_equal(err, r->expect);
    } else {
        if (rc != 0) {
            fail_msg("unexpected error: %s", err);
        }
    }
    cfg_destroy(c);
}

/* ---- single cases ---- */

static void cfg_create_starts_at_defaults(void **state)
{
    struct cfg *c = new_cfg();
    int site;
    uint64_t n;

    (void)state;
    assert_string_equal(cfg_str(c, "scenario", "driver"), "");
    assert_int_equal(cfg_int(c, "run", "seed"), 1);
    assert_string_equal(cfg_str(c, "run", "variant"), "");
    assert_string_equal(cfg_str(c, "run", "strategy"), "time");
    assert_int_equal(cfg_int(c, "run", "pct_depth"), 3);
    assert_int_equal(cfg_int(c, "run", "pct_steps"), 20000);
    assert_int_equal(cfg_int(c, "run", "step_limit"), 50000000);
    assert_int_equal(cfg_int(c, "vm", "cpus"), 4);
    assert_int_equal(cfg_int(c, "vm", "vcpus"), 2);
    assert_true(cfg_double(c, "workload", "ratio") == 0.5);
    assert_false(cfg_bool(c, "workload", "batch"));
    assert_true(cfg_bool(c, "invariants", "routes"));
    assert_string_equal(cfg_str(c, "workload", "mode"), "batch");
    assert_string_equal(cfg_str(c, "workload", "label"), "none");
    assert_string_equal(cfg_where(c, "vm", "vcpus"), "default");
    for (unsigned s = 0; s < PLAT_FAULT_NR; s++) {
        assert_true(cfg_fault_prob(c, s) == 0);
    }
    cfg_fault_nth(c, &site, &n);
    assert_int_equal(site, -1);
    assert_int_equal(n, 1);
    cfg_destroy(c);
}

static const char *const no_choices[] = { NULL };

static const struct cfg_key bad_default[] = {
    { "workload", "n", CFG_INT, "9", 1, 8, NULL, "default out of range" },
    { NULL, NULL, CFG_INT, NULL, 0, 0, NULL, NULL },
};
static const struct cfg_key bad_duplicate[] = {
    { "vm", "vcpus", CFG_INT, "2", 1, 8, NULL, "also in cfg_common_keys" },
    { NULL, NULL, CFG_INT, NULL, 0, 0, NULL, NULL },
};
static const struct cfg_key bad_enum[] = {
    { "workload", "e", CFG_ENUM, "", 0, 0, no_choices, "no choices" },
    { NULL, NULL, CFG_INT, NULL, 0, 0, NULL, NULL },
};
static const struct cfg_key bad_name[] = {
    { "workload", "a.b", CFG_BOOL, "true", 0, 0, NULL, "dot in name" },
    { NULL, NULL, CFG_INT, NULL, 0, 0, NULL, NULL },
};
static const struct cfg_key bad_range[] = {
    { "workload", "r", CFG_DOUBLE, "0", 1, 0, NULL, "min > max" },
    { NULL, NULL, CFG_INT, NULL, 0, 0, NULL, NULL },
};
static const struct cfg_key bad_faults[] = {
    { "faults", "nth", CFG_INT, "1", 1, 8, NULL, "clashes with [faults]" },
    { NULL, NULL, CFG_INT, NULL, 0, 0, NULL, NULL },
};

static void cfg_create_rejects_bad_tables(void **state)
{
    const struct cfg_key *bad[] = {
        bad_default, bad_duplicate, bad_enum, bad_name, bad_range, bad_faults,
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const struct cfg_key *tables[] = { cfg_common_keys, bad[i], NULL };

        errno = 0;
        assert_null(cfg_create(tables));
        assert_int_equal(errno, EINVAL);
    }
}

static void cfg_load_text_sets_typed_values(void **state)
{
    static const char text[] =
        "\xEF\xBB\xBF; a scenario\r\n"
        "[scenario]\r\n"
        "driver = msix_storm\r\n"
        "description = 64 vectors ; inline comment\n"
        "# hash comment\n"
        "[run]\n"
        "seed: 42\n"
        "strategy = pct\n"
        "[workload]\n"
        "ratio = -0.25\n"
        "batch = yes\n"
        "mode = single\n"
        "label = x;y\n"
        "[faults]\n"
        "thread_create = 0.125\n";
    struct cfg *c = new_cfg();
    char err[256];

    (void)state;
    assert_int_equal(cfg_load_text(c, "s.ini", text, err, sizeof(err)), 0);
    assert_string_equal(cfg_str(c, "scenario", "driver"), "msix_storm");
    assert_string_equal(cfg_str(c, "scenario", "description"), "64 vectors");
    assert_int_equal(cfg_int(c, "run", "seed"), 42);
    assert_string_equal(cfg_str(c, "run", "strategy"), "pct");
    assert_true(cfg_double(c, "workload", "ratio") == -0.25);
    assert_true(cfg_bool(c, "workload", "batch"));
    assert_string_equal(cfg_str(c, "workload", "mode"), "single");
    assert_string_equal(cfg_str(c, "workload", "label"), "x;y");
    assert_true(cfg_fault_prob(c, PLAT_FAULT_THREAD_CREATE) == 0.125);
    assert_string_equal(cfg_where(c, "scenario", "driver"), "s.ini:3");
    assert_string_equal(cfg_where(c, "run", "seed"), "s.ini:7");
    assert_string_equal(cfg_where(c, "faults", "thread_create"), "s.ini:15");
    assert_string_equal(cfg_where(c, "vm", "cpus"), "default");
    cfg_destroy(c);
}

static void cfg_load_text_overlong_line(void **state)
{
    /* ini.h: the line buffer holds the longest line + "\r\n\0". */
    size_t limit = (size_t)ini_max_line - 3;
    size_t prefix = strlen("description = ");
    char *text = malloc(limit + 64);
    char err[256];
    char want[256];
    struct cfg *c = new_cfg();

    (void)state;
    assert_non_null(text);
    strcpy(text, "[scenario]\ndescription = ");
    memset(text + strlen(text), 'x', limit - prefix);
    strcpy(text + strlen("[scenario]\n") + limit, "\n");
    assert_int_equal(cfg_load_text(c, "t.ini", text, err, sizeof(err)), 0);
    assert_int_equal(strlen(cfg_str(c, "scenario", "description")),
                     limit - prefix);

    cfg_destroy(c);
    c = new_cfg();
    strcpy(text + strlen("[scenario]\n") + limit, "y\n[vm]\n");
    assert_int_equal(cfg_load_text(c, "t.ini", text, err, sizeof(err)),
                     -EINVAL);
    snprintf(want, sizeof(want),
             "t.ini:2: line is %zu bytes long; the limit is %zu bytes",
             limit + 1, limit);
    assert_string_equal(err, want);
    cfg_destroy(c);
    free(text);
}

static void cfg_load_text_error_truncates_to_errlen(void **state)
{
    static const char text[] = "[vm]\nvcpus = 5000\n";
    static const char full[] =
        "t.ini:2: value 5000 out of range [1, 1024] for vm.vcpus";
    size_t lens[] = { 1, 2, 6, 9, 10, sizeof(full) - 1, sizeof(full) };
    char err[sizeof(full) + 8];
    struct cfg *c = new_cfg();

    (void)state;
    /* errlen 0: err is not touched. */
    strcpy(err, "keep");
    assert_int_equal(cfg_load_text(c, "t.ini", text, err, 0), -EINVAL);
    assert_string_equal(err, "keep");
    assert_int_equal(cfg_load_text(c, "t.ini", text, NULL, 0), -EINVAL);
    cfg_destroy(c);
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        c = new_cfg();
        memset(err, '#', sizeof(err));
        assert_int_equal(cfg_load_text(c, "t.ini", text, err, lens[i]),
                         -EINVAL);
        assert_int_equal(strlen(err), lens[i] - 1);
        assert_memory_equal(err, full, lens[i] - 1);
        assert_int_equal(err[lens[i]], '#');
        cfg_destroy(c);
    }
}

static void cfg_load_text_nth_site_unknown_lists_sites(void **state)
{
    struct cfg *c = new_cfg();
    char err[512];
    char want[512];
    size_t n;

    (void)state;
    n = (size_t)snprintf(want, sizeof(want),
                         "t.ini:2: 'bogus' is not one of ");
    for (unsigned s = 0; s < PLAT_FAULT_NR; s++) {
        n += (size_t)snprintf(want + n, sizeof(want) - n, "%s%s",
                              s ? "|" : "", plat_fault_site_name(s));
    }
    assert_int_equal(cfg_load_text(c, "t.ini", "[faults]\nnth_site = bogus\n"
                                   "nth = 2\n", err, sizeof(err)),
                     -EINVAL);
    assert_string_equal(err, want);
    cfg_destroy(c);
}

static void cfg_load_text_second_file_overrides_first(void **state)
{
    struct cfg *c = new_cfg();
    char err[256];

    (void)state;
    assert_int_equal(cfg_load_text(c, "a.ini", "[vm]\nvcpus = 3\n", err,
                                   sizeof(err)), 0);
    assert_int_equal(cfg_load_text(c, "b.ini", "\n[vm]\nvcpus = 5\n", err,
                                   sizeof(err)), 0);
    assert_int_equal(cfg_int(c, "vm", "vcpus"), 5);
    assert_string_equal(cfg_where(c, "vm", "vcpus"), "b.ini:3");
    cfg_destroy(c);
}

/* Write data to a new temporary file; returns its malloc'd path. */
static char *temp_file(const char *data, size_t len)
{
    const char *dir = getenv("TMPDIR");
    char *path = malloc(4096);
    int fd;

    assert_non_null(path);
    snprintf(path, 4096, "%s/kvmsim_test_config_XXXXXX",
             dir && *dir ? dir : "/tmp");
    fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
    return path;
}

static void cfg_load_file_reports_path_and_line(void **state)
{
    static const char text[] = "[vm]\nvcpus = 6\ncpus = 0\n";
    char *path = temp_file(text, sizeof(text) - 1);
    struct cfg *c = new_cfg();
    char err[4200];
    char want[4200];

    (void)state;
    assert_int_equal(cfg_load_file(c, path, err, sizeof(err)), -EINVAL);
    snprintf(want, sizeof(want),
             "%s:3: value 0 out of range [1, 1024] for vm.cpus", path);
    assert_string_equal(err, want);
    snprintf(want, sizeof(want), "%s:2", path);
    assert_string_equal(cfg_where(c, "vm", "vcpus"), want);
    cfg_destroy(c);
    unlink(path);
    free(path);
}

static void cfg_load_file_nul_byte_is_error(void **state)
{
    static const char text[] = "[vm]\nvc\0pus = 6\n";
    char *path = temp_file(text, sizeof(text) - 1);
    struct cfg *c = new_cfg();
    char err[4200];
    char want[4200];

    (void)state;
    assert_int_equal(cfg_load_file(c, path, err, sizeof(err)), -EINVAL);
    snprintf(want, sizeof(want), "%s:2: NUL byte in the file", path);
    assert_string_equal(err, want);
    cfg_destroy(c);
    unlink(path);
    free(path);
}

static void cfg_load_file_missing_file(void **state)
{
    struct cfg *c = new_cfg();
    char err[256];

    (void)state;
    assert_int_equal(cfg_load_file(c, "/nonexistent-kvmsim/x.ini", err,
                                   sizeof(err)), -EINVAL);
    assert_string_equal(err, "/nonexistent-kvmsim/x.ini:0: cannot read: "
                        "No such file or directory");
    cfg_destroy(c);
}

struct set_row {
    const char *name;
    const char *assignment;
    const char *expect; /* message, NULL = applies */
};

static const struct set_row set_rows[] = {
    { "bare_key_unique_applies", "vcpus=8", NULL },
    { "spaces_around_key_and_value_applies", "  vm.vcpus = 8 ", NULL },
    { "bare_key_ambiguous_is_error", "cpus=2",
      "--set:2: key 'cpus' is ambiguous, write one of: vm.cpus "
      "workload.cpus" },
    { "bare_key_unknown_is_error", "nope=1", "--set:2: unknown key 'nope'" },
    { "unknown_section_is_error", "vmm.vcpus=1",
      "--set:2: unknown section 'vmm' " SECTIONS },
    { "unknown_key_in_section_is_error", "run.vcpus=1",
      "--set:2: unknown key 'vcpus' in section [run]" },
    { "without_equals_is_error", "vm.vcpus",
      "--set:2: 'vm.vcpus' is not key=value or section.key=value" },
    { "empty_int_is_error", "vm.vcpus=",
      "--set:2: empty value for vm.vcpus; expected an integer" },
    { "empty_key_is_error", "=3", "--set:2: unknown key ''" },
    { "bad_value_is_error", "vcpus=two",
      "--set:2: 'two' is not an integer" },
    { "control_character_is_error", "scenario.description=a\nb",
      "--set:2: value of scenario.description contains a control "
      "character" },
};

static void run_set_text_row(void **state)
{
    const struct set_row *r = *state;
    struct cfg *c = new_cfg();
    char err[512];
    int rc;

    assert_int_equal(cfg_load_text(c, "t.ini", "[vm]\nvcpus = 3\n", err,
                                   sizeof(err)), 0);
    rc = cfg_set(c, r->assignment, 2, err, sizeof(err));
    if (r->expect) {
        assert_int_equal(rc, -EINVAL);
        assert_string_equal(err, r->expect);
        /* A failed --set leaves the value and its origin alone. */
        assert_int_equal(cfg_int(c, "vm", "vcpus"), 3);
        assert_string_equal(cfg_where(c, "vm", "vcpus"), "t.ini:2");
    } else {
        assert_int_equal(rc, 0);
        assert_int_equal(cfg_int(c, "vm", "vcpus"), 8);
        assert_string_equal(cfg_where(c, "vm", "vcpus"), "--set:2");
    }
    cfg_destroy(c);
}

static void cfg_where_reports_file_line_then_set_override(void **state)
{
    struct cfg *c = new_cfg();
    char err[256];

    (void)state;
    assert_int_equal(cfg_load_text(c, "scn.ini", "[run]\n\nseed = 9\n"
                                   "[vm]\nvcpus = 4\n", err, sizeof(err)),
                     0);
    assert_string_equal(cfg_where(c, "run", "seed"), "scn.ini:3");
    assert_string_equal(cfg_where(c, "vm", "vcpus"), "scn.ini:5");
    assert_string_equal(cfg_where(c, "vm", "cpus"), "default");
    assert_int_equal(cfg_set(c, "run.seed=10", 1, err, sizeof(err)), 0);
    assert_int_equal(cfg_set(c, "seed=11", 3, err, sizeof(err)), 0);
    assert_int_equal(cfg_int(c, "run", "seed"), 11);
    assert_string_equal(cfg_where(c, "run", "seed"), "--set:3");
    assert_string_equal(cfg_where(c, "vm", "vcpus"), "scn.ini:5");
    cfg_destroy(c);
}

static void cfg_set_string_255_bytes_accepted(void **state)
{
    char assignment[300];
    struct cfg *c = new_cfg();
    char err[256];

    (void)state;
    strcpy(assignment, "workload.label=");
    memset(assignment + strlen(assignment), 'a', 255);
    assignment[strlen("workload.label=") + 255] = '\0';
    assert_int_equal(cfg_set(c, assignment, 1, err, sizeof(err)), 0);
    assert_int_equal(strlen(cfg_str(c, "workload", "label")), 255);
    cfg_destroy(c);
}

static void cfg_set_string_256_bytes_rejected(void **state)
{
    char assignment[300];
    struct cfg *c = new_cfg();
    char err[256];

    (void)state;
    strcpy(assignment, "label=");
    memset(assignment + strlen(assignment), 'a', 256);
    assignment[strlen("label=") + 256] = '\0';
    assert_int_equal(cfg_set(c, assignment, 4, err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "--set:4: value of workload.label is 256 bytes "
                        "long; the limit is 255");
    assert_string_equal(cfg_str(c, "workload", "label"), "none");
    cfg_destroy(c);
}

static void cfg_set_nth_alone_is_not_paired(void **state)
{
    struct cfg *c = new_cfg();
    char err[256];
    int site;
    uint64_t n;

    (void)state;
    assert_int_equal(cfg_load_text(c, "t.ini", "[faults]\nnth_site = alloc\n"
                                   "nth = 2\n", err, sizeof(err)), 0);
    assert_int_equal(cfg_set(c, "faults.nth=5", 1, err, sizeof(err)), 0);
    cfg_fault_nth(c, &site, &n);
    assert_int_equal(site, PLAT_FAULT_ALLOC);
    assert_int_equal(n, 5);
    /* An empty nth_site turns the nth-call mode off. */
    assert_int_equal(cfg_set(c, "nth_site=", 2, err, sizeof(err)), 0);
    cfg_fault_nth(c, &site, &n);
    assert_int_equal(site, -1);
    cfg_destroy(c);
}

struct peek_row {
    const char *name;
    const char *text;
    size_t outlen;
    const char *expect; /* driver, or the message when !ok */
    bool ok;
};

static const struct peek_row peek_rows[] = {
    { "finds_driver", "; x\n[run]\nseed = 1\n[scenario]\ndriver = msix\n",
      64, "msix", true },
    { "ignores_unknown_keys_and_sections",
      "[scenario]\ndriver = its\n[workload]\nanything = 1\n[zzz]\n", 64,
      "its", true },
    { "exact_fit", "[scenario]\ndriver = abc\n", 4, "abc", true },
    { "missing_driver", "[scenario]\ndescription = x\n", 64,
      "t.ini:0: no [scenario] driver = NAME", false },
    { "driver_in_other_section_is_missing", "[run]\ndriver = x\n", 64,
      "t.ini:0: no [scenario] driver = NAME", false },
    { "empty_text_has_no_driver", "", 64,
      "t.ini:0: no [scenario] driver = NAME", false },
    { "empty_driver", "[scenario]\ndriver =\n", 64,
      "t.ini:2: [scenario] driver is empty", false },
    { "driver_twice", "[scenario]\ndriver = a\n\ndriver = b\n", 64,
      "t.ini:4: key 'driver' set twice (first at line 2)", false },
    { "driver_longer_than_out", "[scenario]\ndriver = its_cache\n", 5,
      "t.ini:2: driver name 'its_cache' is longer than 4 bytes", false },
    { "syntax_error", "[scenario]\ndriver = a\noops\n", 64,
      "t.ini:3: 'oops' is not key=value or [section]", false },
    { "text_before_section", "driver = a\n", 64,
      "t.ini:1: text before any section", false },
};

static void run_peek_row(void **state)
{
    const struct peek_row *r = *state;
    char out[64];
    char err[256];
    int rc;

    memset(out, 'z', sizeof(out));
    rc = cfg_peek_driver("t.ini", r->text, out, r->outlen, err, sizeof(err));
    if (r->ok) {
        assert_int_equal(rc, 0);
        assert_string_equal(out, r->expect);
    } else {
        assert_int_equal(rc, -EINVAL);
        assert_string_equal(err, r->expect);
        assert_string_equal(out, "");
    }
}

static void cfg_fault_prob_reads_site_names(void **state)
{
    struct cfg *c = new_cfg();
    char text[2048];
    char err[256];
    size_t n;

    (void)state;
    /* Multiples of 1/64 print exactly with six decimals. */
    n = (size_t)snprintf(text, sizeof(text), "[faults]\n");
    for (unsigned s = 0; s < PLAT_FAULT_NR; s++) {
        n += (size_t)snprintf(text + n, sizeof(text) - n, "%s = %.6f\n",
                              plat_fault_site_name(s), (s + 1) / 64.0);
    }
    assert_int_equal(cfg_load_text(c, "f.ini", text, err, sizeof(err)), 0);
    for (unsigned s = 0; s < PLAT_FAULT_NR; s++) {
        assert_true(cfg_fault_prob(c, s) == (s + 1) / 64.0);
    }
    assert_true(cfg_fault_prob(c, PLAT_FAULT_NR) == 0);
    assert_true(cfg_fault_prob(c, 1000000) == 0);
    cfg_destroy(c);
}

static void cfg_dump_round_trips_through_cfg_set(void **state)
{
    static const char text[] =
        "[scenario]\ndriver = d\ndescription = a b = c\n"
        "[run]\nseed = 0x7fffffffffffffff\nstrategy = random\n"
        "[workload]\nratio = 0.1\noffset = -5\nlabel = tab\there\n"
        "[faults]\nalloc = 1e-9\nnth_site = demo_submit\nnth = 7\n";
    struct cfg *a = new_cfg();
    struct cfg *b = new_cfg();
    char err[256];
    char *dump_a;
    char *dump_b;
    char *line;
    char *save = NULL;
    unsigned index = 0;

    (void)state;
    assert_int_equal(cfg_load_text(a, "t.ini", text, err, sizeof(err)), 0);
    dump_a = dump_text(a);
    line = strdup(dump_a);
    assert_non_null(line);
    for (char *l = strtok_r(line, "\n", &save); l;
         l = strtok_r(NULL, "\n", &save)) {
        if (cfg_set(b, l, ++index, err, sizeof(err)) != 0) {
            fail_msg("%s: %s", l, err);
        }
    }
    free(line);
    dump_b = dump_text(b);
    assert_string_equal(dump_a, dump_b);
    assert_true(cfg_double(b, "workload", "ratio") == 0.1);
    assert_true(cfg_fault_prob(b, PLAT_FAULT_ALLOC) == 1e-9);
    free(dump_a);
    free(dump_b);
    cfg_destroy(a);
    cfg_destroy(b);
}

static void cfg_dump_lists_every_key_in_table_order(void **state)
{
    struct cfg *c = new_cfg();
    char *dump = dump_text(c);
    char want[256];
    const char *p = dump;
    size_t lines = 0;
    size_t keys = 0;

    (void)state;
    assert_memory_equal(dump, "scenario.driver=\nscenario.description=\n"
                        "run.seed=1\n", strlen("scenario.driver=\n"
                        "scenario.description=\nrun.seed=1\n"));
    for (const struct cfg_key *const *t = test_tables; *t; t++) {
        for (const struct cfg_key *k = *t; k->name; k++) {
            snprintf(want, sizeof(want), "%s.%s=", k->section, k->name);
            p = strstr(p, want);
            assert_non_null(p);
            keys++;
        }
    }
    for (unsigned s = 0; s < PLAT_FAULT_NR; s++) {
        snprintf(want, sizeof(want), "\nfaults.%s=0\n",
                 plat_fault_site_name(s));
        p = strstr(p, want);
        assert_non_null(p);
        keys++;
    }
    assert_non_null(strstr(p, "\nfaults.nth_site=\nfaults.nth=1\n"));
    keys += 2;
    for (p = dump; *p; p++) {
        lines += *p == '\n';
    }
    assert_int_equal(lines, keys);
    free(dump);
    cfg_destroy(c);
}

static char *keys_text(bool markdown)
{
    struct capture cap;

    capture_start(&cap);
    cfg_print_keys(cap.f, test_tables, markdown, CFG_FAULTS_ALL);
    return capture_end(&cap);
}

static void cfg_print_keys_plain_lists_every_key(void **state)
{
    char *a = keys_text(false);
    char *b = keys_text(false);

    (void)state;
    assert_string_equal(a, b);
    assert_memory_equal(a, "[scenario]\n  driver ", 20);
    assert_non_null(strstr(a, "\n[vm]\n  cpus           int in [1, 1024], "
                           "default 4\n                 simulated physical "
                           "CPUs"));
    assert_non_null(strstr(a, "  strategy       enum, one of "
                           "time|random|pct|pos|surw|portfolio, default "
                           "time\n"));
    assert_non_null(strstr(a, "  ratio          double in [-1, 1], "
                           "default 0.5\n"));
    assert_non_null(strstr(a, "  variant        string, default \"\"\n"));
    /* Keys of one section from several tables are grouped. */
    assert_null(strstr(strstr(a, "\n[workload]\n") + 1, "\n[workload]\n"));
    for (unsigned s = 0; s < PLAT_FAULT_NR; s++) {
        char want[128];

        snprintf(want, sizeof(want), "\n  %-14s double in [0, 1], "
                 "default 0\n", plat_fault_site_name(s));
        assert_non_null(strstr(a, want));
    }
    free(a);
    free(b);
}

static void cfg_print_keys_markdown_has_a_table_per_section(void **state)
{
    char *a = keys_text(true);
    char *b = keys_text(true);

    (void)state;
    assert_string_equal(a, b);
    assert_memory_equal(a, "### [scenario]\n\n| Key | Type | Default | "
                        "Range / choices | Description |\n|---|---|---|---|"
                        "---|\n| `driver` | string | (empty) |  | ", 112);
    assert_non_null(strstr(a, "\n\n### [faults]\n\n| Key |"));
    assert_non_null(strstr(a, "| `strategy` | enum | `time` | `time`, "
                           "`random`, `pct`, `pos`, `surw`, `portfolio` "
                           "| scheduler: "));
    assert_non_null(strstr(a, "| `vcpus` | int | `2` | [1, 1024] | "));
    free(a);
    free(b);
}

/* A cfg whose driver "drv" reaches alloc and kvm_irqfd only. */
static struct cfg *reach_cfg(void)
{
    struct cfg *c = new_cfg();

    cfg_fault_reach(c, (1u << PLAT_FAULT_ALLOC) |
                    (1u << PLAT_FAULT_KVM_IRQFD), "drv");
    return c;
}

static void cfg_load_text_unreached_fault_site_is_error_at_its_line(
    void **state)
{
    struct cfg *c = reach_cfg();
    char err[512];

    (void)state;
    assert_int_equal(cfg_load_text(c, "r.ini", "[faults]\nalloc = 0.1\n"
                                   "vfio_reset = 0.25\n", err, sizeof(err)),
                     -EINVAL);
    assert_string_equal(err, "r.ini:3: faults.vfio_reset = 0.25: driver drv "
                        "never reaches fault site vfio_reset, so no fault "
                        "would be injected (its fault sites: alloc, "
                        "kvm_irqfd)");
    cfg_destroy(c);
}

static void cfg_load_text_unreached_fault_site_at_zero_accepted(void **state)
{
    struct cfg *c = reach_cfg();
    char err[512];

    (void)state;
    assert_int_equal(cfg_load_text(c, "r.ini", "[faults]\nvfio_reset = 0\n"
                                   "kvm_irqfd = 1\n", err, sizeof(err)), 0);
    assert_true(cfg_fault_prob(c, PLAT_FAULT_KVM_IRQFD) == 1);
    assert_true(cfg_fault_prob(c, PLAT_FAULT_VFIO_RESET) == 0);
    cfg_destroy(c);
}

static void cfg_set_unreached_nth_site_is_error(void **state)
{
    struct cfg *c = reach_cfg();
    char err[512];

    (void)state;
    assert_int_equal(cfg_set(c, "faults.nth_site=gsi_alloc", 2, err,
                             sizeof(err)), -EINVAL);
    assert_string_equal(err, "--set:2: faults.nth_site = gsi_alloc: driver "
                        "drv never reaches fault site gsi_alloc, so no "
                        "fault would be injected (its fault sites: alloc, "
                        "kvm_irqfd)");
    assert_int_equal(cfg_set(c, "faults.nth_site=kvm_irqfd", 3, err,
                             sizeof(err)), 0);
    assert_int_equal(cfg_set(c, "faults.demo_submit=0.5", 4, err,
                             sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "--set:4: faults.demo_submit = 0.5: driver "
                           "drv never reaches"));
    cfg_destroy(c);
}

static void cfg_load_text_swarm_unreached_fault_site_is_error(void **state)
{
    struct cfg *c = reach_cfg();
    char err[512];

    (void)state;
    assert_int_equal(cfg_load_text(c, "s.ini", "[swarm]\nfaults = alloc, "
                                   "vfio_set_irqs\n", err, sizeof(err)),
                     -EINVAL);
    assert_string_equal(err, "s.ini:2: [swarm] faults: driver drv never "
                        "reaches fault site vfio_set_irqs, so no fault "
                        "would be injected (its fault sites: alloc, "
                        "kvm_irqfd)");
    cfg_destroy(c);
}

static void cfg_load_text_without_reach_accepts_every_site(void **state)
{
    struct cfg *c = new_cfg();
    char err[512];

    (void)state;
    assert_int_equal(cfg_load_text(c, "a.ini", "[faults]\nvfio_reset = 0.5\n"
                                   "gsi_alloc = 1\n", err, sizeof(err)), 0);
    assert_true(cfg_fault_prob(c, PLAT_FAULT_VFIO_RESET) == 0.5);
    cfg_destroy(c);
}

static char *keys_text_faults(bool markdown, uint32_t faults)
{
    struct capture cap;

    capture_start(&cap);
    cfg_print_keys(cap.f, test_tables, markdown, faults);
    return capture_end(&cap);
}

static void cfg_print_keys_faults_mask_selects_sites(void **state)
{
    char *none = keys_text_faults(false, 0);
    char *two = keys_text_faults(false, (1u << PLAT_FAULT_ALLOC) |
                                 (1u << PLAT_FAULT_VFIO_RESET));
    char *md = keys_text_faults(true, 1u << PLAT_FAULT_KVM_IRQFD);

    (void)state;
    assert_null(strstr(none, "[faults]"));
    assert_non_null(strstr(none, "[invariants]"));
    assert_non_null(strstr(two, "\n[faults]\n  alloc          double"));
    assert_non_null(strstr(two, "\n  vfio_reset     double"));
    assert_null(strstr(two, "kvm_irqfd"));
    assert_non_null(strstr(two, "  nth_site       enum, one of "
                           "alloc|vfio_reset, default"));
    assert_non_null(strstr(md, "| `nth_site` | enum | (empty) | "
                           "`kvm_irqfd` |"));
    assert_null(strstr(md, "`alloc`"));
    free(none);
    free(two);
    free(md);
}

static void cfg_print_fault_sites_names_each_site(void **state)
{
    struct capture cap;
    char *a;

    (void)state;
    capture_start(&cap);
    cfg_print_fault_sites(cap.f, (1u << PLAT_FAULT_ALLOC) |
                          (1u << PLAT_FAULT_GSI_ALLOC), true);
    cfg_print_fault_sites(cap.f, 0, false);
    a = capture_end(&cap);
    assert_string_equal(a, "Fault sites it reaches (arming any other "
                        "[faults] site is an error): `alloc`, `gsi_alloc`\n"
                        "[faults] sites it reaches: none\n");
    free(a);
}

static void cfg_getters_wrong_type_return_zero(void **state)
{
    struct cfg *c = new_cfg();

    (void)state;
    assert_int_equal(cfg_int(c, "scenario", "driver"), 0);
    assert_int_equal(cfg_int(c, "vm", "nope"), 0);
    assert_true(cfg_double(c, "vm", "vcpus") == 0);
    assert_false(cfg_bool(c, "invariants", "nope"));
    assert_string_equal(cfg_str(c, "vm", "vcpus"), "");
    assert_string_equal(cfg_str(c, "run", "strategy"), "time");
    cfg_destroy(c);
}

int main(void)
{
    struct CMUnitTest fixed[] = {
        cmocka_unit_test(cfg_create_starts_at_defaults),
        cmocka_unit_test(cfg_create_rejects_bad_tables),
        cmocka_unit_test(cfg_load_text_sets_typed_values),
        cmocka_unit_test(cfg_load_text_overlong_line),
        cmocka_unit_test(cfg_load_text_error_truncates_to_errlen),
        cmocka_unit_test(cfg_load_text_nth_site_unknown_lists_sites),
        cmocka_unit_test(cfg_load_text_second_file_overrides_first),
        cmocka_unit_test(cfg_load_file_reports_path_and_line),
        cmocka_unit_test(cfg_load_file_nul_byte_is_error),
        cmocka_unit_test(cfg_load_file_missing_file),
        cmocka_unit_test(cfg_where_reports_file_line_then_set_override),
        cmocka_unit_test(cfg_set_string_255_bytes_accepted),
        cmocka_unit_test(cfg_set_string_256_bytes_rejected),
        cmocka_unit_test(cfg_set_nth_alone_is_not_paired),
        cmocka_unit_test(cfg_fault_prob_reads_site_names),
        cmocka_unit_test(cfg_dump_round_trips_through_cfg_set),
        cmocka_unit_test(cfg_dump_lists_every_key_in_table_order),
        cmocka_unit_test(cfg_print_keys_plain_lists_every_key),
        cmocka_unit_test(cfg_print_keys_markdown_has_a_table_per_section),
        cmocka_unit_test(cfg_print_keys_faults_mask_selects_sites),
        cmocka_unit_test(cfg_print_fault_sites_names_each_site),
        cmocka_unit_test(
            cfg_load_text_unreached_fault_site_is_error_at_its_line),
        cmocka_unit_test(cfg_load_text_unreached_fault_site_at_zero_accepted),
        cmocka_unit_test(cfg_set_unreached_nth_site_is_error),
        cmocka_unit_test(cfg_load_text_swarm_unreached_fault_site_is_error),
        cmocka_unit_test(cfg_load_text_without_reach_accepts_every_site),
        cmocka_unit_test(cfg_getters_wrong_type_return_zero),
        BOTH_ROWS(LOAD_ROW_TEST)
        BOTH_ROWS(SET_ROW_TEST)
        SET_ROWS(SET_ROW_TEST)
    };
    size_t ntext = sizeof(text_rows) / sizeof(text_rows[0]);
    size_t nset = sizeof(set_rows) / sizeof(set_rows[0]);
    size_t npeek = sizeof(peek_rows) / sizeof(peek_rows[0]);
    size_t nfixed = sizeof(fixed) / sizeof(fixed[0]);
    size_t n = nfixed + ntext + nset + npeek;
    struct CMUnitTest *tests = calloc(n, sizeof(*tests));
    char (*names)[128] = calloc(n, sizeof(*names));
    size_t i = nfixed;
    int rc;

    if (!tests || !names) {
        return 1;
    }
    memcpy(tests, fixed, sizeof(fixed));
    for (size_t r = 0; r < ntext; r++, i++) {
        snprintf(names[i], sizeof(names[i]), "cfg_load_text_%s",
                 text_rows[r].name);
        tests[i] = (struct CMUnitTest){ names[i], run_text_row, NULL, NULL,
                                        (void *)&text_rows[r] };
    }
    for (size_t r = 0; r < nset; r++, i++) {
        snprintf(names[i], sizeof(names[i]), "cfg_set_%s", set_rows[r].name);
        tests[i] = (struct CMUnitTest){ names[i], run_set_text_row, NULL,
                                        NULL, (void *)&set_rows[r] };
    }
    for (size_t r = 0; r < npeek; r++, i++) {
        snprintf(names[i], sizeof(names[i]), "cfg_peek_driver_%s",
                 peek_rows[r].name);
        tests[i] = (struct CMUnitTest){ names[i], run_peek_row, NULL, NULL,
                                        (void *)&peek_rows[r] };
    }
    rc = _cmocka_run_group_tests("config", tests, n, NULL, NULL);
    free(tests);
    free(names);
    return rc;
}
