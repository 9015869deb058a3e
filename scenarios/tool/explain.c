/*
 * scenarios/tool/explain.c - `kvmsim explain TAPE`: shrink a failing tape
 * to the few decisions that make it fail and say what they were.
 *
 * A replay ("trial") runs in a forked child with the tape's decision log
 * on; the child sends back its exit code, its failure (the kind of
 * failure: the invariant's name, the stuck result, "deadline"), the bytes
 * it consumed and the decision log.  A decision is non-default when it did
 * not return what an exhausted tape returns (sim/tape.h).  A candidate
 * keeps some of the current run's non-default decisions: the current
 * bytes, cut after the last one kept, with every other byte masked
 * (sim_tape_mask_defaults()), so whatever read lands there takes its
 * default even when the run has changed and the reads have moved (zero
 * bytes would not do: they are a fault for sim_tape_chance()).  A
 * candidate is kept when its replay fails the same way (same exit code,
 * same failure kind) with fewer non-default decisions; the kept run's own
 * log then replaces the current one, so a reset that changed what later
 * reads mean (a range that depends on state) is re-read, never assumed.
 * The minimal tape written at the end is plain bytes: every read that took
 * its default gets the bytes that give it, so `kvmsim replay` makes the
 * same run without a mask.
 *
 * The search: cut the list of non-default decisions to its shortest
 * failing prefix (binary search), then ddmin (Zeller and Hildebrandt,
 * "Simplifying and isolating failure-inducing input", TSE 2002) over what
 * is left, to 1-minimality: resetting any single remaining decision loses
 * the failure.  At most EXPLAIN_MAX_TRIALS replays.
 *
 * Files, next to TAPE with its ".tape" cut off (STEM), or in --out DIR:
 *   STEM.min.tape   the minimal failing tape (format 2: replays alone)
 *   STEM.fail.json  Perfetto trace of the minimal failing run
 *   STEM.pass.json  Perfetto trace of the nearest passing run: the
 *                   minimal tape with one decision reverted
 * (in --out DIR they are DIR/min.tape, DIR/fail.json, DIR/pass.json).
 *
 * Exit codes: 0 explained; 2 usage, an unreadable tape, or a tape that
 * does not fail on replay (or fails only as a usage or host error);
 * 5 an output file that could not be written.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "scenarios/tool/explain.h"
#include "scenarios/tool/input.h"
#include "sim/tape.h"

#define EXPLAIN_MAX_TRIALS 4000
#define EXPLAIN_MAX_DECISIONS (4u << 20)  /* logged per replay */
#define EXPLAIN_MAGIC 0x4c50584bu         /* "KXPL" */

/* One logged decision, as the child sent it. */
struct xdec {
    size_t offset;
    uint64_t n, value;
    uint8_t width, kind;
    char *what;          /* label or NULL (owned) */
};

/* One replay. */
struct trial {
    int code;            /* kvmsim exit code */
    char key[128];       /* failure kind: invariant name, stuck result */
    char msg[512];       /* the failure's message */
    uint8_t *bytes;      /* the tape it consumed */
    size_t nbytes;
    struct xdec *dec;
    size_t ndec;
    uint64_t dropped;    /* reads past the log's bound */
    int save_rc;         /* saving the tape: 0, -errno, 1 not asked */
    uint64_t hash;       /* its trace hash (0: never simulated) */
};

struct explain {
    struct scn_request *q;
    unsigned trials;
    struct trial cur;    /* the smallest failing run so far */
    size_t *nd;          /* its non-default decisions (indices) */
    size_t nnd;
};

static void trial_free(struct trial *t)
{
    for (size_t i = 0; i < t->ndec; i++) {
        free(t->dec[i].what);
    }
    free(t->dec);
    free(t->bytes);
    memset(t, 0, sizeof(*t));
}

/* ---- the child ---- */

static void put(FILE *f, const void *p, size_t n)
{
    if (n) {
        fwrite(p, 1, n, f);
    }
}

static void put_u64(FILE *f, uint64_t v)
{
    put(f, &v, sizeof(v));
}

static void put_str(FILE *f, const char *s)
{
    uint64_t n = s ? strlen(s) : 0;

    put_u64(f, n);
    put(f, s, n);
}

/* The failure's kind and message for run r that ended with code. */
static void failure_key(const struct scn_run *r, int code, char *key,
                        size_t klen, char *msg, size_t mlen)
{
    key[0] = msg[0] = '\0';
    if (code == KVMSIM_EXIT_INVARIANT && r->failures) {
        size_t n = strcspn(r->first_failure, ":");

        snprintf(key, klen, "%.*s", (int)n, r->first_failure);
        snprintf(msg, mlen, "%s", r->first_failure);
    } else if (code == KVMSIM_EXIT_STUCK && r->simulated && r->sim &&
               r->result != SIM_OK) {
        snprintf(key, klen, "%s", sim_result_name(r->result));
        snprintf(msg, mlen, "%s at %" PRIu64 " ns after %" PRIu64 " steps",
                 sim_result_name(r->result), sim_now_ns(r->sim),
                 sim_steps(r->sim));
    } else if (code == KVMSIM_EXIT_STUCK && r->deadline_missed) {
        snprintf(key, klen, "deadline");
        snprintf(msg, mlen, "deadline: %.480s", r->deadline_msg);
    } else if (r->failures) {
        size_t n = strcspn(r->first_failure, ":");

        snprintf(key, klen, "%.*s", (int)n, r->first_failure);
        snprintf(msg, mlen, "%s", r->first_failure);
    }
}

