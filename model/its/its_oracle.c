/*
 * model/its/its_oracle.c - the uncached ITS model, the opcode-stream decoder
 * and the step/compare checker of model/its/its_oracle.h.
 *
 * Everything is a linear scan of a small array, written for obviousness:
 * the ITE array is the translation table, LPIs are looked up by INTID, and
 * an LPI is dropped as soon as no ITE names it (its_oracle_gc()).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/its/its_oracle.h"

struct oracle_dev {
    uint32_t devid;
    uint32_t size; /* event-id bits */
};

struct oracle_ite {
    uint32_t devid;
    uint32_t eventid;
    uint32_t icid; /* ITS_ICID_NONE once orphaned */
    uint32_t intid;
};

struct oracle_lpi {
    uint32_t intid;
    uint32_t target;
    bool hw;
    bool pending;
};

struct oracle_coll {
    bool mapped;
    uint32_t vcpu;
};

struct its_oracle {
    uint64_t invalidations; /* cache invalidations the commands called for */
    uint32_t nr_vcpus;
    uint32_t nr_collections;
    uint64_t doorbell;
    bool enabled;
    bool *lpis_enabled;
    uint64_t *delivered;
    struct oracle_coll *colls;
    struct oracle_dev *devs;
    size_t nr_devs, cap_devs;
    struct oracle_ite *ites;
    size_t nr_ites, cap_ites;
    struct oracle_lpi *lpis;
    size_t nr_lpis, cap_lpis;
};

static void *oracle_grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) {
        return p;
    }
    *cap = *cap ? *cap * 2 : 16;
    while (*cap < need) {
        *cap *= 2;
    }
    p = realloc(p, *cap * elem);
    if (!p) {
        fprintf(stderr, "its_oracle: out of memory\n");
        abort();
    }
    return p;
}

struct its_oracle *its_oracle_create(const struct its_config *cfg)
{
    struct its_oracle *o;

    if (cfg->nr_vcpus < 1 || cfg->nr_vcpus > ITS_MAX_VCPUS ||
        cfg->nr_collections < 1 ||
        cfg->nr_collections > ITS_MAX_COLLECTIONS) {
        return NULL;
    }
    o = calloc(1, sizeof(*o));
    if (!o) {
        return NULL;
    }
    o->nr_vcpus = cfg->nr_vcpus;
    o->nr_collections = cfg->nr_collections;
    o->doorbell = cfg->doorbell;
    o->lpis_enabled = calloc(cfg->nr_vcpus, sizeof(*o->lpis_enabled));
    o->delivered = calloc(cfg->nr_vcpus, sizeof(*o->delivered));
    o->colls = calloc(cfg->nr_collections, sizeof(*o->colls));
    if (!o->lpis_enabled || !o->delivered || !o->colls) {
        its_oracle_destroy(o);
        return NULL;
    }
    return o;
}

void its_oracle_destroy(struct its_oracle *o)
{
    if (!o) {
        return;
    }
    free(o->lpis_enabled);
    free(o->delivered);
    free(o->colls);
    free(o->devs);
    free(o->ites);
    free(o->lpis);
    free(o);
}

/* ---- lookups ------------------------------------------------------------ */

static struct oracle_dev *oracle_dev(const struct its_oracle *o,
                                     uint32_t devid)
{
    for (size_t i = 0; i < o->nr_devs; i++) {
        if (o->devs[i].devid == devid) {
            return &o->devs[i];
        }
    }
    return NULL;
}

static struct oracle_ite *oracle_ite(const struct its_oracle *o,
                                     uint32_t devid, uint32_t eventid)
{
    for (size_t i = 0; i < o->nr_ites; i++) {
        if (o->ites[i].devid == devid && o->ites[i].eventid == eventid) {
            return &o->ites[i];
        }
    }
    return NULL;
}

static struct oracle_lpi *oracle_lpi(const struct its_oracle *o,
                                     uint32_t intid)
{
    for (size_t i = 0; i < o->nr_lpis; i++) {
        if (o->lpis[i].intid == intid) {
            return &o->lpis[i];
        }
    }
    return NULL;
}

static bool oracle_coll_mapped(const struct its_oracle *o, uint32_t icid)
{
    return icid < o->nr_collections && o->colls[icid].mapped;
}

