/*
 * sim/tape.h - the decision tape: the one source of every nondeterministic
 * choice in a simulated run.
 *
 * A tape is a byte string read front to back.  It comes from a seed (an
 * endless stream expanded with SplitMix64: byte i is byte i%8, little-endian,
 * of the (i/8+1)th SplitMix64 output for that seed), from a file, or from a
 * fuzzer input.  When a finite tape runs out every read returns the
 * documented default, so every byte string is a valid run:
 *   sim_tape_below(n)   -> 0 (the first candidate)
 *   sim_tape_chance(p)  -> false (no fault)
 *   sim_jitter(lo, hi)  -> lo
 * Reads consume the fewest bytes that cover the range (1 byte for n <= 256,
 * 2 for n <= 65536, else 4, else 8), little-endian, reduced modulo n, so a
 * mutated byte changes one decision and leaves the rest of the tape's
 * meaning in place.  The bytes consumed are kept, so any run can be saved
 * and replayed byte-for-byte.
 */
#ifndef KVMSIM_SIM_TAPE_H
#define KVMSIM_SIM_TAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim_tape;

/* NULL on ENOMEM. */
struct sim_tape *sim_tape_from_seed(uint64_t seed);
/* Copies the bytes; n may be 0. */
struct sim_tape *sim_tape_from_bytes(const uint8_t *bytes, size_t n);
void sim_tape_destroy(struct sim_tape *t);

/* Uniform-ish value in [0, n); n == 0 or 1 reads nothing and returns 0. */
uint64_t sim_tape_below(struct sim_tape *t, uint64_t n);
/* True with probability ~p, reading two bytes; p <= 0 and p >= 1 read
 * nothing (never / always). */
bool sim_tape_chance(struct sim_tape *t, double p);

/* The bytes consumed so far and their count. */
const uint8_t *sim_tape_consumed(const struct sim_tape *t);
size_t sim_tape_used(const struct sim_tape *t);
/* False when growing the copy of the consumed bytes failed (out of
 * memory): the run went on, but sim_tape_used() bytes are only a prefix of
 * what it consumed, so the run cannot be saved. */
bool sim_tape_log_complete(const struct sim_tape *t);
/* True once a finite tape has run out. */
bool sim_tape_exhausted(const struct sim_tape *t);

/* ---- the decision log (what `kvmsim explain` shrinks and prints) ----
 *
 * Off unless sim_tape_log_start() turns it on; a tape that does not log
 * pays one branch per read.  Logging never changes what a read returns,
 * what it consumes or anything a run hashes.
 *
 * Every read that consumed all of its bytes (sim_tape_below() with n >= 2,
 * sim_tape_chance() with 0 < p < 1) becomes one decision: its offset in
 * the consumed tape, its width, what it asked and what it returned.  A
 * read past the end of a finite tape returned the default and is not
 * logged.  The code that made the read may then label it in words with
 * sim_tape_label(); labels are kept only for decisions that did not
 * return their default, the only ones a reader of an explanation needs
 * (so a long run formats no text for its thousands of default reads).
 * The log holds at most `max` decisions; later reads are counted, not
 * logged (sim_tape_log_full()). */
enum sim_tape_kind {
    SIM_TAPE_BELOW = 1,   /* sim_tape_below(): n is the range */
    SIM_TAPE_CHANCE = 2,  /* sim_tape_chance(): n is the threshold in
                             1/65536 below which the read is true */
};

struct sim_tape_decision {
    size_t offset;        /* its first byte in the consumed tape */
    uint64_t n;           /* see enum sim_tape_kind */
    uint64_t value;       /* below: the value; chance: 1 true, 0 false */
    uint8_t width;        /* bytes read: 1, 2, 4 or 8 */
    uint8_t kind;         /* enum sim_tape_kind */
    const char *what;     /* its label, or NULL (valid until the next read
                             or label call on the tape) */
};

/* Log every later read, at most max of them (0: no bound); the engine
 * labels its decisions when the log was on at sim_create().  0 or
 * -ENOMEM. */
int sim_tape_log_start(struct sim_tape *t, size_t max);
/* Whether t logs: callers format a label only then. */
bool sim_tape_logging(const struct sim_tape *t);
/* Whether the last read made a decision that did not return its default
 * and has no label yet: what sim_tape_label() would label. */
bool sim_tape_wants_label(const struct sim_tape *t);
/* Label that decision (printf format; cut at 200 bytes); otherwise, or
 * when memory runs out, nothing happens. */
void sim_tape_label(struct sim_tape *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Replace the label of decision i when it has one (the code that read it
 * learned later what it meant, e.g. a PCT change point once it fired). */
void sim_tape_relabel(struct sim_tape *t, size_t i, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
size_t sim_tape_ndecisions(const struct sim_tape *t);
/* Decision i (i < sim_tape_ndecisions()) copied into *d; false past the
 * end. */
bool sim_tape_decision(const struct sim_tape *t, size_t i,
                       struct sim_tape_decision *d);
/* Reads that were not logged because the log was full. */
uint64_t sim_tape_log_dropped(const struct sim_tape *t);

/* Whether d returned what the same read returns from an exhausted tape. */
bool sim_tape_decision_is_default(const struct sim_tape_decision *d);
/* Overwrite d's bytes in tape (which holds at least d->offset + d->width
 * bytes) so that the same read returns its default: zeros for
 * sim_tape_below(), all ones for sim_tape_chance() (a true read below a
 * threshold of 65536 has no false bytes and stays true). */
void sim_tape_decision_set_default(const struct sim_tape_decision *d,
                                   uint8_t *tape);

/* For shrinking: a read that covers a byte i < n with mask[i] != 0
 * consumes its bytes as usual (they stay in the consumed tape) but returns
 * its default, as if the tape had run out for that read alone; it is
 * logged as a decision that took its default.  The mask is copied.  0 or
 * -ENOMEM. */
int sim_tape_mask_defaults(struct sim_tape *t, const uint8_t *mask,
                           size_t n);

/* SplitMix64 step, exported for scenario code that needs seeded values
 * outside a run (for example generating a workload from the seed). */
uint64_t sim_splitmix64(uint64_t *state);

#endif
