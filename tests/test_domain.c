/*
 * tests/test_domain.c - the whole input domain is reachable: the
 * boundary-or-raw field decoder of model/domain.h, and for every opcode
 * decoder (ITS, I/O bus, MSI/MSI-X, virtio) and every numeric scenario key
 * a crafted input that decodes to each boundary value of each field.
 *
 * A decoder's fields are read with dom_read(), which reports every value
 * to a recorder; each test runs inputs whose selector bytes are all b, for
 * every b below DOM_SEL_RAW (table entry b % size for every field at
 * once), and then checks that every entry of every field's boundary table
 * was seen.  Scenario keys are text: each key is loaded with each boundary
 * of its declared range and must be accepted exactly when inside it, and
 * fuzz/scenario_load.dict must hold that assignment (so the fuzzer draws
 * boundaries often); as a [swarm] range "v..v" it is accepted exactly
 * when the key accepts v.  KVMSIM_DOMAIN_PRINT_DICT=1 prints the dictionary
 * lines instead of checking the file.
 */
#include <inttypes.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/its.h"
#include "model/domain.h"
#include "model/iobus/iobus_diff.h"
#include "model/its/its_oracle.h"
#include "model/msix/msix_diff.h"
#include "model/switchover/switchover_fuzz.h"
#include "model/virtio/virtio_fuzz.h"
#include "scenarios/switchover/switchover_world.h"
#include "scenarios/tool/config.h"
#include "scenarios/tool/scenario.h"
#include "tests/lib.h"

/* ---- the recorder ------------------------------------------------------- */

struct seen {
    const char *name;
    uint64_t value;
};

struct rec {
    struct seen *v;
    size_t n, cap;
};

static struct rec rec;

static void rec_fn(void *arg, const struct dom_field *f, uint64_t value)
{
    struct rec *r = arg;

    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 4096;
        r->v = realloc(r->v, r->cap * sizeof(*r->v));
        if (!r->v) {
            abort();
        }
    }
    r->v[r->n++] = (struct seen){ f->name, value };
}

static void rec_start(void)
{
    rec.n = 0;
    dom_set_recorder(rec_fn, &rec);
}

static void rec_stop(void)
{
    dom_set_recorder(NULL, NULL);
}

static bool rec_has(const char *name, uint64_t value)
{
    for (size_t i = 0; i < rec.n; i++) {
        if (rec.v[i].value == value && strcmp(rec.v[i].name, name) == 0) {
            return true;
        }
    }
    return false;
}

/* Every entry of f's boundary table was decoded for a field of its name
 * (f as the decoder declares it). */
static void expect_table_reached(const struct dom_field *f)
{
    unsigned n = dom_table_size(f);

    ASSERT_LE(n, DOM_SEL_RAW);
    for (unsigned j = 0; j < n; j++) {
        uint64_t v = dom_table_value(f, j);

        if (!rec_has(f->name, v)) {
            fail_msg("%s: table entry %u (%" PRIu64 " = %#" PRIx64
                     ") never decoded; range [%" PRIu64 ", %" PRIu64 "]",
                     f->name, j, v, v, f->min, f->max);
        }
    }
}

/* ---- the helper --------------------------------------------------------- */

static void dom_table_value_boundaries_of_a_16bit_range(void **state)
{
    static const uint64_t extra[] = { 7, 9 };
    const struct dom_field f = DOM_FIELD("t", 0, 65535, 2, extra, 2);
    bool pow[17] = { false };
    unsigned n = dom_table_size(&f);

    (void)state;
    assert_int_equal(dom_nr_pow2(&f), 16);
    assert_int_equal(n, DOM_NR_FIXED + 32 + 2);
    assert_int_equal(dom_table_value(&f, 0), 0);
    assert_int_equal(dom_table_value(&f, 1), 1);
    assert_int_equal(dom_table_value(&f, 2), 65534);
    assert_int_equal(dom_table_value(&f, 3), 65535);
    assert_int_equal(dom_table_value(&f, 4), 65536);
    for (unsigned j = 0; j < n; j++) {
        uint64_t v = dom_table_value(&f, j);

        for (unsigned k = 1; k <= 16; k++) {
            pow[k] |= v == 1ull << k;
        }
    }
    for (unsigned k = 1; k <= 16; k++) {
        if (!pow[k]) {
            fail_msg("2^%u missing from the table", k);
        }
    }
    assert_int_equal(dom_table_value(&f, n - 2), 7);
    assert_int_equal(dom_table_value(&f, n - 1), 9);
}