/* Drop every LPI that no ITE names any more. */
static void oracle_gc(struct its_oracle *o)
{
    size_t keep = 0;

    for (size_t i = 0; i < o->nr_lpis; i++) {
        bool named = false;

        for (size_t k = 0; k < o->nr_ites && !named; k++) {
            named = o->ites[k].intid == o->lpis[i].intid;
        }
        if (named) {
            o->lpis[keep++] = o->lpis[i];
        }
    }
    o->nr_lpis = keep;
}

static void oracle_remove_ite(struct its_oracle *o, struct oracle_ite *ite)
{
    size_t i = (size_t)(ite - o->ites);

    memmove(&o->ites[i], &o->ites[i + 1],
            (o->nr_ites - i - 1) * sizeof(o->ites[0]));
    o->nr_ites--;
}

/* The ITE a command names: -ENODEV, -ERANGE, -ENOENT. */
static int oracle_cmd_ite(const struct its_oracle *o, uint32_t devid,
                          uint32_t eventid, struct oracle_ite **out)
{
    struct oracle_dev *d = oracle_dev(o, devid);

    if (!d) {
        return -ENODEV;
    }
    if (eventid >= (1u << d->size)) {
        return -ERANGE;
    }
    *out = oracle_ite(o, devid, eventid);
    return *out ? 0 : -ENOENT;
}

static int oracle_resolve(const struct its_oracle *o, uint32_t devid,
                          uint32_t eventid, struct oracle_ite **out)
{
    int rc;

    if (!o->enabled) {
        return -EBUSY;
    }
    rc = oracle_cmd_ite(o, devid, eventid, out);
    if (rc != 0) {
        return rc;
    }
    return oracle_coll_mapped(o, (*out)->icid) ? 0 : -ENXIO;
}

/* Translate and deliver (MSI, INT). */
static int oracle_trigger(struct its_oracle *o, uint32_t devid,
                          uint32_t eventid, struct its_oracle_result *r)
{
    struct oracle_ite *ite;
    struct oracle_lpi *lpi;
    int rc = oracle_resolve(o, devid, eventid, &ite);

    if (rc != 0) {
        return rc;
    }
    lpi = oracle_lpi(o, ite->intid);
    r->intid = lpi->intid;
    if (!o->lpis_enabled[lpi->target]) {
        return -EBUSY;
    }
    lpi->pending = true;
    o->delivered[lpi->target]++;
    r->delivered = true;
    r->vcpu = lpi->target;
    return 0;
}

int its_oracle_translate(const struct its_oracle *o,
                         const struct its_msi *msi, uint32_t *intid)
{
    struct oracle_ite *ite;
    int rc;

    if (msi->db != o->doorbell) {
        return -EADDRNOTAVAIL;
    }
    rc = oracle_resolve(o, msi->devid, msi->eventid, &ite);
    if (rc == 0 && intid) {
        *intid = ite->intid;
    }
    return rc;
}

int its_oracle_msi(struct its_oracle *o, const struct its_msi *msi,
                   struct its_oracle_result *r)
{
    struct its_oracle_result local;

    if (!r) {
        r = &local;
    }
    memset(r, 0, sizeof(*r));
    if (msi->db != o->doorbell) {
        return -EADDRNOTAVAIL;
    }
    return oracle_trigger(o, msi->devid, msi->eventid, r);
}

/* ---- commands ----------------------------------------------------------- */

static bool oracle_devid_ok(uint32_t devid)
{
    return devid < (1u << ITS_DEVID_BITS);
}

static int oracle_mapd(struct its_oracle *o, const struct its_cmd *c)
{
    struct oracle_dev *d;
    size_t keep = 0;

    if (!oracle_devid_ok(c->devid)) {
        return -EINVAL;
    }
    if (c->valid && (c->size < 1 || c->size > ITS_EVENT_BITS_MAX)) {
        return -EINVAL;
    }
    d = oracle_dev(o, c->devid);
    if (d) {
        /* Unmap the device and every ITE it had. */
        for (size_t i = 0; i < o->nr_ites; i++) {
            if (o->ites[i].devid != c->devid) {
                o->ites[keep++] = o->ites[i];
            }
        }
        o->nr_ites = keep;
        *d = o->devs[--o->nr_devs];
        oracle_gc(o);
    }
    if (c->valid) {
        o->devs = oracle_grow(o->devs, &o->cap_devs, o->nr_devs + 1,
                              sizeof(*o->devs));
        o->devs[o->nr_devs].devid = c->devid;
        o->devs[o->nr_devs].size = c->size;
        o->nr_devs++;
    }
    return 0;
}

