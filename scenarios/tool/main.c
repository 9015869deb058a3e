/*
 * scenarios/tool/main.c - the kvmsim command line.
 *
 *   kvmsim list                      scenarios and their variants
 *   kvmsim keys [SCENARIO] [--markdown]
 *   kvmsim run SCENARIO [options]    one run
 *   kvmsim replay TAPEFILE [options] a saved or raw tape
 *   kvmsim compare SCENARIO [options] every variant, same seed
 *   kvmsim report --out DIR [options] every seed comparison, as files
 *   kvmsim explain TAPEFILE [options] the decisions a failing tape needs
 *
 * Flags are turned into configuration overrides (--seed N is
 * --set run.seed=N), so a saved tape records them all the same way.
 * Usage errors print one line and exit 2.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "scenarios/tool/crash.h"
#include "scenarios/tool/explain.h"
#include "scenarios/tool/explore.h"
#include "scenarios/tool/input.h"
#include "scenarios/tool/report.h"
#include "scenarios/tool/runner.h"

/* Every malloc(), calloc() and realloc() of the program's own objects goes
 * through these (the kvmsim link wraps the three, see CMakeLists.txt), so a
 * run during which the host refused memory is told apart from a finding
 * (runner.c, scn_host_alloc_refused). */
void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);

void *__wrap_malloc(size_t n)
{
    void *p = __real_malloc(n);

    if (!p && n) {
        scn_host_alloc_refused++;
    }
    return p;
}

void *__wrap_calloc(size_t k, size_t n)
{
    void *p = __real_calloc(k, n);

    if (!p && k && n) {
        scn_host_alloc_refused++;
    }
    return p;
}

void *__wrap_realloc(void *old, size_t n)
{
    void *p = __real_realloc(old, n);

    if (!p && n) {
        scn_host_alloc_refused++;
    }
    return p;
}

struct cli {
    struct scn_request q;
    const char *positional;
    bool markdown;
    const char *report_path; /* compare --report FILE */
    const char *out_dir;     /* report --out DIR */
    bool seeds_given;
    struct explore_opts ex;
};

