/*
 * scenarios/src/main.c - the kvmsim command line.
 *
 *   kvmsim list                      scenarios and their variants
 *   kvmsim keys [SCENARIO] [--markdown]
 *   kvmsim run SCENARIO [options]    one run
 *   kvmsim replay TAPEFILE [options] a saved or raw tape
 *   kvmsim compare SCENARIO [options] every variant, same seed
 *   kvmsim report --out DIR [options] every seed comparison, as files
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

#include "scenarios/src/explore.h"
#include "scenarios/src/report.h"
#include "scenarios/src/runner.h"

#define SETBUF 64

struct cli {
    struct scn_request q;
    char setbuf[SCN_MAX_SETS][SETBUF];
    unsigned nbuf;
    const char *positional;
    bool markdown;
    const char *report_path; /* compare --report FILE */
    const char *out_dir;     /* report --out DIR */
    struct explore_opts ex;
};

static void usage_run(FILE *out)
{
    fputs(
"usage: kvmsim run SCENARIO [options]\n"
"       kvmsim compare SCENARIO [options]\n"
"       kvmsim replay TAPEFILE [--scenario SCENARIO] [options]\n"
"\n"
"SCENARIO is a name from `kvmsim list` or a path to a scenario file.\n"
"\n"
"options:\n"
"  --seed N           seed of the decision tape (default: [run] seed, 1)\n"
"  --variant V        variant to run (default: the scenario's first)\n"
"  --strategy S       time | random | pct (default: time)\n"
"  --pct-depth D      PCT bug depth (default: 3)\n"
"  --set KEY=VALUE    override a key (`kvmsim keys SCENARIO` lists them);\n"
"                     KEY is `name` or `section.name`; repeatable\n"
"  --trace FILE       write a Chrome trace (open it in ui.perfetto.dev)\n"
"  --metrics FILE     write the run's metrics as JSON\n"
"  --save-tape FILE   where a failing run saves its tape\n"
"                     (default: kvmsim-fail-DRIVER-VARIANT-SEED.tape)\n"
"  --scenario NAME    (replay) scenario of a raw tape, e.g. a fuzzer input\n"
"  --report FILE      (compare) the seed table as structured rows: JSON,\n"
"                     or Markdown / HTML when FILE ends in .md / .html\n"
"  --quiet            no summary\n"
"\n"
"explore options (kvmsim explore SCENARIO --seeds N [options]):\n"
"  --seeds N          how many seeds, from --first-seed (default 1)\n"
"  --jobs J           worker processes (default: 2)\n"
"  --shard I/K        only seeds with seed %% K == I (spread over machines)\n"
"  --time-budget S    stop after S seconds\n"
"  --tapes DIR        save each failing seed's tape in DIR\n"
"\n"
"report options (kvmsim report --out DIR [options]):\n"
"  --out DIR          runs every seed comparison, prints each table and\n"
"                     writes DIR/seeds.json, seeds.md and seeds.html\n"
"\n"
"exit status: 0 all invariants held, 1 an invariant failed,\n"
"             2 usage or input error, 3 deadlock, livelock or step bound\n",
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
"       kvmsim report --out DIR [options]\n"
"       kvmsim COMMAND --help\n"
"\n", out);
    usage_run(out);
}

static int add_set(struct cli *c, const char *fmt, const char *key,
                   const char *val)
{
    if (c->q.nsets == SCN_MAX_SETS || c->nbuf == SCN_MAX_SETS) {
        fprintf(stderr, "kvmsim: too many overrides (at most %d)\n",
                SCN_MAX_SETS);
        return -EINVAL;
    }
    if (key) {
        snprintf(c->setbuf[c->nbuf], SETBUF, fmt, key, val);
        c->q.sets[c->q.nsets++] = c->setbuf[c->nbuf++];
    } else {
        c->q.sets[c->q.nsets++] = val;
    }
    return 0;
}

