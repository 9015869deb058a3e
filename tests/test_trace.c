/*
 * tests/test_trace.c - the streamed trace: the JSON it writes (header,
 * track names, events, tail), the event bound, write errors and a hash
 * that does not depend on streaming.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim/trace.h"

/* A few events of each exported kind, one SWITCH (never written). */
static void add_sample(struct sim_trace *t)
{
    static const struct sim_event ev[] = {
        { .ts = 1000, .dur = 250, .name = "submit", .tid = 0, .cpu = 1,
          .kind = SIM_EV_SPAN },
        { .ts = 1500, .arg = 7, .name = "kick", .tid = 1,
          .kind = SIM_EV_INSTANT },
        { .ts = 2000, .arg = -3, .name = "depth", .kind = SIM_EV_COUNTER },
        { .ts = 2100, .arg = 4, .name = "alloc", .tid = 1,
          .kind = SIM_EV_FAULT },
        { .ts = 0, .dur = 3001, .tid = 1, .cpu = 1, .kind = SIM_EV_RUN },
        { .ts = 3001, .arg = 9, .tid = 1, .kind = SIM_EV_SWITCH },
        { .ts = 3100, .dur = 50, .name = "lock", .tid = 0,
          .kind = SIM_EV_WAIT },
    };

    for (size_t i = 0; i < sizeof(ev) / sizeof(ev[0]); i++) {
        sim_trace_add(t, &ev[i]);
    }
}

/* The whole file a trace of add_sample() streams, NUL-terminated. */
static char *stream_sample(size_t max_events, bool fail_invariant,
                           uint64_t *hash)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    struct sim_trace *t;

    assert_non_null(f);
    t = sim_trace_create(f, max_events);
    assert_non_null(t);
    sim_trace_set_ncpus(t, 2);
    assert_int_equal(sim_trace_name_thread(t, 0, "vcpu \"0\"", 0), 0);
    assert_int_equal(sim_trace_name_thread(t, 1, "iothread", 1), 0);
    add_sample(t);
    if (fail_invariant) {
        struct sim_event inv = {
            .ts = 4000, .arg = 1, .name = "no_lost_kick",
            .kind = SIM_EV_INVARIANT,
        };

        /* The event comes before its message: the tail carries both. */
        sim_trace_add(t, &inv);
        sim_trace_note_failure(t, "no_lost_kick: 3 of 4");
    }
    assert_int_equal(sim_trace_finish(t), 0);
    *hash = sim_trace_hash_value(t);
    sim_trace_destroy(t);
    assert_int_equal(fclose(f), 0);
    return text;
}

static size_t count(const char *text, const char *needle)
{
    size_t n = 0;

    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle)) {
        n++;
    }
    return n;
}

static void sim_trace_finish_sample_events_writes_every_track(void **state)
{
    uint64_t h;
    char *s = stream_sample(SIZE_MAX, false, &h);

    (void)state;
    assert_int_equal(strncmp(s, "{\"displayTimeUnit\":\"ns\",\"traceEvents\""
                             ":[\n{\"ph\":\"M\"", 49), 0);
    assert_non_null(strstr(s, "\"args\":{\"name\":\"simulated CPUs\"}"));
    assert_non_null(strstr(s, "\"args\":{\"name\":\"simulated threads\"}"));
    assert_non_null(strstr(s, "\"pid\":1,\"tid\":1,\"name\":\"thread_name\","
                              "\"args\":{\"name\":\"CPU 1\"}"));
    assert_non_null(strstr(s, "\"pid\":2,\"tid\":0,\"name\":\"thread_name\","
                              "\"args\":{\"name\":\"vcpu \\\"0\\\"\"}"));
    assert_non_null(strstr(s, "{\"ph\":\"X\",\"pid\":2,\"tid\":0,\"cat\":"
                              "\"op\",\"name\":\"submit\",\"ts\":1.000,"
                              "\"dur\":0.250,\"args\":{\"cpu\":1}}"));
    assert_non_null(strstr(s, "\"cat\":\"event\",\"name\":\"kick\","
                              "\"ts\":1.500,\"args\":{\"arg\":7}}"));
    assert_non_null(strstr(s, "{\"ph\":\"C\",\"pid\":2,\"tid\":0,\"name\":"
                              "\"depth\",\"ts\":2.000,\"args\":{\"value\":"
                              "-3}}"));
    assert_non_null(strstr(s, "\"cat\":\"fault\",\"name\":\"alloc\""));
    assert_non_null(strstr(s, "{\"ph\":\"X\",\"pid\":1,\"tid\":1,\"cat\":"
                              "\"cpu\",\"name\":\"iothread\",\"ts\":0.000,"
                              "\"dur\":3.001,\"args\":{\"thread\":"
                              "\"iothread\"}}"));
    assert_non_null(strstr(s, "\"cat\":\"wait\",\"name\":\"wait: lock\""));
    assert_int_equal(count(s, "\"ph\":"), 4 + 2 + 6);
    assert_null(strstr(s, "truncated"));
    assert_string_equal(s + strlen(s) - 4, "\n]}\n");
    free(s);
}