static void usage_run(FILE *out)
{
    fputs(
"usage: kvmsim run SCENARIO [options]\n"
"       kvmsim compare SCENARIO [options]\n"
"       kvmsim replay TAPEFILE [--scenario SCENARIO] [options]\n"
"\n"
"SCENARIO is a name from `kvmsim list` or a path to a scenario file\n"
"(at most 1 MiB).\n"
"\n"
"options (run, replay, compare; each names the commands it belongs to\n"
"when not all of them):\n"
"  --seed N           seed of the decision tape, 0..2^63-1 (default: [run]\n"
"                     seed, 1; run, compare, report)\n"
"  --variant V        variant to run (default: the scenario's first;\n"
"                     run, replay, explore)\n"
"  --strategy S       time | random | pct | pos | surw | portfolio\n"
"                     (default: time); see \"strategies\" below\n"
"  --pct-depth D      PCT bug depth, 1..16 (default: 3)\n"
"  --set KEY=VALUE    override a key (`kvmsim keys SCENARIO` lists them);\n"
"                     KEY is `name` or `section.name`; repeatable (64)\n"
"  --trace FILE       write a Chrome trace (open it in ui.perfetto.dev)\n"
"  --metrics FILE     write the run's metrics as JSON\n"
"  --save-tape FILE   where a failing run saves its tape (default for run:\n"
"                     kvmsim-fail-DRIVER-VARIANT-SEED.tape; replay saves\n"
"                     only with this flag; /dev/null: do not save)\n"
"  --scenario NAME    (replay) scenario of a raw tape, e.g. a fuzzer input;\n"
"                     with a saved tape, replaces the scenario it embeds\n"
"  --report FILE      (compare) the seed table as structured rows: JSON,\n"
"                     or Markdown / HTML when FILE ends in .md / .html\n"
"  --swarm            (run, replay, explore) swarm testing: the tape's\n"
"                     first decisions pick which fault sites fail, at\n"
"                     what rate, and workload values, within the\n"
"                     scenario's [swarm] ranges (= --set run.swarm=true)\n"
"  --quiet            no summary\n"
"\n"
"A saved tape embeds the scenario text, the variant, the strategy and\n"
"every --set, so `kvmsim replay TAPE` reproduces the run from any\n"
"directory, even after the scenario file changed.\n"
"\n"
"explore options (kvmsim explore SCENARIO --seeds N [options]):\n"
"  --seeds N          how many seeds, from --first-seed (required)\n"
"  --first-seed N     the first seed (default 1)\n"
"  --jobs J           worker processes, 1..64 (default: 2)\n"
"  --shard I/K        only seeds with seed % K == I (spread over machines)\n"
"  --shard auto/K     I from the batch engine: JOB_COMPLETION_INDEX\n"
"                     (Kubernetes Indexed Job), else SLURM_ARRAY_TASK_ID\n"
"                     less SLURM_ARRAY_TASK_MIN (Slurm job array)\n"
"  --jsonl FILE       also write JSON Lines to FILE (directory created):\n"
"                     a record per failing seed, then the shard's summary\n"
"  --merge FILE...    (kvmsim explore --merge FILE...) combine the\n"
"                     --jsonl files of every shard into the report one\n"
"                     unsharded run prints, with its exit status\n"
"  --time-budget S    stop the whole command after S seconds (S may have\n"
"                     a fraction)\n"
"  --tapes DIR        save each failing seed's tape in DIR (created)\n"
"\n"
"strategies (the schedule; every choice comes from the tape):\n"
"  time       earliest virtual time first: performance figures\n"
"  random     uniform random walk over runnable threads\n"
"  pct        PCT (ASPLOS 2010): priorities, depth-1 change points; bugs\n"
"             of a small known depth\n"
"  pos        partial order sampling (CAV 2018): random priorities,\n"
"             re-drawn for steps racing on the same lock/eventfd/atomic;\n"
"             races that need a few specific orderings\n"
"  surw       selectively uniform random walk (ASPLOS 2025, Shuttle,\n"
"             Fray): weighted by each thread's remaining steps from a\n"
"             profile run under time (one extra run per seed); threads\n"
"             of very different lengths\n"
"  portfolio  each seed picks one of the above (pct depth 2..5): when\n"
"             you do not know which to pick\n"
"\n"
"report options (kvmsim report --out DIR [options]):\n"
"  --out DIR          runs every seed comparison, prints each table and\n"
"                     writes DIR/seeds.json, seeds.md and seeds.html\n"
"\n"
"explain (kvmsim explain TAPEFILE [options]): shrinks a failing tape to\n"
"the decisions it needs, prints each in words, writes the minimal tape\n"
"and Perfetto traces of the minimal failing run and of the nearest\n"
"passing run (one decision reverted), and names where they part.  It\n"
"takes replay's --scenario, --variant, --strategy, --pct-depth and\n"
"--set, and:\n"
"  --out DIR          write min.tape, fail.json and pass.json in DIR\n"
"                     (default: next to TAPEFILE, as STEM.min.tape,\n"
"                     STEM.fail.json and STEM.pass.json)\n"
"Exit 0 when explained, 2 when the tape does not fail on replay, 5 when\n"
"a file cannot be written.\n"
"\n"
"exit status (one per way a run ends; the first that applies of 4, 1,\n"
"6, 3, 5, 2):\n"
"  0  every invariant held\n"
"  1  an invariant failed (the tape is saved, the replay command printed)\n"
"  2  usage or input error, reported as file:line: message\n"
"  3  stuck: deadlock, livelock, a missed deadline or the step bound\n"
"     (every live thread is named with what it waits on)\n"
"  4  crash: a fatal signal, a sanitizer report or an engine panic\n"
"     (the run and its replay command are printed)\n"
"  5  host error: out of memory, or an output (stdout, --metrics,\n"
"     --trace, a tape) that could not be written; a run during which\n"
"     the host refused memory is 5 unless it crashed (4), whatever its\n"
"     checks said\n"
"  6  liveness: a lost wakeup (a signal nobody consumed within its bound)\n"
"     or a heal phase that did not converge (tape and replay as for 1)\n",
        out);
}

static void usage(FILE *out)
{
    fputs(
"kvmsim - deterministic simulation of the KVM/VFIO stack\n"
"\n"
"usage: kvmsim list\n"
"       kvmsim keys [SCENARIO] [--markdown]\n"
"       kvmsim run SCENARIO [options]\n"
"       kvmsim replay TAPEFILE [options]\n"
"       kvmsim compare SCENARIO [options]\n"
"       kvmsim explore SCENARIO --seeds N [options]\n"
"       kvmsim explore --merge FILE...\n"
"       kvmsim report --out DIR [options]\n"
"       kvmsim explain TAPEFILE [options]\n"
"       kvmsim COMMAND --help\n"
"\n", out);
    usage_run(out);
}

