"""Every float unit against Berkeley SoftFloat on Verilator, all vectors of a format in one
simulation (tests/float_verilator.py): add, sub, mul, div, sqrt, the six compares, min/max,
int32/uint32 (int64 for float64) to float and back, and a format conversion, each on the
edge corpus x edge corpus plus ``ALLO_FLOAT_CAMPAIGN`` random operand pairs (default 20 000;
the long mode sets 1 000 000), with the extra sets of the unit tests (quotients near the
subnormal boundary, near-exact square roots, floats around the int range, int range ends).

The units run pipelined at the stage counts the timing model gives every family (the
divider and square root at several depths), so the hardware the compiler builds is the one
checked. Results are bit for bit (NaN results: the canonical NaN; min/max: numpy).
"""
from __future__ import annotations

import functools
import itertools
import os
import random
import time

import numpy as np
import pytest
import softfloatpy as sf

from allo_rtl.hls.timing import TimingModel
from allo_rtl.primitives.float import (FAdd, FCompare, FDiv, FloatToFloat, FloatToInt, FMinMax,
                                       FMul, FSqrt, IntToFloat, float16, float32, float64)
from float_ref import canonical, edge_values, from_sf, random_operands, ref_binary, to_sf
from float_verilator import Bundle, run_bundle
from test_prim_float_compare import _as_numpy, _predicates
from test_prim_float_convert import _float_inputs, _int_edges, _ref_float_to_float, \
    _ref_float_to_int, _ref_int_to_float
from test_prim_float_div import _near_ties
from test_prim_float_sqrt import _vectors as _sqrt_vectors

pytestmark = pytest.mark.verilator

