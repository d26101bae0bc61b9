"""Binding: values kept across cycles -> shared registers (left-edge by lifetime), and
operations -> functional units.

Assumes scheduled blocks. A value captured at the end of its ready cycle ``r`` and last read in
cycle ``u`` occupies its register for cycles r+1..u; another value may take the register once
it is written at or after ``u``. Values never outlive their block and blocks never run at the
same time, so one register pool serves every block of a function. Registers are shared only
between values of the same width and signedness (no extension logic on the datapath).

Functional units: dividers (large, sequential) and float adders/multipliers (large,
pipelined) are shared across blocks and cycles (see ``bind_units``), and float units also
across the modulo slots of a pipelined loop and with the blocks around it
(``bind_pipeline_units``); every other operation gets its own unit. The map is explicit so
the report and the RTL read the same binding.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .list_schedule import BlockSchedule
from .optable import COMBINATIONAL, PIPELINED
from .divider_unit import divider_config
from . import float_unit


@dataclass
class Binding:
    register_of: dict = field(default_factory=dict)    # op -> register index
    registers: list = field(default_factory=list)      # index -> (bits, signed)
    unit_of: dict = field(default_factory=dict)        # op -> functional unit index

    @property
    def register_bits(self) -> int:
        return sum(bits for bits, _ in self.registers)


def _last_use(sch: BlockSchedule, extra_uses) -> dict:
    last = defaultdict(int)
    for op in sch.block.ops:
        for o in op.operands:
            last[o] = max(last[o], sch.cycle_of_use(op))
    for o in extra_uses:
        last[o] = max(last[o], sch.length - 1)
    return last


def bind_registers(schedules, binding: Binding):
    """Left-edge register allocation over ``(BlockSchedule, extra_uses)`` pairs."""
    by_shape = defaultdict(list)                 # (bits, signed) -> register indices
    for sch, extra in schedules:
        free_from = {}                           # register index -> first cycle it may be written
        last = _last_use(sch, extra)
        for op in sorted(sch.registered, key=lambda o: (sch.ready[o], o.id)):
            key = (op.type.hw_bits, op.type.signed)
            ready = sch.ready[op]
            reg = next((r for r in by_shape[key] if free_from.get(r, 0) <= ready), None)
            if reg is None:
                reg = len(binding.registers)
                binding.registers.append(key)
                by_shape[key].append(reg)
            binding.register_of[op] = reg
            free_from[reg] = max(last[op], ready + 1)
    return binding


def unit_key(op) -> tuple:
    """Operations of one table entry class and the same operand shapes can share a unit: a
    multiplier gives the exact product (each user scales and wraps it into its own type), a
    divider is configured by width and signedness."""
    if op.info.iterative:
        cfg = divider_config(op)
        return (cfg.width, cfg.signed)
    if op.info.pipelined:
        return (op.info.unit_key or float_unit.unit_key)(op)
    a, b = (o.type for o in op.operands)
    return (a.hw_bits, a.signed, b.hw_bits, b.signed)


def _shared_slot(op, sch: BlockSchedule):
    """When two ops of a block may use one unit: iterative units finish inside their block
    and blocks never overlap, so the k-th iterative op of a block uses unit k (slot: the
    block); combinational sharable units are shared per cycle (slot: the start cycle), and so
    are pipelined units (they take a new op every cycle; results leave ``latency`` cycles
    later, still inside the block, so ops of other cycles and blocks never collide)."""
    return None if op.info.iterative else sch.start[op]


def cycle_shared_key(op):
    """The unit class an op shares with the other ops of its class that start in other cycles
    of its block (so that spreading them over cycles saves units), or None: not shared, or
    shared per block whatever the cycle (iterative units)."""
    info = op.info
    if not info.sharable or info.iterative or not _can_share(op):
        return None
    return (info.resource, unit_key(op))


def bind_units(schedules, binding: Binding):
    """Sharable operations (the table's ``sharable``: dividers, integer multipliers with no
    constant operand) of one unit key use unit k for the k-th of them in their slot (see
    ``_shared_slot``), so the schedule is unchanged and a function needs only as many units
    as one slot uses; the cost is an input multiplexer. Other operations keep a unit each
    (adders and logic are about as large as the multiplexer sharing would add)."""
    for sch, _ in schedules:
        used = defaultdict(int)
        for op in sch.block.ops:
            info = op.info
            if info.sharable and _can_share(op):
                key = (info.resource, unit_key(op))
                slot = (key, _shared_slot(op, sch))
                binding.unit_of[op] = (info.resource, unit_key(op), used[slot])
                used[slot] += 1
            elif info.unit in (COMBINATIONAL, PIPELINED):
                binding.unit_of[op] = len(binding.unit_of)
    return binding


def _can_share(op) -> bool:
    """A multiplier by a constant is a few adders: not worth an input multiplexer; a
    fixed-point product keeps its own scaling unit."""
    if op.info.iterative or op.info.pipelined:
        return True
    return op.type.fracs == 0 and all(not o.info.is_const for o in op.operands)


def bind_pipeline_units(schedules, binding: Binding):
    """Float ops of a pipelined loop (``ModuloSchedule``s): iterations start every II cycles,
    so ops of one unit class whose positions differ modulo II never start in one cycle, and a
    pipelined unit takes one op per cycle: the k-th op of each modulo slot uses unit k. The
    unit keys are those of ``bind_units``, so a pipeline shares units with the blocks and
    the other pipelines of its function too (the FSM runs one state at a time and a pipeline
    drains before its state is left). The cost: an input multiplexer chosen by the valid bit
    of each op's position (``rtl.pipeline``)."""
    for sch in schedules:
        used = defaultdict(int)
        for op in sch.block.ops:
            if not (op.info.pipelined and op.info.sharable):
                continue
            key = (op.info.resource, unit_key(op))
            slot = (key, sch.start[op] % sch.ii)
            binding.unit_of[op] = (*key, used[slot])
            used[slot] += 1
    return binding
