"""``s.build(pipeline_loops=N)``: pipeline every innermost loop of at least N iterations
without a schedule saying so, as Vitis HLS's ``config_compile -pipeline_loops`` does (its
default there is 64; here the option is off unless given, so a plain build stays the
sequential one the published comparisons use).

A loop is marked as if the user had written ``s.pipeline(loop)`` (II 1 requested) and
``attrs["auto_pipeline"]`` records why, for the report. Loops the schedule already names
(``pipeline``, ``unroll``, ``parallel``) and loops inside a pipelined or unrolled loop are
left alone: the schedule decides those. A marked loop the pipeliner refuses runs
sequentially as before, with the reason in the report and no warning (nobody asked)."""
from __future__ import annotations

import copy
import numbers

from ..errors import AlloError
from ..ir import nodes as ir
from ..schedule.rewrite import trip_count

SCHEDULED = ("pipeline", "unroll", "parallel")


def check_pipeline_loops(value):
    """The option's value: None (off) or a trip-count threshold >= 1."""
    if value is not None and (not isinstance(value, numbers.Integral) or
                              isinstance(value, bool) or value < 1):
        raise AlloError(f"pipeline_loops must be an integer >= 1 (pipeline innermost loops "
                        f"of at least that many iterations), not {value!r}",
                        hint="pipeline_loops=1 pipelines every innermost loop; "
                             "Vitis HLS's default threshold is 64")


def auto_pipeline_module(module: ir.Module, min_trips: int | None) -> tuple:
    """(``module`` or a marked copy, [(function, loop name, line)] of the loops marked)."""
    check_pipeline_loops(min_trips)
    if min_trips is None:
        return module, []
    found = [(f.name, lp) for f in module.functions.values()
             for lp in _candidates(f.body, min_trips)]
    if not found:
        return module, []
    module = copy.deepcopy(module)
    marked = []
    for f in module.functions.values():
        for lp in _candidates(f.body, min_trips):
            lp.attrs["pipeline"] = 1
            lp.attrs["auto_pipeline"] = min_trips
            marked.append((f.name, lp.name, lp.loc.line))
    return module, marked


def _candidates(body: list, min_trips: int) -> list:
    """Innermost loops of ``body`` with no schedule of their own or above them."""
    out = []
    for s in body:
        if isinstance(s, ir.For):
            if any(s.attrs.get(k) not in (None, False) for k in SCHEDULED):
                continue                    # the schedule decides this loop and its body
            if ir.loops(s.body):
                out += _candidates(s.body, min_trips)
            elif _long_enough(s, min_trips):
                out.append(s)
        else:
            for b in ir.child_bodies(s):
                out += _candidates(b, min_trips)
    return out


def _long_enough(loop: ir.For, min_trips: int) -> bool:
    trips = trip_count(loop)
    # bounds computed at run time: no count to compare, pipelined as a long loop would be
    return trips is None or trips >= min_trips