static void sim_trace_finish_invariant_before_message_writes_message(
    void **state)
{
    uint64_t h;
    char *s = stream_sample(SIZE_MAX, true, &h);

    (void)state;
    assert_non_null(strstr(s, "{\"ph\":\"i\",\"s\":\"g\",\"pid\":2,\"tid\":0,"
                              "\"cat\":\"invariant\",\"name\":"
                              "\"no_lost_kick\",\"ts\":4.000,\"args\":"
                              "{\"failure\":1,\"message\":\"no_lost_kick: "
                              "3 of 4\"}}\n]}\n"));
    free(s);
}

static void sim_trace_add_max_events_2_writes_2_and_a_note(void **state)
{
    uint64_t h;
    char *s = stream_sample(2, true, &h);

    (void)state;
    /* 4 process/track names + 2 thread names, 2 events, the invariant
     * (written past the bound) and the note. */
    assert_int_equal(count(s, "\"ph\":"), 4 + 2 + 2 + 1 + 1);
    assert_non_null(strstr(s, "\"name\":\"submit\""));
    assert_non_null(strstr(s, "\"name\":\"kick\""));
    assert_null(strstr(s, "\"name\":\"depth\""));
    assert_non_null(strstr(s, "\"cat\":\"invariant\""));
    assert_non_null(strstr(s, "\"name\":\"trace truncated\",\"ts\":2.000,"
                              "\"args\":{\"events_written\":3,"
                              "\"events_not_written\":4}}"));
    free(s);
}

static void sim_trace_hash_value_streamed_or_not_is_equal(void **state)
{
    uint64_t streamed, bounded, plain;
    struct sim_trace *t = sim_trace_create(NULL, SIZE_MAX);
    struct sim_event inv = {
        .ts = 4000, .arg = 1, .name = "no_lost_kick",
        .kind = SIM_EV_INVARIANT,
    };

    (void)state;
    assert_non_null(t);
    free(stream_sample(SIZE_MAX, true, &streamed));
    free(stream_sample(2, true, &bounded));
    sim_trace_set_ncpus(t, 2);
    sim_trace_name_thread(t, 0, "vcpu \"0\"", 0);
    sim_trace_name_thread(t, 1, "iothread", 1);
    add_sample(t);
    sim_trace_add(t, &inv);
    assert_int_equal(sim_trace_finish(t), 0);
    plain = sim_trace_hash_value(t);
    assert_true(plain == streamed);
    assert_true(plain == bounded);
    assert_int_equal(sim_trace_events_seen(t), 8);
    sim_trace_destroy(t);
}

static void sim_trace_finish_on_dev_full_returns_enospc(void **state)
{
    FILE *f = fopen("/dev/full", "w");
    struct sim_trace *t;
    uint64_t before;

    (void)state;
    if (!f) {
        skip();
    }
    t = sim_trace_create(f, SIZE_MAX);
    assert_non_null(t);
    sim_trace_set_ncpus(t, 4);
    /* Far more than the buffer: the error shows up while adding. */
    for (int i = 0; i < 20000; i++) {
        struct sim_event e = {
            .ts = (uint64_t)i * 10, .dur = 5, .name = "op", .kind = SIM_EV_SPAN,
        };

        sim_trace_add(t, &e);
    }
    before = sim_trace_hash_value(t);
    assert_int_equal(sim_trace_finish(t), -ENOSPC);
    assert_int_equal(sim_trace_finish(t), -ENOSPC);
    assert_true(sim_trace_hash_value(t) == before);
    sim_trace_destroy(t);
    fclose(f);
}

static void sim_trace_finish_without_file_returns_0(void **state)
{
    struct sim_trace *t = sim_trace_create(NULL, 0);

    (void)state;
    assert_non_null(t);
    add_sample(t);
    assert_false(sim_trace_truncated(t));
    assert_int_equal(sim_trace_finish(t), 0);
    sim_trace_destroy(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sim_trace_finish_sample_events_writes_every_track),
        cmocka_unit_test(
            sim_trace_finish_invariant_before_message_writes_message),
        cmocka_unit_test(sim_trace_add_max_events_2_writes_2_and_a_note),
        cmocka_unit_test(sim_trace_hash_value_streamed_or_not_is_equal),
        cmocka_unit_test(sim_trace_finish_on_dev_full_returns_enospc),
        cmocka_unit_test(sim_trace_finish_without_file_returns_0),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