static int oracle_mapc(struct its_oracle *o, const struct its_cmd *c)
{
    if (c->icid >= o->nr_collections) {
        return -EINVAL;
    }
    if (c->valid && c->vcpu >= o->nr_vcpus) {
        return -EINVAL;
    }
    for (size_t i = 0; i < o->nr_ites; i++) {
        if (o->ites[i].icid != c->icid) {
            continue;
        }
        if (c->valid) {
            oracle_lpi(o, o->ites[i].intid)->target = c->vcpu;
        } else {
            o->ites[i].icid = ITS_ICID_NONE;
        }
    }
    o->colls[c->icid].mapped = c->valid;
    if (c->valid) {
        o->colls[c->icid].vcpu = c->vcpu;
    }
    return 0;
}

static int oracle_mapti(struct its_oracle *o, const struct its_cmd *c)
{
    uint32_t intid = c->op == ITS_CMD_MAPI ? c->eventid : c->intid;
    struct oracle_dev *d;
    struct oracle_lpi *lpi;

    if (!oracle_devid_ok(c->devid)) {
        return -EINVAL;
    }
    if (intid < ITS_LPI_BASE || intid >= (1u << ITS_LPI_BITS)) {
        return -EINVAL;
    }
    if (c->icid >= o->nr_collections) {
        return -EINVAL;
    }
    d = oracle_dev(o, c->devid);
    if (!d) {
        return -ENODEV;
    }
    if (c->eventid >= (1u << d->size)) {
        return -ERANGE;
    }
    if (oracle_ite(o, c->devid, c->eventid)) {
        return -EEXIST;
    }
    if (!o->colls[c->icid].mapped) {
        return -ENXIO;
    }
    o->ites = oracle_grow(o->ites, &o->cap_ites, o->nr_ites + 1,
                          sizeof(*o->ites));
    o->ites[o->nr_ites++] = (struct oracle_ite){
        .devid = c->devid,
        .eventid = c->eventid,
        .icid = c->icid,
        .intid = intid,
    };
    lpi = oracle_lpi(o, intid);
    if (!lpi) {
        o->lpis = oracle_grow(o->lpis, &o->cap_lpis, o->nr_lpis + 1,
                              sizeof(*o->lpis));
        lpi = &o->lpis[o->nr_lpis++];
        memset(lpi, 0, sizeof(*lpi));
        lpi->intid = intid;
    }
    lpi->target = o->colls[c->icid].vcpu;
    return 0;
}

static int oracle_movi(struct its_oracle *o, const struct its_cmd *c)
{
    struct oracle_ite *ite;
    int rc;

    if (!oracle_devid_ok(c->devid) || c->icid >= o->nr_collections) {
        return -EINVAL;
    }
    rc = oracle_cmd_ite(o, c->devid, c->eventid, &ite);
    if (rc != 0) {
        return rc;
    }
    if (!oracle_coll_mapped(o, ite->icid) || !o->colls[c->icid].mapped) {
        return -ENXIO;
    }
    ite->icid = c->icid;
    oracle_lpi(o, ite->intid)->target = o->colls[c->icid].vcpu;
    return 0;
}

static int oracle_movall(struct its_oracle *o, const struct its_cmd *c)
{
    if (c->vcpu >= o->nr_vcpus || c->vcpu2 >= o->nr_vcpus) {
        return -EINVAL;
    }
    for (size_t i = 0; i < o->nr_lpis; i++) {
        if (o->lpis[i].target == c->vcpu) {
            o->lpis[i].target = c->vcpu2;
        }
    }
    return 0;
}

