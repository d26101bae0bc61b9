"""Loop primitives beyond tests/test_schedule_loops.py: loops with run-time bounds, split
guards that reorder and fuse move inward, and the registry kernels under schedules (the
interpreter and, for some, the hardware against numpy)."""
import inspect

import numpy as np
import pytest
from kernels import CASES, assert_same, copy_args

import allo_rtl as allo
from allo_rtl import int32
from allo_rtl.ir import nodes as ir

CASE = {c.name: c for c in CASES}


def scheduled(name, *prims):
    """The registry kernel ``name`` with ``(primitive, *args)`` applied in order."""
    s = allo.customize(CASE[name].kernel)
    for prim, *args in prims:
        getattr(s, prim)(*args)
    return s


def check(name, s, target="python", seeds=(0, 1)):
    """The built schedule gives the registry reference's results (returns and in-place)."""
    case = CASE[name]
    mod = s.build(target=target)
    for seed in seeds:
        args = case.make_inputs(np.random.default_rng(seed), False)
        expected_args, got_args = copy_args(args), copy_args(args)
        expected = case.reference(expected_args)
        got = mod(*got_args)
        if expected is not None:
            assert_same(got, expected)
        for k in case.inplace:
            assert_same(got_args[k], expected_args[k])


def loop_names(s, fn=None):
    f = s.module.functions[fn] if fn else s.top
    return [lp.name for lp in ir.loops(f.body)]


def loop(s, name):
    return next(lp for lp in ir.loops(s.top.body) if lp.name == name)


# --- run-time bounds ------------------------------------------------------------------------
def first_n(A: int32[8], n: int32):
    for i in range(n):
        A[i] = A[i] * 3 + i


@pytest.mark.parametrize("prim", [("split", "i", 3), ("unroll", "i", 3)], ids=lambda p: p[0])
def test_runtime_bounds_split_and_partial_unroll(prim):
    s = allo.customize(first_n)
    getattr(s, prim[0])(*prim[1:])
    # unroll is applied when the kernel is built: look at the module a build compiles
    guards = [x for x in ir.walk_stmts(s.lowered_module().top_func.body) if isinstance(x, ir.If)]
    assert guards and all(isinstance(g.cond.rhs, ir.Ref) for g in guards)    # index < n
    hw = s.build()
    for n in (0, 1, 5, 6, 8):
        A = np.arange(8, dtype=np.int32) - 4
        expected = A.copy()
        expected[:n] = A[:n] * 3 + np.arange(n)
        for mod in (s.build(target="python"), hw):
            got = A.copy()
            mod(got, n)
            assert np.array_equal(got, expected), (mod, n)


def test_split_of_a_triangular_loop():
    # syrk's j runs to i + 1: the outer loop strides over j's own values, no division
    s = scheduled("syrk", ("split", "j", 2), ("split", "j1", 3))
    outer = loop(s, "j.outer")
    assert outer.step == 2 and not isinstance(outer.hi, ir.Const)
    check("syrk", s)
    check("syrk", s, target=None, seeds=(0,))


# --- guards moved inward --------------------------------------------------------------------
def test_reorder_moves_split_guards_around_the_innermost_body():
    s = scheduled("gemm", ("split", "i1", 3), ("split", "j1", 3),
                  ("reorder", "i1.outer", "j1.outer", "i1.inner", "j1.inner"))
    assert loop_names(s)[2:7] == ["i1.outer", "j1.outer", "i1.inner", "j1.inner", "k"]
    inner = loop(s, "j1.inner")
    assert len(inner.body) == 1 and isinstance(inner.body[0], ir.If)        # i1's guard
    assert isinstance(inner.body[0].then_body[0], ir.If)                    # j1's guard
    check("gemm", s)
    check("gemm", s, target=None, seeds=(0,))


def test_fuse_through_a_split_guard():
    s = scheduled("mvt", ("split", "i", 3), ("fuse", "i.inner", "j"))
    fused = loop(s, "i.inner_j_fused")
    assert int(fused.hi.value) == 24 and isinstance(fused.body[0], ir.If)
    check("mvt", s)
    check("mvt", s, target=None, seeds=(0,))


