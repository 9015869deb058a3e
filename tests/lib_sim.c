/*
 * tests/lib_sim.c - the parts of tests/lib.h that need the simulator: the
 * fault fixtures and the nth-call fault loop (sim/fault.h), and the death
 * tests' panic hook (sim/sim.h).
 */
#include "tests/lib.h"

#include <stdio.h>
#include <string.h>

#include "sim/fault.h"
#include "sim/sim.h"

jmp_buf test_panic_jump;
char test_panic_msg[512];

void test_panic_hook(const char *msg)
{
    snprintf(test_panic_msg, sizeof(test_panic_msg), "%s", msg);
    longjmp(test_panic_jump, 1);
}

void test_fail_no_panic(const char *stmt, const char *want,
                        const char *file, int line)
{
    print_error("%s:%d: EXPECT_PANIC(%s): returned, want a panic with "
                "\"%s\"\n", file, line, stmt, want);
    test_print_variant();
    _fail(file, line);
}

void test_check_panic_msg(const char *stmt, const char *want,
                          const char *file, int line)
{
    if (strstr(test_panic_msg, want)) {
        return;
    }
    print_error("%s:%d: EXPECT_PANIC(%s): panic message\n    \"%s\"\n"
                "does not contain\n    \"%s\"\n", file, line, stmt,
                test_panic_msg, want);
    test_print_variant();
    _fail(file, line);
}

int reset_faults(void **state)
{
    (void)state;
    sim_fault_reset();
    return 0;
}

int test_alloc_live_is(uint64_t before)
{
    if (sim_alloc_live() != before) {
        print_error("leak: %" PRIu64 " allocations live, %" PRIu64
                    " before\n", sim_alloc_live(), before);
        test_print_variant();
        return -1;
    }
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
