/* Dropout masks from a counter-based generator: each unit's keep-or-drop
 * is a pure function of (seed, epoch, step, layer, unit), so a trained
 * model's bits depend on none of the thread count, the order the masks are
 * drawn in, or where training was stopped and resumed.
 *
 * The bits come from SplitMix64 (Steele, Lea and Flood, "Fast splittable
 * pseudorandom number generators", 2014): its mixer applied to key +
 * golden * (counter + 1). The key chains the mixer over seed, epoch, step
 * and layer; the unit is the counter, row * n_out + column in the batch.
 * A unit is kept when its 64 bits are at least threshold = floor(rate *
 * 2**64), so with probability 1 - threshold / 2**64. Integer arithmetic
 * only: the same masks on every CPU. nncore.reference.dropout_keep is the
 * NumPy spec. */
#ifndef NNCORE_DROPOUT_H
#define NNCORE_DROPOUT_H

#include <stddef.h>
#include <stdint.h>

#define NNCORE_GOLDEN UINT64_C(0x9E3779B97F4A7C15)

static inline uint64_t nncore_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* The key of one layer's masks at one step of one epoch. */
static inline uint64_t nncore_dropout_key(uint64_t seed, uint64_t epoch, uint64_t step,
                                          uint64_t layer)
{
    uint64_t key = nncore_mix64(seed + NNCORE_GOLDEN * (epoch + 1));
    key = nncore_mix64(key + NNCORE_GOLDEN * (step + 1));
    return nncore_mix64(key + NNCORE_GOLDEN * (layer + 1));
}

/* floor(rate * 2**64) for 0 <= rate < 1: the product is exact (a power of
 * two), and the conversion truncates. */
static inline uint64_t nncore_dropout_threshold(double rate)
{
    return (uint64_t) (rate * 18446744073709551616.0);
}

/* keep[u] := scale if unit u is kept, else 0, for u < size. */
#define NNCORE_DROPOUT_KEEP(suffix, type)                                              \
    static inline void nncore_dropout_keep_##suffix(uint64_t key, uint64_t threshold,  \
                                                    type scale, type *keep,            \
                                                    ptrdiff_t size)                    \
    {                                                                                  \
        for (ptrdiff_t u = 0; u < size; u++)                                           \
            keep[u] = nncore_mix64(key + NNCORE_GOLDEN * ((uint64_t) u + 1)) >= threshold \
                      ? scale : (type) 0;                                              \
    }

NNCORE_DROPOUT_KEEP(f64, double)
NNCORE_DROPOUT_KEEP(f32, float)

#endif