static void dom_read_raw_reaches_min_and_max_plus_one(void **state)
{
    const struct dom_field f = DOM_FIELD("t", 10, 2048, 2, NULL, 0);
    const struct dom_field all = DOM_FIELD("a", 0, UINT64_MAX, 8, NULL, 0);
    uint8_t buf[9];
    struct dom_cursor c;

    (void)state;
    dom_encode_raw(&f, 10, buf);
    c = (struct dom_cursor){ .p = buf, .n = 3 };
    assert_int_equal(dom_read(&c, &f), 10);
    assert_int_equal(c.i, 3);
    dom_encode_raw(&f, 2049, buf);
    c = (struct dom_cursor){ .p = buf, .n = 3 };
    assert_int_equal(dom_read(&c, &f), 2049);
    /* min - 1 is a table entry (5) when min > 0 */
    assert_int_equal(dom_table_value(&f, 5), 9);
    dom_encode_raw(&all, UINT64_MAX, buf);
    c = (struct dom_cursor){ .p = buf, .n = 9 };
    assert_int_equal(dom_read(&c, &all), UINT64_MAX);
    /* max + 1 wraps to 0 for a 64-bit field: addr + len overflow */
    assert_int_equal(dom_table_value(&all, 4), 0);
    assert_int_equal(dom_table_value(&all, 3), UINT64_MAX);
    /* Missing bytes read as 0: an empty input decodes to min. */
    c = (struct dom_cursor){ .p = buf, .n = 0 };
    assert_int_equal(dom_read(&c, &f), 10);
}

static void dom_read_weighted_field_reaches_every_entry(void **state)
{
    static const uint64_t extra[] = { 3, 5 };
    const struct dom_field f = {
        .name = "w", .min = 1, .max = 2048, .raw_bytes = 2, .extra = extra,
        .nr_extra = 2, .extra_weight = 3, .raw_from = 248,
    };

    (void)state;
    assert_int_equal(dom_table_size(&f), DOM_NR_FIXED + 22 + 6);
    rec_start();
    for (unsigned b = 0; b < 248; b++) {
        uint8_t in[3] = { (uint8_t)b, 0, 0 };
        struct dom_cursor c = { .p = in, .n = 3 };

        dom_read(&c, &f);
    }
    rec_stop();
    expect_table_reached(&f);
}

/* ---- the ITS decoder ---------------------------------------------------- */

static void its_op_decode_every_field_reaches_its_boundaries(void **state)
{
    struct its_config cfg;
    struct dom_field f[ITS_OP_NR_FIELDS];

    (void)state;
    its_config_default(&cfg);
    cfg.nr_vcpus = 4;
    cfg.nr_collections = 4;
    its_op_fields(&cfg, f);
    rec_start();
    for (unsigned b = 0; b < DOM_SEL_RAW; b++) {
        uint8_t in[ITS_OP_BYTES];
        struct its_op op;

        memset(in, (int)b, sizeof(in));
        assert_int_equal(its_op_decode(in, sizeof(in), &cfg, &op),
                         ITS_OP_BYTES);
    }
    rec_stop();
    for (unsigned k = 0; k < ITS_OP_NR_FIELDS; k++) {
        expect_table_reached(&f[k]);
    }
    /* the architectural ends themselves */
    assert_true(rec_has("its.devid", 1u << ITS_DEVID_BITS));
    assert_true(rec_has("its.devid", (1u << ITS_DEVID_BITS) + 1));
    assert_true(rec_has("its.devid", UINT32_MAX));
    assert_true(rec_has("its.eventid", (1u << ITS_EVENT_BITS_MAX) - 1));
    assert_true(rec_has("its.eventid", UINT32_MAX));
    assert_true(rec_has("its.icid", 0xffff));
    assert_true(rec_has("its.intid", ITS_LPI_BASE - 1));
    assert_true(rec_has("its.icid", cfg.nr_collections));
    assert_true(rec_has("its.size", 0));
    assert_true(rec_has("its.size", ITS_EVENT_BITS_MAX + 1));
}

/* Every command and an MSI, each with every field at each table entry,
 * run on every cache variant against the oracle: the core must refuse
 * what is out of range exactly as the oracle does, and cost what it
 * says. */
