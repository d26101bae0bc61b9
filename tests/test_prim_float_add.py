"""primitives.float.FAdd against Berkeley SoftFloat, bit for bit (NaN results: the canonical
NaN). Edge corpus x edge corpus, random bit patterns and close-magnitude pairs that cancel."""
import itertools
import random

import pytest
from amaranth.back import verilog

from allo_rtl.primitives.float import FAdd, bfloat16, float16, float32, float64
from float_ref import (SAMPLES, canonical, edge_values, mismatches, random_operands, ref_binary,
                       run_comb, run_pipelined)


def _vectors(fmt, randoms: int, seed: int):
    rng = random.Random(seed)
    edges = edge_values(fmt)
    pairs = list(itertools.product(edges, edges))
    vecs = [dict(a=a, b=b, sub=i % 2) for i, (a, b) in enumerate(pairs)]
    vecs += [dict(a=a, b=b, sub=rng.getrandbits(1)) for a, b in random_operands(fmt, randoms, seed)]
    return vecs


def _want(fmt, v):
    return canonical(fmt, ref_binary(fmt, "sub" if v["sub"] else "add", v["a"], v["b"]))


@pytest.mark.parametrize("fmt, randoms", [(float32, SAMPLES), (float16, 2000), (bfloat16, 2000),
                                          (float64, 200)])
def test_fadd_matches_softfloat(fmt, randoms):
    vecs = _vectors(fmt, randoms, seed=fmt.width)
    got = run_comb(FAdd(fmt), vecs, ["result"])
    bad = mismatches(fmt, vecs, got, [_want(fmt, v) for v in vecs])
    assert not bad, f"{len(bad)} mismatches: {bad[:5]}"


def test_fadd_ieee_zero_signs_and_invalid():
    pz, nz, one, inf = 0, 0x80000000, 0x3F800000, 0x7F800000
    vecs = [dict(a=pz, b=nz, sub=0), dict(a=nz, b=nz, sub=0), dict(a=nz, b=pz, sub=1),
            dict(a=one, b=one, sub=1), dict(a=inf, b=inf, sub=1), dict(a=0x7F800001, b=one, sub=0)]
    got = [g[0] for g in run_comb(FAdd(float32), vecs, ["result"])]
    assert got == [pz, nz, nz, pz, 0x7FC00000, 0x7FC00000]


@pytest.mark.parametrize("stages", [1, 4, 7])
def test_fadd_pipelined_latency_and_enable(stages):
    vecs = _vectors(float32, 300, seed=stages)[-400:]
    dut = FAdd(float32, stages=stages)
    assert dut.latency == stages
    got = run_pipelined(dut, vecs, "result", seed=stages)
    bad = mismatches(float32, vecs, [(g,) for g in got], [_want(float32, v) for v in vecs])
    assert not bad, bad[:5]


def test_fadd_converts_to_verilog():
    text = verilog.convert(FAdd(float32, stages=3), name="fadd32")
    assert "module fadd32" in text


@pytest.mark.parametrize("args, message", [((float32, 8), "from 0 to 7, not 8"),
                                           ((float32, -1), "not -1"),
                                           ((32,), "needs a FloatFormat, not 32")])
def test_fadd_refuses_bad_arguments(args, message):
    with pytest.raises(ValueError, match=message):
        FAdd(*args)



# (a, b, sub, what the case exercises); results are checked against SoftFloat
NAMED_CASES = [
    (0x3F800000, 0x33800000, 0, "1 + 2**-24: a tie, to even (stays 1.0)"),
    (0x3F800001, 0x33800000, 0, "(1 + ulp) + 2**-24: a tie, to even (rounds up)"),
    (0x3FFFFFFF, 0x34000000, 0, "(2 - ulp) + ulp: carry into the exponent"),
    (0x7F7FFFFF, 0x73000000, 0, "max normal + half an ulp: overflow to inf"),
    (0x00800000, 0x00000001, 1, "min normal - min subnormal: max subnormal"),
    (0x00800001, 0x00800000, 1, "difference of two normals is a subnormal"),
    (0x3F800000, 0x3F7FFFFF, 1, "1 - (1 - ulp/2): deep cancellation"),
    (0x4B800001, 0x3F800000, 1, "2**24 + 2 - 1: rounding after a borrow"),
    (0x00000001, 0x80000001, 0, "x + (-x) = +0"),
]


@pytest.mark.parametrize("a, b, sub, what", NAMED_CASES, ids=[c[3] for c in NAMED_CASES])
def test_fadd_named_edge_cases(a, b, sub, what):
    got = run_comb(FAdd(float32), [dict(a=a, b=b, sub=sub)], ["result"])
    assert got[0][0] == _want(float32, dict(a=a, b=b, sub=sub)), what


@pytest.mark.parametrize("fmt, randoms", [(float32, SAMPLES), (float16, 1000), (float64, 100)])
def test_fadd_dsp_shifts_matches_softfloat(fmt, randoms):
    """The shifters partly in multipliers (ECP5's build) give the same bits."""
    vecs = _vectors(fmt, randoms, seed=fmt.width + 1)
    got = run_comb(FAdd(fmt, dsp_shifts=True), vecs, ["result"])
    bad = mismatches(fmt, vecs, got, [_want(fmt, v) for v in vecs])
    assert not bad, f"{len(bad)} mismatches: {bad[:5]}"


@pytest.mark.parametrize("stages", [3, 8])
def test_fadd_dsp_shifts_pipelined(stages):
    vecs = _vectors(float32, 300, seed=stages)[-400:]
    dut = FAdd(float32, stages=stages, dsp_shifts=True)
    assert dut.latency == stages
    got = run_pipelined(dut, vecs, "result", seed=stages)
    bad = mismatches(float32, vecs, [(g,) for g in got], [_want(float32, v) for v in vecs])
    assert not bad, bad[:5]


def test_fadd_dsp_shifts_has_one_more_stage():
    with pytest.raises(ValueError, match="from 0 to 8, not 9"):
        FAdd(float32, stages=9, dsp_shifts=True)
