/*
 * sim/tape.c - decision tapes from seeds, files and fuzzer inputs.
 *
 * Seed tapes are generated lazily; every byte read is appended to the
 * consumed log, which is what a saved tape holds.  The decision log (off
 * unless asked for) records each read's place and meaning beside it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/tape.h"
#include "sim/tsan.h"

SIM_TSAN_ENGINE_BEGIN

/* One logged read; the label is an offset into the label arena plus one
 * (0: none), so the arena may move. */
struct tape_dec {
    size_t offset;
    uint64_t n, value;
    size_t label;
    uint8_t width, kind;
};

#define TAPE_LABEL_MAX 200
#define TAPE_NO_DEC SIZE_MAX

struct sim_tape {
    bool endless;       /* seed tape: never runs out */
    uint64_t prng;      /* SplitMix64 state for seed tapes */
    uint64_t word;      /* current PRNG word */
    unsigned word_left; /* bytes of `word` not yet used */
    uint8_t *src;       /* finite tape contents */
    size_t src_len;
    size_t pos;
    uint8_t *log;       /* consumed bytes */
    size_t log_cap;
    bool exhausted;
    uint8_t *mask;         /* bytes that read as exhausted, or NULL */
    size_t mask_len;
    /* the decision log */
    bool logging;
    size_t log_max;        /* 0: no bound */
    struct tape_dec *dec;
    size_t ndec, dec_cap;
    uint64_t dropped;
    size_t last;           /* decision made by the last read, or NO_DEC */
    char *labels;          /* NUL-terminated labels, back to back */
    size_t labels_len, labels_cap;
};

uint64_t sim_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

struct sim_tape *sim_tape_from_seed(uint64_t seed)
{
    struct sim_tape *t = calloc(1, sizeof(*t));

    if (!t) {
        return NULL;
    }
    t->endless = true;
    t->prng = seed;
    return t;
}

struct sim_tape *sim_tape_from_bytes(const uint8_t *bytes, size_t n)
{
    struct sim_tape *t = calloc(1, sizeof(*t));

    if (!t) {
        return NULL;
    }
    t->src = malloc(n ? n : 1);
    if (!t->src) {
        free(t);
        return NULL;
    }
    if (n) {
        memcpy(t->src, bytes, n);
    }
    t->src_len = n;
    return t;
}

void sim_tape_destroy(struct sim_tape *t)
{
    if (!t) {
        return;
    }
    free(t->src);
    free(t->log);
    free(t->mask);
    free(t->dec);
    free(t->labels);
    free(t);
}

static void tape_log(struct sim_tape *t, uint8_t b)
{
    if (t->pos > t->log_cap) {
        return; /* a grow failed: the log stops at log_cap */
    }
    if (t->pos == t->log_cap) {
        size_t cap = t->log_cap ? t->log_cap * 2 : 256;
        uint8_t *n = realloc(t->log, cap);

        if (!n) {
            /* The run stays deterministic; only saving it is affected. */
            return;
        }
        t->log = n;
        t->log_cap = cap;
    }
    t->log[t->pos] = b;
}

/* One byte, or -1 when a finite tape is exhausted. */
static int tape_byte(struct sim_tape *t)
{
    uint8_t b;

    if (t->endless) {
        if (t->word_left == 0) {
            t->word = sim_splitmix64(&t->prng);
            t->word_left = 8;
        }
        b = (uint8_t)t->word;
        t->word >>= 8;
        t->word_left--;
    } else {
        if (t->pos >= t->src_len) {
            t->exhausted = true;
            return -1;
        }
        b = t->src[t->pos];
    }
    SIM_TSAN_IGNORE_BEGIN();  /* the log is the engine's (sim/tsan.h) */
    tape_log(t, b);
    SIM_TSAN_IGNORE_END();
    t->pos++;
    return b;
}

