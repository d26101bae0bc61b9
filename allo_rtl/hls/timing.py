"""Operator timing: latency (cycles) and combinational delay (ns) of each CDFG op.

The numbers are data (``timing_data/<family>.json``), not code. Delay of an op class is
``base_ns + per_bit_ns * width``. Multi-cycle ops (memory reads, dividers) have a latency in
cycles; their result arrives ``clock_to_out_ns`` into the cycle it becomes valid.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .cdfg import Op

DATA_DIR = Path(__file__).parent / "timing_data"
FAMILIES = ("generic", "ice40", "ecp5")


@dataclass(frozen=True)
class OpTiming:
    latency: int          # cycles from start to a valid result (0: combinational)
    delay_ns: float       # combinational delay added in the cycle the op starts
    out_ns: float = 0.0   # arrival of the result inside its first valid cycle (latency > 0)


class TimingModel:
    def __init__(self, family: str = "generic", clock_ns: float | None = None):
        if family not in FAMILIES:
            raise ValueError(f"unknown target family {family!r}; known: {', '.join(FAMILIES)}")
        self.data = _load(family)
        self.family = family
        self.clock_ns = float(clock_ns if clock_ns is not None else self.data["clock_ns"])

    def _delay(self, cls: str, width: int) -> float:
        d = self.data["ops"][cls]
        return d["base_ns"] + d["per_bit_ns"] * width

    def of(self, op: Op) -> OpTiming:
        width = op.type.bits if op.type is not None else 1
        ops = self.data["ops"]
        kind = op.kind
        if kind in ("const", "var", "setvar", "cast"):
            return OpTiming(0, 0.0)
        if kind == "load":
            r = ops["mem_read"]
            return OpTiming(r["latency"], r["setup_ns"], r["clock_to_out_ns"])
        if kind == "store":
            return OpTiming(0, ops["mem_write"]["setup_ns"])
        if kind == "div":
            from ..primitives.divider import divider_latency
            latency = divider_latency(divider_config(op).width)
            return OpTiming(latency, 0.3, ops["register"]["clock_to_out_ns"])
        if kind == "binop":
            cls = {"+": "add", "-": "add", "*": "mul", "<<": "shift", ">>": "shift"}.get(
                op.attrs["op"], "logic")
            if cls == "mul":    # a multiplier's depth follows its operands, not its product
                width = max(o.type.hw_bits for o in op.operands)
            return OpTiming(0, self._delay(cls, width))
        if kind == "compare":
            return OpTiming(0, self._delay("add", max(o.type.bits for o in op.operands)))
        if kind == "unary":
            return OpTiming(0, self._delay("add" if op.attrs["op"] == "-" else "logic", width))
        if kind in ("logic", "bitget"):
            return OpTiming(0, self._delay("logic", width))
        if kind == "bitslice":
            return OpTiming(0, self._delay("shift", width))
        if kind == "select":
            return OpTiming(0, self._delay("mux", width))
        if kind == "minmax":
            return OpTiming(0, self._delay("add", width) + self._delay("mux", width))
        if kind == "addr":
            terms = len(op.operands)
            muls = sum(1 for s in op.attrs["strides"] if s & (s - 1))
            return OpTiming(0, terms * self._delay("add", width) + muls * self._delay("mul", width))
        raise KeyError(kind)


@dataclass(frozen=True)
class DividerConfig:
    """How a div op maps onto a Divider: operand pre-shifts align fixed-point values."""

    width: int
    signed: bool
    shift_a: int
    shift_b: int


def divider_config(op: Op) -> DividerConfig:
    (ta, tb), tr = [o.type for o in op.operands], op.type
    if op.attrs["op"] == "%":            # C remainder of both values aligned to max fracs
        f = max(ta.fracs, tb.fracs)
        sa, sb = f - ta.fracs, f - tb.fracs
    else:                                # quotient with tr.fracs fraction bits
        sa = max(0, tr.fracs + tb.fracs - ta.fracs)
        sb = max(0, ta.fracs - tr.fracs - tb.fracs)
    signed = ta.signed or tb.signed
    wa = ta.hw_bits + sa + (1 if signed and not ta.signed else 0)
    wb = tb.hw_bits + sb + (1 if signed and not tb.signed else 0)
    # one spare bit when signed: MIN / -1 must not wrap before the result is narrowed
    return DividerConfig(max(wa, wb) + (1 if signed else 0), signed, sa, sb)


@lru_cache(maxsize=None)
def _load(family: str) -> dict:
    return json.loads((DATA_DIR / f"{family}.json").read_text())