/* Commands, as bits, for the flag table. */
enum {
    C_LIST = 1 << 0,
    C_KEYS = 1 << 1,
    C_RUN = 1 << 2,
    C_REPLAY = 1 << 3,
    C_COMPARE = 1 << 4,
    C_EXPLORE = 1 << 5,
    C_REPORT = 1 << 6,
    C_EXPLAIN = 1 << 7,
};

static const struct {
    const char *name;
    unsigned bit;
} commands[] = {
    {"list", C_LIST},       {"keys", C_KEYS},       {"run", C_RUN},
    {"replay", C_REPLAY},   {"compare", C_COMPARE}, {"explore", C_EXPLORE},
    {"report", C_REPORT},   {"explain", C_EXPLAIN},
};

enum flag_id {
    F_QUIET, F_MARKDOWN, F_SEED, F_VARIANT, F_STRATEGY, F_PCT_DEPTH, F_SET,
    F_TRACE, F_METRICS, F_SAVE_TAPE, F_SCENARIO, F_REPORT, F_OUT, F_SEEDS,
    F_JOBS, F_FIRST_SEED, F_TIME_BUDGET, F_SHARD, F_TAPES, F_JSONL, F_MERGE,
    F_SWARM,
};

#define C_SIM (C_RUN | C_REPLAY | C_COMPARE | C_EXPLORE | C_REPORT | \
               C_EXPLAIN)

/* Every flag, whether it takes a value, and the commands it belongs to. */
static const struct {
    const char *flag;
    enum flag_id id;
    bool value;
    unsigned cmds;
} flags[] = {
    {"--quiet", F_QUIET, false, C_SIM},
    {"--markdown", F_MARKDOWN, false, C_KEYS},
    {"--seed", F_SEED, true, C_RUN | C_COMPARE | C_REPORT},
    {"--variant", F_VARIANT, true,
     C_RUN | C_REPLAY | C_EXPLORE | C_EXPLAIN},
    {"--strategy", F_STRATEGY, true, C_SIM},
    {"--pct-depth", F_PCT_DEPTH, true, C_SIM},
    {"--set", F_SET, true, C_SIM},
    {"--trace", F_TRACE, true, C_RUN | C_REPLAY},
    {"--metrics", F_METRICS, true, C_RUN | C_REPLAY},
    {"--save-tape", F_SAVE_TAPE, true, C_RUN | C_REPLAY},
    {"--scenario", F_SCENARIO, true, C_REPLAY | C_EXPLAIN},
    {"--report", F_REPORT, true, C_COMPARE},
    {"--out", F_OUT, true, C_REPORT | C_EXPLAIN},
    {"--seeds", F_SEEDS, true, C_EXPLORE},
    {"--jobs", F_JOBS, true, C_EXPLORE},
    {"--first-seed", F_FIRST_SEED, true, C_EXPLORE},
    {"--time-budget", F_TIME_BUDGET, true, C_EXPLORE},
    {"--shard", F_SHARD, true, C_EXPLORE},
    {"--tapes", F_TAPES, true, C_EXPLORE},
    {"--jsonl", F_JSONL, true, C_EXPLORE},
    {"--merge", F_MERGE, false, C_EXPLORE},
    {"--swarm", F_SWARM, false, C_RUN | C_REPLAY | C_EXPLORE},
};

/* The largest seed: run.seed is a non-negative 64-bit signed integer. */
#define SEED_MAX ((uint64_t)INT64_MAX)
#define JOBS_MAX 64
#define SHARDS_MAX (1u << 20)
#define TIME_BUDGET_MAX_S 31536000.0 /* a year */

static int add_set(struct cli *c, const char *cmd, const char *key,
                   const char *val)
{
    char *s;

    if (c->q.nsets == SCN_MAX_SETS) {
        fprintf(stderr, "kvmsim: %s: too many overrides (at most %d)\n", cmd,
                SCN_MAX_SETS);
        return -EINVAL;
    }
    if (!key) {
        c->q.sets[c->q.nsets++] = val;
        return 0;
    }
    /* Never cut: the override holds the whole value. */
    s = malloc(strlen(key) + strlen(val) + 2);
    if (!s) {
        fprintf(stderr, "kvmsim: out of memory\n");
        return -ENOMEM;
    }
    sprintf(s, "%s=%s", key, val);
    c->q.sets[c->q.nsets++] = s;
    return 0;
}

