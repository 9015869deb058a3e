/*
 * scenarios/tool/explore.c - `kvmsim explore`: many seeds of one scenario in
 * parallel worker processes, with progress and each distinct failure once;
 * nothing a worker does or suffers is lost.
 *
 * Seeds.  `--shard I/K` keeps the seeds s in [first, first + n) with
 * s % K == I; worker slot j of J takes those with (s / K) % J == j, i.e.
 * s = K*J*k + K*j + I for a range of k.  Counts and each slot's range are
 * computed in closed form and a worker walks only its own seeds, so a
 * huge --seeds costs nothing up front.
 *
 * Workers.  A worker runs its seeds in order, in-process, with its stdout
 * and stderr on the same pipe as its records.  It announces each seed
 * before running it (RS 'S' US seed) and writes its outcome after (RS 'R'
 * US seed US code US tape US kind US where US message); any other line is
 * the seed's own output (a driver's error, an engine panic, a sanitizer
 * report), which the parent relays as "[seed N] ..." and keeps the first
 * line of (or a sanitizer's "SUMMARY: " line).  The parent reads every
 * pipe with poll(), so a silent worker blocks nothing, and reaps every
 * worker with waitpid().  A worker that dies (a signal, a non-zero exit,
 * or its pipe closing before its seeds are done) is a [crash] failure
 * charged to the seed it had announced; its remaining seeds go to a new
 * worker, at most EXPLORE_MAX_RESTARTS times per slot, after which they
 * are reported as not run.
 *
 * Failures are grouped by kind ([invariant], [liveness], [stuck],
 * [deadline], [crash], [usage], [host]) and, for invariants, by the
 * invariant's name and the trace point where it first failed (sim_where(),
 * or "after the run"); for the other kinds by their message with numbers
 * blanked.  Each group shows
 * its first seed, how many seeds hit it, the first line of what that seed
 * reported and the command that reproduces it; with --tapes DIR a failing
 * simulated seed's tape is saved by scn_tape_save() (DIR is created first).
 *
 * The time budget bounds the whole command: at the budget the workers get
 * SIGTERM, then SIGKILL after EXPLORE_GRACE_S, and are reaped.  Seeds left
 * then are reported but, being what the user asked for, do not by
 * themselves make the exit non-zero.  The exit code is the worst
 * (scn_exit_worst) of every seed's code, KVMSIM_EXIT_CRASH for a dead
 * worker and KVMSIM_EXIT_HOST for seeds not run because a worker could not
 * be started or a tape that could not be saved.
 *
 * JSON Lines.  With --jsonl FILE each failure is also written, as it
 * comes in, as a "failure" record (flushed whole, so a shard stopped from
 * outside leaves only whole lines), and the summary last as a "shard"
 * record; every record names the exploration (scenario, variant,
 * strategy, overrides, seed range, shard I/K).  Kinds are written by
 * their names in explore_kind_names[], so a new kind needs only its row.
 * `--merge FILE...` reads the files of all K shards with the bounded
 * reader of jsonl.c, regroups the failure records through the same
 * group_insert() the live run uses (so the groups, their counts and
 * first seeds are the unsharded run's), checks each shard's summary
 * against its records and prints the same summary().  `--shard auto/K`
 * reads the index from a batch engine's environment.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "scenarios/tool/config.h"
#include "scenarios/tool/explore.h"
#include "scenarios/tool/input.h"
#include "scenarios/tool/json_out.h"
#include "scenarios/tool/jsonl.h"
#include "scenarios/tool/swarm.h"

#define EXPLORE_MAX_JOBS 64
#define EXPLORE_MAX_GROUPS 64
#define EXPLORE_MAX_RESTARTS 8   /* new workers per slot after deaths */
#define EXPLORE_LINE 2048        /* longest record or stderr line kept */
#define EXPLORE_GRACE_S 1.0      /* from SIGTERM to SIGKILL at the budget */
#define EXPLORE_TICK_MS 500      /* progress refresh */
#define EXPLORE_DIR 4096         /* longest --tapes DIR */
#define EXPLORE_PATH (EXPLORE_DIR + 256)
#define EXPLORE_REPORT 256

#define EXPLORE_REC '\036'       /* starts a record */
#define EXPLORE_SEP '\037'       /* separates its fields */
#define EXPLORE_FIELDS 7

/* Not tried: the seed passed, was not simulated or --tapes is absent. */
#define EXPLORE_NO_TAPE 1

/* The JSON Lines records' "format"; a reader refuses any other. */
#define EXPLORE_JSONL_FORMAT 1
#define EXPLORE_NOTE 256         /* a "seeds not run" line */

enum explore_kind {
    EXPLORE_CRASH,
    EXPLORE_INVARIANT,
    EXPLORE_LIVENESS,
    EXPLORE_STUCK,
    EXPLORE_DEADLINE,
    EXPLORE_HOST,
    EXPLORE_USAGE,
    EXPLORE_OTHER,
    EXPLORE_NKINDS,
};

static const char *const explore_kind_names[EXPLORE_NKINDS] = {
    "crash", "invariant", "liveness", "stuck", "deadline", "host", "usage",
    "exit",
};

struct explore_group {
    enum explore_kind kind;
    int code;
    char key[320];
    char msg[512];                /* the first seed's message */
    char report[EXPLORE_REPORT];  /* its first stderr line, or "" */
    char where[128];              /* where it failed (invariant, crash) */
    uint64_t first_seed;
    uint64_t count;
    int tape_rc;                  /* its tape: 0 saved, -errno, NO_TAPE */
    char tape[EXPLORE_PATH];      /* its path, unless NO_TAPE */
};

struct explore_slot {
    uint64_t base, stride;  /* its k-th seed is base + stride * k */
    uint64_t next, end;     /* first index without an outcome; the end */
    pid_t pid;              /* 0: no worker */
    int fd;                 /* read end of the worker's pipe, or -1 */
    bool started;           /* the worker announced seed `next` */
    bool tsan_exit;         /* ThreadSanitizer's exit line came after the
                             * last seed: its reports were those seeds' */
    bool gave_up;           /* died too often: next..end not run */
    bool no_worker;         /* could not be started: next..end not run */
    bool overlong;          /* dropping the rest of a long line */
    unsigned deaths;
    size_t len;
    char line[EXPLORE_LINE];
    char report[EXPLORE_REPORT];  /* first stderr line of this seed */
};

struct explore {
    const struct scn_request *q;  /* NULL when merging */
    const struct explore_opts *o;
    const char *scenario;         /* for the summary and reproduce lines */
    const char *const *sets;
    unsigned nsets;
    char strategy[64];
    FILE *jsonl;                  /* --jsonl, or NULL */
    int jsonl_err;                /* its first write error (-errno) */
    bool merged;                  /* --merge: the shards' figures */
    double elapsed_s;             /* merged: the slowest shard's */
    char **notes;                 /* merged: the shards' not-run lines */
    size_t nnotes;
    char dir[EXPLORE_DIR];        /* tape_dir without trailing '/' */
    char driver[64], variant[64];
    unsigned nslots;
    struct explore_slot slot[EXPLORE_MAX_JOBS];
    struct explore_group group[EXPLORE_MAX_GROUPS];
    size_t ngroups;
    uint64_t kind_count[EXPLORE_NKINDS];
    uint64_t ungrouped;           /* failing seeds past the group table */
    uint64_t total, ran, failed;
    uint64_t worker_deaths;       /* workers that died between seeds */
    uint64_t notrun_budget, notrun_dead, notrun_host;
    uint64_t tapes_failed;
    char tape_fail[EXPLORE_PATH + 64];  /* the first failed save */
    unsigned restarts;
    int worst;
    bool stopping;                /* the time budget ran out */
    bool killed;                  /* ... and the grace too */
    double t0, stop_at, last_tick;
    bool progress_shown;
};

static double wall_s(void)
{
    struct timespec ts;

    /* Budget and progress only: nothing simulated reads this. */
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- seeds ---- */

static uint64_t slot_seed(const struct explore_slot *s, uint64_t k)
{
    return s->base + s->stride * k;
}

/* Slot j's seeds among [first, end) with s % K == I, (s / K) % J == j. */
static void slot_range(struct explore_slot *s, const struct explore_opts *o,
                       uint64_t end, unsigned j)
{
    uint64_t first = o->first_seed;

    s->base = (uint64_t)o->shard_count * j + o->shard_index;
    s->stride = (uint64_t)o->shard_count * o->jobs;
    s->next = first <= s->base ? 0 : (first - s->base - 1) / s->stride + 1;
    s->end = end <= s->base ? 0 : (end - s->base - 1) / s->stride + 1;
    if (s->end < s->next) {
        s->end = s->next;
    }
}

/* ---- tapes ---- */

/* mkdir -p; 0 or -errno. */
static int tape_path(const struct explore *x, uint64_t seed, char *buf,
                     size_t n)
{
    int len = snprintf(buf, n, "%s/%s-%s-%" PRIu64 ".tape",
                       strcmp(x->dir, "/") == 0 ? "" : x->dir, x->driver,
                       x->variant, seed);

    return len < 0 || (size_t)len >= n ? -ENAMETOOLONG : 0;
}

/* ---- the worker ---- */

static void clean_text(char *s)
{
    for (; *s; s++) {
        if (*s == '\n' || *s == '\r' || *s == EXPLORE_REC ||
            *s == EXPLORE_SEP) {
            *s = ' ';
        }
    }
}

/* "step limit at N ns after M steps: <first line of sim_report()>" */
static void stuck_message(const struct scn_run *r, char *msg, size_t n)
{
    char *report = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&report, &len);
    int k = snprintf(msg, n, "%s at %" PRIu64 " ns after %" PRIu64 " steps",
                     sim_result_name(r->result), sim_now_ns(r->sim),
                     sim_steps(r->sim));

    if (f) {
        sim_report(r->sim, f);
        if (fclose(f) == 0 && report && k > 0 && (size_t)k < n) {
            const char *line = report + strspn(report, " ");
            int l = (int)strcspn(line, "\n");

            if (l > 0) {
                snprintf(msg + k, n - (size_t)k, ": %.*s", l, line);
            }
        }
    }
    free(report);
}

