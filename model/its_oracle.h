/*
 * model/its_oracle.h - an obviously-correct, uncached model of the virtual
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
 * operation is ITS_OP_BYTES bytes, decoded field by field so a mutated byte
 * changes one field of one operation and the rest of the stream keeps its
 * meaning:
 *   b0  op: b0 % 32 < ITS_CMD_NR is that command, else an MSI (~half)
 *   b1  devid: b1 % 4; b1 >= 252 gives 1 << ITS_DEVID_BITS (bad id)
 *   b2  eventid: b2 % 8; b2 >= 248 gives ITS_LPI_BASE + b2 % 8 (MAPI)
 *   b3  intid: ITS_LPI_BASE + b3 % 32; b3 >= 248 gives b3 (not an LPI)
 *   b4  icid: b4 % (nr_collections + 1) (the last is out of range)
 *   b5  vcpu: b5 % (nr_vcpus + 1) (the last is out of range)
 *   b6  vcpu2 likewise; for an MSI, the physical CPU (0..255)
 *   b7  valid: (b7 & 7) != 0; MAPD size: 1 + (b7 >> 2) % ITS_EVENT_BITS_MAX;
 *       for an MSI, b7 == 255 gives a foreign doorbell
 * A trailing partial operation is ignored.  Changing this encoding breaks
 * saved corpora: append, never renumber.
 */
#ifndef KVMSIM_MODEL_ITS_ORACLE_H
#define KVMSIM_MODEL_ITS_ORACLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/its.h"

#define ITS_OP_BYTES 8

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

/* Compare the state both sides expose: per-vCPU delivery counts, the set of
 * live LPIs and each one's target, pending latch and hw flag, and the
 * translation of every (device, event) the oracle knows.  Call at a
 * quiescent point.  0 or -EPROTO with a message. */
int its_oracle_compare(const struct its_oracle *o, struct its *its,
                       char *msg, size_t len);

#endif
