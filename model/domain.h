/*
 * model/domain.h - one decoder for every numeric field of the opcode
 * fuzzers: a field reaches its whole architectural range, and its boundary
 * values far more often than the rest.
 *
 * A field is described by its inclusive range [min, max], a fixed number of
 * raw bytes and optional extra values that matter to one harness (the
 * addresses where its devices sit, the small ids that make two commands
 * name the same object).  On the wire a field is always 1 + raw_bytes
 * bytes, whatever it decodes to:
 *
 *   s  r[0] .. r[raw_bytes - 1]
 *
 *   s <  DOM_SEL_RAW (or the field's raw_from, see below):
 *                     table entry s % dom_table_size(f), where the table
 *                     is, in this order (the boundary table):
 *                       0 min   1 min + 1   2 max - 1   3 max
 *                       4 max + 1 (wraps to 0 when max is UINT64_MAX)
 *                       5 min - 1 when min > 0, else 0
 *                       6 1
 *                       7.. 2^k for k = 1, 2, ... while 2^k <= max + 1
 *                       then 2^k - 1 for the same k (the last id of a
 *                       table of 2^k entries)
 *                       then the field's extra values in their order
 *                       (extra_weight times over, see below)
 *   s >= DOM_SEL_RAW (raw_from): the raw value: r read little-endian,
 *                     reduced to min + r % (max - min + 2), i.e.
 *                     min .. max + 1 (r itself when max - min >= 2^64 - 2)
 *
 * So three selector values in four draw a boundary or an extra, one in
 * four an arbitrary value of the range (plus one past its end).
 * Why this stays stable under mutation: the field's length does not depend
 * on its value, so a mutated selector or raw byte changes this field only
 * and every later field keeps its position and meaning; a table only ever
 * grows at its end (extras are appended), so canonical selectors
 * (s < table size) keep their value.  Missing bytes read as 0, so every
 * byte string decodes.
 *
 * A decoder test installs a recorder (dom_set_recorder) and sees every
 * value each named field decoded to; with no recorder (the fuzzers) the
 * cost is one load and a not-taken branch per field.
 */
#ifndef KVMSIM_MODEL_DOMAIN_H
#define KVMSIM_MODEL_DOMAIN_H

#include <stddef.h>
#include <stdint.h>

#define DOM_SEL_RAW 192u  /* selectors at or above read the raw bytes */
#define DOM_NR_FIXED 7u   /* boundary entries before the powers of two */

struct dom_field {
    const char *name;      /* for the recorder and failure messages */
    uint64_t min;          /* the architectural range, inclusive */
    uint64_t max;
    unsigned raw_bytes;    /* 0..8 raw bytes that always follow s */
    const uint64_t *extra; /* appended to the boundary table; may be NULL */
    unsigned nr_extra;
    /* Optional weighting, for a field whose large values cost far more
     * than small ones: the extras appear extra_weight times in the table
     * (0 counts as 1), and selectors from raw_from on (0: DOM_SEL_RAW)
     * read the raw value.  Every value stays reachable. */
    unsigned extra_weight;
    unsigned raw_from;
};

/* A field without weighting (designated, so every member is named). */
#define DOM_FIELD(nm, lo, hi, raw, ex, nex)                               \
    {                                                                    \
        .name = (nm), .min = (lo), .max = (hi), .raw_bytes = (raw),      \
        .extra = (ex), .nr_extra = (nex)                                 \
    }

/* A byte cursor; a read past the end gives 0. */
struct dom_cursor {
    const uint8_t *p;
    size_t n;
    size_t i;
};

typedef void dom_record_fn(void *arg, const struct dom_field *f,
                           uint64_t value);

/* Install (or with fn NULL remove) the recorder called on every decode. */
void dom_set_recorder(dom_record_fn *fn, void *arg);

/* Powers of two 2^k, k >= 1, with 2^k <= max + 1. */
unsigned dom_nr_pow2(const struct dom_field *f);
/* Entries of the field's boundary table: 7 + 2 * dom_nr_pow2 + nr_extra *
 * max(extra_weight, 1), at most DOM_SEL_RAW for a 64-bit field with up to
 * 59 extras (every entry then has a selector of its own). */
unsigned dom_table_size(const struct dom_field *f);
/* Entry j (< dom_table_size) of the boundary table. */
uint64_t dom_table_value(const struct dom_field *f, unsigned j);
/* The number of bytes a field takes on the wire. */
static inline size_t dom_field_bytes(const struct dom_field *f)
{
    return 1 + f->raw_bytes;
}

static inline uint8_t dom_byte(struct dom_cursor *c)
{
    return c->i < c->n ? c->p[c->i++] : 0;
}

/* Decode one field at the cursor (consumes dom_field_bytes(f)). */
uint64_t dom_read(struct dom_cursor *c, const struct dom_field *f);

/* Encode table entry j of f, or the raw value v (min <= v <= max + 1),
 * for seeds, converters and tests: each writes dom_field_bytes(f) bytes to
 * out and returns that count. */
size_t dom_encode_table(const struct dom_field *f, unsigned j, uint8_t *out);
size_t dom_encode_raw(const struct dom_field *f, uint64_t v, uint8_t *out);

#endif