static int worker_result(FILE *out, uint64_t seed, int code,
                         const struct scn_run *r, int tape_rc)
{
    char msg[768] = "", where[128] = "";
    enum explore_kind kind = EXPLORE_OTHER;

    if (code == KVMSIM_EXIT_OK) {
        kind = EXPLORE_NKINDS;
    } else if (code == KVMSIM_EXIT_INVARIANT) {
        kind = EXPLORE_INVARIANT;
        snprintf(msg, sizeof(msg), "%s", r->first_failure);
        snprintf(where, sizeof(where), "%s", r->failure_where);
    } else if (code == KVMSIM_EXIT_LIVENESS) {
        kind = EXPLORE_LIVENESS;
        snprintf(msg, sizeof(msg), "%s", r->liveness_msg);
    } else if (code == KVMSIM_EXIT_STUCK && r->simulated && r->sim &&
               r->result != SIM_OK) {
        kind = EXPLORE_STUCK;
        stuck_message(r, msg, sizeof(msg));
    } else if (code == KVMSIM_EXIT_STUCK && r->deadline_missed) {
        kind = EXPLORE_DEADLINE;
        snprintf(msg, sizeof(msg), "%s", r->deadline_msg);
    } else if (code == KVMSIM_EXIT_STUCK) {
        kind = EXPLORE_STUCK;
        snprintf(msg, sizeof(msg), "the scenario could not set up the run");
    } else if (code == KVMSIM_EXIT_USAGE) {
        kind = EXPLORE_USAGE;
    } else if (code == KVMSIM_EXIT_HOST) {
        kind = EXPLORE_HOST;
    } else if (code == KVMSIM_EXIT_CRASH) {
        kind = EXPLORE_CRASH;
    }
    clean_text(msg);
    clean_text(where);
    fprintf(out, "%cR%c%" PRIu64 "%c%d%c%d%c%d%c%s%c%s\n", EXPLORE_REC,
            EXPLORE_SEP, seed, EXPLORE_SEP, code, EXPLORE_SEP, tape_rc,
            EXPLORE_SEP, (int)kind, EXPLORE_SEP, where, EXPLORE_SEP, msg);
    return ferror(out) ? -EIO : 0;
}

/* Runs slot j's seeds from its `next` and exits: 0 when every outcome
 * was written, KVMSIM_EXIT_HOST when the pipe could not be used. */
static _Noreturn void worker_main(struct explore *x, unsigned j, int fd)
{
    struct explore_slot *s = &x->slot[j];
    char seedset[64];
    const char *extra[1] = {seedset};
    FILE *out;

#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
    for (unsigned k = 0; k < x->nslots; k++) {
        if (x->slot[k].fd >= 0) {
            close(x->slot[k].fd);
        }
    }
    /* Whatever a run prints, on either stream, reaches the parent. */
    out = dup2(fd, STDERR_FILENO) < 0 || dup2(fd, STDOUT_FILENO) < 0
          ? NULL : fdopen(fd, "w");
    if (!out || setvbuf(stdout, NULL, _IOLBF, 0) != 0) {
        exit(KVMSIM_EXIT_HOST);
    }
    for (uint64_t k = s->next; k < s->end; k++) {
        uint64_t seed = slot_seed(s, k);
        struct scn_run r = {0};
        int code, tape_rc = EXPLORE_NO_TAPE;

        /* The previous outcome and this announcement in one write. */
        fprintf(out, "%cS%c%" PRIu64 "\n", EXPLORE_REC, EXPLORE_SEP, seed);
        if (fflush(out) != 0) {
            exit(KVMSIM_EXIT_HOST);
        }
        snprintf(seedset, sizeof(seedset), "run.seed=%" PRIu64, seed);
        code = scn_run_with(x->q, extra, 1, &r);
        if (code != KVMSIM_EXIT_OK && x->o->tape_dir && r.simulated &&
            r.tape) {
            char path[EXPLORE_PATH];

            tape_rc = tape_path(x, seed, path, sizeof(path));
            if (tape_rc == 0) {
                tape_rc = scn_tape_save(path, x->q, &r, extra, 1);
            }
        }
        if (worker_result(out, seed, code, &r, tape_rc) < 0) {
            exit(KVMSIM_EXIT_HOST);
        }
        scn_run_release(&r);
    }
    if (fclose(out) != 0) {
        exit(KVMSIM_EXIT_HOST);
    }
    /* exit(), not _exit(): a sanitizer's leak check runs and reports. */
    exit(KVMSIM_EXIT_OK);
}

/* ---- groups ---- */

/* Numbers (any token starting with a digit, so 0x7f3a too) become '#'. */
static void blank_numbers(char *dst, size_t n, const char *src)
{
    size_t o = 0;

    while (*src && o + 1 < n) {
        if (*src >= '0' && *src <= '9') {
            while ((*src >= '0' && *src <= '9') ||
                   (*src >= 'a' && *src <= 'z') ||
                   (*src >= 'A' && *src <= 'Z')) {
                src++;
            }
            dst[o++] = '#';
        } else {
            dst[o++] = *src++;
        }
    }
    dst[o] = '\0';
}

/* The key that tells failures apart: for invariants the invariant's
 * name and where it failed, for the rest the kind, the code, the message
 * and (crash, usage, host) what the seed printed, numbers blanked. */
static void group_key(enum explore_kind kind, int code, const char *where,
                      const char *msg, const char *report, char *key,
                      size_t n)
{
    char norm[256];

    if (kind == EXPLORE_INVARIANT) {
        const char *colon = strchr(msg, ':');
        int ilen = colon ? (int)(colon - msg) : (int)strlen(msg);

        snprintf(key, n, "%s|%.*s at %s", explore_kind_names[kind], ilen,
                 msg, where);
        return;
    }
    /* Messages of crashes and usage errors are generic; what the seed
     * printed tells them apart. */
    blank_numbers(norm, sizeof(norm),
                  kind == EXPLORE_STUCK || kind == EXPLORE_DEADLINE ||
                  kind == EXPLORE_LIVENESS ? "" : report);
    snprintf(key, n, "%s|%d|", explore_kind_names[kind], code);
    blank_numbers(key + strlen(key), n - strlen(key), msg);
    snprintf(key + strlen(key), n - strlen(key), "|%s", norm);
}

/* Count one failure in its group, keeping the details of the group's
 * smallest seed.  An uncharged failure is a worker that died between
 * seeds: a group of its own, but no failing seed. */
static void group_insert(struct explore *x, enum explore_kind kind,
                         int code, uint64_t seed, bool charged,
                         const char *key, const char *where,
                         const char *msg, const char *report, int tape_rc,
                         const char *tape)
{
    struct explore_group *g = NULL;

    if (charged) {
        x->failed++;
    } else {
        x->worker_deaths++;
    }
    x->kind_count[kind]++;
    x->worst = scn_exit_worst(x->worst, code);
    for (size_t i = 0; i < x->ngroups; i++) {
        if (strcmp(x->group[i].key, key) == 0) {
            g = &x->group[i];
            g->count++;
            if (seed >= g->first_seed) {
                return;
            }
            break;
        }
    }
    if (!g) {
        if (x->ngroups == EXPLORE_MAX_GROUPS) {
            x->ungrouped++;
            return;
        }
        g = &x->group[x->ngroups++];
        g->count = 1;
        g->kind = kind;
        g->code = code;
        snprintf(g->key, sizeof(g->key), "%s", key);
    }
    g->first_seed = seed;
    g->tape_rc = tape_rc;
    snprintf(g->tape, sizeof(g->tape), "%s", tape);
    snprintf(g->msg, sizeof(g->msg), "%s", msg);
    snprintf(g->where, sizeof(g->where), "%s", where);
    snprintf(g->report, sizeof(g->report), "%s", report);
}

static void jsonl_failure(struct explore *x, enum explore_kind kind,
                          int code, uint64_t seed, bool charged,
                          const char *key, const char *where,
                          const char *msg, const char *report, int tape_rc,
                          const char *tape);

static void group_add(struct explore *x, enum explore_kind kind, int code,
                      uint64_t seed, bool charged, const char *where,
                      const char *msg, const char *report, int tape_rc)
{
    char key[320], tape[EXPLORE_PATH] = "";

    group_key(kind, code, where, msg, report, key, sizeof(key));
    if (tape_rc != EXPLORE_NO_TAPE) {
        tape_path(x, seed, tape, sizeof(tape));
    }
    jsonl_failure(x, kind, code, seed, charged, key, where, msg, report,
                  tape_rc, tape);
    group_insert(x, kind, code, seed, charged, key, where, msg, report,
                 tape_rc, tape);
}

