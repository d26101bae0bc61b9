"""primitives.const_div.ConstDiv on its own: ``/``, ``//`` and ``%`` by a constant against
Python integers (Allo's rules: ``/`` truncates, ``//`` floors, ``%`` takes the dividend's sign,
the result wrapped to its type), signed and unsigned, several widths, divisors and stage
plans, the extremes and 0, one new dividend per cycle with ``en`` holding the pipeline."""
import random

import pytest
from amaranth.sim import Simulator

from allo_rtl.ir.types import Int, UInt
from allo_rtl.primitives.const_div import ConstDiv, const_div_latency, limb_terms


def int_type(bits, is_signed):
    return Int(bits) if is_signed else UInt(bits)


def trunc(a, d):
    q = abs(a) // d
    return -q if a < 0 else q


def reference(symbol, a, d, bits, is_signed):
    """Raw result bits of ``a symbol d`` in a ``bits``-wide result, by Python ints."""
    q = {"/": trunc(a, d), "//": a // d, "%": a - trunc(a, d) * d}[symbol]
    return q & ((1 << bits) - 1)


def dividends(bits, is_signed, rng, n=40):
    lo, hi = (-(1 << bits - 1), (1 << bits - 1) - 1) if is_signed else (0, (1 << bits) - 1)
    edge = {lo, hi, 0, 1, lo + 1, hi - 1, 2, 3, 5}
    if is_signed:
        edge |= {-1, -2, -3, -4}
    return sorted(v for v in edge if lo <= v <= hi) + [rng.randint(lo, hi) for _ in range(n)]


def run(dut, stream):
    """stream: (a, en) per cycle -> the result read before each clock edge."""
    seen = []

    async def tb(ctx):
        for a, en in stream:
            ctx.set(dut.a, a)
            ctx.set(dut.en, en)
            seen.append(ctx.get(dut.result))
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(tb)
    sim.run()
    return seen


CASES = [  # symbol, bits, signed, d, result bits, limb bits, levels, fix registered
    ("/", 32, True, 3, 32, 16, 1, False), ("//", 32, True, 3, 32, 18, 1, True),
    ("%", 32, True, 3, 32, 16, 2, False), ("/", 34, True, 3, 32, 18, 1, False),
    ("/", 34, True, 3, 32, 16, 1, False),        # small limbs on both sides: shifted adds
    ("//", 32, False, 7, 32, 16, 1, False), ("%", 32, False, 10, 32, 16, 3, True),
    ("/", 8, True, 5, 8, 4, 1, False), ("//", 8, True, 6, 8, 5, 1, True),
    ("%", 16, True, 641, 16, 16, 1, False), ("//", 64, True, 1000003, 64, 18, 2, False),
    ("/", 16, False, 3, 8, 16, 1, False), ("%", 12, True, 9, 12, 6, 1, True),
    # / and // on the dividend's bits (no magnitude): the fold constant and the sign XORs
    ("/", 64, True, 3, 64, 16, 1, False), ("/", 64, True, 2 ** 31 - 1, 64, 18, 2, True),
    ("//", 34, True, 3, 32, 16, 1, False), ("//", 16, True, 641, 16, 8, 1, False),
    ("/", 8, True, 127, 8, 3, 1, False), ("//", 64, False, 10, 64, 18, 1, False)]


@pytest.mark.parametrize("direct", [True, False])
@pytest.mark.parametrize("symbol,bits,is_signed,d,rbits,limb,levels,fix_reg", CASES)
def test_const_division_matches_python_ints(symbol, bits, is_signed, d, rbits, limb, levels,
                                            fix_reg, direct):
    """Both forms of / and // (on a's bits, through the magnitude) and %."""
    if symbol == "%" and not direct:
        pytest.skip("% has one form")
    rng = random.Random(bits * 7919 + d)
    values = dividends(bits, is_signed, rng)
    dut = ConstDiv(symbol, int_type(bits, is_signed), int_type(rbits, is_signed), d, limb,
                   levels, fix_reg, direct)
    stream = []                  # every dividend enters: held through 0-2 stalled cycles
    for a in values:
        stream += [(a, 0)] * rng.choice([0, 0, 1, 2]) + [(a, 1)]
    stream += [(0, 1)] * (dut.latency + 1)                 # drain
    seen = run(dut, stream)
    pipe = [None] * dut.latency                            # the unit's registers, in Python
    want = []
    for a, en in stream:
        want.append(None if pipe[-1] is None else
                    reference(symbol, pipe[-1], d, rbits, is_signed))
        if en:
            pipe = [a] + pipe[:-1]
    got = [s if w is not None else None for s, w in zip(seen, want)]
    assert got == want
    assert len(values) + dut.latency < len(stream)           # stalls were tested


def test_latency_follows_the_plan():
    # 32-bit |a| by the 33-bit reciprocal of 3: 16-bit limbs make 6 products (3 levels)
    assert len(limb_terms(32, 3, 16)) == 6 and len(limb_terms(32, 3, 18)) == 4
    assert const_div_latency(32, 3, 16, 1, False) == 2 + 3
    assert const_div_latency(32, 3, 16, 2, False) == 2 + 2
    assert const_div_latency(32, 3, 18, 1, True) == 2 + 2 + 1


def test_truncating_division_has_no_magnitude_stage():
    # / goes straight to the limb products (a signed / adds its fold constant as a 7th term:
    # still 3 levels); a signed // registers its XOR with the sign first; % its magnitude
    assert const_div_latency(32, 3, 16, 1, False, "/", True) == 1 + 3
    assert const_div_latency(32, 3, 16, 1, False, "/", False) == 1 + 3
    assert const_div_latency(32, 3, 16, 1, False, "//", True) == 2 + 3
    assert const_div_latency(32, 3, 16, 1, False, "//", False) == 1 + 3
    # 18-bit limbs: 4 products, and the fold a 5th term (3 levels, not 2)
    assert const_div_latency(32, 3, 18, 1, False, "/", True) == 1 + 3
    t = int_type(32, True)
    units = [ConstDiv("/", t, t, 3, 16), ConstDiv("%", t, t, 3, 16)]
    for u in units:
        u._MustUse__silence = True           # only the latency is read, nothing elaborated
    assert [u.latency for u in units] == [4, 5]
    assert const_div_latency(32, 3, 18, 1, False, "/", True, direct=False) == 2 + 2


@pytest.mark.parametrize("symbol", ["/", "//"])
@pytest.mark.parametrize("bits, d", [(5, 3), (6, 7), (7, 10), (7, 11)])
def test_direct_division_every_dividend(symbol, bits, d):
    """Every dividend of a narrow signed type, one a cycle (the fold and XOR paths)."""
    t = int_type(bits, True)
    dut = ConstDiv(symbol, t, t, d, 3)
    values = list(range(-(1 << bits - 1), 1 << bits - 1))
    seen = run(dut, [(a, 1) for a in values] + [(0, 1)] * (dut.latency + 1))
    want = [reference(symbol, a, d, bits, True) for a in values]
    assert seen[dut.latency:dut.latency + len(values)] == want


@pytest.mark.parametrize("d", [1, 4, 0, -3])
def test_refuses_divisors_it_is_not_for(d):
    t = int_type(32, True)
    with pytest.raises(ValueError, match="divisor"):
        ConstDiv("/", t, t, d)
