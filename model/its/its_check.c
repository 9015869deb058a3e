/*
 * model/its/its_check.c - the its-lpi-storm checks of its_check.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "model/its/its_check.h"
#include "sim/tsan.h"

/* Records shared by the driver's simulated threads on the understanding
 * that none is switched out between two platform calls (sim/tsan.h). */
SIM_TSAN_ENGINE_BEGIN

int lpi_check_log_append(struct lpi_key_log *l, uint32_t v, uint32_t intid)
{
    if (l->n == l->cap) {
        uint32_t cap = l->cap ? 2 * l->cap : 8;
        struct lpi_change *c;

        SIM_TSAN_IGNORE_BEGIN();  /* world records: not instrumented */
        c = realloc(l->c, cap * sizeof(*c));
        SIM_TSAN_IGNORE_END();

        if (!c) {
            return -ENOMEM;
        }
        l->c = c;
        l->cap = cap;
    }
    l->c[l->n].v = v;
    l->c[l->n].intid = intid;
    l->n++;
    return 0;
}

/* T_v(key) from the log: the intid after command v (0 = no translation). */
static uint32_t lpi_translation_at(const struct lpi_key_log *l, uint32_t v)
{
    uint32_t id = 0;

    for (uint32_t i = 0; i < l->n && l->c[i].v <= v; i++) {
        id = l->c[i].intid;
    }
    return id;
}

bool lpi_check_fresh(const struct lpi_key_log *l, const uint8_t *invalidates,
                     bool hit, uint32_t c0, uint32_t s1, uint32_t intid)
{
    uint32_t lo = c0;

    if (hit) {
        lo = 0;
        for (uint32_t v = 1; v <= c0; v++) {
            if (invalidates[v]) {
                lo = v;
            }
        }
    }
    for (uint32_t v = lo; v <= s1; v++) {
        if (lpi_translation_at(l, v) == intid) {
            return true;
        }
    }
    return false;
}

void lpi_check_exactly_once(const uint64_t *hook, const uint64_t *ok,
                            uint32_t nkeys, uint64_t *twice, uint64_t *lost)
{
    for (uint32_t k = 0; k < nkeys; k++) {
        *twice += hook[k] > ok[k] ? hook[k] - ok[k] : 0;
        *lost += hook[k] < ok[k] ? ok[k] - hook[k] : 0;
    }
}

/* The translation of key e after per-key command v (0: setup state). */
static uint32_t lpi_race_at(const struct lpi_race_key *e, uint32_t v)
{
    uint32_t id = 0;

    for (uint32_t i = 0; i < e->n && e->c[i].v <= v; i++) {
        id = e->c[i].intid;
    }
    return id;
}

bool lpi_check_race_fresh(const struct lpi_race_key *e, bool hit,
                          uint32_t c0, uint32_t s1, uint32_t got)
{
    uint32_t lo = c0;

    if (hit) {
        lo = 0;
        for (uint32_t i = 0; i < e->n && e->c[i].v <= c0; i++) {
            if (e->inv[i]) {
                lo = e->c[i].v;
            }
        }
    }
    for (uint32_t v = lo; v <= s1; v++) {
        if (lpi_race_at(e, v) == got) {
            return true;
        }
    }
    return false;
}

void lpi_check_race_judge(const struct lpi_race_key *key,
                          const struct lpi_race_seen *seen, size_t nseen,
                          uint64_t *stale, uint64_t *lost, char *msg,
                          size_t msglen)
{
    for (size_t i = 0; i < nseen; i++) {
        const struct lpi_race_seen *v = &seen[i];

        if (lpi_check_race_fresh(&key[v->key], v->hit, v->c0, v->s1,
                                 v->got)) {
            continue;
        }
        if (v->got) {
            (*stale)++;
        } else {
            (*lost)++;
        }
        snprintf(msg, msglen, "key %u: injection gave %u (%d, "
                 "%s) between its commands %u and %u", v->key, v->got,
                 v->rc, v->hit ? "hit" : "miss", v->c0, v->s1);
    }
}

void lpi_check_race_refs(struct its *its, uint32_t lists, uint32_t intid0,
                         uint32_t nkeys, uint32_t events,
                         const bool *dev_mapped,
                         const struct lpi_race_key *key, uint64_t *refs_bad,
                         uint64_t *delivered, char *msg, size_t msglen)
{
    for (uint32_t k = 0; k < nkeys; k++) {
        struct its_lpi_info li;
        bool ite = dev_mapped[k / events] && key[k].ite;
        int r = its_lpi_info(its, intid0 + k, &li);

        if (!ite && r == 0) {
            (*refs_bad)++;
            snprintf(msg, msglen, "LPI %u lives on with no "
                     "ITE (refcount %" PRIu64 ")", intid0 + k,
                     li.refcount);
        } else if (ite && (r != 0 || li.refcount < 1 ||
                           li.refcount > 1 + lists)) {
            (*refs_bad)++;
            snprintf(msg, msglen, "LPI %u: refcount %" PRIu64
                     " for 1 ITE and %u cache lists (%d)",
                     intid0 + k, r == 0 ? li.refcount : 0, lists, r);
        }
        *delivered += key[k].ok;
        if (key[k].ok != key[k].hook) {
            (*refs_bad)++;
            snprintf(msg, msglen, "LPI %u: %" PRIu64
                     " deliveries reported, the guest saw %" PRIu64,
                     intid0 + k, key[k].ok, key[k].hook);
        }
    }
}

SIM_TSAN_ENGINE_END