#: random operand pairs per operation (each unit sees every vector of its format)
CAMPAIGN = int(os.environ.get("ALLO_FLOAT_CAMPAIGN", "20000"))
#: float64 random pairs (the float64 units are slower to build and check)
CAMPAIGN64 = int(os.environ.get("ALLO_FLOAT_CAMPAIGN64", max(2000, CAMPAIGN // 10)))
PREFIX = {float16: "f16", float32: "f32", float64: "f64"}
FAMILIES = ("generic", "ice40", "ecp5")


def _stage_counts(cls: str) -> list[int]:
    """The distinct stage counts the timing model gives unit class ``cls`` over families:
    each family's default count and the count it picks at its default clock."""
    return sorted({n for f in FAMILIES
                   for n in (TimingModel(f).float_unit(cls)["stages"],
                             TimingModel(f).float_stages(cls))})


def _variants(cls: str) -> list[tuple[int, bool]]:
    """The distinct (stages, dsp_shifts) the timing model gives ``cls`` over families."""
    def variants(f):
        tm = TimingModel(f)
        u = tm.float_unit(cls)
        dsp = bool(u.get("options", {}).get("dsp_shifts"))
        return {(u["stages"], dsp), (tm.float_stages(cls), dsp)}
    return sorted(set().union(*(variants(f) for f in FAMILIES)))


def _operands(fmt, count: int, seed: int) -> tuple[list[int], list[int]]:
    edges = edge_values(fmt)
    pairs = list(itertools.product(edges, edges)) + random_operands(fmt, count, seed)
    pairs += [(v["a"], v["b"]) for v in _near_ties(fmt, 2000, seed)]
    rng = random.Random(seed)
    ibits = 32 if fmt == float32 else 64
    singles = ([v["a"] for v in _sqrt_vectors(fmt, 500, seed)] + _float_inputs(fmt, 2000, seed)
               + _int_edges(ibits, True, 500, seed) + _int_edges(ibits, False, 500, seed))
    if fmt == float32:   # the int32 range ends exactly
        singles += [0x4F000000, 0xCF000000, 0x4EFFFFFF, 0xCEFFFFFF, 0xCF000001, 0x4B800000,
                    0x4F800000, 0x4F7FFFFF]
    mask = (1 << fmt.width) - 1
    pairs += [(a & mask, rng.getrandbits(fmt.width)) for a in singles]
    return [a for a, _ in pairs], [b for _, b in pairs]


@functools.lru_cache(maxsize=None)
def _bundle(fmt) -> tuple[Bundle, dict]:
    """The bundle of a format and, per (unit, result), the reference function of (a, b).
    The float32 bundle also holds float16 add, mul, div and sqrt on the low 16 bits of the
    operands (results keyed ``h...``)."""
    w = fmt.width
    ibits = 32 if fmt == float32 else 64
    b = Bundle({"a": w, "b": w})
    ref = {}

    def binary(name):
        return lambda a, y: canonical(fmt, ref_binary(fmt, name, a, y))

    for st, dsp in _variants("fadd"):
        tag = f"s{st}" + "_dsp" * dsp
        b.add(f"add_{tag}", FAdd(fmt, st, dsp), dict(a="a", b="b", sub=0), dict(r="result"))
        b.add(f"sub_{tag}", FAdd(fmt, st, dsp), dict(a="a", b="b", sub=1), dict(r="result"))
        ref[(f"add_{tag}", "r")], ref[(f"sub_{tag}", "r")] = binary("add"), binary("sub")
    for st, dsp in _variants("fmul"):
        tag = f"s{st}" + "_dsp" * dsp
        b.add(f"mul_{tag}", FMul(fmt, st, dsp), dict(a="a", b="b"), dict(r="result"))
        ref[(f"mul_{tag}", "r")] = binary("mul")
    for st in sorted(set(_stage_counts("fdiv")) | {0, 31}):
        b.add(f"div_s{st}", FDiv(fmt, st), dict(a="a", b="b"), dict(r="result"))
        ref[(f"div_s{st}", "r")] = binary("div")
    sqrt = getattr(sf, f"{PREFIX[fmt]}_sqrt")
    for st in sorted(set(_stage_counts("fsqrt")) | {0, 29}):
        b.add(f"sqrt_s{st}", FSqrt(fmt, st), dict(a="a"), dict(r="result"))
        ref[(f"sqrt_s{st}", "r")] = lambda a, y: canonical(fmt, from_sf(sqrt(to_sf(fmt, a))))
    preds = ("eq", "ne", "lt", "le", "gt", "ge")
    b.add("cmp", FCompare(fmt, 1), dict(a="a", b="b"), {p: p for p in preds})
    for k, p in enumerate(preds):
        ref[("cmp", p)] = lambda a, y, k=k: int(_predicates(fmt, a, y)[k])
    for is_max in (0, 1):
        b.add(f"minmax{is_max}", FMinMax(fmt, 1), dict(a="a", b="b", max=is_max),
              dict(r="result"))
        ref[(f"minmax{is_max}", "r")] = None                  # numpy, vectorized below
    for signed in (True, False):
        tag = "s" if signed else "u"
        itof_st, ftoi_st = _stage_counts("itof")[-1], _stage_counts("ftoi")[-1]
        if fmt == float32 or ibits == w:
            b.add(f"itof_{tag}", IntToFloat(fmt, ibits, signed, itof_st),
                  dict(a="a"), dict(r="result"))
            ref[(f"itof_{tag}", "r")] = (lambda a, y, s=signed:
                                         _ref_int_to_float(fmt, ibits, s, a & ((1 << ibits) - 1)))
        b.add(f"ftoi_{tag}", FloatToInt(fmt, ibits, signed, ftoi_st), dict(a="a"),
              dict(r="result"))
        ref[(f"ftoi_{tag}", "r")] = lambda a, y, s=signed: _ref_float_to_int(fmt, ibits, s, a)
    ftof_st = _stage_counts("ftof")[-1]
    for dst in ((float16, float64) if fmt == float32 else (float32,)):
        b.add(f"ftof_{dst.width}", FloatToFloat(fmt, dst, ftof_st), dict(a="a"),
              dict(r="result"))
        ref[(f"ftof_{dst.width}", "r")] = (lambda a, y, d=dst:
                                           canonical(d, _ref_float_to_float(fmt, d, a)))
    if fmt == float32:
        low = {"a": lambda i: i["a"][:16], "b": lambda i: i["b"][:16]}
        h = 0xFFFF
        for name, cls in (("add", FAdd), ("mul", FMul), ("div", FDiv)):
            connect = dict(low, sub=0) if cls is FAdd else low
            b.add(f"h{name}", cls(float16, 3), connect, dict(r="result"))
            ref[(f"h{name}", "r")] = (lambda a, y, n=name:
                                      canonical(float16, ref_binary(float16, n, a & h, y & h)))
        b.add("hsqrt", FSqrt(float16, 4), dict(a=low["a"]), dict(r="result"))
        ref[("hsqrt", "r")] = lambda a, y: canonical(float16, from_sf(sf.f16_sqrt(
            to_sf(float16, a & h))))
    return b, ref


def _minmax_want(fmt, a, y, is_max):
    x, back = _as_numpy(fmt, a)
    z, _ = _as_numpy(fmt, y)
    with np.errstate(all="ignore"):
        r = back(np.maximum(x, z) if is_max else np.minimum(x, z)).astype(np.uint64)
    nan = fmt.canonical_nan
    # any NaN result is the canonical one
    m = fmt.man_bits
    is_nan = ((r >> np.uint64(m)) & np.uint64(fmt.exp_all_ones)) == fmt.exp_all_ones
    is_nan &= (r & np.uint64((1 << m) - 1)) != 0
    return np.where(is_nan, np.uint64(nan), r)


@pytest.mark.parametrize("fmt", [float32, float64], ids=["float32", "float64"])
def test_units_match_softfloat_on_verilator(fmt, record_property):
    count = CAMPAIGN if fmt == float32 else CAMPAIGN64
    a, y = _operands(fmt, count, seed=fmt.width + 5)
    bundle, ref = _bundle(fmt)
    t0 = time.monotonic()
    got = run_bundle(bundle, dict(a=a, b=y))
    t_sim = time.monotonic() - t0
    failures, checked = {}, {}
    for key, fn in ref.items():
        g = got[key]
        if fn is None:
            want = _minmax_want(fmt, a, y, key[0].endswith("1"))
        else:
            want = np.array([fn(p, q) for p, q in zip(a, y)], dtype=np.uint64)
        bad = np.nonzero(g != want)[0]
        checked[key] = len(g)
        if len(bad):
            failures[key] = [(hex(a[i]), hex(y[i]), hex(int(g[i])), hex(int(want[i])))
                             for i in bad[:5]] + [f"{len(bad)} of {len(g)}"]
    record_property("vectors", {f"{k[0]}.{k[1]}": v for k, v in checked.items()})
    record_property("simulation_s", round(t_sim, 2))
    print(f"{fmt}: {len(a)} vectors x {len(ref)} results, simulation {t_sim:.1f} s; "
          f"mismatches: {sum(int(f[-1].split()[0]) for f in failures.values())}; per result: "
          + ", ".join(f"{k[0]}.{k[1]} {v}" for k, v in checked.items()))
    assert not failures, failures
    assert min(checked.values()) >= count


def test_float16_square_root_of_every_pattern_on_verilator():
    """All 65 536 float16 inputs through the float32 bundle's float16 square root."""
    bundle, ref = _bundle(float32)
    a = list(range(1 << 16))
    got = run_bundle(bundle, dict(a=a, b=[0] * len(a)))[("hsqrt", "r")]
    want = np.array([ref[("hsqrt", "r")](x, 0) for x in a], dtype=np.uint64)
    bad = np.nonzero(got != want)[0]
    assert not len(bad), [(hex(a[i]), hex(int(got[i])), hex(int(want[i]))) for i in bad[:5]]
