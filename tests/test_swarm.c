/*
 * tests/test_swarm.c - swarm testing (scenarios/tool/swarm.h): the [swarm]
 * section as the loader reads it (config.h) and the picks scn_prepare()
 * draws from the front of a crafted tape: their order and widths, the
 * defaults of a tape that runs out, a --set that pins a key, and nothing
 * read when run.swarm is off.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/fault.h"
#include "scenarios/tool/runner.h"
#include "scenarios/tool/swarm.h"
#include "sim/tape.h"

/* virtio-blk-mq has a key of every type swarm varies. */
static const char scn_text[] =
    "[scenario]\n"
    "driver = virtio-blk-mq\n"
    "[faults]\n"
    "alloc = 0.5\n"
    "[swarm]\n"
    "faults = kvm_ioeventfd, alloc\n"                 /* line 6 */
    "fault_rate = 0.01..0.1\n"
    "workload.requests = 1..64\n"                     /* line 8 */
    "workload.iodepth = 2..200 log\n"
    "workload.race_alloc_fault = 0..0.5\n"
    "workload.transport = modern|legacy\n"
    "workload.any_length = on|0\n"
    "workload.queue_size = 8|32|128\n";

/* Prepare a run of scn_text with these tape bytes and overrides. */
static void prepare(struct scn_run *r, const uint8_t *tape, size_t n,
                    const char *set1, const char *set2)
{
    struct scn_request q;

    memset(&q, 0, sizeof(q));
    memset(r, 0, sizeof(*r));
    q.scenario = "t.ini";
    q.scenario_text = scn_text;
    q.tape = tape;
    q.tape_len = n;
    q.quiet = true;
    if (set1) {
        q.sets[q.nsets++] = set1;
    }
    if (set2) {
        q.sets[q.nsets++] = set2;
    }
    assert_int_equal(scn_prepare(&q, r), KVMSIM_EXIT_OK);
}

static void cfg_load_text_swarm_section_reads_every_form(void **state)
{
    static const uint8_t none[1];
    struct scn_run r;
    const struct cfg_swarm *sw;

    (void)state;
    prepare(&r, none, 0, NULL, NULL);
    sw = cfg_swarm(r.cfg);
    assert_string_equal(sw->origin, "t.ini");
    assert_int_equal(sw->nsites, 2);
    assert_int_equal(sw->site[0], PLAT_FAULT_KVM_IOEVENTFD);
    assert_int_equal(sw->site[1], PLAT_FAULT_ALLOC);
    assert_int_equal(sw->faults_line, 6);
    assert_true(sw->rate_lo == 0.01 && sw->rate_hi == 0.1);
    assert_false(sw->rate_log);
    assert_int_equal(sw->nknobs, 6);
    assert_string_equal(sw->knob[0].name, "requests");
    assert_int_equal(sw->knob[0].line, 8);
    assert_int_equal(sw->knob[0].ilo, 1);
    assert_int_equal(sw->knob[0].ihi, 64);
    assert_false(sw->knob[0].log);
    assert_true(sw->knob[1].log);
    assert_true(sw->knob[2].dhi == 0.5);
    assert_int_equal(sw->knob[3].nchoices, 2);
    assert_string_equal(sw->knob[3].choices[0], "modern");
    /* Choices are kept as the key's own text. */
    assert_string_equal(sw->knob[4].choices[0], "true");
    assert_string_equal(sw->knob[4].choices[1], "false");
    assert_string_equal(sw->knob[5].choices[2], "128");
    scn_run_release(&r);
}

/* A tape that runs out: sites off, ranges at LO, first choices. */
static void scn_swarm_pick_empty_tape_takes_every_default(void **state)
{
    static const uint8_t none[1];
    struct scn_run r;

    (void)state;
    prepare(&r, none, 0, "run.swarm=true", NULL);
    assert_true(cfg_fault_prob(r.cfg, PLAT_FAULT_KVM_IOEVENTFD) == 0);
    assert_true(cfg_fault_prob(r.cfg, PLAT_FAULT_ALLOC) == 0);
    assert_int_equal(cfg_int(r.cfg, "workload", "requests"), 1);
    assert_int_equal(cfg_int(r.cfg, "workload", "iodepth"), 2);
    assert_true(cfg_double(r.cfg, "workload", "race_alloc_fault") == 0);
    assert_string_equal(cfg_str(r.cfg, "workload", "transport"), "modern");
    assert_true(cfg_bool(r.cfg, "workload", "any_length"));
    assert_int_equal(cfg_int(r.cfg, "workload", "queue_size"), 8);
    assert_string_equal(cfg_where(r.cfg, "workload", "requests"), "t.ini:8");
    assert_int_equal(sim_tape_used(r.tape), 0);
    scn_run_release(&r);
}

