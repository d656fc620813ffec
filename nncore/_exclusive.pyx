"""One model, one caller at a time.

Every public call that reads or writes a model runs inside ``with
model._in_use:`` for its whole length, checks included. A call from a
second thread while one runs is refused with RuntimeError rather than
queued: training can take minutes, and a read that waited that long, or
slipped in between two compiled chunks, would be a surprise either way.
The guard is re-entrant, so a fit's callback may use its own model.

Why Cython and no lock: ``__enter__`` and ``__exit__`` run in C from start
to end holding the GIL, so a check and a claim can never interleave with
another thread's. A ``threading.RLock`` did the same at 150-500 ns a call
on a shared virtual machine, as much as the one-sample ``predict`` it
guarded. This relies on the GIL: a build of Python without one would need
a lock again.
"""
from cpython.pythread cimport PyThread_get_thread_ident

from nncore._engine import CONCURRENT_USE


cdef class Exclusive:
    """A re-entrant guard that refuses instead of waiting. A copy (pickle,
    ``copy.deepcopy``) is a new, free guard: copies share nothing."""

    cdef unsigned long owner  # the thread inside, while depth > 0
    cdef Py_ssize_t depth     # how many times that thread has entered

    def __enter__(self):
        cdef unsigned long me = PyThread_get_thread_ident()
        if self.depth > 0 and self.owner != me:
            raise RuntimeError(CONCURRENT_USE)
        self.owner = me
        self.depth += 1
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.depth -= 1

    @property
    def held(self):
        """Whether a call is inside."""
        return self.depth > 0

    def __reduce__(self):
        return Exclusive, ()
