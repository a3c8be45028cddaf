/*
 * rng.c - xoshiro256** (Blackman and Vigna) with a splitmix64 seeder;
 * normal deviates by the Box-Muller transform.
 */
#include "rng.h"

#include <math.h>

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void pl_rng_seed(pl_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) {
        uint64_t z = (seed += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        r->s[i] = z ^ (z >> 31);
    }
}

uint64_t pl_rng_next(pl_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double pl_rng_uniform(pl_rng *r)
{
    return (double)(pl_rng_next(r) >> 11) * 0x1.0p-53;
}

int pl_rng_range(pl_rng *r, int lo, int hi)
{
    return lo + (int)(pl_rng_uniform(r) * (double)(hi - lo + 1));
}

double pl_rng_normal(pl_rng *r, double mean, double sd)
{
    double u1 = pl_rng_uniform(r);
    double u2 = pl_rng_uniform(r);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return mean + sd * sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

int pl_rng_poisson(pl_rng *r, double lambda)
{
    double l = exp(-lambda), p = 1.0;
    int k = 0;
    do {
        k++;
        p *= pl_rng_uniform(r);
    } while (p > l);
    return k - 1;
}
