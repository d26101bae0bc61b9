"""primitives.float.FSqrt against Berkeley SoftFloat's square root, bit for bit (NaN results:
the canonical NaN): the edge corpus, every exponent parity, perfect squares and random bit
patterns, combinational and pipelined with a random enable."""
import random

import pytest
import softfloatpy as sf
from amaranth.back import verilog

from allo_rtl.primitives.float import FSqrt, bfloat16, float16, float32, float64
from float_ref import SAMPLES, canonical, edge_values, from_sf, run_comb, run_pipelined, to_sf


def _bf16_sqrt(x):
    """bfloat16 square root: round to odd in float32 (toward zero, last bit set if inexact),
    then once to nearest even (float32 has more than bfloat16's precision + 2)."""
    sf.set_rounding_mode(sf.RoundingMode.MIN_MAG)
    sf.set_exception_flags(0)
    try:
        r = from_sf(sf.f32_sqrt(sf.bf16_to_f32(x)))
        inexact = sf.test_exception_flags(sf.ExceptionFlag.INEXACT)
    finally:
        sf.set_rounding_mode(sf.RoundingMode.NEAR_EVEN)
    return sf.f32_to_bf16(to_sf(float32, r | 1 if inexact else r))


def _want(fmt, a):
    fn = {float32: sf.f32_sqrt, float16: sf.f16_sqrt, float64: sf.f64_sqrt,
          bfloat16: _bf16_sqrt}[fmt]
    return canonical(fmt, from_sf(fn(to_sf(fmt, a))))


def _vectors(fmt, randoms, seed):
    rng = random.Random(seed)
    m = fmt.man_bits
    vals = list(edge_values(fmt))
    vals += [rng.getrandbits(fmt.width) for _ in range(randoms)]
    vals += [rng.getrandbits(fmt.width - 1) for _ in range(randoms)]        # positive
    # perfect squares and their neighbours (exact roots, ties cannot occur but near-ties can)
    for _ in range(300):
        r = rng.randint(1, (1 << ((m + 1) // 2 + 1)) - 1)
        e = rng.randint(1, fmt.exp_all_ones - 2)
        base = (e << m) | (((r * r) << m >> (2 * r.bit_length())) & ((1 << m) - 1))
        vals += [base, base + 1, base - 1]
    return [dict(a=v & ((1 << fmt.width) - 1)) for v in vals]


@pytest.mark.parametrize("fmt, randoms", [(float32, SAMPLES), (float16, 1000),
                                          (bfloat16, 1000), (float64, 200)])
def test_fsqrt_matches_softfloat(fmt, randoms):
    vecs = _vectors(fmt, randoms, seed=fmt.width)
    if fmt == float64:   # a sample: the whole float64 corpus runs on Verilator
        vecs = random.Random(1).sample(vecs, 400)
    got = run_comb(FSqrt(fmt), vecs, ["result"])
    bad = [(hex(v["a"]), hex(g[0]), hex(_want(fmt, v["a"]))) for v, g in zip(vecs, got)
           if g[0] != _want(fmt, v["a"])]
    assert not bad, f"{len(bad)} mismatches: {bad[:5]}"



@pytest.mark.parametrize("stages", [1, 4, 7, 16, 29, 30])
def test_fsqrt_pipelined_latency_and_enable(stages):
    vecs = _vectors(float32, 200, seed=stages)[-300:]
    dut = FSqrt(float32, stages=stages)
    assert dut.latency == stages
    got = run_pipelined(dut, vecs, "result", seed=stages)
    bad = [hex(v["a"]) for v, g in zip(vecs, got) if g != _want(float32, v["a"])]
    assert not bad, bad[:5]


def test_fsqrt_converts_to_verilog_and_refuses_bad_stages():
    assert "module fsqrt32" in verilog.convert(FSqrt(float32, stages=2), name="fsqrt32")
    with pytest.raises(ValueError, match="from 0 to 64, not 65"):
        FSqrt(float32, stages=65)
