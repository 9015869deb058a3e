/*
 * tests/lib.h - what the cmocka tests share (tests/lib.c and, for the
 * simulator's tests, tests/lib_sim.c: linked into every test_*.c; the
 * tsan_*.c stress tests on the host backend link only tests/lib.c):
 *
 *   ASSERT_LT/LE/GT/GE(a, b)  ordering assertions that print the
 *                             expression and both values on failure;
 *   TEST_CASE_VARIANT         one cmocka case per variant, named
 *                             "FUNC/VARIANT": every failure names it;
 *   test_variant(fmt, ...)    names the variant a loop inside one case is
 *                             in; failures of the assertions above and of
 *                             the fault loop print it;
 *   reset_faults              setup/teardown: clear every fault setting;
 *   test_alloc_live_is(n)     teardown leak check, printing both counts;
 *   EXPECT_PANIC(stmt, want)  death test: stmt must panic the simulator
 *                             (sim_set_panic_hook) with a message holding
 *                             want;
 *   FAULT_LOOP(fl, site)      the nth-call fault loop (SQLite's): fail call
 *                             n of a site for n = 1, 2, ... until the
 *                             operation runs without reaching call n, once
 *                             with a single failure and once with every
 *                             call from the nth on failing.
 *
 * The fault loop reads:
 *
 *     struct fault_loop fl;
 *
 *     FAULT_LOOP(fl, PLAT_FAULT_ALLOC) {
 *         rc = FAULT_LOOP_CALL(fl, thing_create(&t));
 *         if (fl.faulted) {
 *             ... check that the failure left everything as it was ...
 *             continue;
 *         }
 *         ... the clean run: check the result, undo it ...
 *     }
 *
 * FAULT_LOOP_CALL arms the fault, evaluates the call and disarms it; a body
 * whose operation is not one int-returning call brackets it with
 * fault_loop_arm() and fault_loop_disarm().  fl.n is the failing call,
 * fl.persist the pass; fl.faulted says whether call n was reached (a fault
 * was injected).  The loop ends a pass at the first attempt that did not
 * reach call n, and fails the test if that takes more than fl.max_n
 * attempts (FAULT_LOOP_MAX_N unless the body lowers it).
 */
#ifndef KVMSIM_TESTS_LIB_H
#define KVMSIM_TESTS_LIB_H

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/fault.h"

/* ---- the variant under test ------------------------------------------- */

/* Set the variant description (printf format) that failure messages of
 * this library print, until the next call or test_variant_clear(). */