static int group_cmp(const void *a, const void *b)
{
    const struct explore_group *g = a, *h = b;
    int ra = scn_exit_rank(g->code), rb = scn_exit_rank(h->code);

    if (ra != rb) {
        return ra - rb;
    }
    if (g->kind != h->kind) {
        return (int)g->kind - (int)h->kind;
    }
    return g->first_seed < h->first_seed ? -1 : g->first_seed > h->first_seed;
}

/* ---- the parent ---- */

static void progress_clear(struct explore *x)
{
    if (x->progress_shown) {
        fputc('\n', stderr);
        x->progress_shown = false;
    }
}

static void progress(struct explore *x)
{
    double now = wall_s(), el = now - x->t0, rate, left;
    uint64_t todo = x->total - x->ran - x->notrun_dead - x->notrun_host;

    if (x->o->quiet || now - x->last_tick < EXPLORE_TICK_MS / 1000.0) {
        return;
    }
    x->last_tick = now;
    rate = el > 0 ? (double)x->ran / el : 0;
    left = rate > 0 ? (double)todo / rate : 0;
    if (x->o->time_budget_s > 0 && left > x->t0 + x->o->time_budget_s - now) {
        left = x->t0 + x->o->time_budget_s - now;
    }
    fprintf(stderr, "\r  %" PRIu64 "/%" PRIu64 " seeds, %.0f/s, %" PRIu64
            " failing, %.0f s left   ", x->ran, x->total, rate, x->failed,
            left > 0 ? left : 0);
    x->progress_shown = true;
}

static int slot_start(struct explore *x, unsigned j)
{
    struct explore_slot *s = &x->slot[j];
    int fds[2];
    pid_t pid;

    s->started = false;
    s->tsan_exit = false;
    s->overlong = false;
    s->len = 0;
    s->report[0] = '\0';
    if (pipe(fds) < 0) {
        progress_clear(x);
        fprintf(stderr, "kvmsim: explore: cannot start a worker: pipe: %s\n",
                strerror(errno));
        goto fail;
    }
    fflush(stdout);
    fflush(stderr);
    if (x->jsonl) {
        /* Nothing buffered for a worker's exit() to write twice. */
        fflush(x->jsonl);
    }
    pid = fork();
    if (pid < 0) {
        int err = errno;

        close(fds[0]);
        close(fds[1]);
        progress_clear(x);
        fprintf(stderr, "kvmsim: explore: cannot start a worker: fork: %s\n",
                strerror(err));
        goto fail;
    }
    if (pid == 0) {
        close(fds[0]);
        worker_main(x, j, fds[1]);
    }
    close(fds[1]);
    s->pid = pid;
    s->fd = fds[0];
    return 0;
fail:
    s->no_worker = true;
    x->notrun_host += s->end - s->next;
    return -EAGAIN;
}

static void slot_record(struct explore *x, unsigned j, char *line)
{
    struct explore_slot *s = &x->slot[j];
    char *f[EXPLORE_FIELDS];
    unsigned n = 0;
    int code, tape_rc, kind;
    uint64_t seed;

    for (char *p = line + 1; n < EXPLORE_FIELDS; n++) {
        f[n] = p;
        p = strchr(p, EXPLORE_SEP);
        if (!p) {
            n++;
            break;
        }
        *p++ = '\0';
    }
    if (f[0][0] == 'S' && n == 2) {
        s->started = true;
        s->report[0] = '\0';
        return;
    }
    if (f[0][0] != 'R' || n != EXPLORE_FIELDS || s->next == s->end) {
        progress_clear(x);
        fprintf(stderr, "kvmsim: explore: worker %u wrote a bad record\n",
                j);
        x->worst = scn_exit_worst(x->worst, KVMSIM_EXIT_CRASH);
        return;
    }
    /* The parent knows the order; the seed field is for people. */
    seed = slot_seed(s, s->next);
    code = atoi(f[2]);
    tape_rc = atoi(f[3]);
    kind = atoi(f[4]);
    s->next++;
    s->started = false;
    x->ran++;
    if (code == KVMSIM_EXIT_OK) {
        return;
    }
    if (kind < 0 || kind >= EXPLORE_NKINDS) {
        kind = EXPLORE_OTHER;
    }
    if (tape_rc < 0) {
        x->tapes_failed++;
        if (x->tapes_failed == 1) {
            char path[EXPLORE_PATH];

            tape_path(x, seed, path, sizeof(path));
            snprintf(x->tape_fail, sizeof(x->tape_fail), "%s: %s", path,
                     strerror(-tape_rc));
        }
    }
    group_add(x, (enum explore_kind)kind, code, seed, true, f[5],
              f[6][0] ? f[6] : (s->report[0] ? s->report : "-"), s->report,
              tape_rc);
}

static bool has_alnum(const char *s)
{
    for (; *s; s++) {
        if ((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
            (*s >= 'A' && *s <= 'Z')) {
            return true;
        }
    }
    return false;
}

static void slot_line(struct explore *x, unsigned j)
{
    struct explore_slot *s = &x->slot[j];

    s->line[s->len] = '\0';
    s->len = 0;
    s->overlong = false;
    if (s->line[0] == EXPLORE_REC) {
        slot_record(x, j, s->line);
        return;
    }
    /* The seed's own stderr: relay it, keep its first real line. */
    progress_clear(x);
    if (s->started) {
        fprintf(stderr, "[seed %" PRIu64 "] %s\n", slot_seed(s, s->next),
                s->line);
    } else {
        fprintf(stderr, "[explore worker %u] %s\n", j, s->line);
        if (strncmp(s->line, "ThreadSanitizer: reported ", 26) == 0) {
            s->tsan_exit = true;
        }
    }
    /* A sanitizer's SUMMARY line says more than its first line. */
    if ((!s->report[0] && has_alnum(s->line)) ||
        (strncmp(s->line, "SUMMARY: ", 9) == 0 &&
         strncmp(s->report, "SUMMARY: ", 9) != 0)) {
        size_t n = strnlen(s->line, sizeof(s->report) - 1);

        memcpy(s->report, s->line, n);
        s->report[n] = '\0';
    }
}

static void describe_status(int st, char *buf, size_t n, bool unfinished,
                            const char *report)
{
    static const char crash_line[] = "kvmsim: crash: ";

    if (WIFEXITED(st) && WEXITSTATUS(st) == KVMSIM_EXIT_CRASH &&
        strncmp(report, crash_line, strlen(crash_line)) == 0) {
        /* The worker's own crash handler named the signal or panic. */
        snprintf(buf, n, "worker crashed: %s", report + strlen(crash_line));
    } else if (WIFEXITED(st) && WEXITSTATUS(st) == KVMSIM_EXIT_CRASH) {
        snprintf(buf, n, "worker crashed (exit %d)", KVMSIM_EXIT_CRASH);
    } else if (WIFSIGNALED(st)) {
        snprintf(buf, n, "worker killed by signal %d (%s)", WTERMSIG(st),
                 strsignal(WTERMSIG(st)));
    } else if (WIFEXITED(st) && WEXITSTATUS(st) != 0) {
        snprintf(buf, n, "worker exited with status %d", WEXITSTATUS(st));
    } else if (unfinished) {
        snprintf(buf, n, "worker exited before finishing its seeds");
    } else {
        snprintf(buf, n, "worker ended with wait status %#x", st);
    }
}

/* The worker's pipe closed: reap it and judge how it ended. */
static void slot_ended(struct explore *x, unsigned j)
{
    struct explore_slot *s = &x->slot[j];
    char how[128], where[128];
    uint64_t seed;
    int st = 0;
    pid_t got;

    if (s->len > 0) {
        slot_line(x, j);
    }
    close(s->fd);
    s->fd = -1;
    do {
        got = waitpid(s->pid, &st, 0);
    } while (got < 0 && errno == EINTR);
    s->pid = 0;
    if (got < 0) {
        /* Cannot happen for our own child; count it as a death. */
        st = 0xff00;
    }
    if (x->stopping && WIFSIGNALED(st) &&
        (WTERMSIG(st) == SIGTERM || WTERMSIG(st) == SIGKILL)) {
        x->notrun_budget += s->end - s->next;
        s->next = s->end;
        return;
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0 && s->next == s->end) {
        return;
    }
    /* After a report ThreadSanitizer ends the process with the crash code
     * and this one line: each report was already the crash of its seed. */
    if (WIFEXITED(st) && WEXITSTATUS(st) == KVMSIM_EXIT_CRASH &&
        s->next == s->end && !s->started && s->tsan_exit) {
        return;
    }
    describe_status(st, how, sizeof(how), s->next < s->end, s->report);
    if (s->started) {
        seed = slot_seed(s, s->next);
        snprintf(where, sizeof(where), "while running seed %" PRIu64, seed);
        s->next++;
        x->ran++;
    } else if (s->next < s->end) {
        seed = slot_seed(s, s->next);
        snprintf(where, sizeof(where), "before starting seed %" PRIu64
                 " (it runs again)", seed);
    } else {
        seed = slot_seed(s, s->end - 1);
        snprintf(where, sizeof(where), "after its last seed %" PRIu64
                 " (at exit: a leak check?)", seed);
    }
    /* A death between seeds is a failure of the run, not of a seed: the
     * seed named runs again (or already passed). */
    group_add(x, EXPLORE_CRASH, KVMSIM_EXIT_CRASH, seed, s->started, where,
              how, s->report, EXPLORE_NO_TAPE);
    s->deaths++;
    if (s->next == s->end) {
        return;
    }
    if (x->stopping) {
        x->notrun_budget += s->end - s->next;
        s->next = s->end;
    } else if (s->deaths > EXPLORE_MAX_RESTARTS) {
        s->gave_up = true;
        x->notrun_dead += s->end - s->next;
    } else if (slot_start(x, j) == 0) {
        x->restarts++;
    }
}

static void slot_read(struct explore *x, unsigned j)
{
    struct explore_slot *s = &x->slot[j];
    char buf[4096];
    ssize_t n = read(s->fd, buf, sizeof(buf));

    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return;
    }
    if (n <= 0) {
        slot_ended(x, j);
        return;
    }
    for (ssize_t i = 0; i < n; i++) {
        if (buf[i] == '\n') {
            slot_line(x, j);
        } else if (s->len + 1 < sizeof(s->line)) {
            s->line[s->len++] = buf[i];
        } else {
            s->overlong = true;
        }
    }
}

