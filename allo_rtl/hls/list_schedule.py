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

from ..ir import nodes as ir
from .cdfg import Block, Op
from .timing import TimingModel

STABLE = ("const", "var")      # values that hold still for the whole block


@dataclass
class BlockSchedule:
    block: Block
    start: dict = field(default_factory=dict)       # op -> first cycle (0-based)
    ready: dict = field(default_factory=dict)       # op -> cycle its result is valid
    arrival: dict = field(default_factory=dict)     # op -> ns into the ready cycle
    registered: set = field(default_factory=set)    # ops whose value is kept in a register
    length: int = 1                                 # states the block takes

    def cycle_of_use(self, op: Op) -> int:
        return self.start[op] if op.kind != "setvar" else self.length - 1


def port_classes(buf: ir.Buffer, external: bool) -> tuple:
    """(class, capacity) pairs for a buffer's ports; each access uses one class."""
    if external:
        return (("rw", 1),)
    return (("r", 1), ("w", 1))


class _PortTable:
    def __init__(self, external_ids: set):
        self.external = external_ids
        self.used = defaultdict(int)

    def _cls(self, op: Op) -> str:
        if id(op.attrs["buf"]) in self.external:
            return "rw"
        return "r" if op.kind == "load" else "w"

    def free(self, op: Op, cycle: int) -> bool:
        return self.used[(id(op.attrs["buf"]), self._cls(op), cycle)] < 1

    def take(self, op: Op, cycle: int):
        self.used[(id(op.attrs["buf"]), self._cls(op), cycle)] += 1


def schedule_block(block: Block, timing: TimingModel, external_ids: set,
                   extra_uses: tuple = ()) -> BlockSchedule:
    """Schedule ``block``; ``extra_uses`` are ops the FSM reads in the block's last cycle
    (loop/branch conditions)."""
    sch = BlockSchedule(block)
    ports = _PortTable(external_ids)
    reg_out = timing.data["ops"]["register"]["clock_to_out_ns"]
    limit = timing.clock_ns - timing.data["ops"]["register"]["setup_ns"]
    loads, stores = defaultdict(list), defaultdict(list)

    def arrival_at(o: Op, cycle: int) -> float:
        if o.kind == "const":
            return 0.0
        if o.kind == "var" or cycle > sch.ready[o]:
            return reg_out
        return sch.arrival[o]

    for op in block.ops:
        if op.kind == "setvar":
            continue
        t = timing.of(op)
        cycle = max([sch.ready[o] for o in op.operands], default=0)
        if op.kind in ("load", "store"):
            key = id(op.attrs["buf"])
            cycle = max([cycle] + [sch.start[s] + 1 for s in stores[key]])
            if op.kind == "store":
                cycle = max([cycle] + [sch.start[ld] for ld in loads[key]])
        while True:
            arr = max([arrival_at(o, cycle) for o in op.operands], default=0.0)
            if arr > reg_out and arr + t.delay_ns > limit:
                cycle += 1          # break the chain: operands come from registers next cycle
                continue
            if op.kind in ("load", "store") and not ports.free(op, cycle):
                cycle += 1
                continue
            break
        if op.kind in ("load", "store"):
            ports.take(op, cycle)
            (loads if op.kind == "load" else stores)[id(op.attrs["buf"])].append(op)
        sch.start[op] = cycle
        sch.ready[op] = cycle + t.latency
        sch.arrival[op] = arr + t.delay_ns if t.latency == 0 else t.out_ns
    return finish_schedule(sch, 0, extra_uses)


def finish_schedule(sch: BlockSchedule, min_last: int, extra_uses) -> BlockSchedule:
    """Set the block's length, put variable writes in its last cycle, mark kept values."""
    last = max([sch.ready[o] for o in sch.start] + [min_last])
    sch.length = last + 1
    for op in sch.block.ops:
        if op.kind == "setvar":
            sch.start[op] = sch.ready[op] = last
    _mark_registers(sch, extra_uses)
    return sch


def _mark_registers(sch: BlockSchedule, extra_uses):
    last = sch.length - 1
    for op in sch.block.ops:
        for o in op.operands:
            if o.kind not in STABLE and sch.cycle_of_use(op) > sch.ready[o]:
                sch.registered.add(o)
    for o in extra_uses:
        if o.kind not in STABLE and last > sch.ready[o]:
            sch.registered.add(o)
