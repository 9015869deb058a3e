/*
 * scenarios/src/explore.c - `kvmsim explore`: many seeds of one scenario in
 * parallel worker processes, with progress and each distinct failure once.
 *
 * Seeds first..first+n-1 are split among `jobs` forked workers (seed s goes
 * to worker s % jobs), after `--shard I/K` has kept the seeds with
 * s % K == I, so machines can share a seed space without talking.  A
 * worker runs each seed in-process and writes one line per finished seed
 * to a pipe: "seed exit-code where|message".  Failures are grouped by exit
 * code, invariant name and the trace point where the invariant first
 * failed (the checking thread and its innermost open span, from
 * sim_where(), or "after the run"); each group shows its first seed, how
 * many seeds hit it and the command that reproduces it (the seed's tape is
 * saved under --tapes DIR when given).
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "scenarios/src/explore.h"
#include "sim/tape.h"

#define EXPLORE_MAX_JOBS 64
#define EXPLORE_MAX_GROUPS 64

struct explore_group {
    int code;
    char key[160];       /* invariant (or result) and where it failed */
    char first_msg[512];
    char where[128];     /* sim_where() of the first seed's failure */
    uint64_t first_seed;
    uint64_t count;
};

static double wall_s(void)
{
    struct timespec ts;

    /* Progress display only: nothing simulated reads this. */
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void worker(const struct scn_request *q, const struct explore_opts *o,
                   unsigned id, int fd)
{
    FILE *out = fdopen(fd, "w");
    char seedset[64], tape[600];
    const char *extra[2];

    if (!out) {
        _exit(2);
    }
    for (uint64_t i = 0; i < o->seeds; i++) {
        uint64_t seed = o->first_seed + i;
        struct scn_run r;
        struct scn_request v = *q;
        int code;
        unsigned n = 0;

        if (seed % o->shard_count != o->shard_index ||
            (seed / o->shard_count) % o->jobs != id) {
            continue;
        }
        snprintf(seedset, sizeof(seedset), "run.seed=%" PRIu64, seed);
        extra[n++] = seedset;
        code = scn_run_with(&v, extra, n, &r);
        if (code != KVMSIM_EXIT_OK && o->tape_dir) {
            FILE *f;

            snprintf(tape, sizeof(tape), "%s/%s-%" PRIu64 ".tape",
                     o->tape_dir, r.drv ? r.drv->name : "run", seed);
            f = fopen(tape, "wb");
            if (f && r.tape) {
                /* The same format as a failing `kvmsim run` saves. */
                fprintf(f, "KVMSIM-TAPE 1\nscenario %s\n", q->scenario);
                for (unsigned s = 0; s < q->nsets; s++) {
                    fprintf(f, "set %s\n", q->sets[s]);
                }
                fprintf(f, "set %s\nbytes %zu\n", seedset,
                        sim_tape_used(r.tape));
                fwrite(sim_tape_consumed(r.tape), 1, sim_tape_used(r.tape),
                       f);
            }
            if (f) {
                fclose(f);
            }
        }
        /* "SEED CODE WHERE|MESSAGE" */
        fprintf(out, "%" PRIu64 " %d %s|%s\n", seed, code,
                code == KVMSIM_EXIT_INVARIANT ? r.failure_where : "-",
                code == KVMSIM_EXIT_INVARIANT ? r.first_failure
                : code == KVMSIM_EXIT_STUCK   ? sim_result_name(r.result)
                                              : "-");
        fflush(out);
        scn_run_release(&r);
    }
    fclose(out);
    _exit(0);
}

/* `text` is "WHERE|MESSAGE"; a group is an exit code, an invariant (the
 * message up to its colon) and the trace point where it first failed. */
static void group_add(struct explore_group *g, size_t *ng, uint64_t seed,
                      int code, const char *text)
{
    char key[160];
    const char *bar = strchr(text, '|');
    const char *msg = bar ? bar + 1 : text;
    const char *colon = strchr(msg, ':');
    int wlen = bar ? (int)(bar - text) : 0;
    int ilen = colon ? (int)(colon - msg) : (int)strlen(msg);

    snprintf(key, sizeof(key), "%.*s at %.*s", ilen, msg, wlen, text);
    for (size_t i = 0; i < *ng; i++) {
        if (g[i].code == code && strcmp(g[i].key, key) == 0) {
            g[i].count++;
            if (seed < g[i].first_seed) {
                g[i].first_seed = seed;
                snprintf(g[i].first_msg, sizeof(g[i].first_msg), "%s", msg);
                snprintf(g[i].where, sizeof(g[i].where), "%.*s", wlen, text);
            }
            return;
        }
    }
    if (*ng == EXPLORE_MAX_GROUPS) {
        return;
    }
    g[*ng] = (struct explore_group){.code = code, .first_seed = seed,
                                    .count = 1};
    snprintf(g[*ng].key, sizeof(g[*ng].key), "%s", key);
    snprintf(g[*ng].first_msg, sizeof(g[*ng].first_msg), "%s", msg);
    snprintf(g[*ng].where, sizeof(g[*ng].where), "%.*s", wlen, text);
    (*ng)++;
}

int scn_explore_main(const struct scn_request *q,
                     const struct explore_opts *o)
{
    struct scn_run probe;
    pid_t pids[EXPLORE_MAX_JOBS];
    FILE *in[EXPLORE_MAX_JOBS];
    struct explore_group groups[EXPLORE_MAX_GROUPS];
    size_t ngroups = 0;
    uint64_t total = 0, done = 0, failed = 0;
    unsigned live;
    double t0 = wall_s(), last = 0;
    const char *driver;
    int code;

    if (o->jobs == 0 || o->jobs > EXPLORE_MAX_JOBS || o->seeds == 0 ||
        o->shard_count == 0 || o->shard_index >= o->shard_count) {
        fprintf(stderr, "kvmsim: explore: bad --seeds, --jobs or --shard\n");
        return KVMSIM_EXIT_USAGE;
    }
    /* Fail on a bad scenario before forking anything. */
    memset(&probe, 0, sizeof(probe));
    code = scn_prepare(q, &probe);
    driver = probe.drv ? probe.drv->name : "run";
    scn_run_release(&probe);
    if (code != KVMSIM_EXIT_OK) {
        return code;
    }
    for (uint64_t i = 0; i < o->seeds; i++) {
        total += (o->first_seed + i) % o->shard_count == o->shard_index;
    }
    fflush(stdout);
    fflush(stderr);
    for (unsigned j = 0; j < o->jobs; j++) {
        int fds[2];

        if (pipe(fds) < 0) {
            fprintf(stderr, "kvmsim: explore: pipe: %s\n", strerror(errno));
            return KVMSIM_EXIT_USAGE;
        }
        pids[j] = fork();
        if (pids[j] < 0) {
            fprintf(stderr, "kvmsim: explore: fork: %s\n", strerror(errno));
            return KVMSIM_EXIT_USAGE;
        }
        if (pids[j] == 0) {
            close(fds[0]);
            worker(q, o, j, fds[1]);
        }
        close(fds[1]);
        in[j] = fdopen(fds[0], "r");
    }
    live = o->jobs;
    while (live > 0) {
        char line[1024];

        live = 0;
        for (unsigned j = 0; j < o->jobs; j++) {
            uint64_t seed;
            int c, off = 0;

            if (!in[j]) {
                continue;
            }
            if (!fgets(line, sizeof(line), in[j])) {
                fclose(in[j]);
                in[j] = NULL;
                continue;
            }
            live++;
            if (sscanf(line, "%" SCNu64 " %d %n", &seed, &c, &off) < 2) {
                continue;
            }
            line[strcspn(line, "\n")] = '\0';
            done++;
            if (c != KVMSIM_EXIT_OK) {
                failed++;
                group_add(groups, &ngroups, seed, c, line + off);
            }
        }
        if (!o->quiet && wall_s() - last > 0.5) {
            double el = wall_s() - t0;
            double rate = el > 0 ? (double)done / el : 0;

            last = wall_s();
            fprintf(stderr, "\r  %" PRIu64 "/%" PRIu64 " seeds, %.0f/s, %"
                    PRIu64 " failing, %.0f s left   ", done, total, rate,
                    failed, rate > 0 ? (double)(total - done) / rate : 0);
        }
        if (o->time_budget_s > 0 && wall_s() - t0 > o->time_budget_s) {
            for (unsigned j = 0; j < o->jobs; j++) {
                kill(pids[j], SIGTERM);
            }
        }
    }
    for (unsigned j = 0; j < o->jobs; j++) {
        waitpid(pids[j], NULL, 0);
    }
    {
        double el = wall_s() - t0;

        if (!o->quiet) {
            fputc('\n', stderr);
        }
        printf("explore %s: %" PRIu64 " of %" PRIu64 " seeds in %.1f s "
               "(%.0f seeds/s, %u jobs), %" PRIu64 " failing in %zu "
               "distinct ways\n", q->scenario, done, total, el,
               el > 0 ? (double)done / el : 0, o->jobs, failed, ngroups);
    }
    for (size_t i = 0; i < ngroups; i++) {
        printf("  [%s] %" PRIu64 " seeds, first seed %" PRIu64 ": %s\n",
               groups[i].code == KVMSIM_EXIT_STUCK ? "stuck" : "invariant",
               groups[i].count, groups[i].first_seed, groups[i].first_msg);
        if (groups[i].code == KVMSIM_EXIT_INVARIANT) {
            printf("    failed at: %s\n", groups[i].where);
        }
        printf("    reproduce: kvmsim run %s", q->scenario);
        for (unsigned s = 0; s < q->nsets; s++) {
            printf(" --set %s", q->sets[s]);
        }
        printf(" --seed %" PRIu64 "\n", groups[i].first_seed);
        if (o->tape_dir) {
            printf("    or: kvmsim replay %s/%s-%" PRIu64 ".tape\n",
                   o->tape_dir, driver, groups[i].first_seed);
        }
    }
    return failed ? KVMSIM_EXIT_INVARIANT : KVMSIM_EXIT_OK;
}
