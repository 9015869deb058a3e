/*
 * model/iobus/iobus_diff.h - the I/O bus core (every lookup variant at
 * once) and model/iobus_oracle driven by one opcode stream, compared step
 * by step.  Shared by tests/test_iobus.c and fuzz/fuzz_iobus.c; it uses no
 * test framework and reports a disagreement as a message.
 *
 * The lookup variant only steers dispatch, so one set of buses takes the
 * updates (under a variant that follows from the input's length) and every
 * access is dispatched under each variant in turn, from the same state.
 * The free mode of registrations (core/iobus.h: SYNC or DEFERRED) follows
 * from the length too: (n / IOBUS_LOOKUP_NR) % IOBUS_FREE_NR, so every
 * pair of lookup variant and free mode gets its turn.
 *
 * Encoding.  The input is a list of commands separated by the 4 bytes
 * "FUZZ" (IOBUS_DIFF_SEP).  In a command, byte 0 is the opcode (taken
 * modulo IOBUS_DIFF_OP_NR) and the following bytes are its arguments, read
 * in order; a missing argument byte reads as 0 and surplus bytes are
 * ignored.  A numeric argument (address, lengths, datamatch, zone size,
 * ring index) is a field of model/domain.h: a selector byte, then a fixed
 * number of raw bytes, decoding to a boundary of the field's whole range
 * (0, 1, max - 1, max, max + 1, powers of two), to one of this harness's
 * interesting values, or to any value of the range; the other arguments
 * pick from a small set (modulo its size).  Every byte string is a valid
 * program.  An address is its field (9 bytes) and one more byte that,
 * when its bit 7 is set, adds its value modulo 16.
 *
 * Why the encoding stays stable under mutation: a mutation (bit flip,
 * insertion, deletion, dictionary insert) changes at most the command it
 * lands in, or splits or merges two commands when it touches a separator;
 * every other command keeps its meaning, because commands are delimited by
 * the separator rather than by their position or by the lengths of the
 * commands before them.  Crossover of two inputs splices whole programs.
 * New opcodes, arguments and table entries are only ever appended, so an
 * input written with canonical values (opcode below IOBUS_DIFF_OP_NR,
 * table indices below the table sizes, as the seed corpus is) keeps its
 * meaning; other values wrap and may change meaning when a table grows.
 *
 *   op  name              arguments (one byte each unless noted; fields
 *                         in capitals: 64-bit ADDR, REG_LEN and DATAMATCH
 *                         9 bytes, 32-bit ZONE_SIZE 5, RING_INDEX 3,
 *                         EFD_LEN and ALEN (0..8) 2)
 *   0   REGISTER          dev, bus, ADDR, addr offset, REG_LEN
 *   1   UNREGISTER        dev, bus
 *   2   IOEVENTFD_ASSIGN  ADDR, addr offset, EFD_LEN, DATAMATCH, flags,
 *                         eventfd
 *   3   IOEVENTFD_DEASSIGN  same as ASSIGN
 *   4   ZONE_ADD          ADDR, addr offset, ZONE_SIZE, pio
 *   5   ZONE_DEL          ADDR, addr offset, ZONE_SIZE, pio
 *   6   FIXED             registers the fixed devices (the first two
 *                         FIXED commands of an input; later ones do
 *                         nothing)
 *   7   WRITE             bus, ADDR, addr offset, ALEN, mode, value:
 *                         mode even: a DATAMATCH field;
 *                         mode odd: 8 value bytes (native order)
 *   8   READ              bus, ADDR, addr offset, ALEN
 *   9   RING_POP          count
 *   10  RING_SET          RING_INDEX first, RING_INDEX last (userspace
 *                         writes the indices)
 *   11  FAULT             nth, persist: the next command's allocation
 *                         number nth (1..4) fails, and with persist every
 *                         later one of that command too
 *
 * What is checked after every command: every variant returns the same
 * result as the oracle (error codes, which device handled an access, what
 * the ring holds), all variants' searches find the same first range, a
 * device is never called once its last range is gone, the bus destroys a
 * device only once per registration, a handled ioeventfd write signals its
 * own eventfd and no other, and after an update the buses, lists,
 * per-device range counts and destruction logs equal the oracle's (after
 * every update while the buses are small, every 16th command beyond 32
 * ranges).  Cost is part of the contract: every update waits for exactly
 * the grace periods and attempts exactly the allocations (objects and bus
 * snapshots) and queues exactly the deferred frees (DEFERRED mode) that
 * the oracle's rules expect, on the fallback paths too (a
 * registration out of memory stops at the failed allocation and waits for
 * nothing; an unregister out of memory empties the bus and still waits
 * once), and an access neither allocates nor waits nor queues; every
 * fifth command the queued frees run and each frees one block.  At the
 * end: the whole
 * state and ring again, then teardown destroys what the oracle destroys,
 * and every allocation is freed.
 */
#ifndef KVMSIM_SCN_IOBUS_DIFF_H
#define KVMSIM_SCN_IOBUS_DIFF_H

#include <stddef.h>
#include <stdint.h>

#include "model/domain.h"

#define IOBUS_DIFF_SEP "FUZZ"
#define IOBUS_DIFF_SEP_LEN 4

enum iobus_diff_op {
    IOBUS_DIFF_REGISTER = 0,
    IOBUS_DIFF_UNREGISTER,
    IOBUS_DIFF_IOEVENTFD_ASSIGN,
    IOBUS_DIFF_IOEVENTFD_DEASSIGN,
    IOBUS_DIFF_ZONE_ADD,
    IOBUS_DIFF_ZONE_DEL,
    IOBUS_DIFF_FIXED,
    IOBUS_DIFF_WRITE,
    IOBUS_DIFF_READ,
    IOBUS_DIFF_RING_POP,
    IOBUS_DIFF_RING_SET,
    IOBUS_DIFF_FAULT,
    IOBUS_DIFF_OP_NR
};

/* What a run exercised (so a test can insist the stream did something). */
struct iobus_diff_stats {
    uint64_t commands;  /* commands decoded */
    uint64_t handled;   /* accesses some device handled */
    uint64_t signals;   /* of which ioeventfd hits */
    uint64_t appends;   /* of which coalesced ring appends */
    uint64_t faults;    /* commands run with an allocation fault armed */
    uint64_t nomem;     /* commands that ended in -ENOMEM */
    uint64_t destroyed; /* generic devices the bus destroyed */
};

struct iobus_diff_opts {
    /* 1-based command number whose oracle update is skipped, to prove the
     * checks catch a divergence; 0 (the default) skips nothing. */
    uint64_t sabotage_command;
};

/* Run the program in[0..n).  opts and stats may be NULL.  Returns 0 when
 * every check held, -1 with a one-line message in err otherwise, -ENOMEM
 * when the run could not be set up.  Runs outside a simulation (one
 * thread, no costs); uses the process-wide fault settings of sim/fault.h
 * and resets them before and after.  Not reentrant. */
int iobus_diff_run(const uint8_t *in, size_t n,
                   const struct iobus_diff_opts *opts,
                   struct iobus_diff_stats *stats, char *err,
                   size_t errlen);

/* The numeric fields the decoder reads (for decoder tests); returns how
 * many, *out pointing at the first. */
size_t iobus_diff_fields(const struct dom_field **out);

#endif