static void signal_workers(struct explore *x, int sig)
{
    for (unsigned j = 0; j < x->nslots; j++) {
        if (x->slot[j].pid > 0) {
            kill(x->slot[j].pid, sig);
        }
    }
}

/* Read every worker until all have ended, enforcing the budget. */
static void collect(struct explore *x)
{
    double budget = x->o->time_budget_s;

    for (;;) {
        struct pollfd p[EXPLORE_MAX_JOBS];
        unsigned who[EXPLORE_MAX_JOBS];
        unsigned n = 0;
        double now = wall_s(), wait_s = EXPLORE_TICK_MS / 1000.0;
        int rc;

        if (budget > 0 && !x->stopping && now - x->t0 >= budget) {
            x->stopping = true;
            x->stop_at = now;
            signal_workers(x, SIGTERM);
        }
        if (x->stopping && !x->killed && now - x->stop_at >= EXPLORE_GRACE_S) {
            x->killed = true;
            signal_workers(x, SIGKILL);
        }
        for (unsigned j = 0; j < x->nslots; j++) {
            if (x->slot[j].fd >= 0) {
                p[n].fd = x->slot[j].fd;
                p[n].events = POLLIN;
                p[n].revents = 0;
                who[n++] = j;
            }
        }
        if (n == 0) {
            return;
        }
        if (budget > 0 && !x->stopping && x->t0 + budget - now < wait_s) {
            wait_s = x->t0 + budget - now;
        } else if (x->stopping && !x->killed &&
                   x->stop_at + EXPLORE_GRACE_S - now < wait_s) {
            wait_s = x->stop_at + EXPLORE_GRACE_S - now;
        }
        rc = poll(p, n, wait_s > 0 ? (int)(wait_s * 1000) + 1 : 0);
        if (rc < 0 && errno != EINTR) {
            /* Cannot wait on the pipes: stop everything, lose nothing. */
            progress_clear(x);
            fprintf(stderr, "kvmsim: explore: poll: %s\n", strerror(errno));
            x->worst = scn_exit_worst(x->worst, KVMSIM_EXIT_HOST);
            signal_workers(x, SIGKILL);
            x->stopping = x->killed = true;
            x->stop_at = now;
            for (unsigned i = 0; i < n; i++) {
                while (x->slot[who[i]].fd >= 0) {
                    slot_read(x, who[i]);
                }
            }
            continue;
        }
        for (unsigned i = 0; rc > 0 && i < n; i++) {
            if (p[i].revents) {
                slot_read(x, who[i]);
            }
        }
        progress(x);
    }
}

/* ---- the summary ---- */

static void put_reproduce(FILE *f, const struct explore *x, uint64_t seed)
{
    fputs("kvmsim run ", f);
    scn_put_shell_arg(f, x->scenario);
    for (unsigned s = 0; s < x->nsets; s++) {
        fputs(" --set ", f);
        scn_put_shell_arg(f, x->sets[s]);
    }
    fprintf(f, " --seed %" PRIu64, seed);
}

static void print_reproduce(const struct explore *x, uint64_t seed)
{
    printf("    reproduce: ");
    put_reproduce(stdout, x, seed);
    putchar('\n');
}

/* The line saying which of a slot's seeds were not run, and why. */
static void notrun_line(const struct explore_slot *s, const char *why,
                        char *buf, size_t n)
{
    uint64_t cnt = s->end - s->next;
    int k = snprintf(buf, n, "  %" PRIu64 " seed%s not run: %s; seeds ",
                     cnt, cnt == 1 ? "" : "s", why);

    if (k < 0 || (size_t)k >= n) {
        return;
    }
    if (cnt <= 8) {
        for (uint64_t i = s->next; i < s->end; i++) {
            size_t len = strlen(buf);

            snprintf(buf + len, n - len, "%s%" PRIu64,
                     i == s->next ? "" : ", ", slot_seed(s, i));
        }
    } else {
        snprintf(buf + k, n - (size_t)k, "%" PRIu64 ", %" PRIu64 ", ..., %"
                 PRIu64 " (every %" PRIu64 ")", slot_seed(s, s->next),
                 slot_seed(s, s->next + 1), slot_seed(s, s->end - 1),
                 s->stride);
    }
}

/* Slot j's not-run line into buf, or false when it has none. */
static bool slot_note(const struct explore *x, unsigned j, char *buf,
                      size_t n)
{
    const struct explore_slot *s = &x->slot[j];

    if (s->gave_up) {
        char why[96];

        snprintf(why, sizeof(why), "their worker died %u times", s->deaths);
        notrun_line(s, why, buf, n);
        return true;
    }
    if (s->no_worker && s->next < s->end) {
        notrun_line(s, "no worker could be started for them", buf, n);
        return true;
    }
    return false;
}

static void print_group(const struct explore *x, const struct explore_group *g)
{
    printf("  [%s] %" PRIu64 " seed%s, first seed %" PRIu64 ": %s\n",
           explore_kind_names[g->kind], g->count, g->count == 1 ? "" : "s",
           g->first_seed, g->msg);
    if (g->kind == EXPLORE_INVARIANT) {
        printf("    failed at: %s\n", g->where);
    } else if (g->kind == EXPLORE_CRASH && g->where[0]) {
        printf("    when: %s\n", g->where);
    }
    if (g->report[0] && strcmp(g->report, g->msg) != 0) {
        printf("    it printed: %s\n", g->report);
    }
    if (x->q) { /* a merge has no request to re-derive the picks from */
        scn_swarm_print_seed(x->q, g->first_seed, stdout, "    ");
    }
    print_reproduce(x, g->first_seed);
    if (g->tape_rc == EXPLORE_NO_TAPE) {
        return;
    }
    if (g->tape_rc == 0) {
        printf("    or: kvmsim replay ");
        scn_put_shell_arg(stdout, g->tape);
        putchar('\n');
    } else {
        printf("    tape not saved: %s: %s\n", g->tape, strerror(-g->tape_rc));
    }
}

static int summary(struct explore *x)
{
    double el = x->merged ? x->elapsed_s : wall_s() - x->t0;
    const char *sep = " (";

    progress_clear(x);
    printf("explore %s: %" PRIu64 " of %" PRIu64 " seeds in %.1f s "
           "(%.0f seeds/s, %u jobs), %" PRIu64 " failing in %zu distinct "
           "way%s", x->scenario, x->ran, x->total, el,
           el > 0 ? (double)x->ran / el : 0, x->o->jobs, x->failed,
           x->ngroups + (x->ungrouped ? 1 : 0),
           x->ngroups + (x->ungrouped ? 1 : 0) == 1 ? "" : "s");
    for (int k = 0; k < EXPLORE_NKINDS; k++) {
        if (x->kind_count[k]) {
            printf("%s[%s] %" PRIu64, sep, explore_kind_names[k],
                   x->kind_count[k]);
            sep = ", ";
        }
    }
    printf("%s\n", sep[0] == ',' ? ")" : "");
    if (x->worker_deaths) {
        printf("  %" PRIu64 " worker%s died between seeds (a [crash] group "
               "each; no seed is charged)\n", x->worker_deaths,
               x->worker_deaths == 1 ? "" : "s");
    }
    if (x->stopping) {
        printf("  stopped by the time budget after %g s: %" PRIu64
               " seed%s not run\n", x->o->time_budget_s, x->notrun_budget,
               x->notrun_budget == 1 ? "" : "s");
    }
    for (unsigned j = 0; j < x->nslots; j++) {
        char note[EXPLORE_NOTE];

        if (slot_note(x, j, note, sizeof(note))) {
            printf("%s\n", note);
        }
    }
    for (size_t i = 0; i < x->nnotes; i++) {
        printf("%s\n", x->notes[i]);
    }
    if (x->ungrouped) {
        printf("  %" PRIu64 " more failing seed%s in further ways (only the "
               "first %d ways are kept)\n", x->ungrouped,
               x->ungrouped == 1 ? "" : "s", EXPLORE_MAX_GROUPS);
    }
    if (x->tapes_failed) {
        printf("  %" PRIu64 " tape%s could not be saved (the first: %s)\n",
               x->tapes_failed, x->tapes_failed == 1 ? "" : "s",
               x->tape_fail);
    }
    qsort(x->group, x->ngroups, sizeof(x->group[0]), group_cmp);
    for (size_t i = 0; i < x->ngroups; i++) {
        print_group(x, &x->group[i]);
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "kvmsim: explore: cannot write the summary: %s\n",
                strerror(errno));
        return KVMSIM_EXIT_HOST;
    }
    return KVMSIM_EXIT_OK;
}