/* Little-endian value of `bytes` bytes; *ok false when the tape ran out
 * or a byte read is masked (sim_tape_mask_defaults()). */
static uint64_t tape_bytes(struct sim_tape *t, unsigned bytes, bool *ok)
{
    uint64_t v = 0;
    bool masked = false;

    for (unsigned i = 0; i < bytes; i++) {
        int b;

        if (t->mask && t->pos < t->mask_len && t->mask[t->pos]) {
            masked = true;
        }
        b = tape_byte(t);
        if (b < 0) {
            *ok = false;
            return 0;
        }
        v |= (uint64_t)b << (8 * i);
    }
    *ok = !masked;
    return masked ? 0 : v;
}

/* Log a read that consumed all of its `width` bytes. */
static void log_read(struct sim_tape *t, uint8_t kind, unsigned width,
                     uint64_t n, uint64_t value)
{
    struct tape_dec *d;

    if (t->log_max && t->ndec >= t->log_max) {
        t->dropped++;
        return;
    }
    if (t->ndec == t->dec_cap) {
        size_t cap = t->dec_cap ? t->dec_cap * 2 : 1024;
        struct tape_dec *nd = realloc(t->dec, cap * sizeof(*nd));

        if (!nd) {
            t->dropped++;
            return;
        }
        t->dec = nd;
        t->dec_cap = cap;
    }
    d = &t->dec[t->ndec];
    d->offset = t->pos - width;
    d->n = n;
    d->value = value;
    d->label = 0;
    d->width = (uint8_t)width;
    d->kind = kind;
    t->last = t->ndec++;
}

uint64_t sim_tape_below(struct sim_tape *t, uint64_t n)
{
    unsigned bytes;
    bool ok;
    uint64_t v;
    size_t at;

    if (t->logging) {
        t->last = TAPE_NO_DEC;
    }
    if (n <= 1) {
        return 0;
    }
    bytes = n <= 0x100 ? 1 : n <= 0x10000 ? 2 : n <= 0x100000000ull ? 4 : 8;
    at = t->pos;
    v = tape_bytes(t, bytes, &ok);
    if (t->logging && t->pos == at + bytes) {
        SIM_TSAN_IGNORE_BEGIN();
        log_read(t, SIM_TAPE_BELOW, bytes, n, ok ? v % n : 0);
        SIM_TSAN_IGNORE_END();
    }
    return ok ? v % n : 0;
}

bool sim_tape_chance(struct sim_tape *t, double p)
{
    uint64_t threshold;
    bool ok;
    uint64_t v;
    size_t at;

    if (t->logging) {
        t->last = TAPE_NO_DEC;
    }
    if (!(p > 0.0)) {
        return false;
    }
    if (p >= 1.0) {
        return true;
    }
    threshold = (uint64_t)(p * 65536.0 + 0.5);
    if (threshold == 0) {
        threshold = 1;
    }
    at = t->pos;
    v = tape_bytes(t, 2, &ok);
    if (t->logging && t->pos == at + 2) {
        SIM_TSAN_IGNORE_BEGIN();
        log_read(t, SIM_TAPE_CHANCE, 2, threshold, ok && v < threshold);
        SIM_TSAN_IGNORE_END();
    }
    return ok && v < threshold;
}

const uint8_t *sim_tape_consumed(const struct sim_tape *t)
{
    return t->log;
}

size_t sim_tape_used(const struct sim_tape *t)
{
    return t->pos < t->log_cap ? t->pos : t->log_cap;
}

bool sim_tape_log_complete(const struct sim_tape *t)
{
    return t->pos <= t->log_cap;
}

bool sim_tape_exhausted(const struct sim_tape *t)
{
    return t->exhausted;
}

/* ---- the decision log ---- */

int sim_tape_mask_defaults(struct sim_tape *t, const uint8_t *mask,
                           size_t n)
{
    uint8_t *m = malloc(n ? n : 1);

    if (!m) {
        return -ENOMEM;
    }
    if (n) {
        memcpy(m, mask, n);
    }
    free(t->mask);
    t->mask = m;
    t->mask_len = n;
    return 0;
}

