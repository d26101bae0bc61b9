"""A resource estimate of a design from its build report (units, memories, registers), so a
sweep can rank points without a board build: LUTs, FFs, DSPs and BRAMs for an ECP5-like part.

Per unit, by the width in its name: adders, subtractors, comparators, logic and multiplexers
one LUT per bit; shifters w*log2(w); an iterative divider about 4 LUTs per bit; a multiplier
ceil(a/18) * ceil(b/18) 18x18 DSP blocks (ECP5's MULT18X18D) and no LUTs; float adders 450
LUTs, float multipliers 150 LUTs and 4 DSPs. Memories above 1024 bits take ceil(bits/18432)
BRAMs per bank (DP16KD), smaller ones LUT RAM (one LUT per 16 bits). FFs: the report's register
bits. It is a model for ranking, not a substitute for ``board=`` numbers: a sweep can refine
its Pareto points with real builds (``dse.explore(..., board=...)``).
"""
from __future__ import annotations

import math
import re

LUT_PER_BIT = {"add": 1, "sub": 1, "cmp": 1, "and": 1, "or": 1, "xor": 1, "mux": 1,
               "select": 1, "neg": 1, "not": 1, "min": 1, "max": 1, "abs": 1}
FLOAT = {"fadd": (450, 0), "fsub": (450, 0), "fmul": (150, 4), "fdiv": (800, 0),
         "fsqrt": (700, 0), "fcmp": (60, 0)}
BRAM_BITS, LUTRAM_LIMIT = 18432, 1024


def _parse(unit: str):
    """("mul", [32, 32]) from "mul32x32"; ("add", [32]) from "add32"."""
    m = re.match(r"([a-z_]+?)(\d+)(?:[us])?(?:x(\d+))?", unit)
    if not m:
        return unit, []
    return m.group(1), [int(g) for g in m.groups()[1:] if g]


def unit_cost(unit: str, count: int) -> tuple:
    """(LUTs, DSPs) of ``count`` units named ``unit`` in the report."""
    kind, widths = _parse(unit)
    w = widths[0] if widths else 32
    if kind in FLOAT:
        lut, dsp = FLOAT[kind]
        return count * lut, count * dsp
    if kind == "mul":
        b = widths[1] if len(widths) > 1 and widths[1] > 0 else w
        return 0, count * math.ceil(w / 18) * math.ceil(b / 18)
    if kind.startswith("div") or kind.startswith("rem") or kind in ("floordiv", "mod"):
        return count * 4 * w, 0
    if kind.startswith("sh"):
        return count * w * max(1, math.ceil(math.log2(max(w, 2)))), 0
    return count * LUT_PER_BIT.get(kind, 1) * w, 0


def estimate(report: dict) -> dict:
    """{"lut", "ff", "dsp", "bram"} summed over the report's functions."""
    lut = ff = dsp = bram = 0
    for f in report["functions"]:
        for unit, count in f["functional_units"].items():
            a, b = unit_cost(unit, count)
            lut, dsp = lut + a, dsp + b
        for m in f["memories"]:
            if not m["implementation"].startswith("on-chip"):
                continue                  # ports: the memory is outside the kernel
            per_bank = m["bits"] / max(1, m["banks"])
            if per_bank > LUTRAM_LIMIT:
                bram += m["banks"] * math.ceil(per_bank / BRAM_BITS)
            else:
                lut += math.ceil(m["bits"] / 16)
        ff += f["registers"]["total_bits"]
        lut += f["fsm_block_states"]          # state decoding, about one LUT per state
    return {"lut": lut, "ff": ff, "dsp": dsp, "bram": bram}
