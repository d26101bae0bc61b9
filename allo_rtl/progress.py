"""When and how long work shows progress (board builds, long simulations, DSE sweeps).

Progress goes to a terminal only: piped into a file or a CI log it would be noise between the
results, so a stream that is not a TTY stays quiet. ``ALLO_RTL_PROGRESS=1`` turns progress on
anyway (a log that wants it), ``ALLO_RTL_PROGRESS=0`` off on a terminal too. A small text bar
rather than a dependency: the lines are few (one per finished point or stage), so tqdm/rich
would add a package for one function.
"""
from __future__ import annotations

import os
import sys

ENV = "ALLO_RTL_PROGRESS"


def enabled(stream=None) -> bool:
    """Whether progress is shown on ``stream`` (default: stderr)."""
    forced = os.environ.get(ENV)
    if forced is not None and forced.strip() != "":
        return forced.strip().lower() not in ("0", "no", "false", "off")
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:              # a closed stream
        return False


class _Null:
    """A stream that drops what is written (progress turned off)."""

    def write(self, text):
        return len(text)

    def flush(self):
        pass

    def isatty(self):
        return False


def stream(out=None):
    """``out`` (default stderr) when progress is shown there, else a stream that drops it."""
    out = sys.stderr if out is None else out
    return out if enabled(out) else _Null()


def bar(done: int, total: int, width: int = 20) -> str:
    """``[########------------]  8/20``: the share of ``total`` that is ``done``."""
    total = max(total, 1)
    filled = min(width, round(width * done / total))
    return f"[{'#' * filled}{'-' * (width - filled)}] {done:>{len(str(total))}}/{total}"