static int oracle_discard(struct its_oracle *o, const struct its_cmd *c)
{
    struct oracle_ite *ite;
    int rc;

    if (!oracle_devid_ok(c->devid)) {
        return -EINVAL;
    }
    rc = oracle_cmd_ite(o, c->devid, c->eventid, &ite);
    if (rc != 0) {
        return rc;
    }
    if (!oracle_coll_mapped(o, ite->icid)) {
        return -ENXIO;
    }
    oracle_remove_ite(o, ite);
    oracle_gc(o);
    return 0;
}

static int oracle_on_ite(struct its_oracle *o, const struct its_cmd *c)
{
    struct oracle_ite *ite;
    struct oracle_lpi *lpi;
    int rc;

    if (!oracle_devid_ok(c->devid)) {
        return -EINVAL;
    }
    rc = oracle_cmd_ite(o, c->devid, c->eventid, &ite);
    if (rc != 0) {
        return rc;
    }
    lpi = oracle_lpi(o, ite->intid);
    if (c->op == ITS_CMD_CLEAR) {
        lpi->pending = false;
    } else if (c->op == ITS_CMD_SET_HW) {
        lpi->hw = c->valid;
    }
    return 0;
}

int its_oracle_cmd(struct its_oracle *o, const struct its_cmd *c,
                   struct its_oracle_result *r)
{
    struct its_oracle_result local;

    if (!r) {
        r = &local;
    }
    memset(r, 0, sizeof(*r));
    switch (c->op) {
    case ITS_CMD_MAPD:
        return oracle_mapd(o, c);
    case ITS_CMD_MAPC:
        return oracle_mapc(o, c);
    case ITS_CMD_MAPTI:
    case ITS_CMD_MAPI:
        return oracle_mapti(o, c);
    case ITS_CMD_MOVI:
        return oracle_movi(o, c);
    case ITS_CMD_MOVALL:
        return oracle_movall(o, c);
    case ITS_CMD_DISCARD:
        return oracle_discard(o, c);
    case ITS_CMD_INV:
    case ITS_CMD_CLEAR:
    case ITS_CMD_SET_HW:
        return oracle_on_ite(o, c);
    case ITS_CMD_INVALL:
        if (c->icid >= o->nr_collections) {
            return -EINVAL;
        }
        return o->colls[c->icid].mapped ? 0 : -ENXIO;
    case ITS_CMD_INT:
        if (!oracle_devid_ok(c->devid)) {
            return -EINVAL;
        }
        return oracle_trigger(o, c->devid, c->eventid, r);
    case ITS_CMD_SYNC:
        return c->vcpu < o->nr_vcpus ? 0 : -EINVAL;
    case ITS_CMD_SET_ENABLED:
        o->enabled = c->valid;
        return 0;
    case ITS_CMD_SET_LPIS:
        if (c->vcpu >= o->nr_vcpus) {
            return -EINVAL;
        }
        o->lpis_enabled[c->vcpu] = c->valid;
        return 0;
    case ITS_CMD_NR:
        break;
    }
    return -EINVAL;
}

uint64_t its_oracle_vcpu_delivered(const struct its_oracle *o, uint32_t vcpu)
{
    return vcpu < o->nr_vcpus ? o->delivered[vcpu] : 0;
}

uint32_t its_oracle_nr_lpis(const struct its_oracle *o)
{
    return (uint32_t)o->nr_lpis;
}

/* ---- the opcode stream --------------------------------------------------- */

/* The command fields are 32 bits wide (DeviceID, EventID) and 16 bits
 * (ICID) whatever this ITS implements: after the small ids that make two
 * commands name the same object come the architectural ends, and ids one
 * past a 16-bit id space (which alias a small id if anything truncates
 * them).  The raw draw covers [0, max + 1] of the implemented range. */