/* ---- JSON Lines ---- */

/* One record: "{", the fields fill() writes, "}\n", flushed at once so
 * that a shard stopped from outside leaves only whole lines behind. */
static void jsonl_common(struct explore *x, const char *record)
{
    FILE *f = x->jsonl;

    fputs("{\"record\":", f);
    scn_json_str(f, record);
    fprintf(f, ",\"format\":%d,\"scenario\":", EXPLORE_JSONL_FORMAT);
    scn_json_str(f, x->scenario);
    fputs(",\"variant\":", f);
    scn_json_str(f, x->variant);
    fputs(",\"strategy\":", f);
    scn_json_str(f, x->strategy);
    fputs(",\"sets\":[", f);
    for (unsigned s = 0; s < x->nsets; s++) {
        if (s) {
            fputc(',', f);
        }
        scn_json_str(f, x->sets[s]);
    }
    fprintf(f, "],\"first_seed\":%" PRIu64 ",\"seeds\":%" PRIu64
            ",\"shard\":%u,\"shards\":%u", x->o->first_seed, x->o->seeds,
            x->o->shard_index, x->o->shard_count);
}

static void jsonl_end(struct explore *x)
{
    fputs("}\n", x->jsonl);
    if ((fflush(x->jsonl) != 0 || ferror(x->jsonl)) && !x->jsonl_err) {
        x->jsonl_err = errno ? -errno : -EIO;
    }
}

static void jsonl_failure(struct explore *x, enum explore_kind kind,
                          int code, uint64_t seed, bool charged,
                          const char *key, const char *where,
                          const char *msg, const char *report, int tape_rc,
                          const char *tape)
{
    FILE *f = x->jsonl;
    char *cmd = NULL;
    size_t len = 0;
    FILE *m;

    if (!f) {
        return;
    }
    jsonl_common(x, "failure");
    fprintf(f, ",\"seed\":%" PRIu64 ",\"charged\":%s,\"exit_code\":%d"
            ",\"kind\":", seed, charged ? "true" : "false", code);
    scn_json_str(f, explore_kind_names[kind]);
    fputs(",\"group\":", f);
    scn_json_str(f, key);
    fputs(",\"where\":", f);
    scn_json_str(f, where);
    fputs(",\"message\":", f);
    scn_json_str(f, msg);
    fputs(",\"report\":", f);
    scn_json_str(f, report);
    m = open_memstream(&cmd, &len);
    if (m) {
        put_reproduce(m, x, seed);
        if (fclose(m) != 0) {
            free(cmd);
            cmd = NULL;
        }
    }
    fputs(",\"replay\":", f);
    scn_json_str(f, cmd);
    free(cmd);
    fprintf(f, ",\"tape_rc\":%d,\"tape\":", tape_rc);
    scn_json_str(f, tape_rc == EXPLORE_NO_TAPE ? NULL : tape);
    fputs(",\"tape_error\":", f);
    scn_json_str(f, tape_rc < 0 ? strerror(-tape_rc) : NULL);
    jsonl_end(x);
}

static void jsonl_summary(struct explore *x, int code)
{
    FILE *f = x->jsonl;
    const char *sep = "";

    if (!f) {
        return;
    }
    jsonl_common(x, "shard");
    fprintf(f, ",\"jobs\":%u,\"seeds_in_shard\":%" PRIu64 ",\"seeds_run\":%"
            PRIu64 ",\"seeds_not_run\":%" PRIu64 ",\"not_run\":{\"budget\":%"
            PRIu64 ",\"dead\":%" PRIu64 ",\"host\":%" PRIu64 "}"
            ",\"failing\":%" PRIu64 ",\"worker_deaths\":%" PRIu64
            ",\"kinds\":{", x->o->jobs, x->total, x->ran, x->total - x->ran,
            x->notrun_budget, x->notrun_dead, x->notrun_host, x->failed,
            x->worker_deaths);
    for (int k = 0; k < EXPLORE_NKINDS; k++) {
        if (x->kind_count[k]) {
            fprintf(f, "%s", sep);
            scn_json_str(f, explore_kind_names[k]);
            fprintf(f, ":%" PRIu64, x->kind_count[k]);
            sep = ",";
        }
    }
    fputs("},\"groups\":[", f);
    for (size_t i = 0; i < x->ngroups; i++) {
        const struct explore_group *g = &x->group[i];

        fprintf(f, "%s{\"kind\":", i ? "," : "");
        scn_json_str(f, explore_kind_names[g->kind]);
        fputs(",\"group\":", f);
        scn_json_str(f, g->key);
        fprintf(f, ",\"exit_code\":%d,\"count\":%" PRIu64 ",\"first_seed\":%"
                PRIu64 "}", g->code, g->count, g->first_seed);
    }
    fprintf(f, "],\"ungrouped\":%" PRIu64 ",\"tapes_failed\":%" PRIu64
            ",\"tape_fail\":", x->ungrouped, x->tapes_failed);
    scn_json_str(f, x->tapes_failed ? x->tape_fail : NULL);
    fputs(",\"notes\":[", f);
    sep = "";
    for (unsigned j = 0; j < x->nslots; j++) {
        char note[EXPLORE_NOTE];

        if (slot_note(x, j, note, sizeof(note))) {
            fputs(sep, f);
            scn_json_str(f, note);
            sep = ",";
        }
    }
    fprintf(f, "],\"exit_code\":%d,\"elapsed_s\":", code);
    scn_json_num(f, wall_s() - x->t0);
    fputs(",\"time_budget_s\":", f);
    scn_json_num(f, x->o->time_budget_s);
    fprintf(f, ",\"time_budget_hit\":%s", x->stopping ? "true" : "false");
    jsonl_end(x);
}

static int check_opts(const struct scn_request *q,
                      const struct explore_opts *o)
{
    if (o->jobs == 0 || o->jobs > EXPLORE_MAX_JOBS || o->seeds == 0 ||
        o->shard_count == 0 || o->shard_index >= o->shard_count ||
        !(o->time_budget_s >= 0)) {
        fprintf(stderr, "kvmsim: explore: bad --seeds, --jobs, --shard or "
                "--time-budget\n");
        return KVMSIM_EXIT_USAGE;
    }
    if (q->nsets >= SCN_MAX_SETS) {
        fprintf(stderr, "kvmsim: explore: too many overrides (at most %d, "
                "one is the seed)\n", SCN_MAX_SETS - 1);
        return KVMSIM_EXIT_USAGE;
    }
    if (o->seeds > UINT64_MAX - o->first_seed) {
        fprintf(stderr, "kvmsim: explore: --first-seed %" PRIu64 " plus "
                "--seeds %" PRIu64 " passes the last seed\n", o->first_seed,
                o->seeds);
        return KVMSIM_EXIT_USAGE;
    }
    return KVMSIM_EXIT_OK;
}

/* Driver and variant names for tapes; fails on a bad scenario. */
static int probe(struct explore *x)
{
    struct scn_run r;
    int code;

    memset(&r, 0, sizeof(r));
    code = scn_prepare(x->q, &r);
    snprintf(x->driver, sizeof(x->driver), "%s", r.drv ? r.drv->name : "run");
    snprintf(x->variant, sizeof(x->variant), "%s",
             r.variant ? r.variant : "default");
    snprintf(x->strategy, sizeof(x->strategy), "%s",
             r.cfg ? cfg_str(r.cfg, "run", "strategy") : "time");
    scn_run_release(&r);
    return code;
}

static int tape_dir(struct explore *x)
{
    size_t len;
    int rc;

    if (!x->o->tape_dir) {
        return KVMSIM_EXIT_OK;
    }
    len = strlen(x->o->tape_dir);
    if (len >= sizeof(x->dir)) {
        rc = -ENAMETOOLONG;
    } else {
        memcpy(x->dir, x->o->tape_dir, len + 1);
        while (len > 1 && x->dir[len - 1] == '/') {
            x->dir[--len] = '\0';
        }
        rc = scn_make_dirs(x->dir);
    }
    if (rc < 0) {
        fprintf(stderr, "%s:0: cannot create the directory: %s\n",
                x->o->tape_dir, strerror(-rc));
        return KVMSIM_EXIT_USAGE;
    }
    return KVMSIM_EXIT_OK;
}

/* Open --jsonl FILE (its directory created); exit code. */
static int jsonl_open(struct explore *x)
{
    const char *path = x->o->jsonl_path;
    const char *slash;
    char dir[EXPLORE_DIR];
    int rc = 0;

    if (!path) {
        return KVMSIM_EXIT_OK;
    }
    slash = strrchr(path, '/');
    if (slash && slash > path) {
        if ((size_t)(slash - path) >= sizeof(dir)) {
            rc = -ENAMETOOLONG;
        } else {
            memcpy(dir, path, (size_t)(slash - path));
            dir[slash - path] = '\0';
            rc = scn_make_dirs(dir);
        }
    }
    if (rc == 0) {
        x->jsonl = fopen(path, "w");
        rc = x->jsonl ? 0 : -errno;
    }
    if (rc < 0) {
        fprintf(stderr, "%s:0: cannot write the JSON Lines: %s\n", path,
                strerror(-rc));
        return KVMSIM_EXIT_USAGE;
    }
    return KVMSIM_EXIT_OK;
}

