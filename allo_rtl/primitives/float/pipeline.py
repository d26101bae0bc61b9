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


class Pipeline:
    def __init__(self, m, en, stages: int, max_stages: int):
        self.m, self.en = m, en
        self.registered = {max_stages * (i + 1) // stages - 1 for i in range(stages)}
        self.index = 0
        self.max_stages = max_stages

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