/* Replay `bytes` (with `mask`, when not NULL) under the request, log its
 * decisions, write the record to fd: the outcome and the decision log,
 * then the tape consumed as scn_tape_write() writes it.  Never returns. */
static _Noreturn void child_run(const struct scn_request *base,
                                const uint8_t *bytes, size_t len,
                                const uint8_t *mask, const char *trace,
                                const char *save, int fd)
{
    struct scn_request v = *base;
    struct scn_run r;
    char key[128], msg[512];
    int code, save_rc = 1;
    FILE *out = fdopen(fd, "wb");
    size_t ndec;

    if (!out) {
        _exit(KVMSIM_EXIT_HOST);
    }
    v.tape = bytes;
    v.tape_len = len;
    v.quiet = true;
    v.silent = true;
    v.save_tape = "/dev/null";
    v.trace_path = trace;
    v.metrics_path = NULL;
    memset(&r, 0, sizeof(r));
    code = scn_prepare(&v, &r);
    if (code == KVMSIM_EXIT_OK) {
        if (sim_tape_log_start(r.tape, EXPLAIN_MAX_DECISIONS) < 0 ||
            (mask && sim_tape_mask_defaults(r.tape, mask, len) < 0)) {
            code = KVMSIM_EXIT_HOST;
        } else {
            code = scn_execute(&v, &r);
        }
    }
    failure_key(&r, code, key, sizeof(key), msg, sizeof(msg));
    if (save && r.tape) {
        save_rc = scn_tape_save(save, base, &r, NULL, 0);
    }
    put_u64(out, EXPLAIN_MAGIC);
    put_u64(out, (uint64_t)(int64_t)code);
    put_str(out, key);
    put_str(out, msg);
    ndec = r.tape ? sim_tape_ndecisions(r.tape) : 0;
    put_u64(out, ndec);
    for (size_t i = 0; i < ndec; i++) {
        struct sim_tape_decision d;

        sim_tape_decision(r.tape, i, &d);
        put_u64(out, d.offset);
        put_u64(out, d.n);
        put_u64(out, d.value);
        put_u64(out, (uint64_t)d.width | (uint64_t)d.kind << 8);
        put_str(out, d.what);
    }
    put_u64(out, r.tape ? sim_tape_log_dropped(r.tape) : 0);
    put_u64(out, (uint64_t)(int64_t)save_rc);
    put_u64(out, r.sim ? sim_trace_hash(r.sim) : 0);
    put_u64(out, EXPLAIN_MAGIC);
    /* Last, the tape it consumed, in the saved-tape format. */
    scn_tape_write(out, &v, &r, NULL, 0);
    if (fclose(out) != 0) {
        _exit(KVMSIM_EXIT_HOST);
    }
    _exit(0);
}

/* ---- the parent ---- */

struct rd {
    const uint8_t *p, *end;
    bool bad;
};

static uint64_t get_u64(struct rd *r)
{
    uint64_t v = 0;

    if ((size_t)(r->end - r->p) < sizeof(v)) {
        r->bad = true;
        return 0;
    }
    memcpy(&v, r->p, sizeof(v));
    r->p += sizeof(v);
    return v;
}

static const uint8_t *get_bytes(struct rd *r, uint64_t n)
{
    const uint8_t *p = r->p;

    if ((uint64_t)(r->end - r->p) < n) {
        r->bad = true;
        return NULL;
    }
    r->p += n;
    return p;
}

static char *get_str(struct rd *r, char *buf, size_t len)
{
    uint64_t n = get_u64(r);
    const uint8_t *p = get_bytes(r, n);
    char *s;

    if (!p) {
        return NULL;
    }
    if (buf) {
        snprintf(buf, len, "%.*s", (int)(n < len ? n : len - 1),
                 (const char *)p);
        return buf;
    }
    if (n == 0) {
        return NULL;
    }
    s = malloc(n + 1);
    if (!s) {
        r->bad = true;
        return NULL;
    }
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* The tape at the end of the child's record (scn_tape_read() parses it in
 * place, so it works on a copy) into t->bytes; false when it is not one. */
