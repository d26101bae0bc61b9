"""RecMII: the II a pipelined loop's recurrences allow at best, whatever its ports and units.

A value carried from one iteration to the next closes a cycle: iteration n + d cannot start
the op that consumes it before iteration n has produced it. Around each cycle the latencies
add up to L cycles over a distance of d iterations, so iterations start at least L / d
cycles apart:

* a variable the body writes and the next iteration reads (``acc = acc + x``): L is the
  longest chain of latencies from the read to the write, plus the cycle the write takes --
  except when the written value leaves a unit's output register (a float add), which the
  next iteration may read in the cycle it is written (``modulo.forwardable``);
* a store that a load d iterations later must see (``deps.py``'s distances, as the schedule
  recorded them): the chain from the load to the store, plus the cycle between them.

Only cycles through one carried dependence are counted and combinational ops take no time,
so this is a lower bound on what a modulo schedule of the block can reach -- a recurrence
bound beside ``hls.resources.res_mii``, computed from the block and the unit latencies, not
from the II the schedule found.
"""
from __future__ import annotations

import math

from .modulo import ModuloSchedule, forwardable
from .timing import TimingModel


def recurrence_mii(sch: ModuloSchedule, timing: TimingModel) -> int:
    """The largest L / d over the loop's one-dependence cycles (at least 1)."""
    ops = sch.block.ops
    best = 1
    writes = {}
    for op in ops:
        if op.info.writes_var:
            writes.setdefault(id(op.var), []).append(op)
    for rd in sch.carried_reads:
        dist = _longest_from(rd, ops, timing)
        for wr in writes.get(id(rd.var), []):
            if wr not in dist:
                continue
            best = max(best, dist[wr] + (0 if forwardable(wr, timing) else 1))
    for x, y, d in sch.mem_deps:
        if d <= 0 or not (x.info.is_store and y.info.is_load):
            continue
        dist = _longest_from(y, ops, timing)
        if x in dist:
            best = max(best, math.ceil((dist[x] + 1) / d))
    return best


def _longest_from(src, ops, timing) -> dict:
    """op -> the earliest cycle it can start, relative to ``src``'s start, for the ops that
    depend on ``src`` through their operands (the block's ops are in dependence order)."""
    dist = {src: 0}
    at = next(k for k, op in enumerate(ops) if op is src)
    for op in ops[at + 1:]:
        starts = [dist[o] + timing.of(o).latency for o in op.operands if o in dist]
        if starts:
            dist[op] = max(starts)
    return dist
