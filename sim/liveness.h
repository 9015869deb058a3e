/*
 * sim/liveness.h - the conservation check: every eventfd signal (a guest's
 * ioeventfd kick, a device's raised interrupt, a thread's wakeup) is
 * consumed within a declared virtual-time bound once the system can
 * settle.  A breach is a lost wakeup, reported apart from safety.
 *
 * Watched eventfds.  An eventfd is watched once it has a consumer: a bound
 * declared with sim_eventfd_set_bound(), a thread that called
 * plat_eventfd_wait() on it, or a kernel hook (sim_eventfd_set_hook(): an
 * irqfd).  The latter two get SIM_LIVENESS_BOUND_NS.  An eventfd nobody
 * ever consumes (a counter a scenario reads at the end) is not watched.
 *
 * Pending.  A signal to a watched eventfd opens a pending window unless
 * one is open; the window records when it opened, which thread signalled
 * and the innermost trace span that thread was in.  Consumption closes it:
 * plat_eventfd_test_and_clear() or sim_eventfd_consume() finding the
 * counter raised, or plat_eventfd_wait() returning.  The last thread that
 * waited (or the named hook) is the window's waiter.
 *
 * Can settle.  The system can settle (nothing outside it will produce the
 * consumer's work) at two kinds of points, where the open windows are
 * checked:
 *   - the end of a run that ended SIM_OK with no thread runnable (every
 *     non-daemon thread finished, every daemon blocked or finished:
 *     nothing will run again), checked by the engine at sim_now_ns(); a
 *     daemon left runnable (cut short by the run's end, or a poller
 *     between two sleeps) might still consume, so such an end is not
 *     checked;
 *   - a point a scenario declares with sim_liveness_check() from inside
 *     its run: the end of its heal phase (faults off, the workload done),
 *     under the time strategy only, where every event before the
 *     caller's time has happened (other strategies keep no order between
 *     threads' clocks, so a bound in virtual time says nothing there).
 * A window open longer than its eventfd's bound at such a point is a lost
 * wakeup; it is reported once.  Unless its bound was declared, a window
 * whose last waiter thread has finished is not: a worker told to stop
 * exits with its eventfd raised once its work is done.  An eventfd
 * destroyed inside the run with a window open (the signal can never be
 * consumed now) is reported at once, whatever its age.  A window younger
 * than its bound is not: the run ended before the bound was spent.
 *
 * The check only observes: it makes no scheduling point, reads no tape
 * byte and writes nothing to the trace, so trace hashes do not change.
 * Records belong to their simulation, in the order eventfds became
 * watched (never sorted by address).  The scenario runner turns lost
 * wakeups into KVMSIM_EXIT_LIVENESS.
 */
#ifndef KVMSIM_SIM_LIVENESS_H
#define KVMSIM_SIM_LIVENESS_H

#include <stdbool.h>
#include <stdint.h>

struct sim;
struct plat_eventfd;

/* Default bound of an eventfd watched for its waiter or hook: 10 ms of
 * virtual time, longer than any modelled path from a signal to its
 * consumer in the scenarios (an iothread's poll period is 1 ms or less). */
#define SIM_LIVENESS_BOUND_NS 10000000ull

/* Declare that every signal to e must be consumed within bound_ns once
 * the system can settle (0: e is not watched, even with a consumer). */
void sim_eventfd_set_bound(struct plat_eventfd *e, uint64_t bound_ns);

/* Name the kernel consumer of e (what consumes it through its hook, e.g.
 * "irqfd for GSI 5") for reports; text is copied (cut to 47 bytes). */
void sim_eventfd_set_consumer(struct plat_eventfd *e, const char *text);

/* From inside a run, at a point where the system can settle (see above):
 * report every window open longer than its bound at the caller's time.
 * Returns the number of lost wakeups found now. */
uint32_t sim_liveness_check(struct sim *s);

/* Lost wakeups found in the run of s so far, and the first as text
 * ("lost wakeup: eventfd 'NAME' signalled by thread 'T' in SPAN at N ns,
 * not consumed by M ns (bound B ns); waiter: ..."; "" when none). */
uint32_t sim_lost_wakeups(const struct sim *s);
const char *sim_lost_wakeup_first(const struct sim *s);

/* ---- for sim/ only ---- */

struct sim_live;

/* Which record of which simulation an eventfd has (zero: none). */
struct sim_live_ref {
    uint64_t run;
    uint32_t idx;
};

void sim_live_signal(struct sim_live_ref *ref);
void sim_live_consumed(struct sim_live_ref *ref);
void sim_live_waiter(struct sim_live_ref *ref, const char *name);
void sim_live_hook(struct sim_live_ref *ref, const char *name, bool on);
void sim_live_declare(struct sim_live_ref *ref, const char *name,
                      uint64_t b);
void sim_live_consumer(struct sim_live_ref *ref, const char *name,
                       const char *text);
void sim_live_free(struct sim_live_ref *ref);
/* From sim_run(), at the end of a run that ended SIM_OK. */
void sim_liveness_settle(struct sim *s);
/* From sim_destroy(): free the records. */
void sim_liveness_release(struct sim *s);

#endif
