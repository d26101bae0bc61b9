"""ir/affine and ir/dependence: forms of typical subscripts, the dependence engine against a
brute-force model written here (every pair of iterations), the bounded grid, and legality and
the modulo scheduler agreeing on one loop."""
import itertools
import random
import warnings

import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.hls.deps import address_form, min_distance
from allo_rtl.hls.synthesize import PipelineWarning
from allo_rtl.ir import dependence as dep
from allo_rtl.ir import nodes as ir
from allo_rtl.ir.affine import Affine, GridTooLarge, affine_of, grid, loop_grid
from allo_rtl.ir.dependence import ANY, Nest, dependence
from allo_rtl.ir.types import Fixed, index, int8, int32
from allo_rtl.schedule.legality import memory_dependences
from test_hls_modulo import _nest as innermost_nest

L = ir.UNKNOWN


def _c(v, t=index):
    return ir.Const(t, L, t.wrap(v))


def _r(var):
    return ir.Ref(var.type, L, var)


def _b(op, a, b):
    return ir.BinOp(index, L, op, a, b)


I, J, N = (ir.Scalar(n, index) for n in ("i", "j", "n"))


@pytest.mark.parametrize("expr, text", [
    (_b("+", _r(I), _c(1)), "i + 1"),
    (_b("-", _b("*", _c(2), _r(I)), _b("*", _r(J), _c(3))), "2*i - 3*j"),
    (_b("+", _b("<<", _r(I), _c(3)), _r(N)), "8*i + n"),
    (ir.Unary(index, L, "-", _b("-", _r(I), _c(4))), "-i + 4"),
    (_b(">>", _b("+", _b("*", _r(I), _c(4)), _c(6)), _c(2)), "i + 1"),   # (4i + 6) >> 2
    (_b("&", _b("+", _b("*", _r(I), _c(4)), _c(6)), _c(3)), "2"),        # (4i + 6) & 3
    (ir.Cast(index, L, _b("+", _r(I), _c(1))), "i + 1"),
    (_b("-", _b("+", _r(I), _r(J)), _r(I)), "j"),
    (_c(7), "7"),
])
def test_forms_of_typical_subscripts(expr, text):
    assert str(affine_of(expr)) == text


@pytest.mark.parametrize("expr", [
    _b("*", _r(I), _r(J)),                                  # not linear
    _b(">>", _b("*", _r(I), _c(2)), _c(2)),                 # 2i >> 2 is not affine
    _b("&", _r(I), _c(6)),                                  # not a low-bits mask
    _b("//", _r(I), _c(2)),
    ir.Cast(index, L, ir.Const(Fixed(8, 4), L, 16)),   # a fixed-point value
])
def test_what_is_not_affine(expr):
    assert affine_of(expr) is None


def test_assigned_scalars_are_substituted():
    k = ir.Scalar("k", index)
    bound = {id(k): (_b("+", _r(I), _c(2)), {})}
    assert str(affine_of(_b("*", _r(k), _c(3)), bound)) == "3*i + 6"
    assert affine_of(_r(k), {id(k): (_b("*", _r(I), _r(J)), {})}) is None
    assert affine_of(_b("+", _r(I), _r(J))) == affine_of(_b("+", _r(J), _r(I)))


# --- the engine against every pair of iterations ----------------------------------------
class _Loop:
    def __init__(self, var, lo, step, trips):
        self.var, self.lo, self.step, self.trips = var, lo, step, trips


def _brute(x, y, loops):
    """Every delta != 0 (y's iteration minus x's) at which the subscripts meet."""
    out = set()
    space = list(itertools.product(*(range(lp.trips) for lp in loops)))
    env = lambda t: {id(lp.var): lp.lo + lp.step * k for lp, k in zip(loops, t)}  # noqa: E731

    def value(f, e):
        return f.const + sum(c * e[id(v)] for v, c in f.terms)

    for s in space:
        for t in space:
            if s != t and all(value(fx, env(s)) == value(fy, env(t)) for fx, fy in zip(x, y)):
                out.add(tuple(b - a for a, b in zip(s, t)))
    return out