/* Seconds: digits with an optional fraction, in (0, a year]. */
static int parse_seconds(const char *cmd, const char *flag, const char *s,
                         double *out)
{
    size_t digits = strspn(s, "0123456789");
    const char *p = s + digits;
    double v;

    if (*p == '.') {
        size_t frac = strspn(p + 1, "0123456789");

        digits += frac;
        p += 1 + frac;
    }
    if (digits == 0 || *p != '\0' || strlen(s) > 32) {
        fprintf(stderr, "kvmsim: %s: %s: '%.64s' is not a number of "
                "seconds (digits, optionally with a fraction)\n", cmd, flag,
                s);
        return -EINVAL;
    }
    v = strtod(s, NULL);
    if (!(v > 0) || v > TIME_BUDGET_MAX_S) {
        fprintf(stderr, "kvmsim: %s: %s: %s is out of range (0, %.0f]\n",
                cmd, flag, s, TIME_BUDGET_MAX_S);
        return -EINVAL;
    }
    *out = v;
    return 0;
}

static int parse_u64(const char *cmd, const char *flag, const char *s,
                     uint64_t min, uint64_t max, uint64_t *out)
{
    char err[256];

    if (scn_parse_flag_u64(cmd, flag, s, min, max, out, err,
                           sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        return -EINVAL;
    }
    return 0;
}

/* "I/K" with 0 <= I < K <= SHARDS_MAX, each a whole integer. */
static int parse_shard(const char *cmd, const char *s, struct cli *c)
{
    const char *slash = strchr(s, '/');
    char left[32];
    int64_t i, k;

    if (!slash || (size_t)(slash - s) >= sizeof(left)) {
        goto bad;
    }
    memcpy(left, s, (size_t)(slash - s));
    left[slash - s] = '\0';
    if (strcmp(left, "auto") == 0 && scn_parse_i64(slash + 1, &k) == 0 &&
        k >= 1 && k <= (int64_t)SHARDS_MAX) {
        c->ex.shard_count = (unsigned)k;
        return scn_explore_shard_auto((unsigned)k, &c->ex.shard_index);
    }
    if (scn_parse_i64(left, &i) < 0 || scn_parse_i64(slash + 1, &k) < 0 ||
        k < 1 || k > (int64_t)SHARDS_MAX || i < 0 || i >= k) {
        goto bad;
    }
    c->ex.shard_index = (unsigned)i;
    c->ex.shard_count = (unsigned)k;
    return 0;
bad:
    fprintf(stderr, "kvmsim: %s: --shard '%.64s': expected I/K or auto/K "
            "with 0 <= I < K <= %u\n", cmd, s, SHARDS_MAX);
    return -EINVAL;
}

static int apply_flag(struct cli *c, const char *cmd, enum flag_id id,
                      const char *flag, const char *val)
{
    uint64_t u;

    switch (id) {
    case F_QUIET:
        c->q.quiet = true;
        return 0;
    case F_MARKDOWN:
        c->markdown = true;
        return 0;
    case F_SEED:
        if (parse_u64(cmd, flag, val, 0, SEED_MAX, &u) < 0) {
            return -EINVAL;
        }
        return add_set(c, cmd, "run.seed", val);
    case F_VARIANT:
        return add_set(c, cmd, "run.variant", val);
    case F_STRATEGY:
        return add_set(c, cmd, "run.strategy", val);
    case F_PCT_DEPTH:
        if (parse_u64(cmd, flag, val, 1, 16, &u) < 0) {
            return -EINVAL;
        }
        return add_set(c, cmd, "run.pct_depth", val);
    case F_SET:
        if (!strchr(val, '=')) {
            fprintf(stderr, "kvmsim: %s: --set '%.64s': expected "
                    "KEY=VALUE\n", cmd, val);
            return -EINVAL;
        }
        return add_set(c, cmd, NULL, val);
    case F_TRACE:
        c->q.trace_path = val;
        return 0;
    case F_METRICS:
        c->q.metrics_path = val;
        return 0;
    case F_SAVE_TAPE:
        c->q.save_tape = val;
        return 0;
    case F_SCENARIO:
        c->q.scenario = val;
        return 0;
    case F_REPORT:
        c->report_path = val;
        return 0;
    case F_OUT:
        c->out_dir = val;
        return 0;
    case F_SEEDS:
        c->seeds_given = true;
        return parse_u64(cmd, flag, val, 1, SEED_MAX, &c->ex.seeds);
    case F_JOBS:
        if (parse_u64(cmd, flag, val, 1, JOBS_MAX, &u) < 0) {
            return -EINVAL;
        }
        c->ex.jobs = (unsigned)u;
        return 0;
    case F_FIRST_SEED:
        return parse_u64(cmd, flag, val, 0, SEED_MAX, &c->ex.first_seed);
    case F_TIME_BUDGET:
        return parse_seconds(cmd, flag, val, &c->ex.time_budget_s);
    case F_SHARD:
        return parse_shard(cmd, val, c);
    case F_TAPES:
        c->ex.tape_dir = val;
        return 0;
    case F_JSONL:
        c->ex.jsonl_path = val;
        return 0;
    case F_MERGE:
        fprintf(stderr, "kvmsim: %s: --merge comes first: kvmsim explore "
                "--merge FILE...\n", cmd);
        return -EINVAL;
    case F_SWARM:
        return add_set(c, cmd, NULL, "run.swarm=true");
    }
    return -EINVAL;
}

/* Parse options after the command.  0, 1 for --help, or -EINVAL after
 * saying why. */
static int parse_opts(struct cli *c, const char *cmd, unsigned cmdbit,
                      int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        size_t k;

        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            return 1;
        }
        if (a[0] != '-' || a[1] == '\0') {
            if (c->positional) {
                fprintf(stderr, "kvmsim: %s: unexpected argument '%.64s'\n",
                        cmd, a);
                return -EINVAL;
            }
            c->positional = a;
            continue;
        }
        for (k = 0; k < sizeof(flags) / sizeof(flags[0]); k++) {
            if (strcmp(a, flags[k].flag) == 0) {
                break;
            }
        }
        if (k == sizeof(flags) / sizeof(flags[0])) {
            fprintf(stderr, "kvmsim: %s: unknown option '%.64s' (see kvmsim "
                    "%s --help)\n", cmd, a, cmd);
            return -EINVAL;
        }
        if (!(flags[k].cmds & cmdbit)) {
            fprintf(stderr, "kvmsim: %s: %s is not an option of %s (see "
                    "kvmsim %s --help)\n", cmd, a, cmd, cmd);
            return -EINVAL;
        }
        if (flags[k].value && i + 1 >= argc) {
            fprintf(stderr, "kvmsim: %s: %s needs a value\n", cmd, a);
            return -EINVAL;
        }
        if (apply_flag(c, cmd, flags[k].id, a,
                       flags[k].value ? argv[++i] : NULL) < 0) {
            return -EINVAL;
        }
    }
    return 0;
}

