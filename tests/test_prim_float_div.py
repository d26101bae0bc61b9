"""primitives.float.FDiv against Berkeley SoftFloat, bit for bit (NaN results: the canonical
NaN): edge corpus x edge corpus (x / 0, 0 / 0, inf / inf, subnormal operands and quotients,
overflow) and random pairs, combinational and pipelined with a random enable."""
import itertools
import random

import pytest
from amaranth.back import verilog

from allo_rtl.primitives.float import FDiv, bfloat16, float16, float32, float64
from allo_rtl.primitives.float.pipeline import step_groups
from float_ref import (SAMPLES, canonical, edge_values, mismatches, random_operands,
                       ref_binary, run_comb, run_pipelined)


def _vectors(fmt, randoms: int, seed: int):
    edges = edge_values(fmt)
    pairs = list(itertools.product(edges, edges)) + random_operands(fmt, randoms, seed)
    return [dict(a=a, b=b) for a, b in pairs]


def _want(fmt, v):
    return canonical(fmt, ref_binary(fmt, "div", v["a"], v["b"]))


def _near_ties(fmt, count: int, seed: int):
    """Quotients near the subnormal boundary and of operands with equal significands."""
    rng = random.Random(seed)
    m = fmt.man_bits
    vecs = []
    for _ in range(count):
        fa = rng.getrandbits(m)
        ea = rng.randint(0, fmt.exp_all_ones - 1)
        eb = min(max(ea + fmt.bias + rng.randint(-3, m + 3) - fmt.exp_all_ones + 1, 0),
                 fmt.exp_all_ones - 1) if rng.random() < 0.5 else rng.randint(0, fmt.exp_all_ones - 1)
        fb = fa if rng.random() < 0.3 else rng.getrandbits(m)
        vecs.append(dict(a=(ea << m) | fa,
                         b=(rng.getrandbits(1) << (fmt.width - 1)) | (eb << m) | fb))
    return vecs


@pytest.mark.parametrize("fmt, randoms", [(float32, SAMPLES), (float16, 1000), (bfloat16, 1000),
                                          (float64, 200)])
def test_fdiv_matches_softfloat(fmt, randoms):
    vecs = _vectors(fmt, randoms, seed=fmt.width + 1) + _near_ties(fmt, 500, fmt.width)
    if fmt == float64:   # a sample: the whole float64 corpus runs on Verilator (a float64
        vecs = random.Random(1).sample(vecs, 400)   # divider is slow in the Python simulator)
    got = run_comb(FDiv(fmt), vecs, ["result"])
    bad = mismatches(fmt, vecs, got, [_want(fmt, v) for v in vecs])
    assert not bad, f"{len(bad)} mismatches: {bad[:5]}"


@pytest.mark.parametrize("stages", [1, 4, 8, 18, 31, 33])
def test_fdiv_pipelined_latency_and_enable(stages):
    vecs = _vectors(float32, 300, seed=stages)[-400:]
    dut = FDiv(float32, stages=stages)
    assert dut.latency == stages
    got = run_pipelined(dut, vecs, "result", seed=stages)
    bad = mismatches(float32, vecs, [(g,) for g in got], [_want(float32, v) for v in vecs])
    assert not bad, bad[:5]


def test_deeper_pipelines_split_the_steps():
    """Up to 8 stages the 27 float32 division steps form 4 groups (7, 7, 7, 6); each stage
    more splits one more group off, 31 stages give one step a stage, more only delay."""
    assert step_groups(8, 27, 4) == ([0, 7, 14, 21, 27], 8, 0)
    assert step_groups(3, 27, 4) == ([0, 7, 14, 21, 27], 3, 0)
    bounds, registered, extra = step_groups(18, 27, 4)
    assert len(bounds) == 15 and max(b - a for a, b in zip(bounds, bounds[1:])) == 2
    assert (registered, extra) == (18, 0)
    assert step_groups(31, 27, 4) == (list(range(28)), 31, 0)
    assert step_groups(40, 27, 4) == (list(range(28)), 31, 9)


def test_fdiv_converts_to_verilog():
    assert "module fdiv32" in verilog.convert(FDiv(float32, stages=3), name="fdiv32")


def test_fdiv_refuses_bad_stages():
    with pytest.raises(ValueError, match="from 0 to 64, not 65"):
        FDiv(float32, stages=65)