static bool parse_tape(const uint8_t *p, size_t len, struct trial *t)
{
    struct scn_request q;
    char *copy = malloc(len + 1);
    bool ok;

    if (!copy) {
        return false;
    }
    memcpy(copy, p, len);
    copy[len] = '\0';
    memset(&q, 0, sizeof(q));
    ok = scn_tape_read("kvmsim explain: a replay's tape", copy, len,
                       &q) == 0;
    t->bytes = ok ? malloc(q.tape_len ? q.tape_len : 1) : NULL;
    if (t->bytes) {
        memcpy(t->bytes, q.tape, q.tape_len);
        t->nbytes = q.tape_len;
    }
    free(copy);
    return t->bytes != NULL;
}

/* Parse the child's record into t; false when it is incomplete. */
static bool parse_record(const uint8_t *buf, size_t len, struct trial *t)
{
    struct rd r = {buf, buf + len, false};
    uint64_t n;

    if (get_u64(&r) != EXPLAIN_MAGIC) {
        return false;
    }
    t->code = (int)(int64_t)get_u64(&r);
    get_str(&r, t->key, sizeof(t->key));
    get_str(&r, t->msg, sizeof(t->msg));
    n = get_u64(&r);
    if (r.bad || n > (uint64_t)(r.end - r.p) / 40) {
        return false;
    }
    t->dec = calloc(n ? n : 1, sizeof(*t->dec));
    if (!t->dec) {
        return false;
    }
    for (uint64_t i = 0; i < n && !r.bad; i++) {
        struct xdec *d = &t->dec[i];
        uint64_t wk;

        d->offset = get_u64(&r);
        d->n = get_u64(&r);
        d->value = get_u64(&r);
        wk = get_u64(&r);
        d->width = (uint8_t)wk;
        d->kind = (uint8_t)(wk >> 8);
        d->what = get_str(&r, NULL, 0);
        t->ndec = i + 1;
    }
    t->dropped = get_u64(&r);
    t->save_rc = (int)(int64_t)get_u64(&r);
    t->hash = get_u64(&r);
    if (r.bad || get_u64(&r) != EXPLAIN_MAGIC || r.bad ||
        !parse_tape(r.p, (size_t)(r.end - r.p), t)) {
        return false;
    }
    for (size_t i = 0; i < t->ndec; i++) {
        if (t->dec[i].offset + t->dec[i].width > t->nbytes) {
            return false;
        }
    }
    return true;
}

/* Replay bytes in a child; t gets the outcome.  A child that died before
 * it reported (a fatal signal, a sanitizer that ends the process) is a
 * crash without a log.  -errno when no child could be run. */
static int trial_run(struct explain *x, const uint8_t *bytes, size_t len,
                     const uint8_t *mask, const char *trace,
                     const char *save, struct trial *t)
{
    int fds[2], status = 0;
    pid_t pid;
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;

    memset(t, 0, sizeof(*t));
    x->trials++;
    fflush(stdout);
    fflush(stderr);
    if (pipe(fds) < 0) {
        return -errno;
    }
    pid = fork();
    if (pid < 0) {
        int err = -errno;

        close(fds[0]);
        close(fds[1]);
        return err;
    }
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);

        close(fds[0]);
        if (null >= 0) {
            dup2(null, STDOUT_FILENO);
            dup2(null, STDERR_FILENO);
            close(null);
        }
        child_run(x->q, bytes, len, mask, trace, save, fds[1]);
    }
    close(fds[1]);
    for (;;) {
        ssize_t got;

        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            uint8_t *nb = realloc(buf, ncap);

            if (!nb) {
                break;
            }
            buf = nb;
            cap = ncap;
        }
        got = read(fds[0], buf + n, cap - n);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            break;
        }
        n += (size_t)got;
    }
    close(fds[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0) ||
        !parse_record(buf, n, t)) {
        trial_free(t);
        t->code = WIFEXITED(status) && WEXITSTATUS(status) != 0
                      ? WEXITSTATUS(status) : KVMSIM_EXIT_CRASH;
        if (t->code == KVMSIM_EXIT_OK) {
            t->code = KVMSIM_EXIT_CRASH;
        }
        snprintf(t->key, sizeof(t->key), "crash");
        snprintf(t->msg, sizeof(t->msg), "the replay died (%s %d) before "
                 "it reported", WIFSIGNALED(status) ? "signal" : "exit",
                 WIFSIGNALED(status) ? WTERMSIG(status)
                                     : WEXITSTATUS(status));
        t->save_rc = 1;
    }
    free(buf);
    return 0;
}

static bool same_failure(const struct trial *a, const struct trial *b)
{
    return a->code == b->code && strcmp(a->key, b->key) == 0;
}

static bool is_default(const struct xdec *d)
{
    return d->value == 0;
}

/* Fill x->nd with cur's non-default decisions; -ENOMEM. */
static int list_nondefault(struct explain *x)
{
    free(x->nd);
    x->nnd = 0;
    x->nd = malloc((x->cur.ndec ? x->cur.ndec : 1) * sizeof(*x->nd));
    if (!x->nd) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < x->cur.ndec; i++) {
        if (!is_default(&x->cur.dec[i])) {
            x->nd[x->nnd++] = i;
        }
    }
    return 0;
}