# --- loop handles ---------------------------------------------------------------------------
def nests(A: int32[8, 8]) -> int32[8, 8]:
    B: int32[8, 8] = 0
    for i in range(8):
        for j in range(8):
            B[i, j] = A[i, j] + 1
    for i, j in allo.grid(8, 8):
        B[i, j] = B[i, j] * 3
    for i, j in allo.grid(8, 8, name="C"):
        B[i, j] -= 2
    return B


def test_band_names_follow_allo():
    loops = allo.customize(nests).get_loops()
    # Allo names a band after the loops of its top statement, counting loop statements
    assert [repr(b) for _, b in loops] == ["S_i_0: i, j", "S_i_j_1: i1, j1", "C: i2, j2"]
    assert loops.S_i_j_0 is loops.S_i_0                      # the whole chain, as an alias
    assert loops.S_i1_j1_1 is loops.S_i_j_1                  # unique loop names, too
    band = loops.S_i_j_1
    assert (band.i.name, band["j"].name, band.i1.name) == ("i1", "j1", "i1")
    assert not hasattr(band, "q") and not hasattr(loops, "S_q_0")
    gemm = scheduled("gemm").get_loops()
    assert [repr(b) for _, b in gemm] == ["S_i_j_0: i, j", "S_i_j_k_1: i1, j1, k"]


def test_band_names_survive_rewrites():
    s = allo.customize(nests)
    loops = s.get_loops()
    s.split(loops.S_i_0.i, 4)
    loops = s.get_loops()
    s.reorder(loops.S_i_0["i.outer"], loops.S_i_0.j, loops.S_i_0["i.inner"])
    s.fuse(loops.S_i_0["i.outer"], loops.S_i_0.j)
    s.unroll(s.get_loops().S_i_j_1.j, 2)
    s.reorder(s.get_loops().C.j, s.get_loops().C.i)
    loops = s.get_loops()
    assert [repr(b) for _, b in loops] == ["S_i_0: i.outer_j_fused, i.inner", "S_i_j_1: i1, j1",
                                        "C: j2, i2"]
    A = np.arange(64, dtype=np.int32).reshape(8, 8)
    assert np.array_equal(s.build(target="python")(A), (A + 1) * 3 - 2)


def test_refused_primitive_leaves_no_band_stamp():
    s = allo.customize(nests)
    before = str(s)
    with pytest.raises(allo.AlloError, match="larger than the loop's 8 iterations") as err:
        s.split("i", 9)
    first = inspect.getsourcelines(nests)[1]
    assert f"{__file__}:{first + 2}:" in str(err.value)               # for i in range(8)
    assert str(s) == before and "band=S_" not in before
    s.split("i", 4)
    assert "loop 'i.outer', band=S_i_0" in str(s)


def test_primitives_are_recorded_with_the_callers_line():
    s = allo.customize(CASE["gemm"].kernel)
    s.split("i1", 4)
    line = test_primitives_are_recorded_with_the_callers_line.__code__.co_firstlineno + 2
    s.pipeline(s.get_loops().S_i_j_k_1["i.inner"], 2)
    assert [p[:2] for p in s.primitives] == [("split", ("i1", 4)), ("pipeline", ("i1.inner", 2))]
    assert (s.primitives[0][2].file, s.primitives[0][2].line) == (__file__, line)


def test_callee_loops_by_handle_and_prefix():
    s = allo.customize(CASE["two_calls"].kernel)
    loops = s.get_loops("saxpy_row")
    s.pipeline(loops.S_i_0.i)
    s.split("saxpy_row:i", 4)
    assert {"i.outer", "i.inner"} <= set(loop_names(s, "saxpy_row"))
    check("two_calls", s)