/* Parse options after the command.  0, 1 for --help, or -EINVAL. */
static int parse_opts(struct cli *c, const char *cmd, int argc, char **argv)
{
    static const struct {
        const char *flag;
        const char *key; /* NULL: handled below */
    } mapped[] = {
        {"--seed", "run.seed"},
        {"--variant", "run.variant"},
        {"--strategy", "run.strategy"},
        {"--pct-depth", "run.pct_depth"},
    };

    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        bool done = false;

        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            return 1;
        }
        if (strcmp(a, "--quiet") == 0) {
            c->q.quiet = true;
            continue;
        }
        if (strcmp(a, "--markdown") == 0) {
            c->markdown = true;
            continue;
        }
        if (a[0] != '-') {
            if (c->positional) {
                fprintf(stderr, "kvmsim: %s: unexpected argument '%s'\n",
                        cmd, a);
                return -EINVAL;
            }
            c->positional = a;
            continue;
        }
        if (!val) {
            fprintf(stderr, "kvmsim: %s: %s needs a value\n", cmd, a);
            return -EINVAL;
        }
        for (size_t k = 0; k < sizeof(mapped) / sizeof(mapped[0]); k++) {
            if (strcmp(a, mapped[k].flag) == 0) {
                if (add_set(c, "%s=%s", mapped[k].key, val) < 0) {
                    return -EINVAL;
                }
                done = true;
            }
        }
        if (done) {
        } else if (strcmp(a, "--set") == 0) {
            if (!strchr(val, '=')) {
                fprintf(stderr, "kvmsim: %s: --set '%s': expected "
                        "KEY=VALUE\n", cmd, val);
                return -EINVAL;
            }
            if (add_set(c, NULL, NULL, val) < 0) {
                return -EINVAL;
            }
        } else if (strcmp(a, "--trace") == 0) {
            c->q.trace_path = val;
        } else if (strcmp(a, "--metrics") == 0) {
            c->q.metrics_path = val;
        } else if (strcmp(a, "--save-tape") == 0) {
            c->q.save_tape = val;
        } else if (strcmp(a, "--scenario") == 0) {
            c->q.scenario = val;
        } else if (strcmp(a, "--seeds") == 0 || strcmp(a, "--jobs") == 0 ||
                   strcmp(a, "--first-seed") == 0 ||
                   strcmp(a, "--time-budget") == 0) {
            char *end;
            double v = strtod(val, &end);

            if (*end || !(v >= 0) || v > 1e15) {
                fprintf(stderr, "kvmsim: %s: %s: '%s' is not a number\n", cmd,
                        a, val);
                return -EINVAL;
            }
            if (strcmp(a, "--seeds") == 0) {
                c->ex.seeds = (uint64_t)v;
            } else if (strcmp(a, "--jobs") == 0) {
                c->ex.jobs = (unsigned)v;
            } else if (strcmp(a, "--first-seed") == 0) {
                c->ex.first_seed = (uint64_t)v;
            } else {
                c->ex.time_budget_s = v;
            }
        } else if (strcmp(a, "--shard") == 0) {
            if (sscanf(val, "%u/%u", &c->ex.shard_index,
                       &c->ex.shard_count) != 2 || c->ex.shard_count == 0 ||
                c->ex.shard_index >= c->ex.shard_count) {
                fprintf(stderr, "kvmsim: %s: --shard '%s': expected I/K with "
                        "0 <= I < K\n", cmd, val);
                return -EINVAL;
            }
        } else if (strcmp(a, "--tapes") == 0) {
            c->ex.tape_dir = val;
        } else if (strcmp(a, "--report") == 0) {
            c->report_path = val;
        } else if (strcmp(a, "--out") == 0) {
            c->out_dir = val;
        } else {
            fprintf(stderr, "kvmsim: %s: unknown option '%s' (see kvmsim %s "
                    "--help)\n", cmd, a, cmd);
            return -EINVAL;
        }
        i++;
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
    const struct cfg_key *tables[3] = {cfg_common_keys, NULL, NULL};

    if (c->positional) {
        const struct scn_driver *d = scn_driver_find(c->positional);

        if (!d) {
            fprintf(stderr, "kvmsim: keys: unknown scenario '%s'\n",
                    c->positional);
            return KVMSIM_EXIT_USAGE;
        }
        tables[1] = d->keys;
        cfg_print_keys(stdout, tables, c->markdown);
        return KVMSIM_EXIT_OK;
    }
    if (c->markdown) {
        printf("# kvmsim scenario keys\n\n"
               "Generated by `kvmsim keys --markdown`; do not edit.\n\n"
               "## Keys every scenario has\n\n");
    }
    cfg_print_keys(stdout, tables, c->markdown);
    for (size_t i = 0; scn_drivers[i]; i++) {
        const struct cfg_key *only[2] = {scn_drivers[i]->keys, NULL};

        if (c->markdown) {
            printf("\n## Scenario driver `%s`\n\n%s\n\n",
                   scn_drivers[i]->name, scn_drivers[i]->summary);
        } else {
            printf("\n%s:\n", scn_drivers[i]->name);
        }
        cfg_print_keys(stdout, only, c->markdown);
    }
    return KVMSIM_EXIT_OK;
}

/* Write rep to path; KVMSIM_EXIT_OK or KVMSIM_EXIT_USAGE after saying
 * why. */
