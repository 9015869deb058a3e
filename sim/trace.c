/*
 * sim/trace.c - event hashing, recording and Chrome Trace Event export.
 *
 * The hash folds each event field as a 64-bit word (names as their bytes)
 * through a multiply-xorshift mix, so it depends only on the values, never
 * on the build, the compiler or struct padding.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sim/trace.h"

struct trace_thread {
    char *name;
    uint32_t cpu;
};

struct sim_trace {
    uint64_t hash;
    uint64_t seen;
    bool record;
    bool truncated;
    size_t max_events;
    struct sim_event *ev;
    size_t n, cap;
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

struct sim_trace *sim_trace_create(bool record, size_t max_events)
{
    struct sim_trace *t = calloc(1, sizeof(*t));

    if (!t) {
        return NULL;
    }
    t->hash = HASH_SEED;
    t->record = record;
    t->max_events = max_events;
    return t;
}

void sim_trace_note_failure(struct sim_trace *t, const char *message)
{
    if (t && !t->failure[0] && message) {
        snprintf(t->failure, sizeof(t->failure), "%s", message);
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
    free(t->ev);
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

void sim_trace_keep(struct sim_trace *t, const struct sim_event *e)
{
    if (!t->record) {
        return;
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 4096;
        struct sim_event *n;

        if (cap > t->max_events) {
            cap = t->max_events;
        }
        if (t->n >= cap) {
            t->truncated = true;
            return;
        }
        n = realloc(t->ev, cap * sizeof(*n));
        if (!n) {
            t->truncated = true;
            return;
        }
        t->ev = n;
        t->cap = cap;
    }
    t->ev[t->n++] = *e;
}

uint64_t sim_trace_hash_value(const struct sim_trace *t)
{
    return t->hash;
}

uint64_t sim_trace_events_seen(const struct sim_trace *t)
{
    return t->seen;
}

int sim_trace_name_thread(struct sim_trace *t, uint32_t tid,
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
    return t->threads[tid].name ? 0 : -ENOMEM;
}

void sim_trace_set_ncpus(struct sim_trace *t, uint32_t ncpus)
{
    t->ncpus = ncpus;
}

const struct sim_event *sim_trace_events(const struct sim_trace *t, size_t *n)
{
    *n = t->n;
    return t->ev;
}

bool sim_trace_truncated(const struct sim_trace *t)
{
    return t->truncated;
}

/* ---- JSON export ---- */

static void json_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '"' || c == '\\') {
            fprintf(out, "\\%c", c);
        } else if (c < 0x20) {
            fprintf(out, "\\u%04x", c);
        } else {
            fputc(c, out);
        }
    }
    fputc('"', out);
}

/* Microseconds with three decimals, exact for integral nanoseconds. */
static void json_us(FILE *out, const char *key, uint64_t ns)
{
    fprintf(out, ",\"%s\":%" PRIu64 ".%03u", key, ns / 1000,
            (unsigned)(ns % 1000));
}

static const char *thread_name(const struct sim_trace *t, uint32_t tid)
{
    if (tid < t->nthreads && t->threads[tid].name) {
        return t->threads[tid].name;
    }
    return "thread";
}

enum { PID_CPUS = 1, PID_THREADS = 2 };

static void json_meta(FILE *out, int pid, uint32_t tid, const char *what,
                      const char *name, bool *first)
{
    fprintf(out, "%s{\"ph\":\"M\",\"pid\":%d,\"tid\":%" PRIu32
            ",\"name\":\"%s\",\"args\":{\"name\":",
            *first ? "" : ",\n", pid, tid, what);
    json_str(out, name);
    fputs("}}", out);
    *first = false;
}