/* Write the shard's summary and close --jsonl; the exit code, made
 * KVMSIM_EXIT_HOST when the file could not be written in full. */
static int jsonl_close(struct explore *x, int code)
{
    if (!x->jsonl) {
        return code;
    }
    jsonl_summary(x, code);
    if (fclose(x->jsonl) != 0 && !x->jsonl_err) {
        x->jsonl_err = -errno;
    }
    x->jsonl = NULL;
    if (x->jsonl_err) {
        fprintf(stderr, "%s:0: cannot write the JSON Lines: %s\n",
                x->o->jsonl_path, strerror(-x->jsonl_err));
        code = scn_exit_worst(code, KVMSIM_EXIT_HOST);
    }
    return code;
}

int scn_explore_main(const struct scn_request *q,
                     const struct explore_opts *o)
{
    struct explore *x;
    int code = check_opts(q, o);

    if (code != KVMSIM_EXIT_OK) {
        return code;
    }
    x = calloc(1, sizeof(*x));
    if (!x) {
        fprintf(stderr, "kvmsim: explore: out of memory\n");
        return KVMSIM_EXIT_HOST;
    }
    x->q = q;
    x->o = o;
    x->scenario = q->scenario;
    x->sets = q->sets;
    x->nsets = q->nsets;
    x->t0 = wall_s();
    x->nslots = o->jobs;
    code = probe(x);
    if (code == KVMSIM_EXIT_OK) {
        code = tape_dir(x);
    }
    if (code == KVMSIM_EXIT_OK) {
        code = jsonl_open(x);
    }
    if (code != KVMSIM_EXIT_OK) {
        free(x);
        return code;
    }
    for (unsigned j = 0; j < x->nslots; j++) {
        struct explore_slot *s = &x->slot[j];

        s->fd = -1;
        slot_range(s, o, o->first_seed + o->seeds, j);
        x->total += s->end - s->next;
    }
    for (unsigned j = 0; j < x->nslots; j++) {
        if (x->slot[j].next < x->slot[j].end) {
            slot_start(x, j);
        }
    }
    collect(x);
    code = summary(x);
    code = scn_exit_worst(x->worst, code);
    if (x->notrun_dead || x->notrun_host || x->tapes_failed) {
        code = scn_exit_worst(code, KVMSIM_EXIT_HOST);
    }
    code = jsonl_close(x, code);
    free(x);
    return code;
}

/* ---- --shard auto/K ---- */

/* An environment variable as a whole non-negative integer: 1 and *out
 * set, 0 when unset or empty, -EINVAL after saying why. */
static int env_index(const char *name, unsigned count, int64_t *out)
{
    const char *v = getenv(name);

    if (!v || !v[0]) {
        return 0;
    }
    if (scn_parse_i64(v, out) < 0 || *out < 0) {
        fprintf(stderr, "kvmsim: explore: --shard auto/%u: %s='%.32s' is "
                "not a non-negative integer\n", count, name, v);
        return -EINVAL;
    }
    return 1;
}

int scn_explore_shard_auto(unsigned count, unsigned *index)
{
    int64_t id, min = 0, n;
    int rc = env_index("JOB_COMPLETION_INDEX", count, &id);
    const char *from = "JOB_COMPLETION_INDEX";

    if (rc == 0) {
        from = "SLURM_ARRAY_TASK_ID";
        rc = env_index(from, count, &id);
        if (rc > 0 && env_index("SLURM_ARRAY_TASK_STEP", count, &n) > 0 &&
            n != 1) {
            fprintf(stderr, "kvmsim: explore: --shard auto/%u: "
                    "SLURM_ARRAY_TASK_STEP=%" PRId64 ": the array needs a "
                    "step of 1 (e.g. --array=0-%u)\n", count, n, count - 1);
            return -EINVAL;
        }
        if (rc > 0 && env_index("SLURM_ARRAY_TASK_COUNT", count, &n) > 0 &&
            n != count) {
            fprintf(stderr, "kvmsim: explore: --shard auto/%u: "
                    "SLURM_ARRAY_TASK_COUNT=%" PRId64 " tasks for %u "
                    "shards\n", count, n, count);
            return -EINVAL;
        }
        if (rc > 0 && env_index("SLURM_ARRAY_TASK_MIN", count, &min) < 0) {
            return -EINVAL;
        }
    }
    if (rc < 0) {
        return -EINVAL;
    }
    if (rc == 0) {
        fprintf(stderr, "kvmsim: explore: --shard auto/%u: neither "
                "JOB_COMPLETION_INDEX (Kubernetes Indexed Job) nor "
                "SLURM_ARRAY_TASK_ID (Slurm job array) is set\n", count);
        return -EINVAL;
    }
    if (id < min || id - min >= (int64_t)count) {
        if (min) {
            fprintf(stderr, "kvmsim: explore: --shard auto/%u: %s=%" PRId64
                    " less SLURM_ARRAY_TASK_MIN=%" PRId64 " is out of "
                    "range [0, %u]\n", count, from, id, min, count - 1);
        } else {
            fprintf(stderr, "kvmsim: explore: --shard auto/%u: %s=%" PRId64
                    " is out of range [0, %u]\n", count, from, id,
                    count - 1);
        }
        return -EINVAL;
    }
    *index = (unsigned)(id - min);
    return 0;
}

/* ---- --merge ---- */

#define MERGE_STR 4096           /* longest string field read */
#define MERGE_MAX_LIST 16        /* missing shards named one by one */

struct merge_shard {
    const char *file;            /* where its summary was read, or NULL */
    unsigned line;
    uint64_t charged, uncharged; /* its failure records read */
};

/* The exploration every record must belong to: the first record's. */
struct merge {
    struct explore *x;
    struct explore_opts o;       /* the shards': jobs summed */
    struct jsonl_doc *doc;
    char *line;
    char *buf;                   /* MERGE_STR, for one string at a time */
    bool have;
    const char *file0;           /* where the first record was read */
    unsigned line0;
    char scenario[MERGE_STR];
    char variant[64];
    char strategy[64];
    char *sets[SCN_MAX_SETS];
    unsigned nsets;
    struct merge_shard *shard;   /* o.shard_count of them */
    int code;                    /* the worst shard exit code */
};