static void set_default(const struct xdec *d, uint8_t *tape)
{
    struct sim_tape_decision s = {
        .offset = d->offset, .n = d->n, .value = d->value,
        .width = d->width, .kind = d->kind,
    };

    sim_tape_decision_set_default(&s, tape);
}

/* A candidate: cur's bytes cut after the last decision in `keep`
 * (indices into cur.dec; NULL keeps every non-default one), with a mask
 * that makes every other read take its default, whichever read lands on
 * those bytes once the run has changed (sim_tape_mask_defaults()).  0 or
 * -ENOMEM. */
struct cand {
    uint8_t *bytes, *mask;
    size_t len;
};

static int candidate(const struct explain *x, const bool *keep,
                     struct cand *c)
{
    const struct trial *t = &x->cur;
    size_t n = t->nbytes ? t->nbytes : 1;

    c->len = 0;
    c->bytes = malloc(n);
    c->mask = malloc(n);
    if (!c->bytes || !c->mask) {
        free(c->bytes);
        free(c->mask);
        return -ENOMEM;
    }
    memcpy(c->bytes, t->bytes, t->nbytes);
    memset(c->mask, 1, n);
    for (size_t i = 0; i < t->ndec; i++) {
        const struct xdec *d = &t->dec[i];

        if (!is_default(d) && (!keep || keep[i])) {
            memset(c->mask + d->offset, 0, d->width);
            if (d->offset + d->width > c->len) {
                c->len = d->offset + d->width;
            }
        }
    }
    /* Past the log's bound nothing is known: keep those bytes. */
    if (t->dropped && t->ndec) {
        size_t from = t->dec[t->ndec - 1].offset + t->dec[t->ndec - 1].width;

        memset(c->mask + from, 0, t->nbytes - from);
        c->len = t->nbytes;
    }
    return 0;
}

static void cand_free(struct cand *c)
{
    free(c->bytes);
    free(c->mask);
}

/* cur as a plain tape, for `kvmsim replay`: every decision that took its
 * default written with the bytes that give it (masked or not), cut after
 * the last non-default one.  Replays cur's run read for read. */
static uint8_t *concrete(const struct explain *x, size_t *len)
{
    const struct trial *t = &x->cur;
    uint8_t *b = malloc(t->nbytes ? t->nbytes : 1);

    *len = 0;
    if (!b) {
        return NULL;
    }
    memcpy(b, t->bytes, t->nbytes);
    for (size_t i = 0; i < t->ndec; i++) {
        const struct xdec *d = &t->dec[i];

        if (is_default(d)) {
            set_default(d, b);
        } else if (d->offset + d->width > *len) {
            *len = d->offset + d->width;
        }
    }
    if (t->dropped) {
        *len = t->nbytes;
    }
    return b;
}

/* Try keeping only the non-default decisions flagged in keep (indices
 * into cur.dec).  1 when it failed the same way with fewer non-default
 * decisions (it becomes cur), 0 when not, -errno. */
static int try_keep(struct explain *x, const bool *keep)
{
    struct trial t;
    struct cand c;
    size_t nnd = 0;
    int rc = candidate(x, keep, &c);

    if (rc < 0) {
        return rc;
    }
    rc = trial_run(x, c.bytes, c.len, c.mask, NULL, NULL, &t);
    cand_free(&c);
    if (rc < 0) {
        return rc;
    }
    for (size_t i = 0; i < t.ndec; i++) {
        nnd += !is_default(&t.dec[i]);
    }
    if (!same_failure(&t, &x->cur) || nnd >= x->nnd || !t.bytes) {
        trial_free(&t);
        return 0;
    }
    trial_free(&x->cur);
    x->cur = t;
    rc = list_nondefault(x);
    return rc < 0 ? rc : 1;
}

/* Keep nd[from, to) only (positions in x->nd). */
static int try_range(struct explain *x, size_t from, size_t to, bool invert)
{
    bool *keep = calloc(x->cur.ndec ? x->cur.ndec : 1, sizeof(bool));
    int rc;

    if (!keep) {
        return -ENOMEM;
    }
    for (size_t k = 0; k < x->nnd; k++) {
        keep[x->nd[k]] = (k >= from && k < to) != invert;
    }
    rc = try_keep(x, keep);
    free(keep);
    return rc;
}

