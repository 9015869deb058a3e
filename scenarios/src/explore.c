/*
 * scenarios/src/explore.c - `kvmsim explore`: many seeds of one scenario in
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
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "scenarios/src/explore.h"
#include "scenarios/src/input.h"

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
    const struct scn_request *q;
    const struct explore_opts *o;
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

static void group_add(struct explore *x, enum explore_kind kind, int code,
                      uint64_t seed, const char *where, const char *msg,
                      const char *report, int tape_rc)
{
    char key[320], norm[256];
    struct explore_group *g = NULL;

    x->failed++;
    x->kind_count[kind]++;
    x->worst = scn_exit_worst(x->worst, code);
    if (kind == EXPLORE_INVARIANT) {
        const char *colon = strchr(msg, ':');
        int ilen = colon ? (int)(colon - msg) : (int)strlen(msg);

        snprintf(key, sizeof(key), "%d|%.*s at %s", (int)kind, ilen, msg,
                 where);
    } else {
        /* Messages of crashes and usage errors are generic; what the seed
         * printed tells them apart. */
        blank_numbers(norm, sizeof(norm),
                      kind == EXPLORE_STUCK || kind == EXPLORE_DEADLINE ||
                      kind == EXPLORE_LIVENESS ? "" : report);
        snprintf(key, sizeof(key), "%d|%d|", (int)kind, code);
        blank_numbers(key + strlen(key), sizeof(key) - strlen(key), msg);
        snprintf(key + strlen(key), sizeof(key) - strlen(key), "|%s", norm);
    }
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
    snprintf(g->msg, sizeof(g->msg), "%s", msg);
    snprintf(g->where, sizeof(g->where), "%s", where);
    snprintf(g->report, sizeof(g->report), "%s", report);
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
    group_add(x, (enum explore_kind)kind, code, seed, f[5],
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
    group_add(x, EXPLORE_CRASH, KVMSIM_EXIT_CRASH, seed, where, how,
              s->report, EXPLORE_NO_TAPE);
    if (!s->started) {
        /* A death between seeds is a failure of the run, not of a seed:
         * the seed named runs again (or already passed). */
        x->failed--;
        x->worker_deaths++;
    }
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

static void print_reproduce(const struct explore *x, uint64_t seed)
{
    printf("    reproduce: kvmsim run ");
    scn_put_shell_arg(stdout, x->q->scenario);
    for (unsigned s = 0; s < x->q->nsets; s++) {
        printf(" --set ");
        scn_put_shell_arg(stdout, x->q->sets[s]);
    }
    printf(" --seed %" PRIu64 "\n", seed);
}

static void print_notrun(const struct explore_slot *s, const char *why)
{
    uint64_t n = s->end - s->next;

    printf("  %" PRIu64 " seed%s not run: %s; seeds ", n, n == 1 ? "" : "s",
           why);
    if (n <= 8) {
        for (uint64_t k = s->next; k < s->end; k++) {
            printf("%s%" PRIu64, k == s->next ? "" : ", ", slot_seed(s, k));
        }
    } else {
        printf("%" PRIu64 ", %" PRIu64 ", ..., %" PRIu64 " (every %" PRIu64
               ")", slot_seed(s, s->next), slot_seed(s, s->next + 1),
               slot_seed(s, s->end - 1), s->stride);
    }
    putchar('\n');
}

static void print_group(const struct explore *x, const struct explore_group *g)
{
    char path[EXPLORE_PATH];

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
    print_reproduce(x, g->first_seed);
    if (!x->o->tape_dir || g->tape_rc == EXPLORE_NO_TAPE) {
        return;
    }
    tape_path(x, g->first_seed, path, sizeof(path));
    if (g->tape_rc == 0) {
        printf("    or: kvmsim replay ");
        scn_put_shell_arg(stdout, path);
        putchar('\n');
    } else {
        printf("    tape not saved: %s: %s\n", path, strerror(-g->tape_rc));
    }
}

static int summary(struct explore *x)
{
    double el = wall_s() - x->t0;
    const char *sep = " (";

    progress_clear(x);
    printf("explore %s: %" PRIu64 " of %" PRIu64 " seeds in %.1f s "
           "(%.0f seeds/s, %u jobs), %" PRIu64 " failing in %zu distinct "
           "way%s", x->q->scenario, x->ran, x->total, el,
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
        const struct explore_slot *s = &x->slot[j];

        if (s->gave_up) {
            char why[96];

            snprintf(why, sizeof(why), "their worker died %u times",
                     s->deaths);
            print_notrun(s, why);
        } else if (s->no_worker && s->next < s->end) {
            print_notrun(s, "no worker could be started for them");
        }
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
    x->t0 = wall_s();
    x->nslots = o->jobs;
    code = probe(x);
    if (code == KVMSIM_EXIT_OK) {
        code = tape_dir(x);
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
    free(x);
    return code;
}
