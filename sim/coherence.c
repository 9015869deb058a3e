/*
 * sim/coherence.c - the cache-line cost of core/platform.h's plat_line:
 * which touches of shared core state move a line between simulated CPUs,
 * and what that costs.
 *
 * The rule, a MESI protocol reduced to what stalls a CPU:
 *   - a line is Modified by one CPU (its last writer, `owner`), Shared by
 *     a set of CPUs (`sharers`, clean copies), or held by nobody (a zeroed
 *     line);
 *   - a read by CPU c of a line Modified by another CPU stalls for one
 *     transfer (the owner supplies it); afterwards both share it, clean;
 *   - an atomic read-modify-write by c (a lock acquire, a refcount) of a
 *     line Modified by another CPU, or Shared by any CPU but c, stalls for
 *     one transfer (read-for-ownership; one price however many copies are
 *     invalidated, as the invalidations go out in parallel); afterwards c
 *     alone holds it, Modified;
 *   - a plain store by c takes the line the same way but does not stall:
 *     it waits in the store buffer while the line comes, and the CPU goes
 *     on (the next reader elsewhere pays the transfer);
 *   - everything else is free: reads of a clean line (a fetch from the
 *     shared cache or memory is part of the work's own price), and every
 *     touch by the CPU that holds the line Modified.
 * The price is the cost model's line_transfer_ns (MEASURED by
 * bench/bench_pingpong, see model/cost.c).  A line never leaves a cache
 * for lack of room: the lines tracked are few and hot.
 *
 * The state lives in the line itself (struct plat_line's opaque bytes), so
 * nothing is looked up by address; CPUs 0..62 are one bit each, CPUs from
 * 63 on share bit 63 (an atomic from one of them on a line that bit marks
 * pays a transfer).  A touch charges the thread's CPU without a
 * scheduling point and reads no tape, so code that touches no line has the
 * same schedule and trace hash as before.  A line initialised outside a
 * run starts held by nobody (id 0 when no simulation is being set up);
 * a touch outside a run costs nothing and changes nothing.
 */
#include <stdint.h>

#include "core/platform.h"
#include "sim/coherence.h"
#include "sim/internal.h"
#include "sim/tsan.h"

/* A line's state is engine bookkeeping, read and written by whichever
 * simulated thread touches it: not instrumented (sim/tsan.h). */
SIM_TSAN_ENGINE_BEGIN

#define LINE_WIDE_CPU 63u /* CPUs from here on share bit 63 */

struct sim_line {
    uint32_t id;     /* plat_line_init() order in its simulation */
    uint32_t owner;  /* CPU + 1 holding it Modified; 0: nobody */
    uint64_t sharers; /* CPUs with a clean copy (bit 63: CPUs >= 63) */
};
_Static_assert(sizeof(struct sim_line) <= sizeof(struct plat_line),
               "sim line state must fit struct plat_line");

static uint64_t line_bit(uint32_t cpu)
{
    return 1ull << (cpu < LINE_WIDE_CPU ? cpu : LINE_WIDE_CPU);
}

void plat_line_init(struct plat_line *l)
{
    struct sim_line *x = (struct sim_line *)(uintptr_t)l->opaque;
    struct sim *s = sim_alloc_charge_to();

    x->id = s ? ++s->nlines : 0;
    x->owner = 0;
    x->sharers = 0;
}

void plat_line_touch(struct plat_line *l, enum plat_line_access access)
{
    struct sim_line *x = (struct sim_line *)(uintptr_t)l->opaque;
    struct sim *s = sim_active;
    uint32_t cpu;
    uint64_t me;
    bool transfer;

    if (!s) {
        return;
    }
    cpu = s->cur->cpu;
    me = line_bit(cpu);
    if (x->owner == cpu + 1) {
        return; /* Modified here: every touch is a hit */
    }
    if (access != PLAT_LINE_READ) {
        /* Another CPU holds it dirty, or another CPU (or, for the wide
         * bit, possibly another wide CPU) holds a clean copy. */
        transfer = x->owner != 0 || (x->sharers & ~me) != 0 ||
                   (cpu >= LINE_WIDE_CPU && (x->sharers & me));
        transfer = transfer && access == PLAT_LINE_RMW;
        x->owner = cpu + 1;
        x->sharers = 0;
    } else {
        transfer = x->owner != 0;
        if (x->owner) {
            x->sharers |= line_bit(x->owner - 1);
            x->owner = 0;
        }
        x->sharers |= me;
    }
    if (transfer) {
        s->line_transfers++;
        sim_charge_quiet(s, s->cost.line_transfer_ns);
    }
}

uint64_t sim_line_transfers(const struct sim *s)
{
    return s->line_transfers;
}

uint32_t sim_lines(const struct sim *s)
{
    return s->nlines;
}

SIM_TSAN_ENGINE_END
