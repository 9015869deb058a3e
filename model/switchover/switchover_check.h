/*
 * model/switchover/switchover_check.h - the checkers of the switchover
 * world (scenarios/switchover/switchover_world.h), shared by the
 * `switchover-vfio` driver, its unit tests and its fuzzer.
 *
 * The checkers watch three streams - change-state passes (vmstate
 * observer), device transitions (vfio_mig observer) and kernel arcs
 * (sim/vfio_mig.h hook) - ordered by one sequence counter, so they judge
 * the order things happened in, not virtual time, and hold under every
 * scheduling strategy.  A violation is recorded (never asserted in a
 * simulated thread); callers read them after sim_run().
 *
 * Invariants:
 *   ordering      in a pass, every prepare transition ends before any main
 *                 callback; a device's transition begins after the
 *                 handlers of earlier-ordered depths and ends before any
 *                 handler of a later-ordered depth; every transition
 *                 thread launched in a pass is joined in it;
 *   legal_arcs    the kernel takes only legal arcs, is never asked for an
 *                 unreachable state, and never sees two requests for one
 *                 device at once;
 *   final_states  the VMM's view of every device equals the kernel's;
 *                 after a migration the source's devices are STOP and the
 *                 destination's RUNNING, after a failed one every device
 *                 is RUNNING again (ERROR only after a failed reset);
 *   errors_abort  a failed transition aborts the migration, and so does a
 *                 cancel that came before the point of no return;
 *   cost          every operation on a device (a step of the migration,
 *                 a change-state transition, a release after a failure
 *                 or a cancel, a heal) took exactly the set-state
 *                 requests, kernel arcs and resets the checker's own
 *                 model of it predicts from the state it began in, its
 *                 target and recovery state, and where each failed arc
 *                 and reset left the device (sw_op_expect); the kernel's
 *                 totals equal the sum over operations, so no work is
 *                 done outside one; and after a timed migration with no
 *                 failed arc and no cancel, every device took exactly the
 *                 arcs its legal path needs.  The arc rule and shortest
 *                 paths are restated here, independently of
 *                 core/vfio_migration.c's table.
 */
#ifndef KVMSIM_CHECK_SWITCHOVER_H
#define KVMSIM_CHECK_SWITCHOVER_H

#include <stdbool.h>
#include <stdint.h>

#include "scenarios/switchover/switchover_world.h"

/* Stable key name of an invariant ("ordering", ...). */
const char *sw_invariant_name(enum sw_invariant inv);

/* Whether from -> to is one arc of a device with `flags`, and the number
 * of arcs a request from -> to takes (-1: unreachable): the checker's own
 * statement of the rule in core/vfio_migration.h. */
bool sw_arc_legal(enum plat_vfio_mig_state from, enum plat_vfio_mig_state to,
                  unsigned flags);
int sw_arc_distance(enum plat_vfio_mig_state from,
                    enum plat_vfio_mig_state to, unsigned flags);

/* What the cost model expects of one operation (sw_op_expect). */
struct sw_op_cost {
    uint64_t requests, arcs, resets;   /* resets: attempts */
};

/* The cost model of one operation from where it began: target and
 * recover as vfio_mig_set_state() takes them (recover ERROR: by reset
 * only), the failed arcs and reset outcomes the kernel reported during it
 * (op->fail_*, op->reset_ok).  Exported for tests. */
void sw_op_expect(const struct sw_cost_op *op, unsigned flags,
                  struct sw_op_cost *c);

/* The cost checker's operations (v->op), fed by the world: an operation
 * begins on v with its target and recovery state (`nothing`: it must do
 * no work), the kernel hook reports each event of v's device
 * (sim/vfio_mig.h) during it, and at its end the kernel's work since the
 * beginning is held to sw_op_expect(). */
void sw_op_begin(struct sw_vfio *v, const char *what,
                 enum plat_vfio_mig_state target,
                 enum plat_vfio_mig_state recover, bool nothing);
void sw_op_kernel_event(struct sw_vfio *v, enum sim_vfio_mig_event ev,
                        enum plat_vfio_mig_state from,
                        enum plat_vfio_mig_state to);
void sw_op_end(struct sw_vfio *v);

/* Record a violation of inv (first message kept). */
void sw_violation(struct sw_world *w, enum sw_invariant inv,
                  const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Check one pass's event log (exported for tests).  Returns the number
 * of violations recorded. */
unsigned sw_check_pass(struct sw_world *w, const struct sw_vm *vm,
                       bool running, const struct sw_event *ev,
                       unsigned nev);

/* View == kernel for every device of vm, and every device in `want`
 * unless its latest reset failed (then it stays where the kernel left
 * it).  `when` names the moment in messages. */
void sw_check_states(struct sw_world *w, const struct sw_vm *vm,
                     enum plat_vfio_mig_state want, const char *when);
/* The kernel-side counters of every device: no refused request, no
 * overlap, no illegal arc. */
void sw_check_kernel(struct sw_world *w);

/* After sim_run(): the migration's outcome (a no-op when the heal phase
 * took the checks already). */
void sw_check_migration(struct sw_world *w);

/* Total violations. */
uint64_t sw_violations(const struct sw_world *w);

#endif