int sim_tape_log_start(struct sim_tape *t, size_t max)
{
    if (!t->labels) {
        t->labels = malloc(4096);
        if (!t->labels) {
            return -ENOMEM;
        }
        t->labels_cap = 4096;
    }
    t->logging = true;
    t->log_max = max;
    t->last = TAPE_NO_DEC;
    return 0;
}

bool sim_tape_logging(const struct sim_tape *t)
{
    return t->logging;
}

static bool dec_is_default(uint8_t kind, uint64_t value)
{
    /* below: 0 (the first candidate); chance: false (no fault) */
    (void)kind;
    return value == 0;
}

bool sim_tape_wants_label(const struct sim_tape *t)
{
    const struct tape_dec *d;

    if (!t->logging || t->last == TAPE_NO_DEC) {
        return false;
    }
    d = &t->dec[t->last];
    return d->label == 0 && !dec_is_default(d->kind, d->value);
}

/* Format a label into the arena; its offset plus one, or 0. */
static size_t put_label(struct sim_tape *t, const char *fmt, va_list ap)
{
    char buf[TAPE_LABEL_MAX + 1];
    size_t n, at;
    int k = vsnprintf(buf, sizeof(buf), fmt, ap);

    if (k < 0) {
        return 0;
    }
    n = strlen(buf) + 1;
    if (t->labels_len + n > t->labels_cap) {
        size_t cap = t->labels_cap * 2 + n;
        char *nl = realloc(t->labels, cap);

        if (!nl) {
            return 0;
        }
        t->labels = nl;
        t->labels_cap = cap;
    }
    at = t->labels_len;
    memcpy(t->labels + at, buf, n);
    t->labels_len += n;
    return at + 1;
}

void sim_tape_label(struct sim_tape *t, const char *fmt, ...)
{
    va_list ap;

    if (!sim_tape_wants_label(t)) {
        return;
    }
    va_start(ap, fmt);
    SIM_TSAN_IGNORE_BEGIN();
    t->dec[t->last].label = put_label(t, fmt, ap);
    SIM_TSAN_IGNORE_END();
    va_end(ap);
}

void sim_tape_relabel(struct sim_tape *t, size_t i, const char *fmt, ...)
{
    va_list ap;
    size_t at;

    if (!t->logging || i >= t->ndec || t->dec[i].label == 0) {
        return;
    }
    va_start(ap, fmt);
    SIM_TSAN_IGNORE_BEGIN();
    at = put_label(t, fmt, ap);
    SIM_TSAN_IGNORE_END();
    va_end(ap);
    if (at) {
        t->dec[i].label = at;
    }
}

size_t sim_tape_ndecisions(const struct sim_tape *t)
{
    return t->ndec;
}

bool sim_tape_decision(const struct sim_tape *t, size_t i,
                       struct sim_tape_decision *d)
{
    const struct tape_dec *e;

    if (i >= t->ndec) {
        return false;
    }
    e = &t->dec[i];
    d->offset = e->offset;
    d->n = e->n;
    d->value = e->value;
    d->width = e->width;
    d->kind = e->kind;
    d->what = e->label ? t->labels + e->label - 1 : NULL;
    return true;
}

uint64_t sim_tape_log_dropped(const struct sim_tape *t)
{
    return t->dropped;
}

bool sim_tape_decision_is_default(const struct sim_tape_decision *d)
{
    return dec_is_default(d->kind, d->value);
}

void sim_tape_decision_set_default(const struct sim_tape_decision *d,
                                   uint8_t *tape)
{
    memset(tape + d->offset, d->kind == SIM_TAPE_CHANCE ? 0xff : 0,
           d->width);
}

SIM_TSAN_ENGINE_END