static void its_oracle_step_agrees_on_every_boundary_value(void **state)
{
    static const enum its_cache_kind kinds[] = {
        ITS_CACHE_NONE, ITS_CACHE_GLOBAL, ITS_CACHE_SHARDED,
        ITS_CACHE_LOCKLESS,
    };
    /* compact ops: op, dev, ev, intid, icid, vcpu, vcpu2, b7 */
    static const uint8_t prefix[][8] = {
        { ITS_CMD_SET_ENABLED, 0, 0, 0, 0, 0, 0, 1 },
        { ITS_CMD_SET_LPIS, 0, 0, 0, 0, 0, 0, 1 },
        { ITS_CMD_SET_LPIS, 0, 0, 0, 0, 1, 0, 1 },
        { ITS_CMD_MAPC, 0, 0, 0, 0, 0, 0, 1 },
        { ITS_CMD_MAPC, 0, 0, 0, 1, 1, 0, 1 },
        { ITS_CMD_MAPD, 0, 0, 0, 0, 0, 0, 1 | (3 << 2) },
        { ITS_CMD_MAPD, 1, 0, 0, 0, 0, 0, 1 | (3 << 2) },
        { ITS_CMD_MAPTI, 0, 1, 1, 1, 0, 0, 1 },
    };

    (void)state;
    for (size_t v = 0; v < sizeof(kinds) / sizeof(kinds[0]); v++) {
        struct its_config cfg;
        struct its_oracle *o;
        struct its *its = NULL;
        char msg[256];
        uint64_t steps = 0;

        its_config_default(&cfg);
        cfg.cache = kinds[v];
        cfg.nr_vcpus = 2;
        cfg.nr_collections = 4;
        cfg.cache_size = 4;
        o = its_oracle_create(&cfg);
        assert_non_null(o);
        assert_int_equal(its_create(&cfg, &its), 0);
        for (unsigned b = 0; b < DOM_SEL_RAW + sizeof(prefix) / 8; b++) {
            for (unsigned c = 0; c <= ITS_CMD_NR; c++) {
                uint8_t in[ITS_OP_BYTES];
                struct its_op op;

                if (b < sizeof(prefix) / 8) {
                    if (c > 0) {
                        break;
                    }
                    its_op_from_compact(prefix[b], &cfg, in);
                } else {
                    memset(in, (int)(b - sizeof(prefix) / 8), sizeof(in));
                    in[0] = (uint8_t)(c == ITS_CMD_NR ? 31 : c);
                    in[1] = 1; /* valid */
                }
                its_op_decode(in, sizeof(in), &cfg, &op);
                steps++;
                if (its_oracle_step(o, its, &op, NULL, msg,
                                    sizeof(msg)) != 0) {
                    fail_msg("%s cache, step %" PRIu64 ": %s",
                             its_cache_kind_name(kinds[v]), steps, msg);
                }
            }
        }
        if (its_oracle_compare(o, its, msg, sizeof(msg)) != 0 ||
            its_oracle_check_cost(o, its, msg, sizeof(msg)) != 0 ||
            its_check(its, msg, sizeof(msg)) != 0) {
            fail_msg("%s cache, end: %s", its_cache_kind_name(kinds[v]),
                     msg);
        }
        assert_int_equal(its_destroy(its), 0);
        its_oracle_destroy(o);
    }
}

/* The earlier 8-byte encoding, as it decoded. */
static void compact_decode(const uint8_t p[8], const struct its_config *cfg,
                           struct its_op *op)
{
    uint32_t sel = p[0] % 32u;

    memset(op, 0, sizeof(*op));
    op->kind = sel < ITS_CMD_NR ? ITS_OP_CMD : ITS_OP_MSI;
    op->cmd.op = sel < ITS_CMD_NR ? (enum its_cmd_op)sel : ITS_CMD_NR;
    op->cmd.devid = p[1] >= 252 ? 1u << ITS_DEVID_BITS : p[1] % 4u;
    op->cmd.eventid = p[2] >= 248 ? ITS_LPI_BASE + p[2] % 8u : p[2] % 8u;
    op->cmd.intid = p[3] >= 248 ? p[3] : ITS_LPI_BASE + p[3] % 32u;
    op->cmd.icid = p[4] % (cfg->nr_collections + 1);
    op->cmd.vcpu = p[5] % (cfg->nr_vcpus + 1);
    op->cmd.vcpu2 = p[6] % (cfg->nr_vcpus + 1);
    op->cmd.valid = (p[7] & 7) != 0;
    op->cmd.size = 1 + (uint32_t)(p[7] >> 2) % ITS_EVENT_BITS_MAX;
    if (op->kind == ITS_OP_MSI) {
        op->msi.db = p[7] == 255 ? cfg->doorbell + 4 : cfg->doorbell;
        op->msi.devid = op->cmd.devid;
        op->msi.eventid = op->cmd.eventid;
        op->cpu = p[6];
    }
}