def _random_case(rng):
    depth = rng.randint(1, 3)
    levels = [ir.Scalar(f"t{k}", index) for k in range(depth)]
    loops = [_Loop(v, rng.randint(-2, 2), rng.choice([1, 2, -1, 3]), rng.randint(1, 4))
             for v in levels]
    dims = rng.randint(1, 2)

    def form():
        return Affine(tuple((v, c) for v in levels if (c := rng.randint(-3, 3))),
                      rng.randint(-4, 4))
    x = [form() for _ in range(dims)]
    # mostly the same coefficients (an equation); sometimes different (no equation)
    y = [Affine(f.terms if rng.random() < 0.8 else form().terms, rng.randint(-4, 4)) for f in x]
    return x, y, loops


def _check(found, truth, loops, exact_expected):
    weights = [int(np.prod([lp.trips for lp in loops[k + 1:]])) for k in range(len(loops))]
    flat = [sum(a * w for a, w in zip(d, weights)) for d in truth]
    if exact_expected:
        if not truth:
            assert found is None
            return
        assert set(found.patterns) == {tuple(int(np.sign(a)) for a in d) for d in truth}
        assert found.forward == min((f for f in flat if f > 0), default=None)
        assert found.backward == min((-f for f in flat if f < 0), default=None)
    elif truth:                 # conservative: everything that happens is reported
        assert found is not None
        assert {tuple(int(np.sign(a)) for a in d) for d in truth} <= set(found.patterns)
        ahead = [f for f in flat if f > 0]
        assert not ahead or (found.forward is not None and found.forward <= min(ahead))
        behind = [-f for f in flat if f < 0]
        assert not behind or (found.backward is not None and found.backward <= min(behind))
    if found is not None:
        for k, c in enumerate(found.vector):
            assert c == ANY or all(d[k] == c for d in truth)


@pytest.mark.parametrize("seed", range(6))
def test_enumerated_distances_are_exact(seed):
    rng = random.Random(seed)
    for _ in range(60):
        x, y, loops = _random_case(rng)
        nest = Nest(loops, [lp.trips for lp in loops])
        found = dependence(x, y, nest)
        _check(found, _brute(x, y, loops), loops,
               exact_expected=all(fx.same_terms(fy) for fx, fy in zip(x, y)))


@pytest.mark.parametrize("seed", range(6))
def test_bounded_distances_are_conservative(seed, monkeypatch):
    monkeypatch.setattr(dep, "ENUMERATION_LIMIT", 0)     # Banerjee + GCD only
    rng = random.Random(100 + seed)
    for _ in range(60):
        x, y, loops = _random_case(rng)
        nest = Nest(loops, [lp.trips for lp in loops])
        _check(dependence(x, y, nest), _brute(x, y, loops), loops, exact_expected=False)


def test_hand_derived_distances():
    i, j = (ir.Scalar(n, index) for n in "ij")
    nest = Nest([_Loop(i, 0, 1, 8), _Loop(j, 0, 1, 8)], [8, 8])
    f = lambda *t, c=0: Affine(t, c)  # noqa: E731
    # A[i, j] written, A[i - 1, j + 1] read: the read meets the write one i later, one j back
    d = dependence([f((i, 1)), f((j, 1))], [f((i, 1), c=-1), f((j, 1), c=1)], nest)
    assert d.vector == (1, -1) and d.patterns == ((1, -1),) and d.forward == 7
    # A[2i + 4j] against A[2i + 4j + 1]: parity differs, never the same element (GCD)
    assert dependence([f((i, 2), (j, 4))], [f((i, 2), (j, 4), c=1)], nest) is None
    # an invariant n cancels; a free scalar k gives no equation
    n, k = ir.Scalar("n", index), ir.Scalar("k", index)
    d = dependence([f((i, 1), (n, 1))], [f((i, 1), (n, 1), c=-2)], nest)
    assert d.vector == (2, ANY) and d.exact
    d = dependence([f((i, 1), (k, 1))], [f((i, 1), (k, 1))], nest, free={id(k)})
    assert d.vector == (ANY, ANY) and not d.exact and d.forward == 1
    # steps: i in range(0, 16, 2) with A[i] vs A[i + 4] is two iterations apart
    two = Nest([_Loop(i, 0, 2, 8)], [8])
    assert dependence([f((i, 1), c=4)], [f((i, 1))], two).vector == (2,)


