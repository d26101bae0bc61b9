"""Binding: values kept across cycles -> shared registers (left-edge by lifetime), and
operations -> functional units.

Assumes scheduled blocks. A value captured at the end of its ready cycle ``r`` and last read in
cycle ``u`` occupies its register for cycles r+1..u; another value may take the register once
it is written at or after ``u``. Values never outlive their block and blocks never run at the
same time, so one register pool serves every block of a function. Registers are shared only
between values of the same width and signedness (no extension logic on the datapath).

Functional units: dividers (large, sequential) are shared across blocks (see ``bind_units``);
every other operation gets its own unit. The map is explicit so the report and the RTL read
the same binding.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .list_schedule import BlockSchedule
from .timing import divider_config


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


def mul_key(op) -> tuple:
    """Multiplications of the same operand shapes can share one multiplier (exact product;
    each user scales and wraps it into its own result type)."""
    a, b = (o.type for o in op.operands)
    return (a.hw_bits, a.signed, b.hw_bits, b.signed)


def bind_units(schedules, binding: Binding):
    """Dividers are shared across blocks: the k-th division of a block (per divider width and
    signedness) uses divider k. Blocks never overlap in time and a division finishes inside
    its block, so no two users of one divider are ever in flight together. Integer
    multiplications are shared the same way per cycle: the k-th multiplication (of one operand
    shape) starting in a cycle uses multiplier k, so the schedule is unchanged and a function
    needs only as many multipliers as one cycle uses; the cost is an input multiplexer. Other
    operations keep a unit each (adders and logic are about as large as the multiplexer
    sharing would add)."""
    for sch, _ in schedules:
        per_config = defaultdict(int)
        muls = defaultdict(int)
        for op in sch.block.ops:
            if op.kind == "div":
                cfg = divider_config(op)
                key = (cfg.width, cfg.signed)
                binding.unit_of[op] = ("div", *key, per_config[key])
                per_config[key] += 1
            elif (op.kind == "binop" and op.attrs["op"] == "*" and op.type.fracs == 0
                  and all(o.kind != "const" for o in op.operands)):
                key = (mul_key(op), sch.start[op])
                binding.unit_of[op] = ("mul", mul_key(op), muls[key])
                muls[key] += 1
            elif op.kind in ("binop", "compare", "minmax", "select", "unary", "logic",
                             "bitget", "bitslice", "addr"):
                binding.unit_of[op] = len(binding.unit_of)
    return binding
