/*
 * sim/trace.c - event hashing and streamed Chrome Trace Event export.
 *
 * The hash folds each event field as a 64-bit word (names as their bytes)
 * through a multiply-xorshift mix, so it depends only on the values, never
 * on the build, the compiler or struct padding.
 *
 * The JSON is formatted into one fixed buffer that is written out with
 * fwrite() whenever it fills; the first failed write is kept as -errno and
 * ends the streaming (the hash goes on).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sim/trace.h"
#include "sim/tsan.h"

SIM_TSAN_ENGINE_BEGIN

#define TRACE_BUF_BYTES (64 * 1024)

struct trace_thread {
    char *name;
    uint32_t cpu;
};

struct sim_trace {
    uint64_t hash;
    uint64_t seen;
    FILE *out;          /* NULL: hash only */
    int err;            /* first write error, -errno */
    bool finished;
    char *buf;
    size_t len;
    size_t max_events;
    size_t written;     /* events written (metadata not counted) */
    uint64_t dropped;   /* events left out once max_events was reached */
    uint64_t dropped_ts;
    bool has_pending;   /* a first failed invariant awaiting its message */
    struct sim_event pending;
    struct trace_thread *threads;
    uint32_t nthreads;
    uint32_t ncpus;
    char failure[256];  /* first failed invariant's message, for the JSON */
};

#define HASH_SEED 0xcbf29ce484222325ull

static uint64_t mix_u64(uint64_t h, uint64_t v)
{
    h = (h ^ v) * 0x9e3779b97f4a7c15ull;
    return h ^ (h >> 29);
}

static uint64_t mix_str(uint64_t h, const char *s)
{
    uint64_t w = 0;
    unsigned n = 0;

    for (; *s; s++) {
        w |= (uint64_t)(uint8_t)*s << (8 * n);
        if (++n == 8) {
            h = mix_u64(h, w);
            w = 0;
            n = 0;
        }
    }
    return mix_u64(h, w ^ ((uint64_t)n << 56));
}

/* ---- the output buffer ---- */

static bool streaming(const struct sim_trace *t)
{
    return t->out && !t->err && !t->finished;
}

static void out_flush(struct sim_trace *t)
{
    if (t->len && !t->err) {
        errno = 0;
        if (fwrite(t->buf, 1, t->len, t->out) != t->len) {
            t->err = errno ? -errno : -EIO;
        }
    }
    t->len = 0;
}

static void out_put(struct sim_trace *t, const char *s, size_t n)
{
    while (n && !t->err) {
        size_t room = TRACE_BUF_BYTES - t->len;
        size_t k = n < room ? n : room;

        memcpy(t->buf + t->len, s, k);
        t->len += k;
        s += k;
        n -= k;
        if (t->len == TRACE_BUF_BYTES) {
            out_flush(t);
        }
    }
}

static void out_str(struct sim_trace *t, const char *s)
{
    out_put(t, s, strlen(s));
}

static void out_u64(struct sim_trace *t, uint64_t v)
{
    char d[24];
    size_t i = sizeof(d);

    do {
        d[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    out_put(t, d + i, sizeof(d) - i);
}

static void out_i64(struct sim_trace *t, int64_t v)
{
    if (v < 0) {
        out_put(t, "-", 1);
        out_u64(t, (uint64_t)0 - (uint64_t)v);
    } else {
        out_u64(t, (uint64_t)v);
    }
}

static void out_json_str(struct sim_trace *t, const char *s)
{
    static const char hex[] = "0123456789abcdef";

    out_put(t, "\"", 1);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '"' || c == '\\') {
            char esc[2] = { '\\', (char)c };

            out_put(t, esc, 2);
        } else if (c < 0x20) {
            char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

            out_put(t, esc, 6);
        } else {
            out_put(t, (const char *)&c, 1);
        }
    }
    out_put(t, "\"", 1);
}