static const uint64_t its_devid_extra[] = {
    0, 1, 2, 3,
    (1u << ITS_DEVID_BITS) + 1, (1u << ITS_DEVID_BITS) + 2,
    UINT32_C(0x80000000), UINT32_MAX - 1, UINT32_MAX,
};
static const uint64_t its_eventid_extra[] = {
    0, 1, 2, 3, 4, 5, 6, 7,
    ITS_LPI_BASE + 0, ITS_LPI_BASE + 1, ITS_LPI_BASE + 2, ITS_LPI_BASE + 3,
    ITS_LPI_BASE + 4, ITS_LPI_BASE + 5, ITS_LPI_BASE + 6, ITS_LPI_BASE + 7,
    (1u << ITS_EVENT_BITS_MAX) + 1, UINT32_C(0x80000000), UINT32_MAX - 1,
    UINT32_MAX,
};
static const uint64_t its_icid_extra[] = { 0x7fff, 0x8000, 0xfffe, 0xffff };
static const uint64_t its_intid_extra[] = {
    ITS_LPI_BASE + 0, ITS_LPI_BASE + 1, ITS_LPI_BASE + 2, ITS_LPI_BASE + 3,
    ITS_LPI_BASE + 4, ITS_LPI_BASE + 5, ITS_LPI_BASE + 6, ITS_LPI_BASE + 7,
    ITS_LPI_BASE + 8, ITS_LPI_BASE + 9, ITS_LPI_BASE + 10, ITS_LPI_BASE + 11,
    ITS_LPI_BASE + 12, ITS_LPI_BASE + 13, ITS_LPI_BASE + 14,
    ITS_LPI_BASE + 15, ITS_LPI_BASE + 16, ITS_LPI_BASE + 17,
    ITS_LPI_BASE + 18, ITS_LPI_BASE + 19, ITS_LPI_BASE + 20,
    ITS_LPI_BASE + 21, ITS_LPI_BASE + 22, ITS_LPI_BASE + 23,
    ITS_LPI_BASE + 24, ITS_LPI_BASE + 25, ITS_LPI_BASE + 26,
    ITS_LPI_BASE + 27, ITS_LPI_BASE + 28, ITS_LPI_BASE + 29,
    ITS_LPI_BASE + 30, ITS_LPI_BASE + 31, 248, 249, 250, 251, 252, 253, 254,
    255,
};

#define ITS_EXTRA_N(t) ((unsigned)(sizeof(t) / sizeof((t)[0])))

#if defined(__clang__) && __clang_major__ >= 13
__attribute__((no_sanitize("coverage")))
#endif
void its_op_fields(const struct its_config *cfg,
                   struct dom_field out[ITS_OP_NR_FIELDS])
{
    const struct dom_field f[ITS_OP_NR_FIELDS] = {
        DOM_FIELD("its.devid", 0, (1u << ITS_DEVID_BITS) - 1, 2,
                  its_devid_extra, ITS_EXTRA_N(its_devid_extra)),
        DOM_FIELD("its.eventid", 0, (1u << ITS_EVENT_BITS_MAX) - 1, 2,
                  its_eventid_extra, ITS_EXTRA_N(its_eventid_extra)),
        DOM_FIELD("its.intid", ITS_LPI_BASE, (1u << ITS_LPI_BITS) - 1, 2,
                  its_intid_extra, ITS_EXTRA_N(its_intid_extra)),
        DOM_FIELD("its.icid", 0, cfg->nr_collections - 1, 2, its_icid_extra,
                  ITS_EXTRA_N(its_icid_extra)),
        DOM_FIELD("its.vcpu", 0, cfg->nr_vcpus - 1, 2, NULL, 0),
        DOM_FIELD("its.vcpu2", 0, cfg->nr_vcpus - 1, 2, NULL, 0),
        DOM_FIELD("its.cpu", 0, 255, 1, NULL, 0),
        DOM_FIELD("its.size", 1, ITS_EVENT_BITS_MAX, 1, NULL, 0),
    };

    memcpy(out, f, sizeof(f));
}

/* Decoding is no news about the code under test: keep it out of a
 * fuzzer's coverage feedback (and its cost). */
#if defined(__clang__) && __clang_major__ >= 13
__attribute__((no_sanitize("coverage")))
#endif
size_t its_op_decode(const uint8_t *p, size_t n, const struct its_config *cfg,
                     struct its_op *op)
{
    struct dom_field f[ITS_OP_NR_FIELDS];
    struct dom_cursor c = { .p = p, .n = ITS_OP_BYTES, .i = 2 };
    uint32_t sel;
    uint8_t flags;

