/* Dropout masks from a counter-based generator: each unit's keep-or-drop
 * is a pure function of (seed, epoch, step, layer, unit), so a trained
 * model's bits depend on none of the thread count, the order the masks are
 * drawn in, or where training was stopped and resumed.
 *
 * The bits come from SplitMix64 (Steele, Lea and Flood, "Fast splittable
 * pseudorandom number generators", 2014): its mixer applied to key +
 * golden * (counter + 1). The key chains the mixer over seed, epoch, step
 * and layer. Units go in pairs, u = row * n_out + column in the batch: pair
 * u / 2 is the counter, and unit u takes the low 32 bits of the pair's mix
 * when even, the high 32 when odd (one mix for two units). A unit is kept
 * when its 32 bits are at least threshold = floor(rate * 2**32), so with
 * probability 1 - threshold / 2**32. Integer arithmetic only: the same
 * masks on every CPU and instruction set. nncore.reference.dropout_keep is
 * the NumPy spec. */
#ifndef NNCORE_DROPOUT_H
#define NNCORE_DROPOUT_H

#include <stddef.h>
#include <stdint.h>

#include "_dispatch.h"

#define NNCORE_GOLDEN UINT64_C(0x9E3779B97F4A7C15)

__attribute__((always_inline)) static inline uint64_t nncore_mix64(uint64_t z)
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

/* floor(rate * 2**32) for 0 <= rate < 1: the product is exact (a power of
 * two), and the conversion truncates. */
static inline uint32_t nncore_dropout_threshold(double rate)
{
    return (uint32_t) (rate * 4294967296.0);
}

/* The 32 bits of unit u (see above). */
__attribute__((always_inline)) static inline uint32_t nncore_unit_bits(uint64_t key, ptrdiff_t u)
{
    uint64_t bits = nncore_mix64(key + NNCORE_GOLDEN * ((uint64_t) (u / 2) + 1));
    return (uint32_t) (u % 2 ? bits >> 32 : bits);
}

/* keep[u] := scale if unit u is kept, else 0, for u < size. */
#define NNCORE_DROPOUT_KEEP(suffix, type)                                              \
    NNCORE_CLONES(WIDE, void, nncore_dropout_keep_##suffix,                            \
                  (uint64_t key, uint32_t threshold, type scale, type *keep,           \
                   ptrdiff_t size),                                                    \
        for (ptrdiff_t pair = 0; pair < size / 2; pair++) {                            \
            uint64_t bits = nncore_mix64(key + NNCORE_GOLDEN * ((uint64_t) pair + 1)); \
            keep[2 * pair] = (uint32_t) bits >= threshold ? scale : (type) 0;          \
            keep[2 * pair + 1] = (uint32_t) (bits >> 32) >= threshold ? scale : (type) 0; \
        }                                                                              \
        if (size % 2)                                                                  \
            keep[size - 1] = nncore_unit_bits(key, size - 1) >= threshold ? scale : (type) 0; \
    )

NNCORE_DROPOUT_KEEP(f64, double)
#define nncore_dropout_keep_f64 NNCORE_PICK(nncore_dropout_keep_f64)
NNCORE_DROPOUT_KEEP(f32, float)
#define nncore_dropout_keep_f32 NNCORE_PICK(nncore_dropout_keep_f32)

#endif