/* ,"key":US.NNN - microseconds, exact for integral nanoseconds. */
static void out_us(struct sim_trace *t, const char *key, uint64_t ns)
{
    char frac[4] = {
        '.', (char)('0' + ns / 100 % 10), (char)('0' + ns / 10 % 10),
        (char)('0' + ns % 10),
    };

    out_put(t, ",\"", 2);
    out_str(t, key);
    out_put(t, "\":", 2);
    out_u64(t, ns / 1000);
    out_put(t, frac, 4);
}

/* ---- JSON events ---- */

enum { PID_CPUS = 1, PID_THREADS = 2 };

/* `sep` is what goes before: "" for the first element, else ",\n". */
static void json_meta(struct sim_trace *t, const char *sep, int pid,
                      uint32_t tid, const char *what, const char *name)
{
    out_str(t, sep);
    out_str(t, "{\"ph\":\"M\",\"pid\":");
    out_i64(t, pid);
    out_str(t, ",\"tid\":");
    out_u64(t, tid);
    out_str(t, ",\"name\":\"");
    out_str(t, what);
    out_str(t, "\",\"args\":{\"name\":");
    out_json_str(t, name);
    out_str(t, "}}");
}

static const char *thread_name(const struct sim_trace *t, uint32_t tid)
{
    if (tid < t->nthreads && t->threads[tid].name) {
        return t->threads[tid].name;
    }
    return "thread";
}

/* {"ph":"PH","pid":PID,"tid":TID */
static void json_open(struct sim_trace *t, const char *ph, int pid,
                      uint32_t tid)
{
    out_str(t, ",\n{\"ph\":\"");
    out_str(t, ph);
    out_str(t, "\",\"pid\":");
    out_i64(t, pid);
    out_str(t, ",\"tid\":");
    out_u64(t, tid);
}

static void json_wait_label(struct sim_trace *t, const struct sim_event *e)
{
    char label[96];

    snprintf(label, sizeof(label), "wait: %s%s", e->name ? e->name : "",
             e->kind != SIM_EV_OPEN_WAIT ? ""
             : e->arg ? " (never woken)"
                      : " (woken, never ran again)");
    out_json_str(t, label);
}

static void json_event(struct sim_trace *t, const struct sim_event *e)
{
    const char *name = e->name ? e->name : "";

    switch (e->kind) {
    case SIM_EV_SPAN:
    case SIM_EV_WAIT:
    case SIM_EV_OPEN_WAIT:
        json_open(t, "X", PID_THREADS, e->tid);
        out_str(t, e->kind == SIM_EV_SPAN ? ",\"cat\":\"op\",\"name\":"
                                          : ",\"cat\":\"wait\",\"name\":");
        if (e->kind == SIM_EV_SPAN) {
            out_json_str(t, name);
        } else {
            json_wait_label(t, e);
        }
        out_us(t, "ts", e->ts);
        out_us(t, "dur", e->dur);
        out_str(t, ",\"args\":{\"cpu\":");
        out_u64(t, e->cpu);
        out_str(t, "}}");
        break;
    case SIM_EV_RUN:
        json_open(t, "X", PID_CPUS, e->cpu);
        out_str(t, ",\"cat\":\"cpu\",\"name\":");
        out_json_str(t, e->name ? e->name : thread_name(t, e->tid));
        out_us(t, "ts", e->ts);
        out_us(t, "dur", e->dur);
        out_str(t, ",\"args\":{\"thread\":");
        out_json_str(t, thread_name(t, e->tid));
        out_str(t, "}}");
        break;
    case SIM_EV_INVARIANT:
        /* A global instant: Perfetto draws it across every track. */
        out_str(t, ",\n{\"ph\":\"i\",\"s\":\"g\",\"pid\":");
        out_i64(t, PID_THREADS);
        out_str(t, ",\"tid\":");
        out_u64(t, e->tid);
        out_str(t, ",\"cat\":\"invariant\",\"name\":");
        out_json_str(t, name);
        out_us(t, "ts", e->ts);
        out_str(t, ",\"args\":{\"failure\":");
        out_i64(t, e->arg);
        if (e->arg == 1 && t->failure[0]) {
            out_str(t, ",\"message\":");
            out_json_str(t, t->failure);
        }
        out_str(t, "}}");
        break;
    case SIM_EV_INSTANT:
    case SIM_EV_FAULT:
    case SIM_EV_THREAD_START:
    case SIM_EV_THREAD_END:
        out_str(t, ",\n{\"ph\":\"i\",\"s\":\"t\",\"pid\":");
        out_i64(t, PID_THREADS);
        out_str(t, ",\"tid\":");
        out_u64(t, e->tid);
        out_str(t, e->kind == SIM_EV_FAULT ? ",\"cat\":\"fault\",\"name\":"
                                           : ",\"cat\":\"event\",\"name\":");
        out_json_str(t, e->kind == SIM_EV_THREAD_START ? "thread start"
                        : e->kind == SIM_EV_THREAD_END ? "thread end"
                                                       : name);
        out_us(t, "ts", e->ts);
        out_str(t, ",\"args\":{\"arg\":");
        out_i64(t, e->arg);
        out_str(t, "}}");
        break;
    case SIM_EV_COUNTER:
        json_open(t, "C", PID_THREADS, 0);
        out_str(t, ",\"name\":");
        out_json_str(t, name);
        out_us(t, "ts", e->ts);
        out_str(t, ",\"args\":{\"value\":");
        out_i64(t, e->arg);
        out_str(t, "}}");
        break;
    default:
        break;
    }
}