int sim_trace_write_json(const struct sim_trace *t, FILE *out)
{
    bool first = true;
    char buf[32];

    fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n", out);
    json_meta(out, PID_CPUS, 0, "process_name", "simulated CPUs", &first);
    json_meta(out, PID_THREADS, 0, "process_name", "simulated threads",
              &first);
    for (uint32_t c = 0; c < t->ncpus; c++) {
        snprintf(buf, sizeof(buf), "CPU %" PRIu32, c);
        json_meta(out, PID_CPUS, c, "thread_name", buf, &first);
    }
    for (uint32_t i = 0; i < t->nthreads; i++) {
        if (t->threads[i].name) {
            json_meta(out, PID_THREADS, i, "thread_name", t->threads[i].name,
                      &first);
        }
    }
    for (size_t i = 0; i < t->n; i++) {
        const struct sim_event *e = &t->ev[i];
        const char *name = e->name ? e->name : "";

        switch (e->kind) {
        case SIM_EV_SPAN:
        case SIM_EV_WAIT:
        case SIM_EV_OPEN_WAIT:
            fprintf(out, ",\n{\"ph\":\"X\",\"pid\":%d,\"tid\":%" PRIu32
                    ",\"cat\":\"%s\",\"name\":", PID_THREADS, e->tid,
                    e->kind == SIM_EV_SPAN ? "op" : "wait");
            if (e->kind != SIM_EV_SPAN) {
                char label[96];

                snprintf(label, sizeof(label), "wait: %s%s", name,
                         e->kind != SIM_EV_OPEN_WAIT ? ""
                         : e->arg ? " (never woken)"
                                  : " (woken, never ran again)");
                json_str(out, label);
            } else {
                json_str(out, name);
            }
            json_us(out, "ts", e->ts);
            json_us(out, "dur", e->dur);
            fprintf(out, ",\"args\":{\"cpu\":%" PRIu32 "}}", e->cpu);
            break;
        case SIM_EV_RUN:
            fprintf(out, ",\n{\"ph\":\"X\",\"pid\":%d,\"tid\":%" PRIu32
                    ",\"cat\":\"cpu\",\"name\":", PID_CPUS, e->cpu);
            json_str(out, e->name ? e->name : thread_name(t, e->tid));
            json_us(out, "ts", e->ts);
            json_us(out, "dur", e->dur);
            fprintf(out, ",\"args\":{\"thread\":");
            json_str(out, thread_name(t, e->tid));
            fputs("}}", out);
            break;
        case SIM_EV_INVARIANT:
            /* A global instant: Perfetto draws it across every track. */
            fprintf(out, ",\n{\"ph\":\"i\",\"s\":\"g\",\"pid\":%d,\"tid\":%"
                    PRIu32 ",\"cat\":\"invariant\",\"name\":", PID_THREADS,
                    e->tid);
            json_str(out, name);
            json_us(out, "ts", e->ts);
            fprintf(out, ",\"args\":{\"failure\":%" PRId64, e->arg);
            if (e->arg == 1 && t->failure[0]) {
                fputs(",\"message\":", out);
                json_str(out, t->failure);
            }
            fputs("}}", out);
            break;
        case SIM_EV_INSTANT:
        case SIM_EV_FAULT:
        case SIM_EV_THREAD_START:
        case SIM_EV_THREAD_END:
            fprintf(out, ",\n{\"ph\":\"i\",\"s\":\"t\",\"pid\":%d,\"tid\":%"
                    PRIu32 ",\"cat\":\"%s\",\"name\":", PID_THREADS, e->tid,
                    e->kind == SIM_EV_FAULT ? "fault" : "event");
            json_str(out, e->kind == SIM_EV_THREAD_START ? "thread start"
                          : e->kind == SIM_EV_THREAD_END ? "thread end"
                                                         : name);
            json_us(out, "ts", e->ts);
            fprintf(out, ",\"args\":{\"arg\":%" PRId64 "}}", e->arg);
            break;
        case SIM_EV_COUNTER:
            fprintf(out, ",\n{\"ph\":\"C\",\"pid\":%d,\"tid\":0,\"name\":",
                    PID_THREADS);
            json_str(out, name);
            json_us(out, "ts", e->ts);
            fprintf(out, ",\"args\":{\"value\":%" PRId64 "}}", e->arg);
            break;
        default:
            break;
        }
    }
    fputs("\n]}\n", out);
    return ferror(out) ? -EIO : 0;
}