static void its_op_from_compact_decodes_to_the_same_operation(void **state)
{
    struct its_config cfg;
    uint64_t s = 99;

    (void)state;
    its_config_default(&cfg);
    cfg.nr_vcpus = 3;
    cfg.nr_collections = 4;
    for (unsigned i = 0; i < 20000; i++) {
        uint8_t in[8];
        uint8_t wide[ITS_OP_BYTES];
        struct its_op a, b;

        s = s * 6364136223846793005ull + 1442695040888963407ull;
        for (unsigned k = 0; k < 8; k++) {
            in[k] = (uint8_t)(s >> (8 * k));
        }
        if (i < 256) {
            memset(in, (int)i, sizeof(in)); /* every byte value */
        }
        compact_decode(in, &cfg, &a);
        its_op_from_compact(in, &cfg, wide);
        its_op_decode(wide, sizeof(wide), &cfg, &b);
        if (a.kind != b.kind || a.cmd.op != b.cmd.op ||
            a.cmd.devid != b.cmd.devid || a.cmd.eventid != b.cmd.eventid ||
            a.cmd.intid != b.cmd.intid || a.cmd.icid != b.cmd.icid ||
            a.cmd.vcpu != b.cmd.vcpu || a.cmd.vcpu2 != b.cmd.vcpu2 ||
            a.cmd.valid != b.cmd.valid || a.cmd.size != b.cmd.size ||
            a.msi.db != b.msi.db || a.cpu != b.cpu) {
            fail_msg("compact op %02x%02x%02x%02x%02x%02x%02x%02x: dev %u/%u "
                     "ev %u/%u intid %u/%u icid %u/%u vcpu %u/%u size %u/%u "
                     "cpu %u/%u", in[0], in[1], in[2], in[3], in[4], in[5],
                     in[6], in[7], a.cmd.devid, b.cmd.devid, a.cmd.eventid,
                     b.cmd.eventid, a.cmd.intid, b.cmd.intid, a.cmd.icid,
                     b.cmd.icid, a.cmd.vcpu, b.cmd.vcpu, a.cmd.size,
                     b.cmd.size, a.cpu, b.cpu);
        }
    }
}

/* ---- the I/O bus decoder ------------------------------------------------ */

static void iobus_diff_every_field_reaches_its_boundaries(void **state)
{
    const struct dom_field *f;
    size_t nf = iobus_diff_fields(&f);
    char err[512];

    (void)state;
    assert_string_equal(f[5].name, "iobus.access_len");
    rec_start();
    for (unsigned op = 0; op < IOBUS_DIFF_OP_NR; op++) {
        for (unsigned b = 0; b < DOM_SEL_RAW; b++) {
            uint8_t in[48];

            memset(in, (int)b, sizeof(in));
            in[0] = (uint8_t)op;
            if (iobus_diff_run(in, sizeof(in), NULL, NULL, err,
                               sizeof(err)) != 0) {
                fail_msg("op %u, bytes %u: %s", op, b, err);
            }
        }
    }
    /* every access length 0..9 (9 is out of range), raw-encoded */
    for (uint8_t l = 0; l <= 9; l++) {
        uint8_t in[16] = { IOBUS_DIFF_READ, 0 };

        dom_encode_raw(&f[5], l, in + 12); /* after bus, addr, offset */
        if (iobus_diff_run(in, sizeof(in), NULL, NULL, err,
                           sizeof(err)) != 0) {
            fail_msg("read of length %u: %s", l, err);
        }
    }
    rec_stop();
    for (size_t k = 0; k < nf; k++) {
        expect_table_reached(&f[k]);
    }
    /* the architectural ends: wrap-around and access lengths 0..9 */
    assert_true(rec_has("iobus.addr", UINT64_MAX));
    assert_true(rec_has("iobus.reg_len", UINT64_MAX));
    for (uint64_t l = 0; l <= 9; l++) {
        if (!rec_has("iobus.access_len", l)) {
            fail_msg("access length %" PRIu64 " never decoded", l);
        }
    }
}

