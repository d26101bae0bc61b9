"""Operator timing: latency (cycles) and combinational delay (ns) of each CDFG op.

The numbers are data (``timing_data/<family>.json``), not code. Delay of an op class is
``base_ns + per_bit_ns * width``. Multi-cycle ops (memory reads, dividers, pipelined float units) have a
latency in cycles; their result arrives ``clock_to_out_ns`` into the cycle it becomes valid.
Float units are described per family in ``timing_data/float_units.json`` (stage counts, the
logic before the first register, and measured area where there is a measurement).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from typing import TYPE_CHECKING

from .divider_unit import divider_config

if TYPE_CHECKING:
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
        """Latency and delay of ``op``, by the timing rule its table entry names."""
        return TIMING_RULES[op.info.timing](self, op)

    def float_unit(self, cls: str) -> dict:
        """The float unit entry ``cls`` (``timing_data/float_units.json``) of this family."""
        return _load("float_units")["families"][self.family][cls]

    def float_stages(self, cls: str) -> int:
        """The stage count (latency) of float unit ``cls`` at this model's clock: the fewest
        stages whose measured Fmax (``fmax_by_stages``, benchmarks/bench_float_stages.py)
        clears the clock by ``STAGE_MARGIN``, never more than the unit's default count; the
        default count where nothing is measured or nothing clears it. A slow clock so gets
        short float recurrences (an ECP5 fadd at 50 MHz in fewer cycles than at 100)."""
        u = self.float_unit(cls)
        need = STAGE_MARGIN * 1000.0 / self.clock_ns
        fits = [int(s) for s, mhz in u.get("fmax_by_stages", {}).items()
                if mhz >= need and int(s) <= u["stages"]]
        return min(fits, default=u["stages"])

    def float_unit_options(self) -> dict:
        """{unit class: its constructor options} for the float units of this family that
        have some (e.g. ``dsp_shifts`` on ECP5: shifters partly in DSP blocks)."""
        units = _load("float_units")["families"][self.family]
        return {cls: dict(u["options"]) for cls, u in units.items() if u.get("options")}

    def unit_ii(self, op: Op) -> int:
        """Cycles before the unit running ``op`` can start another operation: 1 for
        combinational and pipelined units and memory ports, the latency for an iterative
        unit (the divider is busy until its result is out)."""
        return max(1, self.of(op).latency) if op.info.iterative else 1

    # The one arrival rule every scheduler and the checker use (a value chained through
    # combinational ops arrives late in its cycle; anything read from a register arrives at
    # the register's clock-to-out).
    @property
    def reg_out_ns(self) -> float:
        return self.data["ops"]["register"]["clock_to_out_ns"]

    @property
    def chain_limit_ns(self) -> float:
        """Latest arrival a combinational chain may reach inside one cycle: the period less
        the setup time and the family's clock uncertainty (the routing of a full design that
        the per-op measurements do not see, ``pipelining.clock_uncertainty_ns``)."""
        return (self.clock_ns - self.data["ops"]["register"]["setup_ns"]
                - self.pipelining.get("clock_uncertainty_ns", 0.0))

    @property
    def pipelining(self) -> dict:
        """The family's multiplier pipelining data (``timing_data/<family>.json``)."""
        return self.data.get("pipelining", {})

    def mul_delay(self, operand_bits: int, result_bits: int) -> float:
        """Combinational delay of a product: the fitted single-DSP line up to ``dsp_bits``,
        the family's measured wide line beyond it (a DSP cascade and its adders)."""
        p = self.pipelining
        wide = p.get("wide_mul")
        if wide and p.get("dsp_bits") and operand_bits > p["dsp_bits"]:
            return wide["base_ns"] + wide["per_bit_ns"] * operand_bits
        return self._delay("mul", operand_bits)

    def limb_sum_ns(self, result_bits: int) -> float:
        """The adder tree summing the limb products of a ``result_bits`` product
        (``primitives.limb_mul``): ceil(log2(terms)) adds of the result's width."""
        n = -(-result_bits // self.pipelining.get("limb_bits", 16))
        terms = n * (n + 1) // 2
        levels = (terms - 1).bit_length()
        return levels * self._delay("add", result_bits)

    def mul_pipe_timing(self, result_bits: int) -> OpTiming:
        """A limb multiplier: the limb products in the starting cycle; their sum in the next
        (latency 1) when it fits there after a register, else registered too (latency 2)."""
        start = self._delay("mul", self.pipelining.get("limb_bits", 16))
        out = self.reg_out_ns + self.limb_sum_ns(result_bits)
        if out <= self.chain_limit_ns:
            return OpTiming(1, start, out)
        return OpTiming(2, start, self.reg_out_ns)

    # --- division by a constant (``*_const``; ``*_const_pipe`` from ``pipeline_div``) ----
    def const_div_parts(self, op: Op, direct: bool = True) -> tuple:
        """(input, reciprocal product, fix) delays in ns of ``a op d``. Through the magnitude
        (``%``, or ``direct`` off): the sign and ``|a|`` (a negation and a mux), ``|a| * M``
        (``M`` is ``w`` + ceil(log2 d) bits wide), the fix (``arith.const_division_fix``: a
        negation and a mux for ``/``, with ``|a| - q*d`` before it for ``%`` and a decrement
        more for ``//``). Direct ``/`` and ``//`` (``arith.direct_division_input``) multiply
        a's bits: a signed ``/`` adds its fold constant (one adder more in the product), a
        signed ``//`` XORs a and the quotient with the sign (a LUT level each, as a mux)."""
        from ..primitives.arith import reciprocal_of
        from ..primitives.const_div import is_direct
        a = op.operands[0].type
        w = a.hw_bits
        shift, m = reciprocal_of(w, op.operands[1].value)
        product = self.mul_delay(max(w, m.bit_length()), w)
        symbol = op.info.symbol
        if direct and is_direct(symbol):
            if symbol == "/":
                return 0.0, product + (self._delay("add", shift + 2) if a.signed else 0.0), 0.0
            xor = self._delay("mux", w) if a.signed else 0.0
            return xor, product, xor
        mag = self._delay("add", w) + self._delay("mux", w)
        extra = {"/": 0, "%": 1, "//": 2}[symbol]
        return mag, product, mag + extra * self._delay("add", w)

    def _const_div_limb_ns(self) -> float:
        """A limb product: one DSP, or (``const_div.small_product``) up to 4 shifted adds."""
        bits = self.const_div_limb_bits
        return max(self._delay("mul", bits), 2 * self._delay("add", bits + 4))

    def const_div_plan(self, op: Op):
        """(adder-tree levels a cycle, fix registered, direct) of a pipelined ``op``
        (``primitives.const_div``) at this clock, or None when a stage of it would not fit
        a cycle either (the input stage, one limb product or one adder level), or the family
        has no DSP size to cut the product at (``generic``, a model for tests). Of the direct
        and the magnitude form of ``/`` and ``//`` the one with fewer cycles; on a tie the
        magnitude form, whose short first stage lets the dividend's own logic chain into it
        (ECP5: a signed ``/``'s fold term costs the direct form a tree level)."""
        from ..primitives.arith import reciprocal_of
        from ..primitives.const_div import const_div_latency, has_input_stage, is_direct
        if not self.pipelining.get("dsp_bits"):     # no DSP boundary to cut at (generic)
            return None
        avail = self.chain_limit_ns - self.reg_out_ns
        a = op.operands[0].type
        w, d = a.hw_bits, op.operands[1].value
        _, m = reciprocal_of(w, d)
        level = self._delay("add", w + m.bit_length())
        plans = []
        for direct in ([False, True] if is_direct(op.info.symbol) else [False]):
            mag, _, fix = self.const_div_parts(op, direct)
            limb = self._const_div_limb_ns()
            if not has_input_stage(op.info.symbol, a.signed, direct):
                limb, mag = limb + mag, 0.0   # no register between the input logic and limbs
            if max(mag, limb, level) > avail:
                continue
            plan = (int(avail // level), fix > avail, direct)
            latency = const_div_latency(w, d, self.const_div_limb_bits, plan[0], plan[1],
                                        op.info.symbol, a.signed, direct)
            plans.append((latency, direct, plan))
        return min(plans)[2] if plans else None

    @property
    def const_div_limb_bits(self) -> int:
        """Limb width of a pipelined constant division: one DSP's operand (18 bits on the
        ECP5's MULT18X18D: a 34-bit dividend by its 36-bit reciprocal is 4 products, not 9)."""
        return self.pipelining.get("dsp_bits") or 16

    def const_div_pipe_timing(self, op: Op) -> OpTiming:
        """The input stage's logic (or, without one, the limb products) in the starting
        cycle; the result ``ConstDiv.latency`` cycles later, after the combinational fix or
        from its register."""
        from ..primitives.const_div import const_div_latency, has_input_stage
        levels, fix_registered, direct = op.div_plan
        a = op.operands[0].type
        latency = const_div_latency(a.hw_bits, op.operands[1].value, op.limb_bits, levels,
                                    fix_registered, op.info.symbol, a.signed, direct)
        mag, _, fix = self.const_div_parts(op, direct)
        if not has_input_stage(op.info.symbol, a.signed, direct):
            mag += self._const_div_limb_ns()
        return OpTiming(latency, mag, self.reg_out_ns + (0.0 if fix_registered else fix))

    def input_arrival(self, op: Op, cycle: int, ready: dict, arrival: dict) -> float:
        """ns into ``cycle`` at which the last of ``op``'s operands is valid: constants at 0;
        variables, values ready in an earlier cycle and values with no arrival yet come from
        a register; a value that became ready in this very cycle at its own arrival."""
        arr = 0.0
        for o in op.operands:
            if o.info.is_const:
                continue
            if o.info.reads_var or o not in arrival or cycle > ready[o]:
                arr = max(arr, self.reg_out_ns)
            else:
                arr = max(arr, arrival[o])
        return arr

    def result_arrival(self, op: Op, input_ns: float) -> float:
        """ns into its ready cycle at which ``op``'s result is valid, given its inputs'."""
        t = self.of(op)
        return input_ns + t.delay_ns if t.latency == 0 else t.out_ns


def _width(op: Op) -> int:
    return op.type.bits if op.type is not None else 1


def _operand_bits(op: Op) -> int:
    return max(o.type.bits for o in op.operands)


def _mem_read(tm, op):
    r = tm.data["ops"]["mem_read"]
    return OpTiming(r["latency"], r["setup_ns"], r["clock_to_out_ns"])


def _divider(tm, op):
    from ..primitives.divider import divider_latency
    latency = divider_latency(divider_config(op).width)
    return OpTiming(latency, 0.3, tm.data["ops"]["register"]["clock_to_out_ns"])


def _address(tm, op):
    width = _width(op)
    muls = sum(1 for s in op.strides if s & (s - 1))
    return OpTiming(0, len(op.operands) * tm._delay("add", width) + muls * tm._delay("mul", width))


# timing rules of the float units (float_units.json's classes; the comparisons have 0 stages)
FLOAT_UNIT_CLASSES = ("fadd", "fmul", "fdiv", "fsqrt", "fcompare", "fminmax", "itof", "ftoi",
                      "ftof")

# a unit's measured Fmax must clear the clock by this factor before fewer stages are used:
# nextpnr's Fmax varies by up to ~10 % between placement seeds (docs/float_units.md), and in
# a design the unit's inputs and outputs are routed further than in the harness
STAGE_MARGIN = 1.2


def _float(cls):
    """A pipelined float unit: ``stages`` cycles, the logic before its first register in the
    starting cycle; its result leaves a register (or, with 0 stages, the logic itself)."""
    def rule(tm, op):
        u = tm.float_unit(cls)
        w = max([_width(op)] + [o.type.hw_bits for o in op.operands])
        start = sum(tm._delay(c, max(1, round(bits * w / 32))) for c, bits in u["start"])
        stages = tm.float_stages(cls) if w <= 32 else u["stages"]
        if stages == 0:
            return OpTiming(0, start)
        if stages < u["stages"]:
            # fewer registers: the first comes later. Take its whole measured stage (the
            # slowest) as the logic before it, so little else is chained in front of it
            start = max(start, 1000.0 / u["fmax_by_stages"][str(stages)])
        return OpTiming(stages, start, tm.data["ops"]["register"]["clock_to_out_ns"])
    return rule


# rule name (``OpInfo.timing``) -> (model, op) -> OpTiming
TIMING_RULES = {
    "free": lambda tm, op: OpTiming(0, 0.0),
    "mem_read": _mem_read,
    "mem_write": lambda tm, op: OpTiming(0, tm.data["ops"]["mem_write"]["setup_ns"]),
    "divider": _divider,
    "add": lambda tm, op: OpTiming(0, tm._delay("add", _width(op))),
    "logic": lambda tm, op: OpTiming(0, tm._delay("logic", _width(op))),
    "shift": lambda tm, op: OpTiming(0, tm._delay("shift", _width(op))),
    "mux": lambda tm, op: OpTiming(0, tm._delay("mux", _width(op))),
    # a multiplier's depth follows its operands, not its product
    "mul": lambda tm, op: OpTiming(0, tm.mul_delay(max(o.type.hw_bits for o in op.operands),
                                                   _width(op))),
    "mul_pipe": lambda tm, op: tm.mul_pipe_timing(op.type.hw_bits),
    "const_div": lambda tm, op: OpTiming(0, sum(tm.const_div_parts(op))),
    "const_div_pipe": lambda tm, op: tm.const_div_pipe_timing(op),
    "compare": lambda tm, op: OpTiming(0, tm._delay("add", _operand_bits(op))),
    "minmax": lambda tm, op: OpTiming(0, tm._delay("add", _width(op)) + tm._delay("mux", _width(op))),
    "address": _address,
    # a FIFO's read data and ready leave its registers/LUT RAM: a mux's delay into the cycle
    "stream": lambda tm, op: OpTiming(0, tm._delay("mux", _width(op) if op.type else 1)),
    **{cls: _float(cls) for cls in FLOAT_UNIT_CLASSES},
}


@lru_cache(maxsize=None)
def _load(family: str) -> dict:
    return json.loads((DATA_DIR / f"{family}.json").read_text())
