"""One model, one caller at a time.

Every public call that reads or writes a model runs inside ``with
model._in_use:`` for its whole length, checks included. A call from a
second thread while one runs is refused with RuntimeError rather than
queued: training can take minutes, and a read that waited that long, or
slipped in between two compiled chunks, would be a surprise either way.
The lock is re-entrant, so a fit's callback may use its own model.
"""
import threading

from nncore._engine import CONCURRENT_USE


class Exclusive:
    """A re-entrant lock that refuses instead of waiting. A copy (pickle,
    ``copy.deepcopy``) is a new, free lock: copies share nothing."""

    __slots__ = ("lock",)

    def __init__(self):
        self.lock = threading.RLock()

    def __enter__(self):
        if not self.lock.acquire(blocking=False):
            raise RuntimeError(CONCURRENT_USE)
        return self

    def __exit__(self, *exc_info):
        self.lock.release()

    def __reduce__(self):
        return Exclusive, ()
