"""A one-line progress bar for ``fit(progress=True)``: epochs done and the loss.

On a terminal it redraws in place; elsewhere (a log file, a pipe) it writes
only the final line, so logs stay readable. No dependency.
"""
import sys
import time

_WIDTH = 30


class ProgressBar:
    def __init__(self, total, stream=None):
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.interactive = getattr(self.stream, "isatty", lambda: False)()
        self.start = time.perf_counter()
        self.last_draw = 0.0

    def update(self, done, logs):
        now = time.perf_counter()
        if self.interactive and (now - self.last_draw > 0.05 or done == self.total):
            self.stream.write("\r" + self._line(done, logs, now))
            self.stream.flush()
            self.last_draw = now

    def close(self, done, logs):
        line = self._line(done, logs, time.perf_counter())
        self.stream.write(("\r" + line if self.interactive else line) + "\n")
        self.stream.flush()

    def _line(self, done, logs, now):
        filled = _WIDTH * done // max(1, self.total)
        values = " ".join(f"{key} {value:.6g}" for key, value in logs.items())
        return (f"epoch {done}/{self.total} [{'=' * filled}{' ' * (_WIDTH - filled)}] "
                f"{values} ({now - self.start:.1f}s)")
