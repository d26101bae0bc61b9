"""List scheduling of one straight-line block: each op gets a start cycle.

Assumes ops in dependence order (``cdfg.Block``). Guarantees: operands are valid when an op
starts; combinational ops are chained within a cycle only while the accumulated delay fits the
clock period; per-buffer port limits are respected (external arrays: one access per cycle,
on-chip memories: one read and one write); accesses to the same buffer keep program order
(a load after a store starts at least one cycle later, a store never precedes an earlier load).
Variable writes (``setvar``) commit in the block's last cycle, so every read in the block sees
the value the block started with.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .cdfg import Block, Op
from .resources import resource_of
from .stream_order import FSM_GAP
from .timing import TimingModel

@dataclass
class BlockSchedule:
    """Start and ready cycles of every op of one block (see ``schedule_text`` for a printer
    and ``check.check_block`` for the checker)."""
    block: Block
    start: dict = field(default_factory=dict)       # op -> first cycle (0-based)
    ready: dict = field(default_factory=dict)       # op -> cycle its result is valid
    arrival: dict = field(default_factory=dict)     # op -> ns into the ready cycle
    registered: set = field(default_factory=set)    # ops whose value is kept in a register
    length: int = 1                                 # states the block takes
    external_ids: frozenset = frozenset()           # buffers reached through ports

    def cycle_of_use(self, op: Op) -> int:
        return self.start[op] if not op.info.writes_var else self.length - 1


class _Occupancy:
    """Starts per resource class and cycle, against the class's capacity."""

    def __init__(self, external_ids: set):
        self.external = external_ids
        self.used = defaultdict(int)

    def free(self, op: Op, cycle: int) -> bool:
        rc = resource_of(op, self.external)
        return rc is None or rc.capacity is None or self.used[(rc, cycle)] < rc.capacity

    def take(self, op: Op, cycle: int):
        rc = resource_of(op, self.external)
        if rc is not None:
            self.used[(rc, cycle)] += 1


def schedule_block(block: Block, timing: TimingModel, external_ids: set,
                   extra_uses: tuple = ()) -> BlockSchedule:
    """Schedule ``block``; ``extra_uses`` are ops the FSM reads in the block's last cycle
    (loop/branch conditions)."""
    sch = BlockSchedule(block, external_ids=frozenset(external_ids))
    units = _Occupancy(external_ids)
    reg_out, limit = timing.reg_out_ns, timing.chain_limit_ns
    loads, stores = defaultdict(list), defaultdict(list)
    last_transfer = None            # stream transfers keep program order (``stream_order``)
    for op in block.ops:
        if op.info.writes_var:
            continue
        t = timing.of(op)
        cycle = max([sch.ready[o] for o in op.operands], default=0)
        if op.info.is_memory:
            key = id(op.buf)
            cycle = max([cycle] + [sch.start[s] + 1 for s in stores[key]])
            if op.info.is_store:
                cycle = max([cycle] + [sch.start[ld] for ld in loads[key]])
        if op.info.is_stream and last_transfer is not None:
            cycle = max(cycle, sch.start[last_transfer] + FSM_GAP)
        while True:
            arr = timing.input_arrival(op, cycle, sch.ready, sch.arrival)
            if arr > reg_out and arr + t.delay_ns > limit:
                cycle += 1          # break the chain: operands come from registers next cycle
                continue
            if not units.free(op, cycle):
                cycle += 1
                continue
            break
        units.take(op, cycle)
        if op.info.is_stream:
            last_transfer = op
        if op.info.is_memory:
            (loads if op.info.is_load else stores)[id(op.buf)].append(op)
        sch.start[op] = cycle
        sch.ready[op] = cycle + t.latency
        sch.arrival[op] = timing.result_arrival(op, arr)
    return finish_schedule(sch, 0, extra_uses)


def finish_schedule(sch: BlockSchedule, min_last: int, extra_uses) -> BlockSchedule:
    """Set the block's length, put variable writes in its last cycle, mark kept values."""
    last = max([sch.ready[o] for o in sch.start] + [min_last])
    sch.length = last + 1
    for op in sch.block.ops:
        if op.info.writes_var:
            sch.start[op] = sch.ready[op] = last
    _mark_registers(sch, extra_uses)
    return sch


def _mark_registers(sch: BlockSchedule, extra_uses):
    last = sch.length - 1
    for op in sch.block.ops:
        for o in op.operands:
            if not o.info.stable and sch.cycle_of_use(op) > sch.ready[o]:
                sch.registered.add(o)
    for o in extra_uses:
        if not o.info.stable and last > sch.ready[o]:
            sch.registered.add(o)
