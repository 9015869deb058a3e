/*
 * model/switchover/switchover_fuzz.h - random device trees, start/stop sequences and
 * faults over VFIO migration (core/vfio_migration.h) in the serial and
 * parallel variants, with the switchover invariants as the oracle
 * (model/switchover/switchover_check.h) plus a check of every
 * operation's result.  Run by fuzz/fuzz_switchover.c.
 *
 * Input (short inputs return early; every byte string past the header is
 * a valid run):
 *   byte 0       VFIO devices: 1 + b % 8
 *   byte 1       bit 0 parallel, bits 1-2 strategy (0 time, 1 random,
 *                2 pct, 3 portfolio: the tape picks time, random,
 *                pct, pos or surw), bits 3-5 ordinary handlers (0-7),
 *                bit 6 migration mode (below)
 *   1 per device depth b % 5, bit 3 P2P, bit 4 pre-copy
 *   1 per handler depth b % 5
 *   1 byte       operations: b % 32
 *   2 per op     opcode b % SW_OP_NR, argument
 *                (SET_STATE: sw_fuzz_set_state_arg() splits the argument
 *                into a device index 0..15, one past the last device
 *                and beyond included, and a state value 0..15, every
 *                migration state and undefined ones; each field's whole
 *                range is 16 values, so every boundary is one byte away)
 *   the rest     the decision tape (schedule, jitter, fault chances)
 * Opcodes are one enum-indexed table; new ones go at the end, so a
 * mutated byte changes one decision and the rest keeps its meaning.
 * In migration mode both VMs get the tree and the whole source-to-
 * destination migration runs (scenarios/switchover/switchover_world.c)
 * under the fault settings the FAULT_* operations leave; the other
 * operations are ignored.
 *
 * Never aborts; all global state (fault settings) is reset per input.
 */
#ifndef KVMSIM_CHECK_SWITCHOVER_FUZZ_H
#define KVMSIM_CHECK_SWITCHOVER_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* The argument byte of fuzz_switchover's SET_STATE operation: a device
 * index (low nibble) and a state value (high nibble), each 0..15. */
static inline void sw_fuzz_set_state_arg(uint8_t arg, unsigned *dev,
                                         unsigned *state)
{
    *dev = arg & 15u;
    *state = arg >> 4;
}

/* Run one input: 0 when every invariant held and nothing leaked; -1 after
 * printing the violations, the stuck run or the leak to stderr. */
int switchover_fuzz_run(const uint8_t *data, size_t size);

#endif