def test_a_large_nest_is_bounded_not_enumerated():
    i, j, k = (ir.Scalar(n, index) for n in "ijk")
    nest = Nest([_Loop(v, 0, 1, 64) for v in (i, j, k)], [64] * 3)
    assert nest.deltas() is None
    c = Affine(((i, 64), (j, 1)), 0)         # C[i, j] flattened, in loops i, j, k: every k
    assert dependence([c], [c], nest).forward == 1
    c = Affine(((i, 64), (k, 1)), 0)         # C[i, j] in loops i, k, j: after a sweep of j
    found = dependence([c], [c], nest)
    assert found.forward == 64 and found.patterns == ((0, -1, 0), (0, 1, 0))
    # A[2i + 4j] against A[2i + 4j + 1] over 64 x 64 x 64: the GCD test still sees it
    assert dependence([Affine(((i, 2), (j, 4)))], [Affine(((i, 2), (j, 4)), 1)], nest) is None


# --- the bounded grid -------------------------------------------------------------------
def test_grid_is_row_major_and_bounded():
    g = grid([range(3), range(10, 14, 2)], 6)
    assert g.tolist() == [[0, 10], [0, 12], [1, 10], [1, 12], [2, 10], [2, 12]]
    with pytest.raises(GridTooLarge) as e:
        grid([range(3), range(10, 14, 2)], 5)
    assert (e.value.points, e.value.limit) == (6, 5)
    assert grid([], 1).shape == (1, 0)


def _loops_of(fn):
    return ir.loops(allo.customize(fn).top.body)


def nested(A: int32[4, 3]):
    for i in range(4):
        for j in range(1, 7, 2):
            A[i, j // 2] = 0


def runtime(A: int32[8], n: int32):
    for i in range(n):
        A[i] = 0


def test_loop_grid():
    i, j = loops = _loops_of(nested)
    env = loop_grid(loops, 12)
    assert env[id(i.var)].tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]
    assert env[id(j.var)].tolist() == [1, 3, 5] * 4
    with pytest.raises(GridTooLarge):
        loop_grid(loops, 11)
    assert loop_grid(_loops_of(runtime), 100) is None


# --- legality and the modulo scheduler see the same dependences -------------------------
def strided(A: int32[32]):
    for i in range(3):
        for j in range(4):
            A[2 * i + 6 * j + 3] = A[2 * i + 6 * j] + 1


def test_legality_and_modulo_scheduler_agree():
    """Odd elements written, even ones read: never the same element. The modulo scheduler's
    enumeration always knew; legality's Banerjee bounds (no GCD) used to report a dependence
    of unknown direction, refusing reorder("j", "i")."""
    block, loops, *_ = innermost_nest(strided)
    nest = Nest(loops)
    store = next(op for op in block.ops if op.info.is_store)
    load = next(op for op in block.ops if op.info.is_load)
    forms = [address_form(op.operands[0], set(), nest) for op in (store, load)]
    assert str(forms[0]) == "2*i + 6*j + 3"
    assert min_distance(forms[0], forms[1], nest) is None
    assert min_distance(forms[1], forms[0], nest) is None
    f = allo.customize(strided).top
    assert memory_dependences(ir.loops(f.body)) == []
    s = allo.customize(strided)
    s.reorder("j", "i")
    A = np.arange(32, dtype=np.int32)
    out = A.copy()
    s.build(target="python")(out)
    ref = A.copy()
    for i, j in itertools.product(range(3), range(4)):
        ref[2 * i + 6 * j + 3] = ref[2 * i + 6 * j] + 1
    np.testing.assert_array_equal(out, ref)


def shifted(A: int32[9], B: int32[9]):
    for i in range(8):
        k: int32 = i + 1
        B[k] = A[i]


def test_block_local_scalars_keep_addresses_affine():
    """``k = i + 1; B[k]``: the CDFG forwards k's value, and the form attached to the address
    op substitutes it, so the modulo scheduler still sees B[i + 1]."""
    block, loops, *_ = innermost_nest(shifted)
    store = next(op for op in block.ops if op.info.is_store)
    assert str(address_form(store.operands[0], set(), Nest(loops))) == "i + 1"


