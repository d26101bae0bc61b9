"""``s.allocation("fadd", limit)``: at most ``limit`` float units of a class in a kernel
(Vivado HLS's ``allocation`` pragma, for our float units).

The limit is kept on the function (``ir.Function.allocation``) and read by the HLS stage:
every scheduler then lets at most ``limit`` operations of the class start per cycle (per
modulo slot in a pipeline), ResMII counts them, and the binder puts them on ``limit`` units.
It holds for each float format separately (float32 adds and float16 adds are different
units). The unit classes are the large shared float units; everything else is either small or
already shared (integer multipliers, dividers).
"""
from __future__ import annotations

import numbers

from ..errors import AlloScheduleError
from ..ir import nodes as ir

#: class name -> what it covers, for messages and the README
UNIT_CLASSES = {"fadd": "float add and subtract", "fmul": "float multiply",
                "fdiv": "float divide", "fsqrt": "float square root"}


def allocation(module: ir.Module, target: str, limit) -> None:
    """``target`` is a class name or ``"kernel:class"`` (default kernel: the top)."""
    if not isinstance(target, str):
        raise AlloScheduleError(f"allocation takes a unit class name, not "
                                f"{type(target).__name__} {target!r}",
                                hint=f"classes: {', '.join(UNIT_CLASSES)}")
    fn, _, cls = target.rpartition(":")
    f = module.functions.get(fn or module.top)
    if f is None:
        raise AlloScheduleError(f"allocation({target!r}): no kernel named {fn!r}",
                                hint=f"kernels: {', '.join(module.functions)}")
    if cls not in UNIT_CLASSES:
        raise AlloScheduleError(
            f"allocation({target!r}): {cls!r} is not a float unit class",
            hint="classes: " + ", ".join(f"{k} ({v})" for k, v in UNIT_CLASSES.items()))
    if (not isinstance(limit, numbers.Integral) or isinstance(limit, bool) or limit < 1):
        raise AlloScheduleError(f"allocation({target!r}): limit must be an integer >= 1, "
                                f"not {limit!r}", hint="limit=1 puts every operation of the "
                                "class on one unit")
    f.allocation[cls] = int(limit)
