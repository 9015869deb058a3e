/*
 * model/its/its_oracle.h - an obviously-correct, uncached model of the virtual
 * ITS of core/its.h, the opcode stream that drives both, and a checker that
 * runs one operation on each and compares them.
 *
 * The oracle keeps plain arrays (devices, ITEs in mapping order,
 * collections, LPIs by INTID, per-vCPU enables and delivery counts) and
 * translates every MSI by a full scan of them: no cache, no references.
 * An LPI exists exactly while some ITE names it; its state (target,
 * pending, hw, deliveries) dies with the last such ITE.  It implements the
 * command and translation semantics written in core/its.h, independently of
 * core/its.c, and the same error codes in the same order.
 *
 * Memory: the oracle grows its arrays with malloc() and aborts if that
 * fails (a test harness, not guest-reachable code); it never calls the
 * platform, so it neither takes faults nor shows in sim_alloc_live().
 *
 * The opcode stream (for the differential test and fuzzers): every
 * operation is ITS_OP_BYTES bytes at fixed offsets, so a mutated byte
 * changes one field of one operation and the rest of the stream keeps its
 * meaning.  The id fields use model/domain.h (a selector byte, then raw
 * bytes: a boundary value, an extra value or an arbitrary one of the
 * field's range, one past its end included):
 *   0      op: b % 32 < ITS_CMD_NR is that command, else an MSI (~half)
 *   1      flags: valid = (b & 7) != 0; for an MSI, b == 255 gives a
 *          foreign doorbell
 *   2..4   devid    0 .. 2^ITS_DEVID_BITS - 1; extras 0..3
 *   5..7   eventid  0 .. 2^ITS_EVENT_BITS_MAX - 1; extras 0..7 and
 *          ITS_LPI_BASE + 0..7 (MAPI takes the event id as INTID)
 *   8..10  intid    ITS_LPI_BASE .. 2^ITS_LPI_BITS - 1; extras
 *          ITS_LPI_BASE + 0..31, then 248..255 (not LPIs)
 *   11..13 icid     0 .. cfg nr_collections - 1
 *   14..16 vcpu     0 .. cfg nr_vcpus - 1
 *   17..19 vcpu2    likewise
 *   20..21 cpu      the physical CPU of an MSI, 0..255
 *   22..23 size     MAPD event-id bits, 1 .. ITS_EVENT_BITS_MAX
 * A trailing partial operation is ignored.  Changing this encoding breaks
 * saved corpora: append, never renumber (its_op_from_compact() below
 * rewrites an operation of the earlier 8-byte encoding).
 */
#ifndef KVMSIM_MODEL_ITS_ORACLE_H
#define KVMSIM_MODEL_ITS_ORACLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/its.h"
#include "model/domain.h"

#define ITS_OP_BYTES 24
#define ITS_OP_COMPACT_BYTES 8 /* the earlier encoding, see below */
#define ITS_OP_NR_FIELDS 8     /* id fields decoded by model/domain.h */

enum its_op_kind {
    ITS_OP_CMD = 0,
    ITS_OP_MSI = 1,
};

struct its_op {
    enum its_op_kind kind;
    struct its_cmd cmd; /* ITS_OP_CMD */
    struct its_msi msi; /* ITS_OP_MSI */
    uint32_t cpu;       /* ITS_OP_MSI: physical CPU it arrives on */
};

/* What one MSI or INT did in the oracle. */
struct its_oracle_result {
    bool delivered;
    uint32_t intid; /* translated LPI, 0 when none */
    uint32_t vcpu;  /* when delivered */
};

struct its_oracle;

/* Uses cfg's nr_vcpus, nr_collections and doorbell.  NULL for a bad config.
 * Starts like its_create(): disabled, empty. */
struct its_oracle *its_oracle_create(const struct its_config *cfg);
void its_oracle_destroy(struct its_oracle *o);

/* its_cmd_exec() of the model; r (may be NULL) describes INT. */
int its_oracle_cmd(struct its_oracle *o, const struct its_cmd *cmd,
                   struct its_oracle_result *r);
/* An MSI (its_inject()); r may be NULL. */
int its_oracle_msi(struct its_oracle *o, const struct its_msi *msi,
                   struct its_oracle_result *r);
/* its_translate() of the model: 0 and *intid, or the translation error. */
int its_oracle_translate(const struct its_oracle *o,
                         const struct its_msi *msi, uint32_t *intid);

uint64_t its_oracle_vcpu_delivered(const struct its_oracle *o, uint32_t vcpu);
uint32_t its_oracle_nr_lpis(const struct its_oracle *o);

/* Decode one operation from p[0..n); returns the bytes used (ITS_OP_BYTES)
 * or 0 when fewer remain.  cfg gives the id ranges and the doorbell. */
size_t its_op_decode(const uint8_t *p, size_t n, const struct its_config *cfg,
                     struct its_op *op);
/* The id fields of an operation under cfg, in wire order (devid, eventid,
 * intid, icid, vcpu, vcpu2, cpu, size), for decoder tests. */
void its_op_fields(const struct its_config *cfg,
                   struct dom_field out[ITS_OP_NR_FIELDS]);
/* The earlier fixed 8-byte encoding (op, devid % 4, eventid % 8, intid,
 * icid, vcpu, vcpu2/cpu, valid|size) rewritten as one ITS_OP_BYTES
 * operation that decodes to the same operation (tests that generate
 * small-id streams). */
void its_op_from_compact(const uint8_t in[ITS_OP_COMPACT_BYTES],
                         const struct its_config *cfg,
                         uint8_t out[ITS_OP_BYTES]);
/* One line describing op, for failure messages. */
void its_op_format(const struct its_op *op, char *buf, size_t len);

/* Run op on the core ITS (its_cmd_exec(), or its_inject() on op->cpu) and
 * on the oracle, and compare return codes and what was delivered.  A core
 * -ENOMEM from a command is accepted without applying the command to the
 * oracle (the core promises no change).  res (may be NULL) receives the
 * core's injection result.  0 when they agree, -EPROTO with a message. */
int its_oracle_step(struct its_oracle *o, struct its *its,
                    const struct its_op *op, struct its_inject_result *res,
                    char *msg, size_t len);

/* Cost is part of the contract: the core ITS, and its cache, must have
 * invalidated the cached translations exactly as often as the commands
 * run through its_oracle_step() since the ITS was created called for (the
 * rules are in its_oracle.c; an MSI never invalidates).  Reads the core's
 * statistics once (not cheap: call it where the state is compared).  0 or
 * -EPROTO with a message. */
int its_oracle_check_cost(const struct its_oracle *o, struct its *its,
                          char *msg, size_t len);

/* Compare the state both sides expose: per-vCPU delivery counts, the set of
 * live LPIs and each one's target, pending latch and hw flag, and the
 * translation of every (device, event) the oracle knows.  Call at a
 * quiescent point.  0 or -EPROTO with a message. */
int its_oracle_compare(const struct its_oracle *o, struct its *its,
                       char *msg, size_t len);

#endif