/* ---- the MSI/MSI-X decoder ---------------------------------------------- */

static void msix_diff_every_field_reaches_its_boundaries(void **state)
{
    struct dom_field f[4];
    struct dom_field big[4];
    char err[256];

    (void)state;
    msix_diff_fields(0, 0, f);
    msix_diff_fields(MSIX_DIFF_MSIX_MAX, MSIX_DIFF_MSI_MAX, big);
    rec_start();
    /* the header: every size, in and out of the PCI limits */
    for (unsigned b = 0; b < DOM_SEL_RAW; b++) {
        uint8_t in[MSIX_DIFF_HDR];

        memset(in, (int)b, sizeof(in));
        if (msix_diff_run(in, sizeof(in), err, sizeof(err)) != 0) {
            fail_msg("header bytes %u: %s", b, err);
        }
    }
    /* the largest device: vector numbers and MSI counts */
    for (unsigned b = 0; b < DOM_SEL_RAW; b++) {
        uint8_t in[MSIX_DIFF_HDR + 4 * MSIX_DIFF_OP_BYTES] = {
            3, 0, 0, 3, 0,     /* table size max (2048), 32 MSI vectors */
            0, 0, 0, 0,        /* MSI-X enable */
            3, (uint8_t)b, 0, 0, /* unmask vector b */
            4, (uint8_t)b, 0, 0, /* fire it */
            5, (uint8_t)b, 0, 0, /* MSI enable with count b */
        };

        if (msix_diff_run(in, sizeof(in), err, sizeof(err)) != 0) {
            fail_msg("ops with argument %u: %s", b, err);
        }
    }
    rec_stop();
    expect_table_reached(&f[0]);
    expect_table_reached(&f[1]);
    expect_table_reached(&big[2]);
    expect_table_reached(&big[3]);
    assert_true(rec_has("msix.table_size", 0));
    assert_true(rec_has("msix.table_size", 2049));
    assert_true(rec_has("msi.vectors_offered", 33));
    assert_true(rec_has("msix.vector", 2047));
    assert_true(rec_has("msix.vector", 2048));
}

/* ---- the virtio decoder ------------------------------------------------- */

static void virtio_fuzz_every_field_reaches_its_boundaries(void **state)
{
    const struct dom_field *f;
    size_t nf = virtio_fuzz_fields(&f);
    char err[320];

    (void)state;
    rec_start();
    for (unsigned b = 0; b < DOM_SEL_RAW; b++) {
        uint8_t hdr[VIRTIO_FUZZ_HDR] = { 1, (uint8_t)b, 0, 0 };
        uint8_t qs[VIRTIO_FUZZ_HDR + VIRTIO_FUZZ_OP_BYTES] = {
            1, 9, 0, 0,               /* modern, queue size 8 */
            18, (uint8_t)b, 0, 0,     /* the guest writes a queue size */
        };

        if (virtio_fuzz_run(hdr, sizeof(hdr), err, sizeof(err)) != 0 ||
            virtio_fuzz_run(qs, sizeof(qs), err, sizeof(err)) != 0) {
            fail_msg("selector %u: %s", b, err);
        }
    }
    rec_stop();
    for (size_t k = 0; k < nf; k++) {
        expect_table_reached(&f[k]);
    }
    assert_true(rec_has("virtio.queue_size", 32768));
    assert_true(rec_has("virtio.queue_size", 32769));
    assert_true(rec_has("virtio.guest_queue_size", 32767));
}

/* ---- scenario keys ------------------------------------------------------ */

#define KEY_VALUES 64

/* Boundary values of an int key's range as text: min, min + 1, max - 1,
 * max, min - 1, max + 1 (beyond int64 as its decimal text), 0, 1 and
 * the powers of two inside the range (2^1..2^16, 2^31, 2^32). */
