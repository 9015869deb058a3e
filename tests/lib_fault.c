/*
 * tests/lib_fault.c - the fault fixtures and the nth-call fault loop of
 * tests/lib.h, on the simulator's fault injection (sim/fault.h).
 */
#include "tests/lib.h"

#include <stdio.h>

#include "sim/fault.h"

int reset_faults(void **state)
{
    (void)state;
    sim_fault_reset();
    return 0;
}

void fault_loop_begin(struct fault_loop *fl, enum plat_fault_site site,
                      const char *file, int line)
{
    *fl = (struct fault_loop){
        .site = site, .max_n = FAULT_LOOP_MAX_N, .file = file, .line = line,
    };
}

static void fault_loop_fail(const struct fault_loop *fl, const char *what)
{
    print_error("%s:%d: fault loop on %s, %s failure, n = %" PRIu64 ": %s\n",
                fl->file, fl->line, plat_fault_site_name(fl->site),
                fl->persist ? "persistent" : "single", fl->n, what);
    test_print_variant();
    _fail(fl->file, fl->line);
}

bool fault_loop_next(struct fault_loop *fl)
{
    if (fl->n > 0) {
        if (fl->armed) {
            fault_loop_disarm(fl);
            fault_loop_fail(fl, "the body left the fault armed");
        }
        if (!fl->attempted) {
            fault_loop_fail(fl, "the body never armed the fault");
        }
        if (!fl->faulted) {
            /* Call n never came: this pass is done. */
            fl->clean_n[fl->persist] = fl->n;
            if (fl->persist) {
                return false;
            }
            fl->persist = true;
            fl->n = 0;
        }
    }
    fl->n++;
    if (fl->n > fl->max_n) {
        fault_loop_fail(fl, "the operation still reaches call n");
    }
    fl->faulted = false;
    fl->attempted = false;
    return true;
}

void fault_loop_arm(struct fault_loop *fl)
{
    fl->armed = true;
    fl->attempted = true;
    sim_fault_fail_nth(fl->site, fl->n, fl->persist);
}

bool fault_loop_disarm(struct fault_loop *fl)
{
    /* Read the site's hits before disarming resets them. */
    fl->faulted = fl->faulted || sim_fault_hits(fl->site) >= fl->n;
    fl->armed = false;
    sim_fault_fail_nth(fl->site, 0, false);
    return fl->faulted;
}

int fault_loop_disarm_rc(struct fault_loop *fl, int rc)
{
    fault_loop_disarm(fl);
    return rc;
}
