"""Old-style stream/dataflow primitives (recorded, results unchanged) and compose (recorded
primitives replayed onto callees, with ids for separate instances)."""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.errors import AlloError
from allo_rtl.ir import nodes as ir
from allo_rtl.ir.types import int32

rng = np.random.default_rng(7)


def add(A: int32[8], B: int32[8]):
    for i in range(8):
        B[i] = A[i] + 1


def add_const[N](A: int32[8], B: int32[8]):
    add(A, B)
    for j in range(8):
        B[j] = B[j] * 3 + N


def top(A: int32[8]) -> int32[8]:
    B: int32[8] = 0
    C: int32[8] = 0
    add_const[5, "c5"](A, B)
    add_const[7, "c7"](B, C)
    return C


def reference(A):
    B = (A.astype(np.int64) + 1) * 3 + 5
    return ((B + 1) * 3 + 7).astype(np.int32)


def loop(s, fn, name):
    return next(lp for lp in ir.loops(s.module.functions[fn].body) if lp.name == name)


@pytest.mark.parametrize("sim", [None, pytest.param("icarus", marks=[pytest.mark.icarus,
                                                                    pytest.mark.slow]),
                                 pytest.param("verilator", marks=[pytest.mark.verilator,
                                                                  pytest.mark.slow])])
def test_compose_with_ids_replays_onto_one_instance(sim):
    s_add = allo.customize(add)
    s_add.pipeline("i")
    s_c = allo.customize(add_const, instantiate=[7])
    s_c.compose(s_add)                  # nested: s_c's primitives now include add's
    s_c.unroll(s_c.get_loops().S_j_0.j, 2)      # a handle: recorded with its kernel
    s = allo.customize(top)
    s.compose(s_c, id="c7")
    assert loop(s, "add_const_c7", "j").attrs.get("unroll") == 2
    assert "unroll" not in loop(s, "add_const_c5", "j").attrs   # the other instance
    assert loop(s, "add", "i").attrs.get("pipeline") == 1      # replayed from the nested one
    A = rng.integers(-1000, 1000, 8).astype(np.int32)
    np.testing.assert_array_equal(s.build(target="python")(A), reference(A))
    np.testing.assert_array_equal(s.build(target=sim)(A), reference(A))   # and in hardware


def test_compose_a_list_and_an_unknown_id():
    s_part = allo.customize(add)
    s_part.partition(s_part.A, dim=1)
    s_unroll = allo.customize(add)
    s_unroll.unroll("i", 4)
    s_c = allo.customize(add_const, instantiate=[5])
    s_c.unroll("j", 4)
    s = allo.customize(top)
    s.compose([s_part, s_unroll])
    s.compose(s_c, id="c5")
    assert s.module.functions["add"].params[0].partition
    assert loop(s, "add", "i").attrs.get("unroll") == 4
    assert loop(s, "add_const_c5", "j").attrs.get("unroll") == 4
    A = rng.integers(-1000, 1000, 8).astype(np.int32)
    np.testing.assert_array_equal(s.build(target="python")(A), reference(A))
    with pytest.raises(AlloError, match=r"no kernel 'add_const_zz'.*\n.*\n.*\n.*kernels here"):
        s.compose(s_c, id="zz")


def two_bands(A: int32[10, 20]) -> int32[10, 20]:
    B: int32[10, 20]
    for i, j in allo.grid(10, 20):
        B[i, j] = A[i, j] * 2
    C: int32[10, 20]
    for ii, jj in allo.grid(10, 20, name="C"):
        C[ii, jj] = B[ii, jj] + 1
    return C


def test_to_and_dataflow_are_recorded_and_change_no_result():
    s = allo.customize(two_bands)
    s.to(s.B, "C", depth=4)
    s.dataflow("two_bands")
    assert s.B.stream_to == [("C", 4)]
    assert s.module.functions["two_bands"].dataflow
    assert [p[0] for p in s.primitives] == ["to", "dataflow"]
    text = str(s)
    assert "local B: int32[10, 20] to(C, depth=4)" in text
    assert "-> (C: int32[10, 20] (result)):  # dataflow" in text
    A = rng.integers(-100, 100, (10, 20)).astype(np.int32)
    np.testing.assert_array_equal(s.build(target="python")(A), A * 2 + 1)
    with pytest.raises(AlloError, match=r"has no loop, band or called kernel named 'D'"):
        s.to(s.B, "D")
    with pytest.raises(AlloError, match=r"depth must be a positive integer"):
        s.to(s.B, "C", depth=0)
