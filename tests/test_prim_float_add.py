"""primitives.float.FAdd against Berkeley SoftFloat, bit for bit (NaN results: the canonical
NaN). Edge corpus x edge corpus, random bit patterns and close-magnitude pairs that cancel."""
import itertools
import random

import pytest
from amaranth.back import verilog

from allo_rtl.primitives.float import FAdd, bfloat16, float16, float32
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


@pytest.mark.parametrize("fmt, randoms", [(float32, SAMPLES), (float16, 2000), (bfloat16, 2000)])
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


@pytest.mark.slow
def test_fadd_float32_campaign():
    vecs = [dict(a=a, b=b, sub=i % 2) for i, (a, b) in enumerate(random_operands(float32, 100000, 7))]
    got = run_comb(FAdd(float32), vecs, ["result"])
    bad = mismatches(float32, vecs, got, [_want(float32, v) for v in vecs])
    assert not bad, f"{len(bad)} mismatches: {bad[:5]}"
