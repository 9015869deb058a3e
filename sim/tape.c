/*
 * sim/tape.c - decision tapes from seeds, files and fuzzer inputs.
 *
 * Seed tapes are generated lazily; every byte read is appended to the
 * consumed log, which is what a saved tape holds.
 */
#include <stdlib.h>
#include <string.h>

#include "sim/tape.h"
#include "sim/tsan.h"

SIM_TSAN_ENGINE_BEGIN

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
    free(t);
}

static void tape_log(struct sim_tape *t, uint8_t b)
{
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

/* Little-endian value of `bytes` bytes; *ok false when the tape ran out. */
static uint64_t tape_bytes(struct sim_tape *t, unsigned bytes, bool *ok)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < bytes; i++) {
        int b = tape_byte(t);

        if (b < 0) {
            *ok = false;
            return 0;
        }
        v |= (uint64_t)b << (8 * i);
    }
    *ok = true;
    return v;
}

uint64_t sim_tape_below(struct sim_tape *t, uint64_t n)
{
    unsigned bytes;
    bool ok;
    uint64_t v;

    if (n <= 1) {
        return 0;
    }
    bytes = n <= 0x100 ? 1 : n <= 0x10000 ? 2 : n <= 0x100000000ull ? 4 : 8;
    v = tape_bytes(t, bytes, &ok);
    return ok ? v % n : 0;
}

bool sim_tape_chance(struct sim_tape *t, double p)
{
    uint64_t threshold;
    bool ok;
    uint64_t v;

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
    v = tape_bytes(t, 2, &ok);
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

bool sim_tape_exhausted(const struct sim_tape *t)
{
    return t->exhausted;
}

SIM_TSAN_ENGINE_END
