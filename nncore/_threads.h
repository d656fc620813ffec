/* A small pool of threads that splits one large pass into parts.
 *
 * nncore_run_parts(fn, ctx, parts) calls fn(ctx, part, parts) once for each
 * part from 0 to parts - 1 and returns when all have run: the caller takes
 * parts too, and the pool's workers take the rest. Callers split only what
 * has no order to keep (rows of a product, elements of a pass), so each
 * output is computed exactly as on one thread: the bits do not depend on the
 * number of parts or on which thread ran which.
 *
 * One caller at a time: a second caller while the pool is in use (a second
 * model training in another thread), or a part that asks again, runs its
 * parts itself, in order. So nothing waits on the pool but the caller whose
 * parts it runs, and nothing can deadlock.
 *
 * Workers start on first use, wait on a condition variable between passes
 * (no spinning, which would take the CPU from BLAS's own threads) and block
 * every signal, so Python's handlers keep running in the main thread. A
 * child process after fork() starts with no workers (pthread_atfork).
 *
 * How many parts: as many as BLAS has threads (nncore_blas_threads, _blas.h),
 * so one setting (threadpoolctl, OPENBLAS_NUM_THREADS) governs both; one
 * until SciPy's BLAS is loaded (every engine loads it when built).
 */
#ifndef NNCORE_THREADS_H
#define NNCORE_THREADS_H

#include "_blas.h"  /* first: it includes Python.h, which must come first */

#include <pthread.h>
#include <signal.h>
#include <stddef.h>

#define NNCORE_MAX_THREADS 64

typedef void (*nncore_part_fn)(void *ctx, ptrdiff_t part, ptrdiff_t parts);

static struct {
    pthread_mutex_t in_use;   /* held by the one caller whose parts run */
    pthread_mutex_t lock;     /* guards the fields below */
    pthread_cond_t start;     /* a new pass (generation changed) */
    pthread_cond_t finished;  /* done == parts */
    nncore_part_fn fn;
    void *ctx;
    ptrdiff_t parts, next, done;
    unsigned long generation;
    int workers;
    int fork_handler;
} nncore_pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
                 PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER};

/* Takes parts of the current pass until none is left; with pool.lock held. */
static void nncore_pool_take_parts(void)
{
    while (nncore_pool.next < nncore_pool.parts) {
        ptrdiff_t part = nncore_pool.next++;
        pthread_mutex_unlock(&nncore_pool.lock);
        nncore_pool.fn(nncore_pool.ctx, part, nncore_pool.parts);
        pthread_mutex_lock(&nncore_pool.lock);
        if (++nncore_pool.done == nncore_pool.parts)
            pthread_cond_signal(&nncore_pool.finished);
    }
}

static void *nncore_pool_worker(void *unused)
{
    unsigned long seen;
    (void) unused;
    pthread_mutex_lock(&nncore_pool.lock);
    seen = nncore_pool.generation;
    for (;;) {
        while (nncore_pool.generation == seen)
            pthread_cond_wait(&nncore_pool.start, &nncore_pool.lock);
        seen = nncore_pool.generation;
        nncore_pool_take_parts();
    }
    return NULL;
}

/* In a child after fork() only the forking thread exists: start afresh. */
static void nncore_pool_after_fork_in_child(void)
{
    pthread_mutex_init(&nncore_pool.in_use, NULL);
    pthread_mutex_init(&nncore_pool.lock, NULL);
    pthread_cond_init(&nncore_pool.start, NULL);
    pthread_cond_init(&nncore_pool.finished, NULL);
    nncore_pool.workers = 0;
    nncore_pool.parts = nncore_pool.next = nncore_pool.done = 0;
}

/* Starts workers until there are `wanted`, or as many as the system gives;
 * with pool.lock held. Their generation starts at the current one, so they
 * wait for the next pass. */
static void nncore_pool_grow(int wanted)
{
    sigset_t all, old;
    pthread_attr_t attr;
    if (!nncore_pool.fork_handler) {
        pthread_atfork(NULL, NULL, nncore_pool_after_fork_in_child);
        nncore_pool.fork_handler = 1;
    }
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    while (nncore_pool.workers < wanted) {
        pthread_t thread;
        if (pthread_create(&thread, &attr, nncore_pool_worker, NULL) != 0)
            break;  /* the caller takes the parts no worker does */
        nncore_pool.workers++;
    }
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Runs fn(ctx, part, parts) for every part in [0, parts); parts >= 1. Out
 * of line, so the kernels that may call it stay small enough to inline into
 * the training loop. */
__attribute__((noinline)) static void nncore_run_parts(nncore_part_fn fn, void *ctx, ptrdiff_t parts)
{
    if (parts == 1 || pthread_mutex_trylock(&nncore_pool.in_use) != 0) {
        for (ptrdiff_t part = 0; part < parts; part++)
            fn(ctx, part, parts);
        return;
    }
    pthread_mutex_lock(&nncore_pool.lock);
    if (nncore_pool.workers < parts - 1)
        nncore_pool_grow((int) parts - 1);
    nncore_pool.fn = fn;
    nncore_pool.ctx = ctx;
    nncore_pool.parts = parts;
    nncore_pool.next = 0;
    nncore_pool.done = 0;
    nncore_pool.generation++;
    pthread_cond_broadcast(&nncore_pool.start);
    nncore_pool_take_parts();
    while (nncore_pool.done < nncore_pool.parts)
        pthread_cond_wait(&nncore_pool.finished, &nncore_pool.lock);
    pthread_mutex_unlock(&nncore_pool.lock);
    pthread_mutex_unlock(&nncore_pool.in_use);
}

/* How many parts to split `work` into: one per BLAS thread, but each of at
 * least `min_work`, below which waking a worker costs more than it saves. */
static inline ptrdiff_t nncore_parts_for(ptrdiff_t work, ptrdiff_t min_work)
{
    ptrdiff_t parts;
    if (work < 2 * min_work)
        return 1;  /* without asking BLAS: tiny networks pay one compare */
    parts = nncore_blas_threads();
    if (parts > NNCORE_MAX_THREADS)
        parts = NNCORE_MAX_THREADS;
    if (parts > work / min_work)
        parts = work / min_work;
    return parts > 1 ? parts : 1;
}

/* [*begin, *end) of `part` of `parts` over n items, in whole multiples of
 * `grain` (the last part takes the rest). */
static inline void nncore_part_range(ptrdiff_t n, ptrdiff_t grain, ptrdiff_t part,
                                     ptrdiff_t parts, ptrdiff_t *begin, ptrdiff_t *end)
{
    ptrdiff_t grains = (n + grain - 1) / grain;
    *begin = grains * part / parts * grain;
    *end = part == parts - 1 ? n : grains * (part + 1) / parts * grain;
    if (*begin > n)
        *begin = n;
    if (*end > n)
        *end = n;
}

#endif /* NNCORE_THREADS_H */
