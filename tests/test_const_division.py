"""Integer division by any other positive constant becomes a multiplication by its reciprocal
(hls/optable.py ``*_const``, primitives/arith.py ``const_division_value``), not the iterative
divider: every int8 and uint8 dividend and edge/random int32, uint32 and int64 dividends
against Python-int references of Allo's rules (``/`` truncates, ``//`` floors, ``%`` keeps the
dividend's sign), in hardware; and a stencil loop dividing by 3 now pipelines."""
import random

import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.ir.types import int16, int32
from source_modules import module_from_source


def _trunc(a, c):
    return -((-a) // c) if a < 0 else a // c


REFERENCE = {"/": _trunc, "//": lambda a, c: a // c, "%": lambda a, c: a - _trunc(a, c) * c}
NP = {"int8": np.int8, "uint8": np.uint8, "int32": np.int32, "uint32": np.uint32,
      "int64": np.int64}
BITS = {"int8": 8, "uint8": 8, "int32": 32, "uint32": 32, "int64": 64}


def _kernel(op, c, dtype, n, tmp_path):
    # kernels are read from their source file: write one per case
    src = (f"from allo_rtl.ir.types import {dtype}\n\n"
           f"def div(A: {dtype}[{n}]) -> {dtype}[{n}]:\n"
           f"    B: {dtype}[{n}] = 0\n"
           f"    for i in range({n}):\n"
           f"        B[i] = A[i] {op} {dtype}({c})\n"
           f"    return B\n")
    stem = f"k_{op.replace('/', 'd').replace('%', 'm')}_{c}_{dtype}"
    return module_from_source(tmp_path, stem, src).div


def _dividends(dtype, rng):
    bits, dt = BITS[dtype], NP[dtype]
    lo, hi = (0, (1 << bits) - 1) if dtype.startswith("u") else \
        (-(1 << (bits - 1)), (1 << (bits - 1)) - 1)
    if bits == 8:
        return np.arange(lo, hi + 1).astype(dt)
    edges = [lo, lo + 1, lo + 2, hi, hi - 1, 0, 1, -1, 2, -2, 3, -3, 8, -9, 1000, -1000]
    edges = [v for v in edges if lo <= v <= hi]
    rand = [int(x) for x in rng.integers(lo, hi, 256 - len(edges), dtype=np.int64,
                                         endpoint=True)] if bits < 64 else \
        [int(x) - (1 << 63) for x in rng.integers(0, 1 << 63, 256 - len(edges),
                                                  dtype=np.uint64) * 2]
    return np.array(edges + rand, dtype=object).astype(dt)


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int32", "uint32", "int64"])
@pytest.mark.parametrize("op", ["/", "//", "%"])
@pytest.mark.parametrize("c", [3, 7, 10, 100])
def test_every_dividend_matches_allo_rules(op, c, dtype, tmp_path):
    A = _dividends(dtype, np.random.default_rng(c))
    kernel = _kernel(op, c, dtype, len(A), tmp_path)
    mod = allo.customize(kernel).build()
    bits = BITS[dtype]
    mask = (1 << bits) - 1
    want = [REFERENCE[op](int(a), c) & mask for a in A]
    got = [int(x) & mask for x in mod(A.copy())]
    bad = [(int(a), w, g) for a, w, g in zip(A, want, got) if w != g]
    assert not bad, f"{dtype} {op} {c}: (dividend, want, got) {bad[:5]}"
    units = str(mod.report()).split("functional units:")[1].split("\n")[0]
    names = [u.split()[0] for u in units.split(",")]
    dividing = [n for n in names if "div" in n or "mod" in n]
    assert dividing and all("_const" in n for n in dividing), units   # no divider unit


def test_a_large_divisor_in_a_narrow_type():
    # 200 in int16 divides an int16: the reciprocal needs w + 8 bits
    def k(A: int16[8]) -> int16[8]:
        B: int16[8] = 0
        for i in range(8):
            B[i] = A[i] // 200 + A[i] % 201
        return B
    A = np.array([-32768, -32767, -201, -200, -1, 0, 32767, 12345], dtype=np.int16)
    want = np.array([(a // 200 + REFERENCE["%"](int(a), 201)) for a in A.astype(int)])
    got = allo.customize(k).build()(A.copy())
    assert np.array_equal(got.astype(np.int64), want.astype(np.int16).astype(np.int64))


def jacobi_step(A: int32[32]) -> int32[32]:
    B: int32[32] = 0
    for i in range(1, 31):
        B[i] = (A[i - 1] + A[i] + A[i + 1]) / 3
    return B


def test_a_stencil_dividing_by_three_pipelines_at_its_port_bound():
    rng = np.random.default_rng(5)
    A = rng.integers(-2**30, 2**30, 32).astype(np.int32)
    s = allo.customize(jacobi_step)
    s.pipeline("i")
    mod = s.build()
    got = mod(A.copy())
    a = A.astype(np.int64)
    want = np.zeros(32, dtype=np.int64)
    for i in range(1, 31):          # Allo widens the sum (int34): no wrap before dividing
        want[i] = _trunc(int(a[i - 1] + a[i] + a[i + 1]), 3)
    assert np.array_equal(got.astype(np.int64), want.astype(np.int32).astype(np.int64))
    assert np.array_equal(got, s.build(target="python")(A.copy()))
    top = mod.report().to_dict()["functions"][-1]
    row = next(r for r in top["loops"] if r["name"] == "i")
    # before: "not pipelined: the division runs on an iterative unit"; now the three reads
    # of A's one port are the limit
    assert row["pipelined"] and row["ii"] == row["res_mii"] == 3


def _edge_dividends(bits, is_signed, d, rng, n=24):
    lo, hi = (-(1 << bits - 1), (1 << bits - 1) - 1) if is_signed else (0, (1 << bits) - 1)
    edge = {lo, lo + 1, hi, hi - 1, 0, 1, -1, d, -d, d - 1, 1 - d, d + 1, -d - 1,
            3 * d, -3 * d, hi // d * d, lo // d * d, lo // d * d + d - 1}
    return sorted(v for v in edge if lo <= v <= hi) + [rng.randint(lo, hi) for _ in range(n)]


@pytest.mark.parametrize("bits", [8, 16, 32, 64])
@pytest.mark.parametrize("is_signed", [True, False])
def test_combinational_division_on_the_dividends_bits(bits, is_signed):
    """arith.const_division_value (signed / and // without the magnitude) in simulation
    against Python ints: edges (min, -1, 0, max, multiples of d, +-(d-1)) and random."""
    from amaranth.hdl import Module, Signal
    from amaranth.sim import Simulator
    from allo_rtl.ir.types import Int, UInt
    from allo_rtl.primitives import arith
    t = Int(bits) if is_signed else UInt(bits)
    rng = random.Random(bits * 31 + is_signed)
    divisors = [d for d in [3, 5, 7, 10, 641, 255, 2 ** 13 - 1, 2 ** 31 - 1, 10 ** 9 + 7,
                            (1 << bits - 1) - 3] if 2 < d < (1 << bits - 1) and d & (d - 1)]
    m, a, outs = Module(), Signal(arith.shape_of(t), name="a"), []
    for d in divisors:
        for op in ("/", "//", "%"):
            out = Signal(arith.shape_of(t), name=f"q{len(outs)}")
            m.d.comb += out.eq(arith.const_division_value(op, a, t, d, t))
            outs.append((op, d, out))
    vectors = sorted({v for d in divisors for v in _edge_dividends(bits, is_signed, d, rng)})
    mask, failures = (1 << bits) - 1, []

    async def tb(ctx):
        for v in vectors:
            ctx.set(a, v)
            for op, d, out in outs:
                want = REFERENCE[op](v, d) & mask
                if ctx.get(out) & mask != want:
                    failures.append((op, d, v, ctx.get(out), want))

    sim = Simulator(m)
    sim.add_testbench(tb)
    sim.run()
    assert not failures, failures[:5]