# --- registry kernels under schedules (ported from the loops branch) -----------------------------
SCHEDULES = {
    # split: dividing factor, tail guard, run-time bounds (syrk's j < i + 1)
    "split-gemm-4": ("gemm", [("split", "i1", 4)]),
    "split-gemm-3-tail": ("gemm", [("split", "i1", 3), ("split", "k", 5)]),
    "split-jacobi-tail": ("jacobi_1d", [("split", "i", 4), ("split", "i1", 5)]),
    "split-atax": ("atax", [("split", "j", 3)]),
    # reorder: interchange, Allo's partial permutation, private scalar (blur)
    "reorder-gemm": ("gemm", [("reorder", "k", "i1")]),
    "reorder-bicg": ("bicg", [("reorder", "j", "i")]),
    "reorder-mvt": ("mvt", [("reorder", "j", "i"), ("reorder", "j1", "i1")]),
    "reorder-blur": ("blur", [("reorder", "x", "y"), ("reorder", "dx", "dy")]),
    # fuse: two and three levels, after split, extents not powers of two (blur)
    "fuse-gemm": ("gemm", [("fuse", "i", "j"), ("fuse", "i1", "j1", "k")]),
    "fuse-atax-split": ("atax", [("split", "j", 3), ("fuse", "j.outer", "j.inner")]),
    "fuse-blur": ("blur", [("fuse", "y", "x"), ("fuse", "dy", "dx")]),
    # unroll: full, partial with and without tail, run-time bounds, outer loop with inner
    "unroll-gemm-full": ("gemm", [("unroll", "k")]),
    "unroll-gemm-partial": ("gemm", [("unroll", "j1", 4), ("unroll", "k", 3)]),
    "unroll-jacobi": ("jacobi_1d", [("unroll", "i", 4), ("unroll", "i1", 0)]),
    "unroll-syrk-runtime": ("syrk", [("unroll", "j", 2), ("unroll", "j1", 3)]),
    "unroll-atax-outer": ("atax", [("unroll", "i", 2), ("unroll", "j", 0)]),
    "unroll-after-fuse": ("gemm", [("fuse", "i", "j"), ("unroll", "i_j_fused", 4)]),
    # annotations
    "parallel-jacobi": ("jacobi_1d", [("parallel", "i"), ("pipeline", "i1", 2)]),
    "parallel-gemm": ("gemm", [("parallel", "i1"), ("parallel", "j1"), ("pipeline", "k")]),
    "callee-split": ("two_calls", [("split", "saxpy_row:i", 3),
                                   ("unroll", "saxpy_row:i.inner")]),
}


@pytest.mark.parametrize("key", list(SCHEDULES))
def test_interpreter_matches_numpy_after_schedule(key):
    name, prims = SCHEDULES[key]
    check(name, scheduled(name, *prims))


@pytest.mark.parametrize("key", ["split-gemm-3-tail", "fuse-atax-split", "unroll-gemm-full",
                                 "unroll-jacobi", "unroll-syrk-runtime", "reorder-blur",
                                 "unroll-after-fuse"])
def test_hardware_matches_numpy_after_schedule(key):
    name, prims = SCHEDULES[key]
    check(name, scheduled(name, *prims), target=None, seeds=(0,))


def test_split_names_bounds_and_guard():
    s = scheduled("gemm", ("split", "i1", 3))
    outer, inner = loop(s, "i1.outer"), loop(s, "i1.inner")
    assert (int(outer.hi.value), int(inner.hi.value)) == (3, 3)        # ceil(8 / 3) x 3
    assert isinstance(inner.body[0], ir.If)                            # 8 % 3 != 0: tail guard
    assert "i1" not in loop_names(s)
    assert isinstance(loop(scheduled("gemm", ("split", "i1", 4)), "i1.inner").body[0], ir.For)


def test_split_returns_outer_and_inner_handles():
    s = allo.customize(CASE["gemm"].kernel)
    h = s.split("i1", 2)
    s.reorder(h.outer, "j1", h.inner)
    assert loop_names(s)[2:5] == ["i1.outer", "j1", "i1.inner"]
    check("gemm", s)


def test_reorder_partial_permutation_keeps_unlisted_loops():
    def k4(A: int32[2, 3, 4, 5]) -> int32[2, 3, 4, 5]:
        C: int32[2, 3, 4, 5] = 0
        for i, j, k, m in allo.grid(2, 3, 4, 5):
            C[i, j, k, m] = A[i, j, k, m] + 1
        return C

    s = allo.customize(k4)
    s.reorder("m", "i")                       # Allo: the listed loops swap their places
    assert loop_names(s)[-4:] == ["m", "j", "k", "i"]
    s.reorder("k", "j")
    assert loop_names(s)[-4:] == ["m", "k", "j", "i"]
    A = np.arange(120, dtype=np.int32).reshape(2, 3, 4, 5)
    assert np.array_equal(s.build(target="python")(A), A + 1)


