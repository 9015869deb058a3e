/*
 * model/domain.c - the boundary-or-raw field decoder of model/domain.h.
 * The recorder is process-wide and meant for single-threaded decoder
 * tests; nothing in a run depends on it.
 */
#include <string.h>

#include "model/domain.h"

/* The decoder's own branches are no news about the code under test: keep
 * them out of a fuzzer's coverage feedback (and its cost). */
#if defined(__clang__) && __clang_major__ >= 13
#define DOM_UNCOVERED __attribute__((no_sanitize("coverage")))
#else
#define DOM_UNCOVERED
#endif

static dom_record_fn *dom_rec_fn;
static void *dom_rec_arg;

void dom_set_recorder(dom_record_fn *fn, void *arg)
{
    dom_rec_fn = fn;
    dom_rec_arg = arg;
}

DOM_UNCOVERED
unsigned dom_nr_pow2(const struct dom_field *f)
{
    /* The largest k with 2^k <= max + 1 (63 when max + 1 wraps). */
    if (f->max == UINT64_MAX) {
        return 63;
    }
    return 63u - (unsigned)__builtin_clzll(f->max + 1);
}

static unsigned dom_weight(const struct dom_field *f)
{
    return f->extra_weight ? f->extra_weight : 1;
}

DOM_UNCOVERED
unsigned dom_table_size(const struct dom_field *f)
{
    return DOM_NR_FIXED + 2 * dom_nr_pow2(f) + f->nr_extra * dom_weight(f);
}

/* Entry j of a table whose field has npow powers of two. */
DOM_UNCOVERED
static uint64_t dom_entry(const struct dom_field *f, unsigned npow,
                          unsigned j)
{
    switch (j) {
    case 0:
        return f->min;
    case 1:
        return f->min + 1;
    case 2:
        return f->max - 1;
    case 3:
        return f->max;
    case 4:
        return f->max + 1;
    case 5:
        return f->min > 0 ? f->min - 1 : 0;
    case 6:
        return 1;
    default:
        break;
    }
    j -= DOM_NR_FIXED;
    if (j < npow) {
        return 1ull << (j + 1);
    }
    j -= npow;
    if (j < npow) {
        return (1ull << (j + 1)) - 1;
    }
    j -= npow;
    if (f->nr_extra == 0 || j >= f->nr_extra * dom_weight(f)) {
        return f->min;
    }
    return f->extra[j % f->nr_extra];
}

DOM_UNCOVERED
uint64_t dom_table_value(const struct dom_field *f, unsigned j)
{
    return dom_entry(f, dom_nr_pow2(f), j);
}

DOM_UNCOVERED
uint64_t dom_read(struct dom_cursor *c, const struct dom_field *f)
{
    uint8_t s = c->i < c->n ? c->p[c->i] : 0;
    uint64_t raw = 0;
    uint64_t v;

    c->i++;
    for (unsigned k = 0; k < f->raw_bytes && k < 8; k++, c->i++) {
        if (c->i < c->n) {
            raw |= (uint64_t)c->p[c->i] << (8 * k);
        }
    }
    if (s < (f->raw_from ? f->raw_from : DOM_SEL_RAW)) {
        unsigned npow = dom_nr_pow2(f);

        v = dom_entry(f, npow, s % (DOM_NR_FIXED + 2 * npow +
                                    f->nr_extra * dom_weight(f)));
    } else if (f->max - f->min >= UINT64_MAX - 1) {
        v = raw; /* [min, max + 1] is (nearly) all of uint64_t */
    } else {
        v = f->min + raw % (f->max - f->min + 2);
    }
    if (dom_rec_fn) {
        dom_rec_fn(dom_rec_arg, f, v);
    }
    return v;
}

size_t dom_encode_table(const struct dom_field *f, unsigned j, uint8_t *out)
{
    out[0] = (uint8_t)j;
    memset(out + 1, 0, f->raw_bytes);
    return dom_field_bytes(f);
}

size_t dom_encode_raw(const struct dom_field *f, uint64_t v, uint8_t *out)
{
    uint64_t r = v - f->min;

    out[0] = (uint8_t)(f->raw_from ? f->raw_from : DOM_SEL_RAW);
    for (unsigned k = 0; k < f->raw_bytes; k++) {
        out[1 + k] = (uint8_t)(r >> (8 * k));
    }
    return dom_field_bytes(f);
}