static int write_report(const struct report *rep, const char *path)
{
    int rc = report_write_file(rep, path);

    if (rc < 0) {
        fprintf(stderr, "%s:0: cannot write the report: %s\n", path,
                strerror(-rc));
        return KVMSIM_EXIT_USAGE;
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
        return KVMSIM_EXIT_USAGE;
    }
    report_request(rep, c->q.sets, c->q.nsets);
    c->q.report = rep;
    code = scn_compare_main(&c->q);
    wc = write_report(rep, c->report_path);
    report_destroy(rep);
    return wc > code ? wc : code;
}

/* mkdir -p; 0 or -errno. */
static int make_dirs(const char *dir)
{
    char path[4096];
    size_t n = strlen(dir);

    if (n == 0 || n >= sizeof(path)) {
        return -ENAMETOOLONG;
    }
    memcpy(path, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (path[i] == '/' || path[i] == '\0') {
            char saved = path[i];

            path[i] = '\0';
            if (mkdir(path, 0777) < 0 && errno != EEXIST) {
                return -errno;
            }
            path[i] = saved;
        }
    }
    return 0;
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
    rc = make_dirs(c->out_dir);
    if (rc < 0) {
        fprintf(stderr, "%s:0: cannot create the directory: %s\n",
                c->out_dir, strerror(-rc));
        return KVMSIM_EXIT_USAGE;
    }
    rep = report_create();
    if (!rep) {
        fprintf(stderr, "kvmsim: out of memory\n");
        return KVMSIM_EXIT_USAGE;
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
        code = rc > code ? rc : code;
    }
    printf("\n== report ==\n");
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char path[4096];

        snprintf(path, sizeof(path), "%s/%s", c->out_dir, files[i]);
        rc = write_report(rep, path);
        if (rc == KVMSIM_EXIT_OK) {
            printf("wrote %s\n", path);
        }
        code = rc > code ? rc : code;
    }
    report_destroy(rep);
    return code;
}

int main(int argc, char **argv)
{
    static struct cli c;
    const char *cmd;
    int rc;

    if (argc < 2) {
        usage(stderr);
        return KVMSIM_EXIT_USAGE;
    }
    cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
        strcmp(cmd, "help") == 0) {
        usage(stdout);
        return KVMSIM_EXIT_OK;
    }
    rc = parse_opts(&c, cmd, argc - 2, argv + 2);
    if (rc < 0) {
        return KVMSIM_EXIT_USAGE;
    }
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
        return cmd_keys(&c);
    }
    if ((c.report_path && strcmp(cmd, "compare") != 0) ||
        (c.out_dir && strcmp(cmd, "report") != 0)) {
        fprintf(stderr, "kvmsim: %s: %s is not an option of %s (see kvmsim "
                "%s --help)\n", cmd, c.report_path ? "--report" : "--out",
                cmd, cmd);
        return KVMSIM_EXIT_USAGE;
    }
    if (strcmp(cmd, "report") == 0) {
        if (rc == 1) {
            usage_run(stdout);
            return KVMSIM_EXIT_OK;
        }
        return cmd_report(&c);
    }
    if (strcmp(cmd, "run") != 0 && strcmp(cmd, "replay") != 0 &&
        strcmp(cmd, "compare") != 0 && strcmp(cmd, "explore") != 0) {
        fprintf(stderr, "kvmsim: unknown command '%s' (see kvmsim --help)\n",
                cmd);
        return KVMSIM_EXIT_USAGE;
    }
    if (rc == 1) {
        usage_run(stdout);
        return KVMSIM_EXIT_OK;
    }
    if (!c.positional) {
        fprintf(stderr, "kvmsim: %s: missing %s (see kvmsim %s --help)\n",
                cmd, strcmp(cmd, "replay") == 0 ? "TAPEFILE" : "SCENARIO",
                cmd);
        return KVMSIM_EXIT_USAGE;
    }
    if (strcmp(cmd, "replay") == 0) {
        return scn_replay_main(c.positional, &c.q);
    }
    c.q.scenario = c.positional;
    if (strcmp(cmd, "explore") == 0) {
        if (c.ex.seeds == 0) {
            fprintf(stderr, "kvmsim: explore: --seeds N is required\n");
            return KVMSIM_EXIT_USAGE;
        }
        c.ex.first_seed = c.ex.first_seed ? c.ex.first_seed : 1;
        c.ex.jobs = c.ex.jobs ? c.ex.jobs : 2;
        c.ex.shard_count = c.ex.shard_count ? c.ex.shard_count : 1;
        c.ex.quiet = c.q.quiet;
        return scn_explore_main(&c.q, &c.ex);
    }
    if (strcmp(cmd, "compare") == 0) {
        return cmd_compare(&c);
    }
    return scn_run_main(&c.q);
}