def test_fuse_of_power_of_two_extents_divides_by_nothing():
    s = scheduled("gemm", ("fuse", "i1", "j1", "k"))
    assert int(loop(s, "i1_j1_k_fused").hi.value) == 512
    ops = {e.op for st in ir.walk_stmts(s.top.body) for x in ir.stmt_exprs(st)
           for e in ir.walk_exprs(x) if isinstance(e, ir.BinOp)}
    assert {">>", "&"} <= ops and not ops & {"/", "//", "%"}


def test_full_unroll_replicates_with_constant_indices():
    s = scheduled("gemm", ("unroll", "k"))
    assert "k" in loop_names(s)                 # the handle stays until the build ...
    built = s.lowered_module().top_func         # ... which unrolls a copy
    assert "k" not in [lp.name for lp in ir.loops(built.body)]
    stores = [st for st in ir.walk_stmts(built.body) if isinstance(st, ir.Store)]
    assert len(stores) == 1 + 8
    ks = [[x for x in ir.walk_exprs(st.value) if isinstance(x, ir.Load) and x.buf.name == "B"]
          for st in stores[1:]]
    assert [int(b.indices[0].value) for (b,) in ks] == list(range(8))      # B[k, j]


def test_unroll_outer_loop_renames_inner_copies():
    s = scheduled("atax", ("unroll", "i", 2))
    built = s.lowered_module().top_func         # unroll is applied when building
    names = [lp.name for lp in ir.loops(built.body)]
    assert {"j", "j1", "j_u1", "j1_u1"} <= set(names) and len(set(names)) == len(names)
    i_loop = next(lp for lp in ir.loops(built.body) if lp.name == "i")
    assert i_loop.step == 2 and not any(isinstance(x, ir.If) for x in i_loop.body)   # 8 % 2


def test_pipeline_and_parallel_record_attributes():
    s = scheduled("gemm", ("pipeline", "k", 2), ("parallel", "i1"))
    assert loop(s, "k").attrs["pipeline"] == 2 and loop(s, "i1").attrs["parallel"] is True
    assert "pipeline=2" in str(s) and "parallel=True" in str(s)


def strided(A: int32[10, 10]) -> int32[10, 10]:
    B: int32[10, 10] = 0
    for i in range(9, -1, -2):
        for j in range(1, 10, 3):
            B[i, j] = A[i, j] * 2 + B[i, 9 - j]
    return B


STRIDED = [[("split", "i", 2)], [("split", "j", 2)], [("unroll", "i", 2)], [("unroll", "j")],
           [("fuse", "i", "j")], [("reorder", "j", "i")],
           [("split", "i", 3), ("fuse", "i.outer", "i.inner", "j")],
           [("fuse", "i", "j"), ("split", "i_j_fused", 4), ("unroll", "i_j_fused.inner")]]


@pytest.mark.parametrize("prims", STRIDED, ids=lambda p: "+".join(x[0] for x in p))
def test_negative_and_non_unit_steps(prims):
    A = np.arange(100, dtype=np.int32).reshape(10, 10)
    expected = np.zeros((10, 10), dtype=np.int64)
    for i in range(9, -1, -2):
        for j in range(1, 10, 3):
            expected[i, j] = A[i, j] * 2 + expected[i, 9 - j]
    s = allo.customize(strided)
    for prim, *args in prims:
        getattr(s, prim)(*args)
    assert np.array_equal(s.build(target="python")(A), expected)


def test_rewrites_callable_on_ir_functions():
    from allo_rtl.ir.verifier import verify_module
    from allo_rtl.schedule import loops as L
    s = allo.customize(CASE["gemm"].kernel)
    f = s.top
    assert L.split(f, "i1", 2) == ("i1.outer", "i1.inner")
    L.reorder(f, ["k", "j1"])
    assert L.fuse(f, ["i1.inner", "k"]) == "i1.inner_k_fused"
    L.unroll(f, "j1", 2)
    L.pipeline(f, "i1.inner_k_fused", 2)
    verify_module(s.module)
    check("gemm", s)
