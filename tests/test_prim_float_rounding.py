"""The shared pieces of primitives.float.rounding and the pipeline's register placement,
each against a plain Python model of what it computes (the units built from them are checked
against SoftFloat in the other tests/test_prim_float_*.py files)."""
import random

import pytest
from amaranth.hdl import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from allo_rtl.primitives.float import bfloat16, float32
from allo_rtl.primitives.float.pipeline import Pipeline
from allo_rtl.primitives.float.rounding import pack_field, round_field, shift_right_sticky
from float_ref import run_comb


class _Comb(wiring.Component):
    """One combinational function of two inputs as a component run_comb can drive."""

    def __init__(self, wa, wb, wo, fn):
        self.fn = fn
        super().__init__({"a": In(wa), "b": In(wb), "o": Out(wo)})

    def elaborate(self, platform):
        m = Module()
        m.d.comb += self.o.eq(self.fn(m, self.a, self.b))
        return m


@pytest.mark.parametrize("saturate", [False, True])
@pytest.mark.parametrize("width, amount_bits", [(27, 8), (12, 4), (16, 4), (5, 3)])
def test_shift_right_sticky_matches_python(width, amount_bits, saturate):
    """x >> amount with every dropped bit ORed into bit 0; amounts of the width or more
    (the amount's high bits set, or low bits past the width) leave only the sticky bit."""
    rng = random.Random(width)
    edges = [0, 1, (1 << width) - 1, 1 << (width - 1)]
    vecs = [dict(a=a, b=b) for a in edges for b in range(1 << amount_bits)]
    vecs += [dict(a=rng.getrandbits(width) >> rng.randrange(width),
                  b=rng.randrange(1 << amount_bits)) for _ in range(1500)]
    dut = _Comb(width, amount_bits, width,
                lambda m, a, b: shift_right_sticky(m, a, b, saturate))
    got = run_comb(dut, vecs, ["o"])

    def want(x, k):
        if k >= width:
            return int(x != 0)
        return (x >> k) | int(x & ((1 << k) - 1) != 0)
    bad = [(v, g) for v, (g,) in zip(vecs, got) if g != want(v["a"], v["b"])]
    assert not bad, bad[:5]


@pytest.mark.parametrize("fmt", [float32, bfloat16])
def test_round_field_and_pack_field_match_python(fmt):
    """Round to nearest even of (field, significand with 3 guard bits), then pack: the carry
    runs into the exponent field, a field of all ones or ``huge`` is infinity, ``zero`` a
    signed zero."""
    mb, eb = fmt.man_bits, fmt.exp_bits
    rng = random.Random(mb)
    sig_bits = mb + 1 + 3

    def fn(m, a, b):
        field, zero, huge, sign = a[:eb], a[eb], a[eb + 1], a[eb + 2]
        return pack_field(fmt, sign, round_field(m, fmt, field, b), zero, huge)

    vecs = []
    for _ in range(3000):
        field = rng.choice([0, 1, fmt.exp_all_ones - 1, rng.randrange(fmt.exp_all_ones)])
        sig = rng.getrandbits(sig_bits)
        if rng.random() < 0.3:          # a tie, an all-ones fraction: carries
            sig |= rng.choice([0b100, ((1 << (mb + 1)) - 1) << 3 | 0b100])
        # the contract: the hidden bit is set exactly when the field is not 0
        sig = sig | 1 << (sig_bits - 1) if field else sig & ~(1 << (sig_bits - 1))
        flags = rng.choice([0, 0, 0, 1, 2, 4, 5])     # zero, huge, sign bits
        vecs.append(dict(a=field | flags << eb, b=sig))
    got = run_comb(_Comb(eb + 3, sig_bits, fmt.width, fn), vecs, ["o"])

    def want(v):
        field, flags, sig = v["a"] & fmt.exp_all_ones, v["a"] >> eb, v["b"]
        zero, huge, sign = flags & 1, flags >> 1 & 1, flags >> 2 & 1
        keep, rest = sig >> 3, sig & 0b111
        up = rest > 0b100 or (rest == 0b100 and keep & 1)
        # exponent field and fraction as one number: a carry of the rounding moves on
        value = (field << mb | keep & ((1 << mb) - 1)) + up
        if zero:
            value = 0
        elif huge or value >> mb >= fmt.exp_all_ones:
            value = fmt.exp_all_ones << mb
        return sign << (fmt.width - 1) | value
    bad = [(v, hex(g), hex(want(v))) for v, (g,) in zip(vecs, got) if g != want(v)]
    assert not bad, bad[:5]


def test_last_filled_cut_waits_for_all_stages():
    """FMul's partial-product cut (index 2 of 7) gets a register only at 7 stages: with 1 to
    6 the registers sit where the even spread over the other 6 cut points puts them."""
    for stages in range(1, 7):
        over_six = {6 * (i + 1) // stages - 1 for i in range(stages)}
        placed = Pipeline(None, Signal(), stages, 7, last_filled=2).registered
        assert placed == {k if k < 2 else k + 1 for k in over_six}
        assert 2 not in placed and len(placed) == stages
    assert Pipeline(None, Signal(), 7, 7, last_filled=2).registered == set(range(7))