static int cmd_list(void)
{
    for (size_t i = 0; scn_drivers[i]; i++) {
        const struct scn_driver *d = scn_drivers[i];

        printf("%-24s %s\n", d->name, d->summary);
        printf("%-24s variants:", "");
        for (size_t v = 0; d->variants[v]; v++) {
            printf(" %s%s", d->variants[v], v == 0 ? " (default)" : "");
        }
        printf("\n");
    }
    return KVMSIM_EXIT_OK;
}

static int cmd_keys(struct cli *c)
{
    const struct cfg_key *tables[4] = {cfg_common_keys, NULL, NULL, NULL};

    if (c->positional) {
        const struct scn_driver *d = scn_driver_find(c->positional);

        if (!d) {
            fprintf(stderr, "kvmsim: keys: unknown scenario '%s'\n",
                    c->positional);
            return KVMSIM_EXIT_USAGE;
        }
        tables[1] = d->keys;
        tables[2] = scn_cost_cfg_keys(d);
        cfg_print_keys(stdout, tables, c->markdown, d->fault_sites);
        return KVMSIM_EXIT_OK;
    }
    /* The common keys and the one [faults] table every driver shares;
     * then each driver's own keys and the fault sites it reaches. */
    if (c->markdown) {
        printf("# kvmsim scenario keys\n\n"
               "Generated by `kvmsim keys --markdown`; do not edit.\n\n"
               "## Keys every scenario has\n\n"
               "Every driver has the [faults] keys below, but may arm "
               "only the fault sites it reaches (listed under the "
               "driver): a probability above 0, or `nth_site`, naming "
               "another site is an error (exit 2), since no fault would "
               "ever be injected there.\n\n");
    }
    cfg_print_keys(stdout, tables, c->markdown, CFG_FAULTS_ALL);
    for (size_t i = 0; scn_drivers[i]; i++) {
        const struct cfg_key *only[3] = {
            scn_drivers[i]->keys, scn_cost_cfg_keys(scn_drivers[i]), NULL,
        };

        if (c->markdown) {
            printf("\n## Scenario driver `%s`\n\n%s\n\n",
                   scn_drivers[i]->name, scn_drivers[i]->summary);
            cfg_print_fault_sites(stdout, scn_drivers[i]->fault_sites, true);
            printf("\n");
        } else {
            printf("\n%s:\n", scn_drivers[i]->name);
        }
        cfg_print_keys(stdout, only, c->markdown, 0);
        if (!c->markdown) {
            printf("\n");
            cfg_print_fault_sites(stdout, scn_drivers[i]->fault_sites, false);
        }
    }
    return KVMSIM_EXIT_OK;
}