    if (n < ITS_OP_BYTES) {
        return 0;
    }
    its_op_fields(cfg, f);
    memset(op, 0, sizeof(*op));
    sel = p[0] % 32u;
    flags = p[1];
    op->kind = sel < ITS_CMD_NR ? ITS_OP_CMD : ITS_OP_MSI;
    op->cmd.op = sel < ITS_CMD_NR ? (enum its_cmd_op)sel : ITS_CMD_NR;
    op->cmd.valid = (flags & 7) != 0;
    op->cmd.devid = (uint32_t)dom_read(&c, &f[0]);
    op->cmd.eventid = (uint32_t)dom_read(&c, &f[1]);
    op->cmd.intid = (uint32_t)dom_read(&c, &f[2]);
    op->cmd.icid = (uint32_t)dom_read(&c, &f[3]);
    op->cmd.vcpu = (uint32_t)dom_read(&c, &f[4]);
    op->cmd.vcpu2 = (uint32_t)dom_read(&c, &f[5]);
    op->cpu = (uint32_t)dom_read(&c, &f[6]);
    op->cmd.size = (uint32_t)dom_read(&c, &f[7]);
    if (op->kind == ITS_OP_MSI) {
        op->msi.db = flags == 255 ? cfg->doorbell + 4 : cfg->doorbell;
        op->msi.devid = op->cmd.devid;
        op->msi.eventid = op->cmd.eventid;
    } else {
        op->cpu = 0;
    }
    return ITS_OP_BYTES;
}

void its_op_from_compact(const uint8_t in[ITS_OP_COMPACT_BYTES],
                         const struct its_config *cfg,
                         uint8_t out[ITS_OP_BYTES])
{
    struct dom_field f[ITS_OP_NR_FIELDS];
    unsigned base_dev, base_ev, base_int;
    size_t k = 2;

    its_op_fields(cfg, f);
    base_dev = dom_table_size(&f[0]) - f[0].nr_extra;
    base_ev = dom_table_size(&f[1]) - f[1].nr_extra;
    base_int = dom_table_size(&f[2]) - f[2].nr_extra;
    out[0] = in[0];
    out[1] = in[7];
    /* devid >= 252: 2^ITS_DEVID_BITS, the boundary "max + 1" */
    k += dom_encode_table(&f[0], in[1] >= 252 ? 4 : base_dev + in[1] % 4,
                          out + k);
    k += dom_encode_table(&f[1], base_ev + (in[2] >= 248 ? 8 : 0) +
                          in[2] % 8, out + k);
    k += dom_encode_table(&f[2], base_int + (in[3] >= 248 ? 32u + in[3] - 248u
                                                        : in[3] % 32u),
                          out + k);
    k += dom_encode_raw(&f[3], in[4] % (cfg->nr_collections + 1), out + k);
    k += dom_encode_raw(&f[4], in[5] % (cfg->nr_vcpus + 1), out + k);
    k += dom_encode_raw(&f[5], in[6] % (cfg->nr_vcpus + 1), out + k);
    k += dom_encode_raw(&f[6], in[6], out + k);
    dom_encode_raw(&f[7], 1 + (uint32_t)(in[7] >> 2) % ITS_EVENT_BITS_MAX,
                   out + k);
}

void its_op_format(const struct its_op *op, char *buf, size_t len)
{
    const struct its_cmd *c = &op->cmd;

    if (op->kind == ITS_OP_MSI) {
        snprintf(buf, len, "msi db=%#" PRIx64 " dev=%u ev=%u cpu=%u",
                 op->msi.db, op->msi.devid, op->msi.eventid, op->cpu);
        return;
    }
    snprintf(buf, len, "%s dev=%u ev=%u intid=%u icid=%u vcpu=%u vcpu2=%u "
             "size=%u valid=%d", its_cmd_name(c->op), c->devid, c->eventid,
             c->intid, c->icid, c->vcpu, c->vcpu2, c->size, c->valid);
}

/* ---- checking ------------------------------------------------------------ */

/* The checker's own branches are no news about the code under test: keep
 * them out of a fuzzer's coverage feedback (and its cost).  The model above
 * stays instrumented: its branches are the specification's cases. */
#if defined(__clang__) && __clang_major__ >= 13
#define ORACLE_CHECKER __attribute__((no_sanitize("coverage")))
#else
#define ORACLE_CHECKER
#endif