static size_t int_boundaries(const struct cfg_key *k, char v[][32],
                             bool inside[])
{
    int64_t lo = (int64_t)k->min;
    int64_t hi = k->max >= 9223372036854775807.0 ? INT64_MAX
                                                   : (int64_t)k->max;
    size_t n = 0;

#define ADD(ok, ...)                                                       \
    do {                                                                   \
        snprintf(v[n], sizeof(v[n]), __VA_ARGS__);                          \
        inside[n++] = (ok);                                                \
    } while (0)
    ADD(true, "%" PRId64, lo);
    if (lo < hi) {
        ADD(true, "%" PRId64, lo + 1);
        ADD(true, "%" PRId64, hi - 1);
    }
    ADD(true, "%" PRId64, hi);
    if (lo > INT64_MIN) {
        ADD(false, "%" PRId64, lo - 1);
    }
    if (hi < INT64_MAX) {
        ADD(false, "%" PRId64, hi + 1);
    } else {
        ADD(false, "9223372036854775808");
    }
    ADD(lo <= 0 && 0 <= hi, "0");
    ADD(lo <= 1 && 1 <= hi, "1");
    for (unsigned e = 1; e <= 32; e++) {
        int64_t p = (int64_t)1 << e;

        if ((e <= 16 || e == 31 || e == 32) && p >= lo && p <= hi) {
            ADD(true, "%" PRId64, p);
        }
    }
    return n;
}

static size_t double_boundaries(const struct cfg_key *k, char v[][32],
                                bool inside[])
{
    size_t n = 0;

    ADD(true, "%.17g", k->min);
    ADD(true, "%.17g", k->max);
    ADD(true, "%.17g", k->min + (k->max - k->min) / 2);
    ADD(false, "%.17g", k->min - 1);
    ADD(false, "%.17g", k->max + 1);
    return n;
#undef ADD
}

/* Load "driver's text + [section] name = value" with the driver's
 * tables: accepted exactly when inside, reading back the value. */
/* fuzz_switchover's SET_STATE argument: every device index up to one past
 * the fuzzer's largest tree (8 devices) and beyond, every migration state
 * and undefined state values, each from some argument byte. */
static void sw_fuzz_set_state_arg_reaches_every_index_and_state(void **state)
{
    bool seen[16][16] = {{false}};

    (void)state;
    for (unsigned a = 0; a < 256; a++) {
        unsigned dev, st;

        sw_fuzz_set_state_arg((uint8_t)a, &dev, &st);
        ASSERT_LT(dev, 16);
        ASSERT_LT(st, 16);
        seen[dev][st] = true;
    }
    for (unsigned dev = 0; dev < 16; dev++) {
        for (unsigned st = 0; st < 16; st++) {
            if (!seen[dev][st]) {
                fail_msg("device %u, state %u never decoded", dev, st);
            }
        }
    }
    ASSERT_LE(VFIO_MIG_NSTATES + 1, 16);
}

static void check_key_value(const struct scn_driver *drv,
                            const struct cfg_key *k, const char *value,
                            bool inside)
{
    const struct cfg_key *tables[4] = { cfg_common_keys, drv->keys,
                                        scn_cost_cfg_keys(drv), NULL };
    struct cfg *c = cfg_create(tables);
    char text[256];
    char err[256];
    int rc;

    assert_non_null(c);
    snprintf(text, sizeof(text), "[scenario]\ndriver = %s\n[%s]\n%s = %s\n",
             drv->name, k->section, k->name, value);
    rc = cfg_load_text(c, "t.ini", text, err, sizeof(err));
    if ((rc == 0) != inside) {
        fail_msg("%s: %s.%s = %s %s (range [%.17g, %.17g]): %s", drv->name,
                 k->section, k->name, value, rc == 0 ? "accepted" : "refused",
                 k->min, k->max, rc == 0 ? "-" : err);
    }
    if (rc == 0 && k->type == CFG_INT) {
        char back[32];

        snprintf(back, sizeof(back), "%" PRId64,
                 cfg_int(c, k->section, k->name));
        if (strcmp(back, value) != 0) {
            fail_msg("%s.%s = %s reads back %s", k->section, k->name, value,
                     back);
        }
    }
    cfg_destroy(c);
}

/* The same value as a [swarm] range "v..v" of the key: accepted exactly
 * when the key accepts it (keys of [scenario], [run], [faults] and
 * [invariants] are not varied). */
