/*
 * rng.h - a small seeded random generator (xoshiro256**, seeded by splitmix64).
 *
 * Used by the demo and benchmark generators, where the same seed must give
 * the same program on every machine. Not for secrets: tokens come from
 * libsodium.
 */
#ifndef PL_CORE_RNG_H
#define PL_CORE_RNG_H

#include <stdint.h>

typedef struct pl_rng {
    uint64_t s[4];
} pl_rng;

void pl_rng_seed(pl_rng *r, uint64_t seed);
uint64_t pl_rng_next(pl_rng *r);
double pl_rng_uniform(pl_rng *r);            /* [0, 1) */
int pl_rng_range(pl_rng *r, int lo, int hi); /* integer in [lo, hi] */
double pl_rng_normal(pl_rng *r, double mean, double sd);
int pl_rng_poisson(pl_rng *r, double lambda); /* Knuth's method; lambda <= ~30 */

#endif