/* Report a record's problem as file:line: message; -EINVAL. */
static int merr(const char *file, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int merr(const char *file, unsigned line, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s:%u: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return -EINVAL;
}

/* Field `key` of the record, of the type asked for; a missing or
 * mistyped field is reported. */
static int field(struct merge *m, const char *file, unsigned ln,
                 unsigned obj, const char *key, enum jsonl_type type)
{
    int t = jsonl_get(m->doc, obj, key);

    if (t == -ENOENT) {
        return merr(file, ln, "no \"%s\" field", key);
    }
    if (t < 0) {
        return merr(file, ln, "field \"%s\" appears twice", key);
    }
    if (m->doc->tok[t].type != type) {
        return merr(file, ln, "field \"%s\" has the wrong type", key);
    }
    return t;
}

static int field_str(struct merge *m, const char *file, unsigned ln,
                     unsigned obj, const char *key, char *buf, size_t n)
{
    int t = field(m, file, ln, obj, key, JSONL_STRING);
    int rc;

    if (t < 0) {
        return t;
    }
    rc = jsonl_str(m->doc, (unsigned)t, buf, n);
    if (rc == -E2BIG) {
        return merr(file, ln, "field \"%s\" is longer than %zu bytes", key,
                    n - 1);
    }
    if (rc < 0) {
        return merr(file, ln, "field \"%s\" has a bad escape", key);
    }
    return 0;
}

/* A string or null ("" for null). */
static int field_str_null(struct merge *m, const char *file, unsigned ln,
                          unsigned obj, const char *key, char *buf, size_t n)
{
    int t = jsonl_get(m->doc, obj, key);

    if (t >= 0 && m->doc->tok[t].type == JSONL_NULL) {
        buf[0] = '\0';
        return 0;
    }
    return field_str(m, file, ln, obj, key, buf, n);
}

static int field_u64(struct merge *m, const char *file, unsigned ln,
                     unsigned obj, const char *key, uint64_t *out)
{
    int t = field(m, file, ln, obj, key, JSONL_NUMBER);

    if (t < 0) {
        return t;
    }
    if (jsonl_u64(m->doc, (unsigned)t, out) < 0) {
        return merr(file, ln, "field \"%s\" is not a whole number in "
                    "[0, 2^64)", key);
    }
    return 0;
}

static int field_int(struct merge *m, const char *file, unsigned ln,
                     unsigned obj, const char *key, int lo, int hi, int *out)
{
    int t = field(m, file, ln, obj, key, JSONL_NUMBER);

    if (t < 0) {
        return t;
    }
    if (jsonl_int(m->doc, (unsigned)t, out) < 0 || *out < lo || *out > hi) {
        return merr(file, ln, "field \"%s\" is not an integer in [%d, %d]",
                    key, lo, hi);
    }
    return 0;
}

static int field_bool(struct merge *m, const char *file, unsigned ln,
                      unsigned obj, const char *key, bool *out)
{
    int t = field(m, file, ln, obj, key, JSONL_BOOL);

    if (t < 0) {
        return t;
    }
    return jsonl_bool(m->doc, (unsigned)t, out);
}

/* Seeds s in [first, first + n) with s % k == i. */
static uint64_t shard_seeds(uint64_t first, uint64_t n, unsigned i,
                            unsigned k)
{
    uint64_t end = first + n;
    uint64_t below_end = end / k + (end % k > i ? 1 : 0);
    uint64_t below_first = first / k + (first % k > i ? 1 : 0);

    return below_end - below_first;
}

/* The fields naming the exploration: the first record's are kept, every
 * other record must repeat them.  0, or -EINVAL after saying why. */
static int merge_config(struct merge *m, const char *file, unsigned ln,
                        unsigned *index)
{
    struct jsonl_doc *d = m->doc;
    char variant[64], strategy[64];
    uint64_t first, seeds, shard, shards;
    int sets, rc;

    rc = field_str(m, file, ln, 0, "scenario", m->buf, MERGE_STR);
    if (rc == 0) {
        rc = field_str(m, file, ln, 0, "variant", variant, sizeof(variant));
    }
    if (rc == 0) {
        rc = field_str(m, file, ln, 0, "strategy", strategy,
                       sizeof(strategy));
    }
    if (rc == 0) {
        rc = field_u64(m, file, ln, 0, "first_seed", &first);
    }
    if (rc == 0) {
        rc = field_u64(m, file, ln, 0, "seeds", &seeds);
    }
    if (rc == 0) {
        rc = field_u64(m, file, ln, 0, "shard", &shard);
    }
    if (rc == 0) {
        rc = field_u64(m, file, ln, 0, "shards", &shards);
    }
    sets = rc == 0 ? field(m, file, ln, 0, "sets", JSONL_ARRAY) : rc;
    if (sets < 0) {
        return -EINVAL;
    }
    if (seeds == 0 || first > (uint64_t)INT64_MAX ||
        seeds - 1 > (uint64_t)INT64_MAX - first) {
        return merr(file, ln, "seeds %" PRIu64 " from %" PRIu64 " are not "
                    "a range of seeds", seeds, first);
    }
    if (shards == 0 || shards > (1u << 20) || shard >= shards) {
        return merr(file, ln, "shard %" PRIu64 "/%" PRIu64 " is not I/K "
                    "with 0 <= I < K <= %u", shard, shards, 1u << 20);
    }
    if (d->tok[sets].count > SCN_MAX_SETS) {
        return merr(file, ln, "more than %d \"sets\"", SCN_MAX_SETS);
    }
    *index = (unsigned)shard;
    if (!m->have) {
        m->have = true;
        m->file0 = file;
        m->line0 = ln;
        memcpy(m->scenario, m->buf, MERGE_STR);
        memcpy(m->variant, variant, sizeof(variant));
        memcpy(m->strategy, strategy, sizeof(strategy));
        m->o.first_seed = first;
        m->o.seeds = seeds;
        m->o.shard_count = (unsigned)shards;
        m->shard = calloc(shards, sizeof(*m->shard));
        if (!m->shard) {
            fprintf(stderr, "kvmsim: explore: out of memory\n");
            return -ENOMEM;
        }
        for (unsigned i = 0; i < d->tok[sets].count; i++) {
            int e = jsonl_elem(d, (unsigned)sets, i);

            if (e < 0 || jsonl_str(d, (unsigned)e, m->buf, MERGE_STR) < 0) {
                return merr(file, ln, "\"sets\" element %u is not a string "
                            "(of at most %d bytes)", i, MERGE_STR - 1);
            }
            m->sets[i] = strdup(m->buf);
            if (!m->sets[i]) {
                fprintf(stderr, "kvmsim: explore: out of memory\n");
                return -ENOMEM;
            }
            m->nsets++;
        }
        return 0;
    }
    if (strcmp(m->buf, m->scenario) != 0 || strcmp(variant, m->variant) ||
        strcmp(strategy, m->strategy)) {
        return merr(file, ln, "scenario %s, variant %s, strategy %s: not "
                    "the %s, %s, %s of %s:%u (a merge combines the shards "
                    "of one exploration)", m->buf, variant, strategy,
                    m->scenario, m->variant, m->strategy, m->file0,
                    m->line0);
    }
    for (unsigned i = 0; i < d->tok[sets].count || i < m->nsets; i++) {
        int e = jsonl_elem(d, (unsigned)sets, i);

        if (i >= m->nsets || e < 0 ||
            jsonl_str(d, (unsigned)e, m->buf, MERGE_STR) < 0 ||
            strcmp(m->buf, m->sets[i]) != 0) {
            return merr(file, ln, "its \"sets\" (overrides) differ from "
                        "those of %s:%u, from element %u on (a merge "
                        "combines the shards of one exploration)", m->file0,
                        m->line0, i);
        }
    }
    if (first != m->o.first_seed || seeds != m->o.seeds ||
        shards != m->o.shard_count) {
        return merr(file, ln, "shard %" PRIu64 "/%" PRIu64 " of %" PRIu64
                    " seeds from %" PRIu64 " overlaps the shards of %s:%u "
                    "(K = %u, %" PRIu64 " seeds from %" PRIu64 "): every "
                    "shard must split the same seeds the same way", shard,
                    shards, seeds, first, m->file0, m->line0,
                    m->o.shard_count, m->o.seeds, m->o.first_seed);
    }
    return 0;
}

static int kind_from_name(const char *name)
{
    for (int k = 0; k < EXPLORE_NKINDS; k++) {
        if (strcmp(name, explore_kind_names[k]) == 0) {
            return k;
        }
    }
    return -1;
}

static int merge_failure(struct merge *m, const char *file, unsigned ln,
                         unsigned index)
{
    struct merge_shard *sh = &m->shard[index];
    /* As long as any line a worker writes: never cut here. */
    char kind_name[32], key[320], where[EXPLORE_LINE], msg[EXPLORE_LINE];
    char report[EXPLORE_LINE], tape[EXPLORE_PATH];
    uint64_t seed;
    bool charged;
    int code, tape_rc, kind;

    if (sh->file) {
        return merr(file, ln, "a record of shard %u/%u, read in full at "
                    "%s:%u (is a shard given twice?)", index,
                    m->o.shard_count, sh->file, sh->line);
    }
    if (field_u64(m, file, ln, 0, "seed", &seed) < 0 ||
        field_bool(m, file, ln, 0, "charged", &charged) < 0 ||
        field_int(m, file, ln, 0, "exit_code", 1, 255, &code) < 0 ||
        field_str(m, file, ln, 0, "kind", kind_name,
                  sizeof(kind_name)) < 0 ||
        field_str(m, file, ln, 0, "group", key, sizeof(key)) < 0 ||
        field_str(m, file, ln, 0, "where", where, sizeof(where)) < 0 ||
        field_str(m, file, ln, 0, "message", msg, sizeof(msg)) < 0 ||
        field_str(m, file, ln, 0, "report", report, sizeof(report)) < 0 ||
        field_int(m, file, ln, 0, "tape_rc", -4095, EXPLORE_NO_TAPE,
                  &tape_rc) < 0 ||
        field_str_null(m, file, ln, 0, "tape", tape, sizeof(tape)) < 0) {
        return -EINVAL;
    }
    kind = kind_from_name(kind_name);
    if (kind < 0) {
        return merr(file, ln, "unknown kind \"%s\"", kind_name);
    }
    if (seed < m->o.first_seed || seed - m->o.first_seed >= m->o.seeds ||
        seed % m->o.shard_count != index) {
        return merr(file, ln, "seed %" PRIu64 " is not one of shard %u/%u "
                    "of %" PRIu64 " seeds from %" PRIu64, seed, index,
                    m->o.shard_count, m->o.seeds, m->o.first_seed);
    }
    if (charged) {
        sh->charged++;
    } else {
        sh->uncharged++;
    }
    group_insert(m->x, (enum explore_kind)kind, code, seed, charged, key,
                 where, msg, report, tape_rc, tape);
    return 0;
}

static int merge_summary(struct merge *m, const char *file, unsigned ln,
                         unsigned index)
{
    struct explore *x = m->x;
    struct merge_shard *sh = &m->shard[index];
    uint64_t in_shard, run, failing, deaths, budget, dead, host, tapes, jobs;
    double elapsed = 0, time_budget = 0;
    bool hit;
    int notrun, notes, code, t;

    if (sh->file) {
        return merr(file, ln, "shard %u/%u again (its summary was read at "
                    "%s:%u)", index, m->o.shard_count, sh->file, sh->line);
    }
    notrun = field(m, file, ln, 0, "not_run", JSONL_OBJECT);
    notes = notrun < 0 ? notrun : field(m, file, ln, 0, "notes",
                                        JSONL_ARRAY);
    if (notes < 0 ||
        field_u64(m, file, ln, 0, "jobs", &jobs) < 0 ||
        field_u64(m, file, ln, 0, "seeds_in_shard", &in_shard) < 0 ||
        field_u64(m, file, ln, 0, "seeds_run", &run) < 0 ||
        field_u64(m, file, ln, (unsigned)notrun, "budget", &budget) < 0 ||
        field_u64(m, file, ln, (unsigned)notrun, "dead", &dead) < 0 ||
        field_u64(m, file, ln, (unsigned)notrun, "host", &host) < 0 ||
        field_u64(m, file, ln, 0, "failing", &failing) < 0 ||
        field_u64(m, file, ln, 0, "worker_deaths", &deaths) < 0 ||
        field_u64(m, file, ln, 0, "tapes_failed", &tapes) < 0 ||
        field_str_null(m, file, ln, 0, "tape_fail", m->buf,
                       MERGE_STR) < 0 ||
        field_int(m, file, ln, 0, "exit_code", 0, 255, &code) < 0 ||
        field_bool(m, file, ln, 0, "time_budget_hit", &hit) < 0) {
        return -EINVAL;
    }
    t = jsonl_get(m->doc, 0, "elapsed_s");
    if (t >= 0) {
        jsonl_num(m->doc, (unsigned)t, &elapsed);
    }
    t = jsonl_get(m->doc, 0, "time_budget_s");
    if (t >= 0) {
        jsonl_num(m->doc, (unsigned)t, &time_budget);
    }
    if (in_shard != shard_seeds(m->o.first_seed, m->o.seeds, index,
                                m->o.shard_count) || run > in_shard ||
        budget > in_shard || dead > in_shard || host > in_shard ||
        jobs == 0 || jobs > EXPLORE_MAX_JOBS) {
        return merr(file, ln, "shard %u/%u's counts do not add up: %"
                    PRIu64 " of %" PRIu64 " seeds run with %" PRIu64
                    " jobs", index, m->o.shard_count, run, in_shard, jobs);
    }
    if (failing != sh->charged || deaths != sh->uncharged) {
        return merr(file, ln, "shard %u/%u counts %" PRIu64 " failing seeds "
                    "and %" PRIu64 " worker deaths, but %" PRIu64 " and %"
                    PRIu64 " records precede it (a truncated or edited "
                    "file?)", index, m->o.shard_count, failing, deaths,
                    sh->charged, sh->uncharged);
    }
    for (unsigned i = 0; i < m->doc->tok[notes].count; i++) {
        int e = jsonl_elem(m->doc, (unsigned)notes, i);
        char note[EXPLORE_NOTE], **grown;

        if (e < 0 || jsonl_str(m->doc, (unsigned)e, note,
                               sizeof(note)) < 0) {
            return merr(file, ln, "\"notes\" element %u is not a string of "
                        "at most %d bytes", i, EXPLORE_NOTE - 1);
        }
        grown = realloc(x->notes, (x->nnotes + 1) * sizeof(*x->notes));
        if (!grown) {
            fprintf(stderr, "kvmsim: explore: out of memory\n");
            return -ENOMEM;
        }
        x->notes = grown;
        x->notes[x->nnotes] = strdup(note);
        if (!x->notes[x->nnotes]) {
            fprintf(stderr, "kvmsim: explore: out of memory\n");
            return -ENOMEM;
        }
        x->nnotes++;
    }
    sh->file = file;
    sh->line = ln;
    x->total += in_shard;
    x->ran += run;
    x->notrun_budget += budget;
    x->notrun_dead += dead;
    x->notrun_host += host;
    if (tapes && !x->tapes_failed) {
        snprintf(x->tape_fail, sizeof(x->tape_fail), "%s", m->buf);
    }
    x->tapes_failed += tapes;
    x->stopping = x->stopping || hit;
    if (hit && time_budget > m->o.time_budget_s) {
        m->o.time_budget_s = time_budget;
    }
    if (elapsed > x->elapsed_s) {
        x->elapsed_s = elapsed;
    }
    m->o.jobs += (unsigned)jobs;
    m->code = scn_exit_worst(m->code, code);
    return 0;
}

static int merge_line(struct merge *m, const char *file, unsigned ln,
                      size_t len)
{
    char record[64];
    unsigned index = 0;
    uint64_t format;
    int rc;

    if (jsonl_parse(m->doc, m->line, len) < 0) {
        return merr(file, ln, "not a record of kvmsim explore --jsonl: %s",
                    m->doc->err);
    }
    if (field_str(m, file, ln, 0, "record", record, sizeof(record)) < 0 ||
        field_u64(m, file, ln, 0, "format", &format) < 0) {
        return -EINVAL;
    }
    if (format != EXPLORE_JSONL_FORMAT) {
        return merr(file, ln, "format %" PRIu64 ": this kvmsim reads "
                    "format %d", format, EXPLORE_JSONL_FORMAT);
    }
    if (strcmp(record, "failure") != 0 && strcmp(record, "shard") != 0) {
        /* A record kind of a later kvmsim: not ours to judge. */
        return 0;
    }
    rc = merge_config(m, file, ln, &index);
    if (rc < 0) {
        return rc;
    }
    return strcmp(record, "failure") == 0 ? merge_failure(m, file, ln, index)
                                          : merge_summary(m, file, ln, index);
}

/* Every line of one file, at most JSONL_MAX_LINE bytes each. */
static int merge_file(struct merge *m, const char *file)
{
    FILE *f = fopen(file, "r");
    unsigned ln = 0;
    int rc = 0;

    if (!f) {
        return merr(file, 0, "cannot read: %s", strerror(errno));
    }
    for (;;) {
        size_t len = 0;
        bool nul = false, longer = false;
        int c;

        while ((c = getc(f)) != EOF && c != '\n') {
            if (c == '\0') {
                nul = true;
            } else if (len < JSONL_MAX_LINE) {
                m->line[len++] = (char)c;
            } else {
                longer = true;
            }
        }
        m->line[len] = '\0';
        if (c == EOF && len == 0 && !nul && !longer) {
            break;
        }
        ln++;
        if (ln == 0 || ln > UINT32_MAX - 1) {
            rc = merr(file, UINT32_MAX, "too many lines");
        } else if (longer) {
            rc = merr(file, ln, "line longer than %d bytes",
                      JSONL_MAX_LINE);
        } else if (nul) {
            rc = merr(file, ln, "a NUL byte in the line");
        } else if (strspn(m->line, " \t\r") < len) {
            rc = merge_line(m, file, ln, len);
        }
        if (rc < 0 || c == EOF) {
            break;
        }
    }
    if (rc == 0 && ferror(f)) {
        rc = merr(file, ln, "cannot read: %s", strerror(errno));
    }
    fclose(f);
    return rc;
}

/* Every shard of the first record's K must have its summary. */
static int merge_missing(const struct merge *m)
{
    unsigned k = m->o.shard_count, missing = 0, listed = 0;
    char list[MERGE_MAX_LIST * 12 + 8] = "";

    for (unsigned i = 0; i < k; i++) {
        if (m->shard[i].file) {
            continue;
        }
        missing++;
        if (listed < MERGE_MAX_LIST) {
            size_t len = strlen(list);

            snprintf(list + len, sizeof(list) - len, "%s%u",
                     listed ? ", " : "", i);
            listed++;
        }
    }
    if (missing == 0) {
        return 0;
    }
    fprintf(stderr, "kvmsim: explore: --merge: %u of %u shards missing, "
            "%s %s%s (no summary record: a shard stopped before its end "
            "writes none)\n", missing, k, missing == 1 ? "index" : "indices",
            list, missing > listed ? ", ..." : "");
    return -EINVAL;
}

int scn_explore_merge(int nfiles, char *const *files)
{
    struct merge *m = calloc(1, sizeof(*m));
    int code = KVMSIM_EXIT_USAGE, rc = 0;

    if (m) {
        m->x = calloc(1, sizeof(*m->x));
        m->doc = malloc(sizeof(*m->doc));
        m->line = malloc(JSONL_MAX_LINE + 1);
        m->buf = malloc(MERGE_STR);
    }
    if (!m || !m->x || !m->doc || !m->line || !m->buf) {
        fprintf(stderr, "kvmsim: explore: out of memory\n");
        code = KVMSIM_EXIT_HOST;
        goto out;
    }
    if (nfiles == 0) {
        fprintf(stderr, "kvmsim: explore: --merge needs the --jsonl FILE "
                "of every shard\n");
        goto out;
    }
    for (int i = 0; i < nfiles; i++) {
        if (files[i][0] == '-') {
            fprintf(stderr, "kvmsim: explore: --merge takes files only, "
                    "not '%.64s' (kvmsim explore --merge FILE...)\n",
                    files[i]);
            goto out;
        }
    }
    for (int i = 0; i < nfiles && rc == 0; i++) {
        rc = merge_file(m, files[i]);
    }
    if (rc == -ENOMEM) {
        code = KVMSIM_EXIT_HOST;
    }
    if (rc < 0) {
        goto out;
    }
    if (!m->have) {
        fprintf(stderr, "kvmsim: explore: --merge: no records in %d "
                "file%s\n", nfiles, nfiles == 1 ? "" : "s");
        goto out;
    }
    if (merge_missing(m) < 0) {
        goto out;
    }
    m->x->merged = true;
    m->x->o = &m->o;
    m->x->scenario = m->scenario;
    m->x->sets = (const char *const *)m->sets;
    m->x->nsets = m->nsets;
    code = summary(m->x);
    code = scn_exit_worst(scn_exit_worst(m->x->worst, code), m->code);
    if (m->x->notrun_dead || m->x->notrun_host || m->x->tapes_failed) {
        code = scn_exit_worst(code, KVMSIM_EXIT_HOST);
    }
out:
    if (m) {
        for (unsigned i = 0; i < m->nsets; i++) {
            free(m->sets[i]);
        }
        if (m->x) {
            for (size_t i = 0; i < m->x->nnotes; i++) {
                free(m->x->notes[i]);
            }
            free(m->x->notes);
        }
        free(m->x);
        free(m->doc);
        free(m->line);
        free(m->buf);
        free(m->shard);
    }
    free(m);
    return code;
}