/* Shortest failing prefix of the non-default decisions, then ddmin. */
static int shrink(struct explain *x)
{
    size_t lo = 0, hi = x->nnd, n = 2;
    int rc;

    /* Every decision at its default: a failure that needs none. */
    rc = try_range(x, 0, 0, false);
    if (rc != 0) {
        return rc < 0 ? rc : 0;
    }
    /* Binary search: the prefix [0, hi) fails; is a shorter one enough?
     * A kept prefix becomes cur, so positions restart from its log. */
    while (lo < hi && x->trials < EXPLAIN_MAX_TRIALS) {
        size_t mid = lo + (hi - lo) / 2;

        rc = try_range(x, 0, mid, false);
        if (rc < 0) {
            return rc;
        }
        if (rc) {
            hi = x->nnd;
            lo = lo < hi ? lo : hi;
        } else {
            lo = mid + 1;
        }
    }
    /* ddmin to 1-minimality. */
    while (x->nnd >= 2 && x->trials < EXPLAIN_MAX_TRIALS) {
        size_t len = x->nnd, chunk;
        bool done = false;

        if (n > len) {
            n = len;
        }
        chunk = (len + n - 1) / n;
        for (size_t k = 0; k * chunk < len && !done; k++) {
            rc = try_range(x, k * chunk, (k + 1) * chunk, false);
            if (rc < 0) {
                return rc;
            }
            if (rc) {
                n = 2;
                done = true;
            }
        }
        for (size_t k = 0; n > 2 && k * chunk < len && !done; k++) {
            rc = try_range(x, k * chunk, (k + 1) * chunk, true);
            if (rc < 0) {
                return rc;
            }
            if (rc) {
                n = n - 1 > 2 ? n - 1 : 2;
                done = true;
            }
        }
        if (done) {
            continue;
        }
        if (n >= len) {
            break;
        }
        n = 2 * n < len ? 2 * n : len;
    }
    return 0;
}

/* ---- words ---- */

/* When a decision took effect: the virtual time its label ends with
 * ("... 256640 ns)"), or UINT64_MAX. */
static uint64_t label_ns(const struct xdec *d)
{
    const char *p;
    size_t n;

    if (!d->what) {
        return UINT64_MAX;
    }
    n = strlen(d->what);
    if (n < 5 || strcmp(d->what + n - 4, " ns)") != 0) {
        return UINT64_MAX;
    }
    p = d->what + n - 4;
    while (p > d->what && p[-1] >= '0' && p[-1] <= '9') {
        p--;
    }
    return strtoull(p, NULL, 10);
}

/* Display numbers: the remaining decisions in the order they took effect
 * (tape order where a label has no time).  num[k] is the number of
 * x->nd[k]; NULL on ENOMEM. */
static unsigned *display_numbers(const struct explain *x)
{
    unsigned *num = calloc(x->nnd ? x->nnd : 1, sizeof(*num));

    for (size_t k = 0; num && k < x->nnd; k++) {
        uint64_t tk = label_ns(&x->cur.dec[x->nd[k]]);

        num[k] = 1;
        for (size_t m = 0; m < x->nnd; m++) {
            uint64_t tm = label_ns(&x->cur.dec[x->nd[m]]);

            num[k] += tm < tk || (tm == tk && m < k);
        }
    }
    return num;
}

static void put_decision(FILE *out, unsigned k, const struct xdec *d)
{
    if (d->what) {
        fprintf(out, "  %u. %s\n", k, d->what);
    } else if (d->kind == SIM_TAPE_CHANCE) {
        fprintf(out, "  %u. a chance read at tape byte %zu came out true\n",
                k, d->offset);
    } else {
        fprintf(out, "  %u. value %" PRIu64 " of %" PRIu64 " at tape byte "
                "%zu (a read the caller did not label)\n", k, d->value,
                d->n, d->offset);
    }
}

/* ---- traces: where the two runs part ---- */

struct jline {
    char ph[4], cat[16], name[128], thread[96];
    long pid, tid;
    double ts, dur;
    bool has_dur;
};

/* The JSON value of "key": in line, as text (a string unescaped well
 * enough for names) or a number. */
static bool json_field(const char *line, const char *key, char *out,
                       size_t len)
{
    char pat[40];
    const char *p;
    size_t k = 0;

    snprintf(pat, sizeof(pat), "\"%s\":", key);
    p = strstr(line, pat);
    if (!p) {
        return false;
    }
    p += strlen(pat);
    if (*p == '"') {
        for (p++; *p && *p != '"' && k + 1 < len; p++) {
            if (*p == '\\' && p[1]) {
                p++;
            }
            out[k++] = *p;
        }
    } else {
        for (; *p && *p != ',' && *p != '}' && k + 1 < len; p++) {
            out[k++] = *p;
        }
    }
    out[k] = '\0';
    return true;
}

static void parse_jline(const char *line, struct jline *j)
{
    char v[64];
    const char *args = strstr(line, "\"args\":");

    memset(j, 0, sizeof(*j));
    json_field(line, "ph", j->ph, sizeof(j->ph));
    json_field(line, "cat", j->cat, sizeof(j->cat));
    /* "name" of the event, not of args. */
    {
        const char *nm = strstr(line, "\"name\":");

        if (nm && (!args || nm < args)) {
            json_field(nm, "name", j->name, sizeof(j->name));
        }
    }
    if (json_field(line, "pid", v, sizeof(v))) {
        j->pid = strtol(v, NULL, 10);
    }
    if (json_field(line, "tid", v, sizeof(v))) {
        j->tid = strtol(v, NULL, 10);
    }
    if (json_field(line, "ts", v, sizeof(v))) {
        j->ts = strtod(v, NULL);
    }
    if (json_field(line, "dur", v, sizeof(v))) {
        j->dur = strtod(v, NULL);
        j->has_dur = true;
    }
    if (args) {
        json_field(args, "thread", j->thread, sizeof(j->thread));
    }
}