static bool has_json(const struct sim_event *e)
{
    return e->kind != SIM_EV_SWITCH && e->kind >= SIM_EV_SPAN &&
           e->kind <= SIM_EV_OPEN_WAIT;
}

/* What the end of a run needs is written past max_events: it is bounded
 * by the threads (open waits) or comes once (the first failure). */
static bool always_written(const struct sim_event *e)
{
    return e->kind == SIM_EV_OPEN_WAIT ||
           (e->kind == SIM_EV_INVARIANT && e->arg == 1);
}

/* ---- the trace ---- */

struct sim_trace *sim_trace_create(FILE *out, size_t max_events)
{
    struct sim_trace *t = calloc(1, sizeof(*t));

    if (!t) {
        return NULL;
    }
    t->hash = HASH_SEED;
    t->max_events = max_events;
    if (out) {
        t->buf = malloc(TRACE_BUF_BYTES);
        if (!t->buf) {
            free(t);
            return NULL;
        }
        t->out = out;
        out_str(t, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n");
        json_meta(t, "", PID_CPUS, 0, "process_name", "simulated CPUs");
        json_meta(t, ",\n", PID_THREADS, 0, "process_name",
                  "simulated threads");
    }
    return t;
}

void sim_trace_note_failure(struct sim_trace *t, const char *message)
{
    if (t && !t->failure[0] && message) {
        SIM_TSAN_IGNORE_BEGIN();
        snprintf(t->failure, sizeof(t->failure), "%s", message);
        SIM_TSAN_IGNORE_END();
    }
}

void sim_trace_destroy(struct sim_trace *t)
{
    if (!t) {
        return;
    }
    for (uint32_t i = 0; i < t->nthreads; i++) {
        free(t->threads[i].name);
    }
    free(t->threads);
    free(t->buf);
    free(t);
}

void sim_trace_mix(struct sim_trace *t, uint64_t v)
{
    t->hash = mix_u64(t->hash, v);
}

void sim_trace_add(struct sim_trace *t, const struct sim_event *e)
{
    uint64_t h = t->hash;

    h = mix_u64(h, ((uint64_t)e->kind << 56) ^ e->ts);
    h = mix_u64(h, e->dur);
    h = mix_u64(h, (uint64_t)e->arg);
    h = mix_u64(h, ((uint64_t)e->tid << 32) | e->cpu);
    if (e->name) {
        h = mix_str(h, e->name);
    }
    t->hash = h;
    t->seen++;
    sim_trace_keep(t, e);
}

static void trace_keep(struct sim_trace *t, const struct sim_event *e)
{
    if (!streaming(t) || !has_json(e)) {
        return;
    }
    if (t->written >= t->max_events && !always_written(e)) {
        if (t->dropped++ == 0) {
            t->dropped_ts = e->ts;
        }
        return;
    }
    if (e->kind == SIM_EV_INVARIANT && e->arg == 1 && !t->failure[0]) {
        /* Its message may still come: write it with the tail. */
        t->pending = *e;
        t->has_pending = true;
        return;
    }
    t->written++;
    json_event(t, e);
}

/* The buffer and its writes belong to the engine (sim/tsan.h). */
void sim_trace_keep(struct sim_trace *t, const struct sim_event *e)
{
    SIM_TSAN_IGNORE_BEGIN();
    trace_keep(t, e);
    SIM_TSAN_IGNORE_END();
}

uint64_t sim_trace_hash_value(const struct sim_trace *t)
{
    return t->hash;
}

uint64_t sim_trace_events_seen(const struct sim_trace *t)
{
    return t->seen;
}

static int trace_name_thread(struct sim_trace *t, uint32_t tid,
                             const char *name, uint32_t cpu)
{
    if (tid >= t->nthreads) {
        uint32_t n = tid + 1 > t->nthreads * 2 ? tid + 1 : t->nthreads * 2;
        struct trace_thread *p = realloc(t->threads, n * sizeof(*p));

        if (!p) {
            return -ENOMEM;
        }
        memset(p + t->nthreads, 0, (n - t->nthreads) * sizeof(*p));
        t->threads = p;
        t->nthreads = n;
    }
    free(t->threads[tid].name);
    t->threads[tid].name = strdup(name ? name : "?");
    t->threads[tid].cpu = cpu;
    if (!t->threads[tid].name) {
        return -ENOMEM;
    }
    if (streaming(t)) {
        json_meta(t, ",\n", PID_THREADS, tid, "thread_name",
                  t->threads[tid].name);
    }
    return 0;
}

int sim_trace_name_thread(struct sim_trace *t, uint32_t tid,
                          const char *name, uint32_t cpu)
{
    int rc;

    SIM_TSAN_IGNORE_BEGIN();
    rc = trace_name_thread(t, tid, name, cpu);
    SIM_TSAN_IGNORE_END();
    return rc;
}

void sim_trace_set_ncpus(struct sim_trace *t, uint32_t ncpus)
{
    char buf[32];

    for (uint32_t c = t->ncpus; c < ncpus && streaming(t); c++) {
        snprintf(buf, sizeof(buf), "CPU %" PRIu32, c);
        json_meta(t, ",\n", PID_CPUS, c, "thread_name", buf);
    }
    if (ncpus > t->ncpus) {
        t->ncpus = ncpus;
    }
}

bool sim_trace_truncated(const struct sim_trace *t)
{
    return t->dropped != 0;
}

int sim_trace_finish(struct sim_trace *t)
{
    if (!streaming(t)) {
        t->finished = true;
        return t->err;
    }
    if (t->has_pending) {
        t->written++;
        json_event(t, &t->pending);
        t->has_pending = false;
    }
    if (t->dropped) {
        /* A global instant where the file stops showing the run. */
        out_str(t, ",\n{\"ph\":\"i\",\"s\":\"g\",\"pid\":");
        out_i64(t, PID_THREADS);
        out_str(t, ",\"tid\":0,\"cat\":\"trace\","
                   "\"name\":\"trace truncated\"");
        out_us(t, "ts", t->dropped_ts);
        out_str(t, ",\"args\":{\"events_written\":");
        out_u64(t, t->written);
        out_str(t, ",\"events_not_written\":");
        out_u64(t, t->dropped);
        out_str(t, "}}");
    }
    out_str(t, "\n]}\n");
    out_flush(t);
    if (!t->err) {
        errno = 0;
        if (fflush(t->out) != 0 || ferror(t->out)) {
            t->err = errno ? -errno : -EIO;
        }
    }
    t->finished = true;
    return t->err;
}

SIM_TSAN_ENGINE_END