def test_int8_constant_is_its_value():
    assert affine_of(_c(-3, int8)) == Affine((), -3)


def test_bank_local_shifts_are_exact_on_the_lattice():
    """After unroll x4 + cyclic 4, bank-local subscripts read ``(j + c) >> 2`` with j stepping
    by 4: exact (a rational coefficient) only once the step is known."""
    plus = _b(">>", _b("+", _r(J), _c(1)), _c(2))
    assert affine_of(plus) is None                       # j alone may be odd
    assert str(affine_of(plus, lattice={id(J): (0, 4)})) == "1/4*j"
    assert str(affine_of(_b("&", _b("+", _r(J), _c(1)), _c(3)), lattice={id(J): (0, 4)})) == "1"
    assert affine_of(plus, lattice={id(J): (0, 2)}) is None


def rowbuf(A: int32[16, 16], C: int32[4, 16]):
    for i in range(4):
        for k in range(16):
            for j in range(16):
                C[i, j] = C[i, j] + A[k, j]


def test_banked_row_buffer_pipelines_at_ii_1():
    """Each bank word of the row buffer is updated once per sweep of j (4 iterations of the
    flattened nest): II=1. Taking ``j >> 2`` as unknown would force distance 1 and II=2."""
    s = allo.customize(rowbuf)
    buf = s.buffer_at(s.C, axis="i")
    s.unroll("j", 4)
    s.partition(buf, allo.Partition.Cyclic, dim=1, factor=4)
    s.partition(s.A, allo.Partition.Cyclic, dim=2, factor=4)
    s.pipeline("j")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PipelineWarning)     # the copy-in loop is not pipelined
        mod = s.build()
    top = next(f for f in mod.report().to_dict()["functions"] if f["function"] == "rowbuf")
    row = next(r for r in top["loops"] if r["name"] == "j")
    assert row["flattened"] == ["k", "j"] and row["ii"] == 1
    A = np.arange(256, dtype=np.int32).reshape(16, 16)
    got, want = np.ones((4, 16), dtype=np.int32), np.ones((4, 16), dtype=np.int32)
    mod(A, got)
    s.build(target="python")(A, want)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(want, np.broadcast_to(A.sum(axis=0) + 1, (4, 16)))


def gemm64(A: int32[64, 64], B: int32[64, 64], C: int32[64, 64]):
    for i in range(64):
        for k in range(64):
            for j in range(64):
                C[i, j] = C[i, j] + A[i, k] * B[k, j]


def test_a_large_flattened_nest_agrees_with_legality():
    """127**3 distance vectors are too many to enumerate. Legality's vector (0, *, 0) says the
    update of C[i, j] is carried by k alone; the modulo scheduler used to take distance 1 for
    any nest that large and now bounds it to 64 (one sweep of j), the true distance."""
    block, loops, *_ = innermost_nest(gemm64)
    nest = Nest(loops)
    assert nest.deltas() is None
    store = next(op for op in block.ops if op.info.is_store)
    load = next(op for op in block.ops if op.info.is_load and op.buf.name == "C")
    st, ld = (address_form(op.operands[0], set(), nest) for op in (store, load))
    assert min_distance(st, ld, nest) == 64 and min_distance(ld, st, nest) == 64
    (dep,) = [d for d in memory_dependences(ir.loops(allo.customize(gemm64).top.body))
              if d.src is not d.dst]
    assert dep.vector == (0, ANY, 0)


def halves(A: int32[8]):
    for j in range(0, 16, 2):
        A[j >> 1] = A[j >> 1] + 1


def test_legality_takes_shifts_on_the_loop_lattice():
    """``j >> 1`` with j stepping by 2 is j/2: each iteration its own element, so the loop may
    run in parallel (taken as unknown, the subscript used to refuse it)."""
    s = allo.customize(halves)
    (loop,) = ir.loops(s.top.body)
    assert memory_dependences([loop]) == []
    s.parallel("j")
    out = np.zeros(8, dtype=np.int32)
    s.build(target="python")(out)
    np.testing.assert_array_equal(out, np.ones(8, dtype=np.int32))