/* Lines of a trace file (each event is one line); NULL on failure. */
static char **read_lines(const char *path, size_t *n, char **text)
{
    size_t len, cap = 1024;
    char err[512];
    char **lines;

    *n = 0;
    if (scn_load_file(path, SCN_TAPE_FILE_MAX, false, text, &len, err,
                      sizeof(err)) < 0) {
        return NULL;
    }
    lines = malloc(cap * sizeof(*lines));
    for (char *p = *text; lines && p && *p;) {
        char *nl = strchr(p, '\n');

        if (*n == cap) {
            char **nls = realloc(lines, 2 * cap * sizeof(*lines));

            if (!nls) {
                free(lines);
                return NULL;
            }
            lines = nls;
            cap *= 2;
        }
        lines[(*n)++] = p;
        if (!nl) {
            break;
        }
        *nl = '\0';
        p = nl + 1;
    }
    return lines;
}

/* Name of simulated thread tid from the trace's metadata lines. */
static const char *thread_name(char **lines, size_t n, long tid, char *buf,
                               size_t len)
{
    snprintf(buf, len, "thread %ld", tid);
    for (size_t i = 0; i < n; i++) {
        struct jline j;
        const char *args;

        if (!strstr(lines[i], "\"thread_name\"")) {
            continue;
        }
        parse_jline(lines[i], &j);
        args = strstr(lines[i], "\"args\":");
        if (j.pid == 2 && j.tid == tid && args) {
            json_field(args, "name", buf, len);
            break;
        }
    }
    return buf;
}

/* The innermost operation span of thread tid open at time ts. */
static const char *span_at(char **lines, size_t n, long tid, double ts,
                           size_t skip, char *buf, size_t len)
{
    double best = -1;

    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        struct jline j;

        if (i == skip || !strstr(lines[i], "\"cat\":\"op\"")) {
            continue;
        }
        parse_jline(lines[i], &j);
        if (j.pid == 2 && j.tid == tid && j.ts <= ts &&
            ts <= j.ts + j.dur && (best < 0 || j.dur < best)) {
            best = j.dur;
            snprintf(buf, len, "%s", j.name);
        }
    }
    return buf;
}

static void describe_event(FILE *out, char **lines, size_t n, size_t i)
{
    struct jline j;
    char tn[96];

    if (i >= n || lines[i][0] != '{') {
        fprintf(out, "nothing more (the run ended)");
        return;
    }
    parse_jline(lines[i], &j);
    thread_name(lines, n, j.tid, tn, sizeof(tn));
    if (j.ph[0] == 'M') {
        fprintf(out, "thread '%s' #%ld is created", tn, j.tid);
    } else if (j.has_dur) {
        fprintf(out, "'%s' #%ld %s%s from %.3f us to %.3f us", tn, j.tid,
                strcmp(j.cat, "op") == 0 ? "span " : "", j.name, j.ts,
                j.ts + j.dur);
    } else {
        fprintf(out, "'%s' #%ld %s %s at %.3f us", tn, j.tid, j.cat, j.name,
                j.ts);
    }
}

/* Keep the simulated threads' events only: a CPU track's slice is
 * written when the next one starts, long after what it shows. */
static size_t thread_lines(char **lines, size_t n)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        if (strstr(lines[i], "\"pid\":2,")) {
            lines[k++] = lines[i];
        }
    }
    return k;
}

/* When an event was produced: the end of a slice, else its time. */
static double produced_us(const struct jline *j)
{
    return j->ts + (j->has_dur ? j->dur : 0);
}

/* Print where the traces at fail and pass first differ. */
static int print_divergence(FILE *out, const char *fail, const char *pass)
{
    char *ftext = NULL, *ptext = NULL;
    size_t nf = 0, np = 0, i;
    char **fl = read_lines(fail, &nf, &ftext);
    char **pl = read_lines(pass, &np, &ptext);
    int rc = 0;

    if (!fl || !pl) {
        fprintf(out, "  (the traces could not be read back)\n");
        rc = -EIO;
        goto done;
    }
    nf = thread_lines(fl, nf);
    np = thread_lines(pl, np);
    for (i = 0; i < nf && i < np; i++) {
        if (strcmp(fl[i], pl[i]) != 0) {
            break;
        }
    }
    if (i == nf && i == np) {
        fprintf(out, "  the two traces are the same event for event\n");
        goto done;
    }
    {
        struct jline jf, jp, *at = &jf;
        char **al = fl;
        size_t an = nf;
        char tn[96], span[128];
        double t;

        parse_jline(i < nf ? fl[i] : "", &jf);
        parse_jline(i < np ? pl[i] : "", &jp);
        if (i >= nf || (i < np && produced_us(&jp) < produced_us(&jf))) {
            at = &jp;
            al = pl;
            an = np;
        }
        t = produced_us(at);
        thread_name(al, an, at->tid, tn, sizeof(tn));
        span_at(al, an, at->tid, t, i, span, sizeof(span));
        fprintf(out, "  first divergence: %.3f us, thread '%s' #%ld%s%s\n",
                t, tn, at->tid, span[0] ? " in " : "", span);
        fprintf(out, "    failing run: ");
        describe_event(out, fl, nf, i);
        fprintf(out, "\n    passing run: ");
        describe_event(out, pl, np, i);
        fprintf(out, "\n");
    }
done:
    free(fl);
    free(pl);
    free(ftext);
    free(ptext);
    return rc;
}

