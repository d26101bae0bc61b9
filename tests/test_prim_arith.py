"""primitives.arith against ir.semantics (the interpreter's definition), in Amaranth simulation,
on random and edge operands for integer and fixed-point type pairs."""
import itertools
import random

import pytest
from amaranth.hdl import Module, Signal
from amaranth.sim import Simulator

from allo_rtl.ir import semantics
from allo_rtl.ir.types import Fixed, Int, UFixed, UInt, cast
from allo_rtl.ir.typing_rule import binop_type, common_type
from allo_rtl.primitives import arith

TYPES = [Int(1), Int(8), UInt(8), Int(32), UInt(17), Fixed(12, 4), UFixed(8, 3)]
PAIRS = [(a, b) for a, b in itertools.product(TYPES, TYPES)]


def _values(t, rng, n=12):
    edge = [0, 1, t.min_raw, t.max_raw, t.wrap(-1)]
    return [t.wrap(v) for v in edge] + [rng.randint(t.min_raw, t.max_raw) for _ in range(n)]


def _run(builders, vectors):
    """builders: list of (inputs (sig, type) list, out signal, model fn). Checks all vectors."""
    m = Module()
    for _, out, expr, _ in builders:
        m.d.comb += out.eq(expr)
    failures = []

    async def tb(ctx):
        for k, (ins, out, _, model) in enumerate(builders):
            for vec in vectors[k]:
                for (sig, _), v in zip(ins, vec):
                    ctx.set(sig, v)
                got, want = ctx.get(out), model(*vec)
                if got != want:
                    failures.append((out.name, vec, got, want))

    sim = Simulator(m)
    sim.add_testbench(tb)
    sim.run()
    assert not failures, failures[:10]


def _binary(op, ta, tb, tr, model, rng):
    a = Signal(arith.shape_of(ta), name="a")
    b = Signal(arith.shape_of(tb), name="b")
    out = Signal(arith.shape_of(tr), name=f"{op}_{ta}_{tb}".replace(" ", ""))
    vecs = list(itertools.product(_values(ta, rng, 6), _values(tb, rng, 6)))
    return ([(a, ta), (b, tb)], out, model(a, b), None), vecs


@pytest.mark.parametrize("op", ["+", "-", "*", "&", "|", "^", "<<", ">>"])
def test_binop_matches_semantics(op):
    rng = random.Random(op)
    builders, vectors = [], []
    for ta, tb in PAIRS:
        if op in ("&", "|", "^", "<<", ">>") and not (ta.is_int and tb.is_int) and op not in ("<<", ">>"):
            continue
        if op in ("<<", ">>") and not tb.is_int:
            continue
        tr = binop_type(op, ta, tb)
        (ins, out, expr, _), vecs = _binary(op, ta, tb, tr, lambda a, b, ta=ta, tb=tb, tr=tr:
                                            arith.binop_value(op, a, ta, b, tb, tr), rng)
        model = lambda x, y, ta=ta, tb=tb, tr=tr: semantics.binop(op, x, ta, y, tb, tr)  # noqa: E731
        builders.append((ins, out, expr, model))
        vectors.append(vecs)
    _run(builders, vectors)


@pytest.mark.parametrize("op", ["==", "!=", "<", "<=", ">", ">="])
def test_compare_matches_semantics(op):
    rng = random.Random(op)
    builders, vectors = [], []
    for ta, tb in PAIRS:
        (ins, out, expr, _), vecs = _binary(op, ta, tb, UInt(1), lambda a, b, ta=ta, tb=tb:
                                            arith.compare_value(op, a, ta, b, tb), rng)
        builders.append((ins, out, expr, lambda x, y, ta=ta, tb=tb: semantics.compare(op, x, ta, y, tb)))
        vectors.append(vecs)
    _run(builders, vectors)


def test_casts_wrap_and_truncate_like_semantics():
    rng = random.Random(5)
    builders, vectors = [], []
    for src, dst in PAIRS:
        a = Signal(arith.shape_of(src))
        out = Signal(arith.shape_of(dst))
        builders.append(([(a, src)], out, arith.cast_value(a, src, dst),
                         lambda x, src=src, dst=dst: cast(x, src, dst)))
        vectors.append([(v,) for v in _values(src, rng)])
    _run(builders, vectors)


def test_unary_minmax_abs_and_bits():
    rng = random.Random(9)
    builders, vectors = [], []
    for t in TYPES:
        a = Signal(arith.shape_of(t))
        for op in ("-", "~"):
            if op == "~" and not t.is_int:
                continue
            tr = Int(t.bits) if (op == "-" and t == UInt(t.bits)) else t
            if op == "-" and isinstance(t, UFixed):
                tr = Fixed(t.bits, t.fracs)
            out = Signal(arith.shape_of(tr))
            builders.append(([(a, t)], out, arith.unary_value(op, a, t, tr),
                             lambda x, op=op, t=t, tr=tr: semantics.unary(op, x, t, tr)))
            vectors.append([(v,) for v in _values(t, rng)])
    for ta, tb in PAIRS:
        tr = common_type(ta, tb)
        a, b = Signal(arith.shape_of(ta)), Signal(arith.shape_of(tb))
        for fn in ("min", "max"):
            out = Signal(arith.shape_of(tr))
            builders.append(([(a, ta), (b, tb)], out, arith.minmax_abs_value(fn, [a, b], [ta, tb], tr),
                             lambda x, y, fn=fn, ta=ta, tb=tb, tr=tr:
                             semantics.math_call(fn, [x, y], [ta, tb], tr)))
            vectors.append(list(itertools.product(_values(ta, rng, 4), _values(tb, rng, 4))))
    idx_t = Int(8)
    for t in (Int(8), UInt(8), Int(32)):
        a, bit = Signal(arith.shape_of(t)), Signal(arith.shape_of(idx_t))
        out = Signal(1)
        builders.append(([(a, t), (bit, idx_t)], out, arith.bit_get_value(a, t, bit),
                         lambda x, k, t=t: semantics.bit_get(x, t, k)))
        vectors.append(list(itertools.product(_values(t, rng, 4), [-1, 0, 3, t.bits - 1, t.bits, 100])))
        for width in (1, 4, 8):
            out = Signal(width)
            builders.append(([(a, t), (bit, idx_t)], out, arith.bit_slice_value(a, t, bit, width),
                             lambda x, k, t=t, width=width: semantics.bit_slice(x, t, k, width)))
            vectors.append(list(itertools.product(_values(t, rng, 4), [-1, 0, 3, t.bits - 2, t.bits, 100])))
    _run(builders, vectors)