ORACLE_CHECKER
static int oracle_fail(char *msg, size_t len, const char *fmt, ...)
{
    va_list ap;

    if (msg && len) {
        va_start(ap, fmt);
        vsnprintf(msg, len, fmt, ap);
        va_end(ap);
    }
    return -EPROTO;
}

/* its_oracle_step() keeps per-vCPU counts on the stack up to this many
 * vCPUs (no allocation per step). */
#define ORACLE_STEP_SMALL_VCPUS 64

static void oracle_free_before(uint64_t *before, uint64_t *small)
{
    if (before != small) {
        free(before);
    }
}

/* How many times a successful command must drop the cached translations,
 * restated from the GIC ITS rules (and KVM's): a translation a cache may
 * hold goes stale when a mapped device is unmapped or remapped, a
 * collection is unmapped, an event moves or is discarded, every LPI of a
 * vCPU moves, an LPI becomes forwarded, or the ITS or a vCPU's LPIs are
 * disabled.  Nothing else invalidates: not INV/INVALL (they reload
 * configuration, not translations), not a mapping, not a failed command,
 * not an MSI.  had_dev: the device was mapped before the command. */
ORACLE_CHECKER
static uint64_t oracle_expected_invalidations(const struct its_cmd *c,
                                              bool had_dev)
{
    switch (c->op) {
    case ITS_CMD_MAPD:
        return had_dev ? 1 : 0;
    case ITS_CMD_MAPC:
        return c->valid ? 0 : 1;
    case ITS_CMD_MOVI:
    case ITS_CMD_MOVALL:
    case ITS_CMD_DISCARD:
        return 1;
    case ITS_CMD_SET_HW:
        return c->valid ? 1 : 0;
    case ITS_CMD_SET_ENABLED:
    case ITS_CMD_SET_LPIS:
        return c->valid ? 0 : 1;
    default:
        return 0;
    }
}

ORACLE_CHECKER
int its_oracle_step(struct its_oracle *o, struct its *its,
                    const struct its_op *op, struct its_inject_result *res,
                    char *msg, size_t len)
{
    struct its_inject_result local;
    struct its_oracle_result want;
    bool had_dev = false;
    char what[160];
    int got_rc;
    int want_rc;
    bool delivered;
    uint32_t intid;
    uint32_t vcpu;

    if (!res) {
        res = &local;
    }
    memset(res, 0, sizeof(*res));
    what[0] = '\0'; /* formatted on failure only (fuzzing speed) */
    if (op->kind == ITS_OP_MSI) {
        got_rc = its_inject(its, op->cpu, &op->msi, res);
        want_rc = its_oracle_msi(o, &op->msi, &want);
        delivered = res->delivered;
        intid = res->intid;
        vcpu = res->vcpu;
    } else {
        uint64_t small[ORACLE_STEP_SMALL_VCPUS];
        uint64_t *before = small;

        if (o->nr_vcpus > ORACLE_STEP_SMALL_VCPUS) {
            before = calloc(o->nr_vcpus, sizeof(*before));
        }
        if (!before) {
            fprintf(stderr, "its_oracle: out of memory\n");
            abort();
        }
        /* The counts before the command are the model's: the core's must
         * equal them (a drift left by an earlier step shows here), and
         * reading the model's is cheaper than asking the core. */
        memcpy(before, o->delivered, o->nr_vcpus * sizeof(*before));
        had_dev = oracle_dev(o, op->cmd.devid) != NULL;
        got_rc = its_cmd_exec(its, &op->cmd);
        if (got_rc == -ENOMEM) {
            oracle_free_before(before, small);
            /* The core changed nothing, so it dropped nothing either;
             * neither does the model. */
            return 0;
        }
        want_rc = its_oracle_cmd(o, &op->cmd, &want);
        if (want_rc == 0) {
            o->invalidations +=
                oracle_expected_invalidations(&op->cmd, had_dev);
        }
        /* Only INT delivers: find the vCPU whose count moved. */
        delivered = false;
        intid = want.intid;
        vcpu = 0;
        for (uint32_t v = 0; v < o->nr_vcpus; v++) {
            uint64_t now = its_vcpu_delivered(its, v);
            uint64_t d = now - before[v];

            if (now < before[v]) {
                oracle_free_before(before, small);
                its_op_format(op, what, sizeof(what));
                return oracle_fail(msg, len, "%s: core vCPU %u delivered %"
                                   PRIu64 ", oracle %" PRIu64 " before it",
                                   what, v, now, before[v]);
            }
            if (d > 1 || (d == 1 && delivered)) {
                oracle_free_before(before, small);
                its_op_format(op, what, sizeof(what));
                return oracle_fail(msg, len, "%s: core delivered more than "
                                   "once", what);
            }
            if (d == 1) {
                delivered = true;
                vcpu = v;
            }
        }
        oracle_free_before(before, small);
    }
    if (got_rc != want_rc || delivered != want.delivered ||
        intid != want.intid || (delivered && vcpu != want.vcpu)) {
        its_op_format(op, what, sizeof(what));
    }
    if (got_rc != want_rc) {
        return oracle_fail(msg, len, "%s: core returned %d, oracle %d",
                           what, got_rc, want_rc);
    }
    if (delivered != want.delivered) {
        return oracle_fail(msg, len, "%s: core delivered=%d, oracle %d",
                           what, delivered, want.delivered);
    }
    if (intid != want.intid || (delivered && vcpu != want.vcpu)) {
        return oracle_fail(msg, len, "%s: core LPI %u on vCPU %u, oracle "
                           "LPI %u on vCPU %u", what, intid, vcpu,
                           want.intid, want.vcpu);
    }
    return 0;
}

