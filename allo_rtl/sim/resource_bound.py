"""The resource lower bound of one call, trip counts taken from a real run.

For each entry of a pipelined loop with ``trips`` iterations, no schedule of that loop body
finishes sooner than ``(trips - 1) x ResMII + depth`` cycles: the iterations must start at
least ResMII apart (the most accesses one memory port, or operations one unit, must serve
per iteration, over its capacity: ``hls.modulo``) and the last takes the body's depth. Each
run of a block outside the pipelines (a statement of an unpipelined loop's body, say) takes
at least as many cycles as its busiest port or limited unit needs -- the accesses it
certainly makes to one port (predicated ones may not happen: not counted) over the port's
capacity -- and as its longest chain of dependent operations to its last access or
multi-cycle result (a read's data comes a cycle after its address): a loop the schedule
leaves sequential runs its iterations one after another. The bound of a call is the sum
over every entry of every pipelined loop and every run of such a block, except that a
dataflow region's stages overlap: an entry of the region counts its slowest stage's bound
(each stage timed from its own trace, ``sim.kpn_trace``). What the achieved II costs on top
of it (recurrences, a port shared within one slot), loop tests and the FSM's chaining of
dependent operations across blocks are the gap to the measured cycles; with
``recurrences=True`` the pipelines' recurrences are in the bound too (``hls.recurrence``).

Loops with constant bounds give their trips from the schedule. Run-time trips (triangular
loops: ``for j in range(i + 1)``) come from the same trace the fast cycle model uses
(``sim.cycle_model``): the reference interpreter runs the synthesized module on the call's
arguments and records every loop's trips in order, so the bound is exact for those inputs,
and a triangular nest is not left without a bound.
"""
from __future__ import annotations

import math

from ..hls.control_latency import loop_trips
from ..hls.recurrence import recurrence_mii
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

    def __init__(self, designs: dict, timing, trace: Trace, recurrences: bool = False):
        self.designs, self.timing, self.trace = designs, timing, trace
        self.recurrences = recurrences
        self.name = None
        self.floors = {}

    def function(self, name: str) -> int:
        caller, self.name = self.name, name
        try:
            return self.nodes(self.designs[name].control.body)
        finally:
            self.name = caller

    def block_floor(self, block) -> int:
        """Cycles one run of ``block`` needs at least: its busiest port or limited unit, and
        its longest chain of dependent operations."""
        key = id(block)
        if key not in self.floors:
            certain = [op for op in block.ops if not (
                op.info.is_memory and len(op.operands) > op.info.memory_operands)]
            by_class = groups(certain, self.designs[self.name].shared_port_ids)
            ports = max([math.ceil(sum(self.timing.unit_ii(op) for op in ops) / rc.capacity)
                         for rc, ops in by_class.items() if rc.capacity] or [0])
            self.floors[key] = max(ports, self.chain_floor(certain))
        return self.floors[key]

    def chain_floor(self, certain: list) -> int:
        """The cycle after the latest access or multi-cycle result of a block's certain ops,
        each op starting when its operands inside the block are ready (a memory read's data
        a cycle after its address, a unit's result its latency later). The block's states
        are its own (no other block shares them), so a block whose load feeds a store (an
        unpipelined ``tt[i] += A[i, j] * x[j]``) needs two cycles however few ports it uses.
        Only data operands count and only ops that certainly happen, so it stays a bound;
        an op without latency ends nothing by itself (a register write may ride on a
        transition)."""
        ready, floor = {}, 0
        members = {id(op) for op in certain}
        for op in certain:
            start = max((ready[id(o)] for o in op.operands
                         if id(o) in members and id(o) in ready), default=0)
            latency = self.timing.of(op).latency
            ready[id(op)] = start + latency
            if op.info.is_memory:
                floor = max(floor, start + 1)           # the access takes its cycle
            elif latency > 0:
                floor = max(floor, start + latency)
        return floor

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
            mii = sch.res_mii
            if self.recurrences:
                mii = max(mii, recurrence_mii(sch, self.timing))
            return 0 if trips == 0 else (trips - 1) * mii + sch.depth
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


def resource_bound(design, *args, recurrences: bool = False) -> int:
    """The bound in cycles for one call of ``design`` (a ``HardwareDesign``) on ``args`` (the
    user's arguments, as ``mod(*args)`` takes them; they are copied, not changed). A
    design without pipelines has one too: the sum of its blocks' floors. With
    ``recurrences`` a pipeline's iterations start at least max(ResMII, RecMII) apart
    (``hls.recurrence``: a carried value's chain of latencies), not ResMII."""
    top = design.module.top_func
    raw = boundary.convert_args(top, [_copy(a) for a in args], design.top_banks)
    trace = Trace()
    if uses_streams(design.module):
        TracingKPNInterpreter(design.module, trace).run(top, raw)
    else:
        TracingInterpreter(design.module, trace).call(top, raw)
    walk = _BoundWalk(design.designs, design.timing, trace, recurrences)
    return walk.function(design.module.top)


def _copy(a):
    return a.copy() if hasattr(a, "copy") else a
