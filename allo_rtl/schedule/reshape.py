"""``reshape(target, shape)``: give an array a new row-major shape for the schedule.

The kernel keeps indexing the array with its declared shape; the elements keep their row-major
order, so the memory (and an argument's port addresses) do not change. What changes is what
later ``partition`` calls see: their ``dim`` refers to the new shape, and banking converts each
access's index into the new shape (``hls/banking.py``).
"""
from __future__ import annotations

import math

from ..errors import AlloScheduleError
from .partition import find_buffer


def reshape(module, target, shape) -> None:
    f, buf = find_buffer(module, target)
    if isinstance(shape, int):
        shape = (shape,)
    try:
        shape = tuple(shape)
    except TypeError:
        raise AlloScheduleError(f"reshape({buf.name}): shape must be a tuple of integers, got "
                                f"{shape!r}") from None
    if not shape or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0
                            for n in shape):
        raise AlloScheduleError(f"reshape({buf.name}): shape must be positive integers, got "
                                f"{shape!r}")
    if math.prod(shape) != buf.type.size:
        raise AlloScheduleError(
            f"reshape({buf.name}): {buf.name} has {buf.type.size} elements "
            f"{tuple(buf.shape)}, the shape {shape} holds {math.prod(shape)}",
            hint="the new shape must hold exactly the same number of elements")
    if buf.partition:
        raise AlloScheduleError(f"reshape({buf.name}): {buf.name} is already partitioned",
                                hint="reshape first: partition dims refer to the new shape")
    buf.view_shape = None if shape == tuple(buf.shape) else shape