/* ---- the command ---- */

/* Output paths: DIR/NAME, or STEM.NAME next to the tape. */
static void out_path(char *buf, size_t len, const char *tape,
                     const char *dir, const char *name)
{
    size_t n = strlen(tape);

    if (dir) {
        snprintf(buf, len, "%s/%s", dir, name);
        return;
    }
    if (n > 5 && strcmp(tape + n - 5, ".tape") == 0) {
        n -= 5;
    }
    snprintf(buf, len, "%.*s.%s", (int)n, tape, name);
}

/* Fail early when an output cannot be created. */
static int check_writable(const char *path)
{
    FILE *f = fopen(path, "w");

    if (!f) {
        int err = -errno;

        fprintf(stderr, "%s:0: cannot write: %s\n", path, strerror(-err));
        return err;
    }
    return scn_fclose_checked(f);
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) +
           (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static const char *code_word(int code)
{
    switch (code) {
    case KVMSIM_EXIT_OK:
        return "passes";
    case KVMSIM_EXIT_INVARIANT:
        return "invariant failed";
    case KVMSIM_EXIT_STUCK:
        return "stuck";
    case KVMSIM_EXIT_CRASH:
        return "crash";
    case KVMSIM_EXIT_USAGE:
        return "usage error";
    case KVMSIM_EXIT_HOST:
        return "host error";
    }
    return "failed";
}

static int explain_run(struct explain *x, const char *path,
                       const char *out_dir)
{
    char min_path[4096], fail_path[4096], pass_path[4096];
    struct timespec t0;
    struct trial orig, fin, pass;
    size_t nnd0, len, reverted = SIZE_MAX;
    unsigned *num = NULL;
    uint8_t *b;
    bool have_pass = false;
    int rc;

    memset(&pass, 0, sizeof(pass));
    clock_gettime(CLOCK_MONOTONIC, &t0);
    out_path(min_path, sizeof(min_path), path, out_dir, "min.tape");
    out_path(fail_path, sizeof(fail_path), path, out_dir, "fail.json");
    out_path(pass_path, sizeof(pass_path), path, out_dir, "pass.json");
    rc = trial_run(x, x->q->tape, x->q->tape_len, NULL, NULL, NULL, &orig);
    if (rc < 0) {
        fprintf(stderr, "kvmsim: explain: cannot start a replay: %s\n",
                strerror(-rc));
        return KVMSIM_EXIT_HOST;
    }
    if (orig.code == KVMSIM_EXIT_OK || orig.code == KVMSIM_EXIT_USAGE ||
        orig.code == KVMSIM_EXIT_HOST) {
        fprintf(stderr, "kvmsim: explain: %s: the replay %s (exit %d): "
                "nothing to explain\n", path,
                orig.code == KVMSIM_EXIT_OK ? "does not fail"
                                            : "cannot run",
                orig.code);
        trial_free(&orig);
        return KVMSIM_EXIT_USAGE;
    }
    if (!orig.bytes) {
        fprintf(stderr, "kvmsim: explain: %s: the replay crashed before it "
                "could report its decisions (%s); explain needs a run "
                "that ends\n", path, orig.msg);
        trial_free(&orig);
        return KVMSIM_EXIT_USAGE;
    }
    x->cur = orig;
    if (list_nondefault(x) < 0) {
        fprintf(stderr, "kvmsim: out of memory\n");
        return KVMSIM_EXIT_HOST;
    }
    nnd0 = x->nnd;
    printf("explain %s: %s\n", path, x->cur.msg[0] ? x->cur.msg
           : code_word(x->cur.code));
    printf("  fails with exit %d (%s%s%s); %zu decisions, %zu of them "
           "not at their default\n", x->cur.code, code_word(x->cur.code),
           x->cur.key[0] ? ": " : "", x->cur.key, x->cur.ndec, nnd0);
    if (x->cur.dropped) {
        printf("  (the log holds the first %zu decisions; %" PRIu64
               " later ones stay as they are)\n", x->cur.ndec,
               x->cur.dropped);
    }
    fflush(stdout);
    /* Every file is checked before the search spends its time. */
    if (out_dir) {
        rc = scn_make_dirs(out_dir);
        if (rc < 0) {
            fprintf(stderr, "%s:0: cannot create the directory: %s\n",
                    out_dir, strerror(-rc));
            return KVMSIM_EXIT_HOST;
        }
    }
    if (check_writable(min_path) < 0 || check_writable(fail_path) < 0 ||
        check_writable(pass_path) < 0) {
        return KVMSIM_EXIT_HOST;
    }
    rc = shrink(x);
    if (rc < 0) {
        fprintf(stderr, "kvmsim: explain: %s\n", strerror(-rc));
        return KVMSIM_EXIT_HOST;
    }
    printf("  shrunk to %zu decision%s in %u replays (%.2f s)%s:\n", x->nnd,
           x->nnd == 1 ? "" : "s", x->trials, seconds_since(&t0),
           x->trials >= EXPLAIN_MAX_TRIALS ? ", stopped at the replay bound:"
                                             " not minimal" : "");
    num = display_numbers(x);
    if (!num) {
        fprintf(stderr, "kvmsim: out of memory\n");
        return KVMSIM_EXIT_HOST;
    }
    for (unsigned d = 1; d <= x->nnd; d++) {
        for (size_t k = 0; k < x->nnd; k++) {
            if (num[k] == d) {
                put_decision(stdout, d, &x->cur.dec[x->nd[k]]);
            }
        }
    }
    if (x->nnd == 0) {
        printf("  (it fails with every decision at its default: the "
               "failure does not depend on the schedule, faults or "
               "jitter)\n");
    }
    /* The minimal failing run, with its trace and tape. */
    b = concrete(x, &len);
    if (!b || trial_run(x, b, len, NULL, fail_path, min_path, &fin) < 0) {
        free(b);
        fprintf(stderr, "kvmsim: explain: cannot replay the minimal tape\n");
        goto host;
    }
    free(b);
    if (fin.save_rc != 0) {
        fprintf(stderr, "%s:0: cannot save the tape: %s\n", min_path,
                fin.save_rc < 0 ? strerror(-fin.save_rc) : "not saved");
        trial_free(&fin);
        goto host;
    }
    printf("  minimal tape: %s (%zu bytes, trace hash %016" PRIx64 "; "
           "replays with exit %d, %s)\n", min_path, fin.nbytes, fin.hash,
           fin.code, same_failure(&fin, &x->cur) ? "the same failure"
                                                 : "a different outcome");
    trial_free(&fin);
    /* The nearest passing run: one decision reverted, the rest kept. */
    for (size_t k = 0; k <= x->nnd && !have_pass; k++) {
        bool *keep = calloc(x->cur.ndec ? x->cur.ndec : 1, sizeof(bool));
        struct cand c;

        if (!keep) {
            goto host;
        }
        if (k == x->nnd) {
            /* None passes: trace the first revert again. */
            if (reverted == SIZE_MAX) {
                free(keep);
                break;
            }
            k = reverted;
        }
        for (size_t m = 0; m < x->nnd; m++) {
            keep[x->nd[m]] = m != k;
        }
        rc = candidate(x, keep, &c);
        free(keep);
        if (rc < 0) {
            goto host;
        }
        trial_free(&pass);
        rc = trial_run(x, c.bytes, c.len, c.mask, pass_path, NULL, &pass);
        cand_free(&c);
        if (rc == 0 && pass.code == KVMSIM_EXIT_OK) {
            have_pass = true;
            reverted = k;
        } else if (reverted == SIZE_MAX) {
            reverted = k;
        } else if (k == reverted) {
            break;
        }
    }
    if (x->nnd == 0) {
        remove(pass_path);
        printf("  traces: %s (failing); no passing run is one decision "
               "away\n", fail_path);
    } else if (!have_pass) {
        printf("  no single revert passes; reverting decision %u ends "
               "with exit %d (%s)\n", num[reverted], pass.code,
               pass.msg[0] ? pass.msg : code_word(pass.code));
        printf("  traces: %s (failing), %s (decision %u reverted)\n",
               fail_path, pass_path, num[reverted]);
        print_divergence(stdout, fail_path, pass_path);
    } else {
        printf("  nearest passing run: decision %u reverted to its "
               "default (exit 0)\n", num[reverted]);
        printf("  traces: %s (failing), %s (passing)\n", fail_path,
               pass_path);
        print_divergence(stdout, fail_path, pass_path);
    }
    trial_free(&pass);
    free(num);
    return KVMSIM_EXIT_OK;
host:
    trial_free(&pass);
    free(num);
    return KVMSIM_EXIT_HOST;
}

int scn_explain_main(const char *path, struct scn_request *q,
                     const char *out_dir)
{
    struct explain x;
    char *buf = NULL;
    int code = scn_replay_load(path, q, &buf);

    if (code != KVMSIM_EXIT_OK) {
        free(buf);
        return code;
    }
    memset(&x, 0, sizeof(x));
    x.q = q;
    code = explain_run(&x, path, out_dir);
    trial_free(&x.cur);
    free(x.nd);
    free(buf);
    return code;
}
