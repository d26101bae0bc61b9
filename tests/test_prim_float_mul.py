"""primitives.float.FMul against Berkeley SoftFloat, bit for bit (NaN results: the canonical
NaN): edge corpus x edge corpus (subnormal products, overflow, 0 * inf) and random pairs."""
import itertools
import random

import pytest
from amaranth.back import verilog

from allo_rtl.primitives.float import FMul, bfloat16, float16, float32, float64
from float_ref import (SAMPLES, canonical, edge_values, mismatches, random_operands,
                       ref_binary, run_comb, run_pipelined)


def _vectors(fmt, randoms: int, seed: int):
    edges = edge_values(fmt)
    pairs = list(itertools.product(edges, edges)) + random_operands(fmt, randoms, seed)
    return [dict(a=a, b=b) for a, b in pairs]


def _want(fmt, v):
    return canonical(fmt, ref_binary(fmt, "mul", v["a"], v["b"]))


def _tiny_products(fmt, count: int, seed: int):
    """Pairs whose product is near the smallest normal: rounding into and out of subnormals."""
    rng = random.Random(seed)
    m = fmt.man_bits
    vecs = []
    for _ in range(count):
        ea = rng.randint(1, fmt.exp_all_ones - 1)
        eb = min(max(fmt.bias - ea + rng.randint(-m - 2, 2), 0), fmt.exp_all_ones - 1)
        vecs.append(dict(a=(ea << m) | rng.getrandbits(m),
                         b=(rng.getrandbits(1) << (fmt.width - 1)) | (eb << m) | rng.getrandbits(m)))
    return vecs


@pytest.mark.parametrize("fmt, randoms", [(float32, SAMPLES), (float16, 2000), (bfloat16, 2000),
                                          (float64, 200)])
def test_fmul_matches_softfloat(fmt, randoms):
    vecs = _vectors(fmt, randoms, seed=fmt.width) + _tiny_products(fmt, 500, fmt.width)
    got = run_comb(FMul(fmt), vecs, ["result"])
    bad = mismatches(fmt, vecs, got, [_want(fmt, v) for v in vecs])
    assert not bad, f"{len(bad)} mismatches: {bad[:5]}"


@pytest.mark.parametrize("stages", [1, 3, 6, 7])
def test_fmul_pipelined_latency_and_enable(stages):
    vecs = _vectors(float32, 300, seed=stages)[-400:]
    dut = FMul(float32, stages=stages)
    assert dut.latency == stages
    got = run_pipelined(dut, vecs, "result", seed=stages)
    bad = mismatches(float32, vecs, [(g,) for g in got], [_want(float32, v) for v in vecs])
    assert not bad, bad[:5]


def test_fmul_converts_to_verilog():
    assert "module fmul32" in verilog.convert(FMul(float32, stages=2), name="fmul32")


def test_fmul_refuses_bad_stages():
    with pytest.raises(ValueError, match="from 0 to 7, not 8"):
        FMul(float32, stages=8)



# (a, b, what the case exercises); results are checked against SoftFloat, never pinned here
NAMED_CASES = [
    (0x3F800001, 0x3F7FFFFF, "product 1 - 2**-46: rounds up to 1.0 (carry into the exponent)"),
    (0x3FFFFFFF, 0x3FFFFFFF, "(2 - 2**-23)**2: carry out of the fraction"),
    (0x7F7FFFFF, 0x40000000, "max normal * 2: overflow to inf"),
    (0x00800000, 0x3F000000, "min normal / 2: exact subnormal"),
    (0x00800001, 0x3F000000, "(min normal + ulp) / 2: a tie, to even"),
    (0x00000001, 0x3F000000, "min subnormal / 2: tie to even -> +0"),
    (0x00000001, 0x3F400000, "min subnormal * 0.75: rounds up to min subnormal"),
    (0x007FFFFF, 0x3F800001, "max subnormal * (1 + ulp): rounds to min normal"),
    (0x80000001, 0x00000001, "underflow to -0"),
    (0x0DA24260, 0x3F800000 | 0x1234, "random normal * (1 + small)"),
]


@pytest.mark.parametrize("a, b, what", NAMED_CASES, ids=[c[2] for c in NAMED_CASES])
def test_fmul_named_edge_cases(a, b, what):
    got = run_comb(FMul(float32), [dict(a=a, b=b), dict(a=b, b=a)], ["result"])
    want = canonical(float32, ref_binary(float32, "mul", a, b))
    assert [g[0] for g in got] == [want, want], what


def _subnormal_times_normal(fmt, count: int, seed: int):
    """A subnormal (1 to man_bits significant bits) times a normal, either order: the input
    shift of the subnormal operand at every amount."""
    rng = random.Random(seed)
    m, top = fmt.man_bits, 1 << (fmt.width - 1)
    vecs = []
    for _ in range(count):
        a = (rng.getrandbits(1) * top) | rng.getrandbits(rng.randint(1, m))
        b = (rng.getrandbits(1) * top) | (rng.randint(1, fmt.exp_all_ones - 1) << m) \
            | rng.getrandbits(m)
        vecs.append(dict(a=a, b=b) if rng.random() < 0.5 else dict(a=b, b=a))
    return vecs


@pytest.mark.parametrize("fmt, randoms", [(float32, SAMPLES), (float16, 1000), (float64, 100)])
def test_fmul_dsp_shifts_matches_softfloat(fmt, randoms):
    """The shifters partly in multipliers (ECP5's build) give the same bits."""
    vecs = (_vectors(fmt, randoms, seed=fmt.width + 1) + _tiny_products(fmt, 500, fmt.width)
            + _subnormal_times_normal(fmt, 500, fmt.width))
    got = run_comb(FMul(fmt, dsp_shifts=True), vecs, ["result"])
    bad = mismatches(fmt, vecs, got, [_want(fmt, v) for v in vecs])
    assert not bad, f"{len(bad)} mismatches: {bad[:5]}"


@pytest.mark.parametrize("stages", [2, 7])
def test_fmul_dsp_shifts_pipelined(stages):
    vecs = (_vectors(float32, 200, seed=stages)[-200:] + _tiny_products(float32, 100, stages)
            + _subnormal_times_normal(float32, 100, stages))
    dut = FMul(float32, stages=stages, dsp_shifts=True)
    got = run_pipelined(dut, vecs, "result", seed=stages)
    bad = mismatches(float32, vecs, [(g,) for g in got], [_want(float32, v) for v in vecs])
    assert not bad, bad[:5]