ORACLE_CHECKER
int its_oracle_check_cost(const struct its_oracle *o, struct its *its,
                          char *msg, size_t len)
{
    struct its_stats st;

    its_get_stats(its, &st);
    if (st.invalidations != o->invalidations ||
        st.cache.invalidations != o->invalidations) {
        return oracle_fail(msg, len, "the ITS invalidated its cache %" PRIu64
                           " times (the cache counts %" PRIu64 "), the "
                           "commands called for %" PRIu64, st.invalidations,
                           st.cache.invalidations, o->invalidations);
    }
    return 0;
}

ORACLE_CHECKER
int its_oracle_compare(const struct its_oracle *o, struct its *its,
                       char *msg, size_t len)
{
    const struct its_config *cfg = its_get_config(its);
    for (uint32_t v = 0; v < o->nr_vcpus; v++) {
        uint64_t got = its_vcpu_delivered(its, v);

        if (got != o->delivered[v]) {
            return oracle_fail(msg, len, "vCPU %u: core delivered %" PRIu64
                               ", oracle %" PRIu64, v, got, o->delivered[v]);
        }
    }
    if (its_nr_lpis(its) != o->nr_lpis) {
        return oracle_fail(msg, len, "core has %u LPIs, oracle %zu",
                           its_nr_lpis(its), o->nr_lpis);
    }
    for (size_t i = 0; i < o->nr_lpis; i++) {
        const struct oracle_lpi *l = &o->lpis[i];
        struct its_lpi_info info;

        if (its_lpi_info(its, l->intid, &info) != 0) {
            return oracle_fail(msg, len, "LPI %u missing in core", l->intid);
        }
        if (info.target != l->target || info.pending != l->pending ||
            info.hw != l->hw) {
            return oracle_fail(msg, len, "LPI %u: core target %u pending %d "
                               "hw %d, oracle %u %d %d", l->intid,
                               info.target, info.pending, info.hw, l->target,
                               l->pending, l->hw);
        }
    }
    for (size_t i = 0; i < o->nr_ites; i++) {
        struct its_msi msi = {
            .db = cfg->doorbell,
            .devid = o->ites[i].devid,
            .eventid = o->ites[i].eventid,
        };
        uint32_t got_id = 0;
        uint32_t want_id = 0;
        int got = its_translate(its, &msi, &got_id);
        int want = its_oracle_translate(o, &msi, &want_id);

        if (got != want || got_id != want_id) {
            return oracle_fail(msg, len, "translate (%u, %u): core %d LPI "
                               "%u, oracle %d LPI %u", msi.devid, msi.eventid,
                               got, got_id, want, want_id);
        }
    }
    return 0;
}