/* The picks are the tape's first bytes, in the documented order and
 * widths: per site 1 + 2 bytes, then 1 byte for 1..64, 2 for the log
 * range, 2 for the number, 1 per choice list. */
static const uint8_t picks[] = {
    1, 0xff, 0xff,   /* kvm_ioeventfd on, rate at HI */
    0, 0x00, 0x80,   /* alloc off (the rate draw is still read) */
    63,              /* requests: 1 + 63 */
    0xff, 0xff,      /* iodepth: HI of the log range */
    0x00, 0x00,      /* race_alloc_fault: LO */
    1,               /* transport: the second choice */
    0,               /* any_length: the first */
    5,               /* queue_size: 5 % 3 = the third */
    0xaa,            /* not a pick: the simulation's */
};

static void scn_swarm_pick_reads_documented_order_and_widths(void **state)
{
    struct scn_run r;

    (void)state;
    prepare(&r, picks, sizeof(picks), "run.swarm=true", NULL);
    assert_true(cfg_fault_prob(r.cfg, PLAT_FAULT_KVM_IOEVENTFD) == 0.1);
    assert_true(cfg_fault_prob(r.cfg, PLAT_FAULT_ALLOC) == 0);
    assert_int_equal(cfg_int(r.cfg, "workload", "requests"), 64);
    assert_int_equal(cfg_int(r.cfg, "workload", "iodepth"), 200);
    assert_true(cfg_double(r.cfg, "workload", "race_alloc_fault") == 0);
    assert_string_equal(cfg_str(r.cfg, "workload", "transport"), "legacy");
    assert_true(cfg_bool(r.cfg, "workload", "any_length"));
    assert_int_equal(cfg_int(r.cfg, "workload", "queue_size"), 128);
    assert_int_equal(sim_tape_used(r.tape), sizeof(picks) - 1);
    scn_run_release(&r);
}

/* A pinned key keeps its value; its draw is read all the same, so the
 * other picks do not move. */
static void scn_swarm_pick_set_pins_key_and_keeps_layout(void **state)
{
    struct scn_run r;

    (void)state;
    prepare(&r, picks, sizeof(picks), "run.swarm=true",
            "workload.requests=5");
    assert_int_equal(cfg_int(r.cfg, "workload", "requests"), 5);
    assert_int_equal(cfg_int(r.cfg, "workload", "iodepth"), 200);
    assert_int_equal(cfg_int(r.cfg, "workload", "queue_size"), 128);
    assert_int_equal(sim_tape_used(r.tape), sizeof(picks) - 1);
    scn_run_release(&r);
}

/* run.swarm off: no byte read, the file's values stand. */
static void scn_swarm_pick_off_reads_nothing(void **state)
{
    struct scn_run r;

    (void)state;
    prepare(&r, picks, sizeof(picks), NULL, NULL);
    assert_false(scn_swarm_on(&r));
    assert_true(cfg_fault_prob(r.cfg, PLAT_FAULT_ALLOC) == 0.5);
    assert_int_equal(cfg_int(r.cfg, "workload", "requests"), 1000);
    assert_int_equal(sim_tape_used(r.tape), 0);
    scn_run_release(&r);
}

/* A log range spreads over its decades: from 2..200, both halves of the
 * u scale land in different decades and every value stays in range. */
static void scn_swarm_pick_log_range_covers_its_decades(void **state)
{
    unsigned low = 0, high = 0;

    (void)state;
    for (unsigned u = 0; u < 256; u += 5) {
        uint8_t t[sizeof(picks)];
        struct scn_run r;
        int64_t v;

        memcpy(t, picks, sizeof(t));
        t[7] = 0;
        t[8] = (uint8_t)u;
        prepare(&r, t, sizeof(t), "run.swarm=true", NULL);
        v = cfg_int(r.cfg, "workload", "iodepth");
        if (v < 2 || v > 200) {
            fail_msg("iodepth %lld outside 2..200 for u=%u", (long long)v,
                     u << 8);
        }
        low += v < 20;
        high += v > 20;
        scn_run_release(&r);
    }
    if (low < 10 || high < 10) {
        fail_msg("log range: %u draws below 20, %u above", low, high);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cfg_load_text_swarm_section_reads_every_form),
        cmocka_unit_test(scn_swarm_pick_empty_tape_takes_every_default),
        cmocka_unit_test(scn_swarm_pick_reads_documented_order_and_widths),
        cmocka_unit_test(scn_swarm_pick_set_pins_key_and_keeps_layout),
        cmocka_unit_test(scn_swarm_pick_off_reads_nothing),
        cmocka_unit_test(scn_swarm_pick_log_range_covers_its_decades),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