static void check_swarm_value(const struct scn_driver *drv,
                              const struct cfg_key *k, const char *value,
                              bool inside)
{
    const struct cfg_key *tables[4] = { cfg_common_keys, drv->keys,
                                        scn_cost_cfg_keys(drv), NULL };
    struct cfg *c;
    char text[256];
    char err[256];
    int rc;

    if (strcmp(k->section, "run") == 0 || strcmp(k->section, "faults") == 0 ||
        strcmp(k->section, "scenario") == 0 ||
        strcmp(k->section, "invariants") == 0) {
        return;
    }
    c = cfg_create(tables);
    assert_non_null(c);
    snprintf(text, sizeof(text),
             "[scenario]\ndriver = %s\n[swarm]\n%s.%s = %s..%s\n",
             drv->name, k->section, k->name, value, value);
    rc = cfg_load_text(c, "t.ini", text, err, sizeof(err));
    if ((rc == 0) != inside) {
        fail_msg("%s: [swarm] %s.%s = %s..%s %s (range [%.17g, %.17g]): %s",
                 drv->name, k->section, k->name, value, value,
                 rc == 0 ? "accepted" : "refused", k->min, k->max,
                 rc == 0 ? "-" : err);
    }
    cfg_destroy(c);
}

static char *read_dict(void)
{
    const char *src = getenv("KVMSIM_SRC");
    char path[512];
    FILE *f;
    char *buf;
    long len;

    snprintf(path, sizeof(path), "%s/fuzz/scenario_load.dict",
             src ? src : ".");
    f = fopen(path, "rb");
    if (!f) {
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = calloc(1, (size_t)len + 1);
    if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

static void check_table_keys(const struct scn_driver *drv,
                             const struct cfg_key *t, const char *dict,
                             bool print, unsigned *checked)
{
    for (; t && t->name; t++) {
        char v[KEY_VALUES][32];
        bool inside[KEY_VALUES];
        size_t n;

        if (t->type == CFG_INT) {
            n = int_boundaries(t, v, inside);
        } else if (t->type == CFG_DOUBLE) {
            n = double_boundaries(t, v, inside);
        } else {
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            char line[128];

            check_key_value(drv, t, v[i], inside[i]);
            check_swarm_value(drv, t, v[i], inside[i]);
            (*checked)++;
            snprintf(line, sizeof(line), "\"%s = %s\"", t->name, v[i]);
            if (print) {
                printf("%s\n", line);
            } else if (!strstr(dict, line)) {
                fail_msg("fuzz/scenario_load.dict lacks %s (regenerate with "
                         "KVMSIM_DOMAIN_PRINT_DICT=1)", line);
            }
        }
    }
}

static void cfg_keys_every_boundary_loads_as_its_range_says(void **state)
{
    bool print = getenv("KVMSIM_DOMAIN_PRINT_DICT") != NULL;
    char *dict = print ? NULL : read_dict();
    unsigned checked = 0;

    (void)state;
    if (!print && !dict) {
        fail_msg("cannot read fuzz/scenario_load.dict (KVMSIM_SRC unset?)");
    }
    for (size_t d = 0; scn_drivers[d]; d++) {
        check_table_keys(scn_drivers[d], cfg_common_keys, dict, print,
                         &checked);
        check_table_keys(scn_drivers[d], scn_drivers[d]->keys, dict, print,
                         &checked);
        if (scn_cost_cfg_keys(scn_drivers[d])) {
            check_table_keys(scn_drivers[d],
                             scn_cost_cfg_keys(scn_drivers[d]), dict, print,
                             &checked);
        }
    }
    print_message("%u key values loaded\n", checked);
    ASSERT_GT(checked, 100);
    free(dict);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dom_table_value_boundaries_of_a_16bit_range),
        cmocka_unit_test(dom_read_raw_reaches_min_and_max_plus_one),
        cmocka_unit_test(dom_read_weighted_field_reaches_every_entry),
        cmocka_unit_test(its_op_decode_every_field_reaches_its_boundaries),
        cmocka_unit_test(its_op_from_compact_decodes_to_the_same_operation),
        cmocka_unit_test(its_oracle_step_agrees_on_every_boundary_value),
        cmocka_unit_test(iobus_diff_every_field_reaches_its_boundaries),
        cmocka_unit_test(msix_diff_every_field_reaches_its_boundaries),
        cmocka_unit_test(virtio_fuzz_every_field_reaches_its_boundaries),
        cmocka_unit_test(cfg_keys_every_boundary_loads_as_its_range_says),
        cmocka_unit_test(
            sw_fuzz_set_state_arg_reaches_every_index_and_state),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
