/*
 * model/its/its_check.h - the checks of the its-lpi-storm driver
 * (scenarios/its/its_driver.c): the freshness rule of tests/test_its.c
 * over the guest's command log, the exactly-once count, and the race
 * phase's freshness and reference-count checks.  The driver keeps the
 * records (command logs, injections seen) and reports the verdicts; the
 * rules are stated here, from the guest's command log and core/its.h's
 * documented semantics, never from core/its.c's own predicates.
 */
#ifndef KVMSIM_CHECK_ITS_H
#define KVMSIM_CHECK_ITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/its.h"

/* What the guest's command v did to the translation of one key. */
struct lpi_change {
    uint32_t v;      /* command number, 1-based */
    uint32_t intid;  /* translation after it; 0 = none */
};

struct lpi_key_log {
    struct lpi_change *c;
    uint32_t n, cap;
    bool gone; /* its MAPTI was refused by an allocation fault */
};

/* Log that command v left key's translation at intid.  0 or -ENOMEM. */
int lpi_check_log_append(struct lpi_key_log *l, uint32_t v, uint32_t intid);

/*
 * The freshness rule of tests/test_its.c, for one injection of a key
 * (its log l) that delivered `intid` (0: none): with c0 = commands
 * completed when the lookup began and s1 = commands started when it
 * returned, and lo = the last invalidating command <= c0 (invalidates[v],
 * 1-based) for a cache hit (c0 for the kworker, which reads the tables
 * under the table lock), some T_v(key), lo <= v <= s1, must equal it.
 */
bool lpi_check_fresh(const struct lpi_key_log *l, const uint8_t *invalidates,
                     bool hit, uint32_t c0, uint32_t s1, uint32_t intid);

/* Exactly once, per key: deliveries the guest saw (hook) against those
 * the injections reported (ok); adds the surplus to *twice and the
 * shortfall to *lost. */
void lpi_check_exactly_once(const uint64_t *hook, const uint64_t *ok,
                            uint32_t nkeys, uint64_t *twice, uint64_t *lost);

/* The race phase's model and records of one key. */
struct lpi_race_key {
    bool ite;           /* event mapped (ITE present) */
    uint32_t icid;
    uint32_t started, completed; /* per-key command numbers */
    struct lpi_change *c;        /* translation after each command */
    uint8_t *inv;                /* per command: it invalidated */
    uint32_t n, cap;
    uint64_t ok, hook;
};

/* One injection of the race phase, judged at the end. */
struct lpi_race_seen {
    uint32_t key, c0, s1, got;
    int rc;
    bool hit;
};

/* Freshness, restated: some translation from the last invalidating command
 * completed when the lookup began (a cache hit; the table walk: the last
 * command completed) up to the last command started when it returned. */
bool lpi_check_race_fresh(const struct lpi_race_key *e, bool hit,
                          uint32_t c0, uint32_t s1, uint32_t got);

/* Judge every injection seen against the complete per-key logs: a stale
 * translation adds to *stale, a lost one to *lost; msg gets the last. */
void lpi_check_race_judge(const struct lpi_race_key *key,
                          const struct lpi_race_seen *seen, size_t nseen,
                          uint64_t *stale, uint64_t *lost, char *msg,
                          size_t msglen);

/* The end of the phase, quiescent: every key k (LPI intid0 + k, device
 * k / events, mapped per dev_mapped) has a reference count between its
 * ITEs and its ITEs plus one per cache list (lists), no unmapped LPI lives
 * on, and the deliveries reported equal those the guest saw.  Adds the
 * wrong LPIs to *refs_bad and the deliveries to *delivered; msg gets the
 * last. */
void lpi_check_race_refs(struct its *its, uint32_t lists, uint32_t intid0,
                         uint32_t nkeys, uint32_t events,
                         const bool *dev_mapped,
                         const struct lpi_race_key *key, uint64_t *refs_bad,
                         uint64_t *delivered, char *msg, size_t msglen);

#endif
