"""The resource lower bound of one call's pipelined loops, trip counts taken from a real run.

For each entry of a pipelined loop with ``trips`` iterations, no schedule of that loop body
finishes sooner than ``(trips - 1) x ResMII + depth`` cycles: the iterations must start at
least ResMII apart (the most accesses one memory port, or operations one unit, must serve
per iteration, over its capacity: ``hls.modulo``) and the last takes the body's depth. Each
run of a block outside the pipelines (a statement of an unpipelined loop's body, say) takes
at least as many cycles as its busiest port or limited unit needs: the accesses it
certainly makes to one port (predicated ones may not happen: not counted) over the port's
capacity. The bound of a call is the sum over every entry of every pipelined loop and every
run of such a block, except that a dataflow region's stages overlap: an entry of the region
counts its slowest stage's bound (each stage timed from its own trace, ``sim.kpn_trace``): what the achieved II costs on top of it (recurrences, a port shared
within one slot) and the FSM's chaining of dependent operations are the gap to the measured
cycles.

Loops with constant bounds give their trips from the schedule. Run-time trips (triangular
loops: ``for j in range(i + 1)``) come from the same trace the fast cycle model uses
(``sim.cycle_model``): the reference interpreter runs the synthesized module on the call's
arguments and records every loop's trips in order, so the bound is exact for those inputs,
and a triangular nest is not left without a bound.
"""
from __future__ import annotations

import math

from ..hls.control_latency import loop_trips
from ..hls.resources import groups
from . import boundary
from .cycle_model import Trace, TracingInterpreter
from .kpn import uses_streams
from .kpn_trace import TracingKPNInterpreter


class _BoundWalk:
    """Walks the Control IR in program order, as ``cycle_model._Walk`` does, counting only
    the pipelines. A loop statement's trips are read from the trace exactly when its bounds
    are not constant, every branch and while from the trace always: one rule per statement,
    so the recorded queues are read in the order they were written."""

    def __init__(self, designs: dict, timing, trace: Trace):
        self.designs, self.timing, self.trace = designs, timing, trace
        self.name = None
        self.floors = {}

    def function(self, name: str) -> int:
        caller, self.name = self.name, name
        try:
            return self.nodes(self.designs[name].control.body)
        finally:
            self.name = caller

    def block_floor(self, block) -> int:
        """Cycles one run of ``block`` needs at least: its busiest port or limited unit."""
        key = id(block)
        if key not in self.floors:
            certain = [op for op in block.ops if not (
                op.info.is_memory and len(op.operands) > op.info.memory_operands)]
            by_class = groups(certain, self.designs[self.name].shared_port_ids)
            self.floors[key] = max([math.ceil(sum(self.timing.unit_ii(op) for op in ops)
                                              / rc.capacity)
                                    for rc, ops in by_class.items() if rc.capacity] or [0])
        return self.floors[key]

    def nodes(self, nodes) -> int:
        return sum(self.node(n) for n in nodes)

    def node(self, node) -> int:
        kind, take = node.kind, self.trace.take
        if kind == "block":
            return self.block_floor(node.region)
        if kind == "pipeline":
            sch = node.pipeline.schedule
            trips = sch.trips
            if trips is None:
                (region,) = node.pipeline.regions        # a flattened nest has static bounds
                trips = take(self.trace.trips, region.loop)
            return 0 if trips == 0 else (trips - 1) * sch.res_mii + sch.depth
        if kind == "loop":
            trips = loop_trips(node.region)
            if trips is None:
                trips = take(self.trace.trips, node.region.loop)
            if not node.children:
                return 0
            return sum(self.nodes(node.children[0]) for _ in range(trips))
        if kind == "while":
            runs = take(self.trace.iterations, node.region.stmt)
            return sum(self.nodes(node.children[0]) for _ in range(runs))
        if kind == "branch":
            taken = take(self.trace.taken, node.region.stmt)
            return self.nodes(node.children[0 if taken else 1])
        if kind == "call":
            return self.function(node.region.call.callee.name)
        if kind == "dataflow":
            return self.dataflow(node.region)
        raise ValueError(kind)


    def dataflow(self, region) -> int:
        """The stages run concurrently, each one sequential: no entry of the region ends
        before its slowest stage's own bound (what the stages wait on each other comes on
        top). Each stage is walked against the trace it recorded itself."""
        traces = self.trace.take(self.trace.stages, region.stmt)
        parent, slowest = self.trace, 0
        try:
            for stage, trace in zip(region.stmt.stages, traces, strict=True):
                self.trace = trace
                slowest = max(slowest, self.function(stage.callee.name))
        finally:
            self.trace = parent
        return slowest


def pipelined(controls: dict) -> bool:
    """Whether any function of the design has a pipelined loop (else there is no bound)."""
    def walk(nodes):
        return any(n.kind == "pipeline" or any(walk(c) for c in n.children) for n in nodes)
    return any(walk(ctl.body) for ctl in controls.values())


def resource_bound(design, *args) -> int | None:
    """The bound in cycles for one call of ``design`` (a ``HardwareDesign``) on ``args`` (the
    user's arguments, as ``mod(*args)`` takes them; they are copied, not changed); None
    when nothing is pipelined."""
    controls = {n: d.control for n, d in design.designs.items()}
    if not pipelined(controls):
        return None
    top = design.module.top_func
    raw = boundary.convert_args(top, [_copy(a) for a in args], design.top_banks)
    trace = Trace()
    if uses_streams(design.module):
        TracingKPNInterpreter(design.module, trace).run(top, raw)
    else:
        TracingInterpreter(design.module, trace).call(top, raw)
    return _BoundWalk(design.designs, design.timing, trace).function(design.module.top)


def _copy(a):
    return a.copy() if hasattr(a, "copy") else a
