/* The one dispatch point of the kernels built for several instruction sets.
 *
 * NNCORE_CLONES(set, ret, name, (params), body...) defines the function
 * `name` once per instruction set of `set` (name_baseline, name_avx2 and,
 * for NNCORE_WIDE, name_avx512), each compiled for that set, and a table of
 * them; `#define name NNCORE_PICK(name)` after it makes every call go to the
 * entry of the set in use. Helpers the body calls must be always_inline, so
 * that they too are built for each set.
 *
 * The set in use is read once per extension module when it is loaded: the
 * best the CPU has, or the one NNCORE_ISA names (baseline, avx2, avx512).
 * nncore/_isa.py rejects an unknown or unsupported NNCORE_ISA at import with
 * a clear error; here such a value leaves the best set in place. No set
 * enables FMA (-ffp-contract=off), so every set gives the same bits, and
 * forcing one is how the tests show it.
 */
#ifndef NNCORE_DISPATCH_H
#define NNCORE_DISPATCH_H

#include <stdlib.h>
#include <string.h>

enum { NNCORE_ISA_BASELINE = 0, NNCORE_ISA_AVX2 = 1, NNCORE_ISA_AVX512 = 2 };

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define NNCORE_TARGET_AVX2 __attribute__((target("avx2")))
#define NNCORE_TARGET_AVX512 __attribute__((target("avx512f")))

/* The best set this CPU runs. */
static inline int nncore_isa_supported(void)
{
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
        return NNCORE_ISA_AVX512;
    if (__builtin_cpu_supports("avx2"))
        return NNCORE_ISA_AVX2;
    return NNCORE_ISA_BASELINE;
}
#else
/* Elsewhere every set is the baseline build. */
#define NNCORE_TARGET_AVX2
#define NNCORE_TARGET_AVX512
static inline int nncore_isa_supported(void) { return NNCORE_ISA_BASELINE; }
#endif

/* The set in use in this module. */
static int nncore_isa = NNCORE_ISA_BASELINE;

__attribute__((constructor)) static void nncore_choose_isa(void)
{
    static const char *const names[] = {"baseline", "avx2", "avx512"};
    const char *forced = getenv("NNCORE_ISA");
    int best = nncore_isa_supported();
    nncore_isa = best;
    if (forced == NULL || forced[0] == '\0')
        return;
    for (int set = 0; set <= best; set++)
        if (strcmp(forced, names[set]) == 0)
            nncore_isa = set;
}

#if defined(__GNUC__)
#define NNCORE_UNUSED __attribute__((unused))
#else
#define NNCORE_UNUSED
#endif

#define NNCORE_CLONE_BASELINE(ret, name, params, ...) static ret name##_baseline params { __VA_ARGS__ }
#define NNCORE_CLONE_AVX2(ret, name, params, ...) NNCORE_TARGET_AVX2 static ret name##_avx2 params { __VA_ARGS__ }
#define NNCORE_CLONE_AVX512(ret, name, params, ...) \
    NNCORE_TARGET_AVX512 static ret name##_avx512 params { __VA_ARGS__ }

/* AVX2 and the baseline; AVX-512 CPUs run the AVX2 build. */
#define NNCORE_CLONES_SHORT(ret, name, params, ...)                                        \
    NNCORE_CLONE_BASELINE(ret, name, params, __VA_ARGS__)                                  \
    NNCORE_CLONE_AVX2(ret, name, params, __VA_ARGS__)                                      \
    NNCORE_UNUSED static ret (*const name##_table[]) params =                              \
        {name##_baseline, name##_avx2, name##_avx2};

/* AVX-512 too, for the long loops where it pays. */
#define NNCORE_CLONES_WIDE(ret, name, params, ...)                                         \
    NNCORE_CLONE_BASELINE(ret, name, params, __VA_ARGS__)                                  \
    NNCORE_CLONE_AVX2(ret, name, params, __VA_ARGS__)                                      \
    NNCORE_CLONE_AVX512(ret, name, params, __VA_ARGS__)                                    \
    NNCORE_UNUSED static ret (*const name##_table[]) params =                              \
        {name##_baseline, name##_avx2, name##_avx512};

#define NNCORE_CLONES(set, ret, name, params, ...) NNCORE_CLONES_##set(ret, name, params, __VA_ARGS__)

/* The build of `name` for the set in use. */
#define NNCORE_PICK(name) (name##_table[nncore_isa])

#endif /* NNCORE_DISPATCH_H */
