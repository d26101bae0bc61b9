"""memory-plan: how each ``@ Memory(...)`` request of a module is built on a family.

Assumes the module the build made (after banking and scalarization) and the module it came
from. Guarantees, per function, a ``MemoryPlan`` row for every array that carried a request:
the arrays (or banks) built and their Yosys ``ram_style``, and whether the request was
honoured; a request that was not (no such resource on the family, or the array became
registers, or an SPRAM request ``single_port`` could not build) gets a ``MemoryWarning`` at
the array's line. Changes nothing in the module.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..ir import nodes as ir
from ..memory import Placement, placement, warn_not_honoured

REGISTERS = Placement(None, "registers (the array was partitioned completely or has one word)",
                      False)


@dataclass(frozen=True)
class MemoryPlan:
    array: str
    request: object            # the allo.memory.Memory
    built_as: tuple            # names of the memories built (the array, or its banks)
    placement: Placement

    def to_dict(self) -> dict:
        return {"array": self.array, "request": repr(self.request), "built_as": list(self.built_as),
                "ram_style": self.placement.ram_style, "built": self.placement.built,
                "honoured": self.placement.honoured}


def plan_memories(source: ir.Module, built: ir.Module, family: str, decided=None) -> dict:
    """function name -> [MemoryPlan] for the arrays of ``source`` with a request;
    ``decided``: (function, array) -> Placement made elsewhere (``single_port``'s SPRAM)."""
    decided = decided or {}
    plans = {}
    for name, f in source.functions.items():
        rows = []
        memories = {b.name: b for b in built.functions[name].symbols() if isinstance(b, ir.Buffer)}
        for b in f.symbols():
            if not isinstance(b, ir.Buffer) or b.memory is None:
                continue
            made = [m.name for m in memories.values() if m.name == b.name or m.bank_of == b.name]
            where = (REGISTERS if not made else decided.get((name, b.name))
                     or placement(b.memory, family))
            if not where.honoured:
                warn_not_honoured(f"{name}:{b.name}", b.memory, where.built, b.loc)
            rows.append(MemoryPlan(b.name, b.memory, tuple(made), where))
        if rows:
            plans[name] = rows
    return plans


def ram_styles(plans: list) -> dict:
    """memory name -> Yosys ram_style, for the memories of one function's plans."""
    return {m: p.placement.ram_style for p in plans for m in p.built_as
            if p.placement.ram_style is not None}
