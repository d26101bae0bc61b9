"""primitives.limb_mul.LimbMul on its own: the wrapped product against Python integers, one
new operand pair per cycle, ``en`` holding the pipeline, for both stage counts."""
import random

import pytest
from amaranth.hdl import signed, unsigned
from amaranth.sim import Simulator

from allo_rtl.primitives.limb_mul import LimbMul


def edges(bits, is_signed):
    lo, hi = (-(1 << bits - 1), (1 << bits - 1) - 1) if is_signed else (0, (1 << bits) - 1)
    return sorted({lo, hi, 0, 1, lo + 1, hi - 1} | ({-1} if is_signed else set()))


def run(dut, stream):
    """stream: (a, b, en) per cycle -> the result seen after each clock edge."""
    seen = []

    async def tb(ctx):
        for a, b, en in stream:
            ctx.set(dut.a, a)
            ctx.set(dut.b, b)
            ctx.set(dut.en, en)
            await ctx.tick()
            seen.append(ctx.get(dut.result))

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(tb)
    sim.run()
    return seen


@pytest.mark.parametrize("stages", [1, 2])
@pytest.mark.parametrize("wa,sa,wb,sb,width,limb", [
    (32, True, 32, True, 32, 16), (32, False, 32, True, 32, 16), (16, True, 32, False, 48, 16),
    (33, True, 33, True, 64, 16), (8, False, 8, True, 16, 5), (64, True, 64, True, 64, 18)])
def test_limb_product_matches_python_ints(stages, wa, sa, wb, sb, width, limb):
    rng = random.Random(wa * 1000 + width * 10 + stages)
    ea, eb = edges(wa, sa), edges(wb, sb)
    pairs = [(x, y) for x in ea for y in eb]
    rand = lambda w, s: rng.randint(-(1 << w - 1), (1 << w - 1) - 1) if s \
        else rng.randint(0, (1 << w) - 1)                        # noqa: E731
    pairs += [(rand(wa, sa), rand(wb, sb)) for _ in range(60)]
    stream = [(a, b, int(rng.random() > 0.25)) for a, b in pairs]
    dut = LimbMul(signed(wa) if sa else unsigned(wa), signed(wb) if sb else unsigned(wb),
                  width, limb, stages)
    seen = run(dut, stream)
    mask = (1 << width) - 1
    pp = out = 0                     # the pipeline's registers, in Python
    want = []
    for a, b, en in stream:
        if en:
            out, pp = pp, (a * b) & mask
        want.append(pp if stages == 1 else out)
    assert seen == want


def test_only_products_below_the_width_are_built():
    units = [LimbMul(signed(32), signed(32), 32, 16), LimbMul(signed(64), signed(64), 64, 16)]
    for u in units:
        u._MustUse__silence = True               # inspected, not elaborated
    assert units[0].terms == [(0, 0), (0, 1), (1, 0)]
    assert len(units[1].terms) == 10


@pytest.mark.parametrize("kwargs,msg", [({"width": 0}, "positive integer, not 0"),
                                        ({"width": 32, "stages": 3}, "1 or 2, not 3"),
                                        ({"width": 32, "limb_bits": 1}, ">= 2, not 1")])
def test_bad_parameters_are_refused(kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        LimbMul(signed(8), signed(8), **kwargs)
