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
/* True once a finite tape has run out. */
bool sim_tape_exhausted(const struct sim_tape *t);

/* SplitMix64 step, exported for scenario code that needs seeded values
 * outside a run (for example generating a workload from the seed). */
uint64_t sim_splitmix64(uint64_t *state);

#endif
