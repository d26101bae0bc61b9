"""Pipeline registers placed at a unit's cut points, all held while ``en`` is low.

A unit's combinational core calls :meth:`Pipeline.cut` at each point where a register may go,
the last call being its output. ``stages`` of those points get a register (spread evenly, the
output always among them when ``stages > 0``); the others are wires. So a new
operation can enter every cycle and leaves ``stages`` cycles later; with ``en`` low nothing
moves.
"""
from __future__ import annotations

from types import SimpleNamespace

from amaranth.hdl import Signal, Value


def check_stages(stages, max_stages: int, unit: str) -> int:
    if not isinstance(stages, int) or isinstance(stages, bool) or not 0 <= stages <= max_stages:
        raise ValueError(f"{unit} stages must be an integer from 0 to {max_stages}, "
                         f"not {stages!r}")
    return stages


def step_groups(stages: int, steps: int, fixed: int, least: int = 4):
    """How an iterative unit (``steps`` identical steps, ``fixed`` other cut points) spreads
    its steps for ``stages`` registers: (group bounds, registers at cut points, extra output
    registers). Up to ``least + fixed`` stages the steps form ``least`` groups; each stage
    beyond that splits one more group off, down to one step a stage (the shortest path
    then is one subtract-and-select); stages beyond even that delay the output."""
    groups = min(steps, max(least, stages - fixed))
    bounds = [-(-g * steps // groups) for g in range(groups + 1)]
    cuts = groups + fixed
    return bounds, min(stages, cuts), stages - min(stages, cuts)


class Pipeline:
    def __init__(self, m, en, stages: int, max_stages: int, last_filled: int | None = None):
        """``last_filled``: a cut point that gets a register only at ``max_stages`` (a unit
        that gained a cut point keeps the register placement it had at every lower count)."""
        self.m, self.en = m, en
        if last_filled is not None and stages < max_stages:
            spread = {(max_stages - 1) * (i + 1) // stages - 1 for i in range(stages)}
            self.registered = {k + (k >= last_filled) for k in spread}
        else:
            self.registered = {max_stages * (i + 1) // stages - 1 for i in range(stages)}
        self.index = 0
        self.max_stages = max_stages

    def is_registered(self, k: int) -> bool:
        """Whether cut point ``k`` (0 = the first :meth:`cut` call) gets a register."""
        return k in self.registered

    def delay(self, value, cycles: int, name: str) -> Value:
        """value after ``cycles`` more registers (held by ``en`` like the others): a unit
        asked for more stages than it has cut points adds them at its output."""
        for k in range(cycles):
            v = Value.cast(value)
            reg = Signal(v.shape(), name=f"{name}_d{k}")
            with self.m.If(self.en):
                self.m.d.sync += reg.eq(v)
            value = reg
        return value

    def cut(self, **values) -> SimpleNamespace:
        """The values after this cut point: registered copies, or the values themselves."""
        k = self.index
        assert k < self.max_stages, "more cut points than the unit declared"
        self.index += 1
        out = {}
        for name, v in values.items():
            v = Value.cast(v)
            reg = Signal(v.shape(), name=f"p{k}_{name}")
            if k in self.registered:
                with self.m.If(self.en):
                    self.m.d.sync += reg.eq(v)
            else:         # a wire all the same: later uses share it instead of copying v
                self.m.d.comb += reg.eq(v)
            out[name] = reg
        return SimpleNamespace(**out)