/* Write rep to path; KVMSIM_EXIT_OK or KVMSIM_EXIT_HOST after saying
 * why. */
static int write_report(const struct report *rep, const char *path)
{
    int rc = report_write_file(rep, path);

    if (rc < 0) {
        fprintf(stderr, "%s:0: cannot write the report: %s\n", path,
                strerror(-rc));
        return KVMSIM_EXIT_HOST;
    }
    return KVMSIM_EXIT_OK;
}

/* `kvmsim compare SCENARIO --report FILE`. */
static int cmd_compare(struct cli *c)
{
    struct report *rep;
    int code, wc;

    if (!c->report_path) {
        return scn_compare_main(&c->q);
    }
    rep = report_create();
    if (!rep) {
        fprintf(stderr, "kvmsim: out of memory\n");
        return KVMSIM_EXIT_HOST;
    }
    report_request(rep, c->q.sets, c->q.nsets);
    c->q.report = rep;
    code = scn_compare_main(&c->q);
    wc = write_report(rep, c->report_path);
    report_destroy(rep);
    return scn_exit_worst(code, wc);
}

/* `kvmsim report --out DIR`: every driver's seed comparison, printed as
 * `kvmsim compare` prints it, then written as DIR/seeds.{json,md,html}. */
static int cmd_report(struct cli *c)
{
    static const char *const files[] = {"seeds.json", "seeds.md",
                                        "seeds.html"};
    struct report *rep;
    int code = KVMSIM_EXIT_OK, rc;

    if (!c->out_dir) {
        fprintf(stderr, "kvmsim: report: --out DIR is required\n");
        return KVMSIM_EXIT_USAGE;
    }
    if (c->positional) {
        fprintf(stderr, "kvmsim: report: unexpected argument '%s'\n",
                c->positional);
        return KVMSIM_EXIT_USAGE;
    }
    rc = scn_make_dirs(c->out_dir);
    if (rc < 0) {
        fprintf(stderr, "%s:0: cannot create the directory: %s\n",
                c->out_dir, strerror(-rc));
        return KVMSIM_EXIT_USAGE;
    }
    rep = report_create();
    if (!rep) {
        fprintf(stderr, "kvmsim: out of memory\n");
        return KVMSIM_EXIT_HOST;
    }
    report_request(rep, c->q.sets, c->q.nsets);
    for (size_t i = 0; scn_drivers[i]; i++) {
        struct scn_request q = c->q;

        if (!scn_drivers[i]->compare) {
            continue;
        }
        q.scenario = scn_drivers[i]->name;
        q.report = rep;
        printf("\n== kvmsim compare %s ==\n", q.scenario);
        fflush(stdout);
        rc = scn_compare_main(&q);
        fflush(stdout);
        code = scn_exit_worst(code, rc);
    }
    printf("\n== report ==\n");
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char path[4096];

        snprintf(path, sizeof(path), "%s/%s", c->out_dir, files[i]);
        rc = write_report(rep, path);
        if (rc == KVMSIM_EXIT_OK) {
            printf("wrote %s\n", path);
        }
        code = scn_exit_worst(code, rc);
    }
    report_destroy(rep);
    return code;
}

