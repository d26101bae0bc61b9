"""The one latency model: cycles of a function read off its Control IR (``hls.control``).

A block state takes one cycle, a pipeline state its schedule's latency (None with run-time
bounds), a call's wait state the callee's whole latency; loops multiply their iteration
(body + a latch state of their own, if any) by constant trip counts. Data-dependent control
(while loops, branches of unequal latency, run-time trip counts) gives None. The report uses
these numbers; tests check them against the cycles the emitted hardware takes.
"""
from __future__ import annotations

from .cdfg import LoopRegion
from .control import Control, Node


def static_latency(ctl: Control, controls: dict) -> int | None:
    """Cycles from the edge that samples ``start`` to the first cycle ``done`` is high, with
    no external stall, or None when data-dependent: 1 (the idle cycle) + the body."""
    body = nodes_latency(ctl.body, controls)
    return None if body is None else body + 1


def nodes_latency(nodes, controls: dict) -> int | None:
    total = 0
    for node in nodes:
        lat = node_latency(node, controls)
        if lat is None:
            return None
        total += lat
    return total


def loop_trips(r: LoopRegion) -> int | None:
    """Trips of a loop with constant bounds (possibly 0), None for run-time bounds."""
    if not (r.lo.info.is_const and r.hi.info.is_const):
        return None
    lo, hi, step = r.lo.value, r.hi.value, r.loop.step
    return max(0, -((lo - hi) // step)) if step > 0 else max(0, -((hi - lo) // -step))


def loop_iteration(node: Node, controls: dict) -> int | None:
    """Cycles of one iteration of a (non-pipelined) loop node: its body plus its own latch."""
    if not node.children:
        return 0
    body = nodes_latency(node.children[0], controls)
    return None if body is None else body + (1 if node.latch is not None else 0)


def node_latency(node: Node, controls: dict) -> int | None:
    if node.kind == "block":
        return len(node.states)
    if node.kind == "pipeline":
        lat = node.pipeline.schedule.latency
        return None if lat is None else len(node.states) + lat
    if node.kind == "loop":
        per_iter = loop_iteration(node, controls)
        trips = loop_trips(node.region)
        if trips is None or per_iter is None:
            return None
        return len(node.states) + trips * per_iter
    if node.kind == "while":
        return None
    if node.kind == "branch":
        a, b = (nodes_latency(c, controls) for c in node.children)
        return None if a is None or b is None or a != b else len(node.states) + a
    if node.kind == "dataflow":
        return None             # stages wait on each other's streams: known by simulation
    if node.kind == "call":
        # the wait state lasts the callee's whole latency: it starts with the callee's idle
        inner = static_latency(controls[node.region.call.callee.name], controls)
        return None if inner is None else len(node.states) + inner
    raise ValueError(node.kind)