void test_variant(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
void test_variant_clear(void);
/* The current description, "" when none is set. */
const char *test_variant_name(void);
/* Print the variant line of a failure message, when a variant is set. */
void test_print_variant(void);

/* One cmocka case per variant of a parameterised test: named "FUNC/VARIANT"
 * (VARIANT a string literal), which is what cmocka prints when any of its
 * assertions fails and what KVMSIM_TEST_FILTER matches; the test reads its
 * variant from *state (ARG, a pointer). */
#define TEST_CASE_VARIANT(func, variant, arg)                              \
    { #func "/" variant, func, NULL, NULL, (void *)(arg) }
#define TEST_CASE_VARIANT_SETUP_TEARDOWN(func, variant, arg, setup, down)  \
    { #func "/" variant, func, setup, down, (void *)(arg) }

/* ---- ordering assertions ---------------------------------------------- */

/* An operand as printed: integers in decimal (and hex when unsigned),
 * floating point with every digit. */
struct test_value {
    enum { TEST_VALUE_INT, TEST_VALUE_UINT, TEST_VALUE_FLOAT } kind;
    intmax_t i;
    uintmax_t u;
    long double f;
};

static inline struct test_value test_value_int(intmax_t v)
{
    return (struct test_value){ .kind = TEST_VALUE_INT, .i = v };
}

static inline struct test_value test_value_uint(uintmax_t v)
{
    return (struct test_value){ .kind = TEST_VALUE_UINT, .u = v };
}

static inline struct test_value test_value_float(long double v)
{
    return (struct test_value){ .kind = TEST_VALUE_FLOAT, .f = v };
}

#define TEST_VALUE_(x)                                                     \
    _Generic((x),                                                          \
        float: test_value_float, double: test_value_float,                 \
        long double: test_value_float,                                     \
        signed char: test_value_int, short: test_value_int,                \
        int: test_value_int, long: test_value_int,                         \
        long long: test_value_int,                                         \
        default: test_value_uint)(x)

/* Print "FILE:LINE: ASSERT_LT(a, b): a < b is false: a = .., b = .." (and
 * the variant) and fail the test. */
void test_fail_cmp(const char *macro, const char *a, const char *op,
                   const char *b, struct test_value va, struct test_value vb,
                   const char *file, int line);

/* Each operand is evaluated once, promoted as the comparison promotes it,
 * and compared as `a op b` would compare them (the usual arithmetic
 * conversions, without the sign-compare warning a constant operand such
 * as 0 does not draw in the written-out comparison). */
#define TEST_CMP_(macro, a, op, b)                                         \
    do {                                                                   \
        __typeof__((a) + 0) test_cmp_a_ = (a);                             \
        __typeof__((b) + 0) test_cmp_b_ = (b);                             \
        bool test_cmp_ok_;                                                 \
        _Pragma("GCC diagnostic push")                                     \
        _Pragma("GCC diagnostic ignored \"-Wsign-compare\"")               \
        test_cmp_ok_ = test_cmp_a_ op test_cmp_b_;                         \
        _Pragma("GCC diagnostic pop")                                      \
        if (!test_cmp_ok_) {                                               \
            test_fail_cmp(macro, #a, #op, #b, TEST_VALUE_(test_cmp_a_),    \
                          TEST_VALUE_(test_cmp_b_), __FILE__, __LINE__);   \
        }                                                                  \
    } while (0)

#define ASSERT_LT(a, b) TEST_CMP_("ASSERT_LT", a, <, b)
#define ASSERT_LE(a, b) TEST_CMP_("ASSERT_LE", a, <=, b)
#define ASSERT_GT(a, b) TEST_CMP_("ASSERT_GT", a, >, b)
#define ASSERT_GE(a, b) TEST_CMP_("ASSERT_GE", a, >=, b)

/* ---- fault fixtures ---------------------------------------------------- */

/* cmocka setup/teardown: sim_fault_reset(). */
int reset_faults(void **state);
/* For a teardown: 0 when sim_alloc_live() is back at `before`, else -1
 * with both counts printed (cmocka fails the test). */
int test_alloc_live_is(uint64_t before);

/* ---- death tests (tests that use them include sim/sim.h) --------------- */

extern jmp_buf test_panic_jump;
extern char test_panic_msg[512];
/* The panic hook: keeps the message, jumps back to EXPECT_PANIC. */
void test_panic_hook(const char *msg);
void test_fail_no_panic(const char *stmt, const char *want,
                        const char *file, int line);
void test_check_panic_msg(const char *stmt, const char *want,
                          const char *file, int line);

/* Run stmt with the simulator's panic hook jumping back here instead of
 * aborting; fail unless it panicked with a message containing want (both
 * printed).  The message stays in test_panic_msg.  Locals that stmt
 * changes and the test reads afterwards must be volatile. */
#define EXPECT_PANIC(stmt, want)                                           \
    do {                                                                   \
        test_panic_msg[0] = '\0';                                          \
        sim_set_panic_hook(test_panic_hook);                               \
        if (setjmp(test_panic_jump) == 0) {                                \
            stmt;                                                          \
            sim_set_panic_hook(NULL);                                      \
            test_fail_no_panic(#stmt, (want), __FILE__, __LINE__);         \
        }                                                                  \
        sim_set_panic_hook(NULL);                                          \
        test_check_panic_msg(#stmt, (want), __FILE__, __LINE__);           \
    } while (0)

/* ---- the fault loop ---------------------------------------------------- */

#define FAULT_LOOP_MAX_N 1000

struct fault_loop {
    enum plat_fault_site site; /* the site whose calls fail */
    bool persist;     /* this pass fails every call from the nth on */
    uint64_t n;       /* the call that fails, 1-based */
    uint64_t max_n;   /* more attempts than this fail the test */
    bool faulted;     /* the last attempt reached call n */
    bool armed;       /* between fault_loop_arm() and _disarm() */
    bool attempted;   /* this attempt armed the fault at least once */
    uint64_t clean_n[2]; /* per pass, the n of the attempt that ran clean */
    const char *file; /* where the loop is, for its failure messages */
    int line;
};

void fault_loop_begin(struct fault_loop *fl, enum plat_fault_site site,
                      const char *file, int line);
/* Ends the attempt that ran and starts the next; false when both passes
 * are done. */
bool fault_loop_next(struct fault_loop *fl);
/* Fail call fl->n of the site (and with fl->persist every later call). */
void fault_loop_arm(struct fault_loop *fl);
/* Stop failing calls; returns (and sets fl->faulted) whether call n was
 * reached. */
bool fault_loop_disarm(struct fault_loop *fl);
/* fault_loop_disarm(), returning rc: the tail of FAULT_LOOP_CALL. */
int fault_loop_disarm_rc(struct fault_loop *fl, int rc);

#define FAULT_LOOP(fl, site)                                               \
    for (fault_loop_begin(&(fl), (site), __FILE__, __LINE__);              \
         fault_loop_next(&(fl));)

/* Arms, evaluates the int expression `call`, disarms; the value of call.
 * (Arguments are evaluated before fault_loop_disarm_rc runs.) */
#define FAULT_LOOP_CALL(fl, call)                                          \
    (fault_loop_arm(&(fl)), fault_loop_disarm_rc(&(fl), (call)))

#endif