/* Sanitizer reports end the process with the crash code, not 1, which
 * would read as a failed invariant (the kvmsim command only; the
 * environment's *SAN_OPTIONS still win). */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    /* A refused allocation returns NULL, as without ASan, so running
     * out of memory stays a host error (5), not a crash. */
    return "exitcode=4:allocator_may_return_null=1";
}
#endif
#if __has_feature(thread_sanitizer)
const char *__tsan_default_options(void);
const char *__tsan_default_options(void)
{
    return "exitcode=4";
}
#endif
#endif
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
    return "exitcode=4:print_stacktrace=1";
}

/* Everything printed must have reached stdout: a full disk or a closed
 * pipe is the host failing the tool, not a clean exit. */
static int scn_exit_stdout(int code)
{
    errno = 0;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "kvmsim: cannot write to standard output: %s\n",
                errno ? strerror(errno) : "write error");
        return scn_exit_worst(code, KVMSIM_EXIT_HOST);
    }
    return code;
}

static int run_command(struct cli *c, const char *cmd, int rc)
{
    if (strcmp(cmd, "list") == 0) {
        if (rc == 1) {
            printf("usage: kvmsim list\n  scenarios and their variants\n");
            return KVMSIM_EXIT_OK;
        }
        return cmd_list();
    }
    if (strcmp(cmd, "keys") == 0) {
        if (rc == 1) {
            printf("usage: kvmsim keys [SCENARIO] [--markdown]\n"
                   "  every configuration key with its type, default, "
                   "range and meaning\n");
            return KVMSIM_EXIT_OK;
        }
        return cmd_keys(c);
    }
    if (rc == 1) {
        usage_run(stdout);
        return KVMSIM_EXIT_OK;
    }
    if (strcmp(cmd, "report") == 0) {
        return cmd_report(c);
    }
    if (!c->positional) {
        fprintf(stderr, "kvmsim: %s: missing %s (see kvmsim %s --help)\n",
                cmd, strcmp(cmd, "replay") == 0 ||
                strcmp(cmd, "explain") == 0 ? "TAPEFILE" : "SCENARIO",
                cmd);
        return KVMSIM_EXIT_USAGE;
    }
    if (strcmp(cmd, "replay") == 0) {
        return scn_replay_main(c->positional, &c->q);
    }
    if (strcmp(cmd, "explain") == 0) {
        return scn_explain_main(c->positional, &c->q, c->out_dir);
    }
    c->q.scenario = c->positional;
    if (strcmp(cmd, "explore") == 0) {
        if (!c->seeds_given) {
            fprintf(stderr, "kvmsim: explore: --seeds N is required\n");
            return KVMSIM_EXIT_USAGE;
        }
        if (c->ex.seeds - 1 > SEED_MAX - c->ex.first_seed) {
            fprintf(stderr, "kvmsim: explore: --first-seed %" PRIu64
                    " with --seeds %" PRIu64 " goes past the largest seed "
                    "%" PRIu64 "\n", c->ex.first_seed, c->ex.seeds,
                    SEED_MAX);
            return KVMSIM_EXIT_USAGE;
        }
        c->ex.quiet = c->q.quiet;
        return scn_explore_main(&c->q, &c->ex);
    }
    if (strcmp(cmd, "compare") == 0) {
        return cmd_compare(c);
    }
    return scn_run_main(&c->q);
}

int main(int argc, char **argv)
{
    static struct cli c;
    const char *cmd;
    unsigned cmdbit = 0;
    int rc, code;

    if (argc < 2) {
        usage(stderr);
        return KVMSIM_EXIT_USAGE;
    }
    cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
        strcmp(cmd, "help") == 0) {
        usage(stdout);
        return scn_exit_stdout(KVMSIM_EXIT_OK);
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(cmd, commands[i].name) == 0) {
            cmdbit = commands[i].bit;
        }
    }
    if (!cmdbit) {
        fprintf(stderr, "kvmsim: unknown command '%.64s' (see kvmsim "
                "--help)\n", cmd);
        return KVMSIM_EXIT_USAGE;
    }
    if (cmdbit == C_EXPLORE && argc > 2 && strcmp(argv[2], "--merge") == 0) {
        scn_crash_install();
        return scn_exit_stdout(scn_explore_merge(argc - 3, argv + 3));
    }
    c.ex.first_seed = 1;
    c.ex.jobs = 2;
    c.ex.shard_count = 1;
    rc = parse_opts(&c, cmd, cmdbit, argc - 2, argv + 2);
    if (rc < 0) {
        return KVMSIM_EXIT_USAGE;
    }
    scn_crash_install();
    code = run_command(&c, cmd, rc);
    return scn_exit_stdout(code);
}
