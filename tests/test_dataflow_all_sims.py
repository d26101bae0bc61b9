"""Issue 15's differential items that the default run checks on Amaranth only, on Icarus and
Verilator too (slow: each is a fresh Verilator build): a sub-kernel composed twice with
different ids, a partition propagating through a call, and the 8x8 systolic gemm."""
import importlib.util
import pathlib

import numpy as np
import pytest

import allo_rtl as allo
import allo_rtl.dataflow as df
from allo_rtl.ir import nodes as ir
from allo_rtl.ir.types import int32

pytestmark = pytest.mark.slow
SIMS = [None, pytest.param("icarus", marks=pytest.mark.icarus),
        pytest.param("verilator", marks=pytest.mark.verilator)]
EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples" / "dataflow"
N = 6


def _wrap(x):
    return ((np.asarray(x, np.int64) + 2**31) % 2**32 - 2**31).astype(np.int32)


def inc(A: int32[N], B: int32[N]):
    for i in range(N):
        B[i] = A[i] + 1


def scaled[K](A: int32[N], B: int32[N]):
    inc(A, B)
    for j in range(N):
        B[j] = B[j] * 3 + K


def twice(A: int32[N]) -> int32[N]:
    B: int32[N] = 0
    C: int32[N] = 0
    scaled[5, "c5"](A, B)
    scaled[7, "c7"](B, C)
    return C


@pytest.mark.parametrize("sim", SIMS)
def test_sub_kernel_composed_twice_with_different_ids(sim):
    s_c7 = allo.customize(scaled, instantiate=[7])
    s_c7.unroll("j", 2)
    s_c5 = allo.customize(scaled, instantiate=[5])
    s_c5.pipeline("j")
    s = allo.customize(twice)
    s.compose(s_c7, id="c7")
    s.compose(s_c5, id="c5")
    fns = s.module.functions
    assert next(lp for lp in ir.loops(fns["scaled_c7"].body) if lp.name == "j").attrs["unroll"] == 2
    assert next(lp for lp in ir.loops(fns["scaled_c5"].body) if lp.name == "j").attrs["pipeline"]
    A = np.random.default_rng(1).integers(-2**31, 2**31, N, dtype=np.int64).astype(np.int32)
    B = _wrap((A.astype(np.int64) + 1) * 3 + 5)
    expect = _wrap((B.astype(np.int64) + 1) * 3 + 7)
    np.testing.assert_array_equal(s.build(target="python")(A), expect)
    np.testing.assert_array_equal(s.build(target=sim)(A), expect)


def row_sum(A: int32[N, N]) -> int32[N]:
    out: int32[N] = 0
    for i in range(N):
        v: int32 = 0
        for j in range(N):
            v += A[i, j]
        out[i] = v
    return out


def caller(A: int32[N, N]) -> int32[N]:
    return row_sum(A)


@pytest.mark.parametrize("sim", SIMS)
def test_partition_propagates_through_a_call(sim):
    s = allo.customize(caller)
    s.partition("row_sum:A", allo.Partition.Cyclic, dim=2, factor=2)
    s.unroll("row_sum:j", 2)
    A = np.random.default_rng(2).integers(-2**31, 2**31, (N, N), dtype=np.int64)
    A = A.astype(np.int32)
    mod = s.build(target=sim)
    np.testing.assert_array_equal(mod(A), _wrap(A.astype(np.int64).sum(axis=1)))
    assert [p.name for p in mod.design.module.top_func.params] == ["A_p0", "A_p1"]


@pytest.mark.parametrize("sim", SIMS)
def test_systolic_gemm_8x8(sim, tmp_path):
    src = (EXAMPLES / "systolic_gemm.py").read_text()
    assert "P0, P1, K = 4, 4, 8" in src
    path = tmp_path / "systolic_8_8.py"
    path.write_text(src.replace("P0, P1, K = 4, 4, 8", "P0, P1, K = 8, 8, 8"))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    sg = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sg)
    rng = np.random.default_rng(13)
    A = rng.integers(-100, 100, (8, 8)).astype(np.int32)
    B = rng.integers(-100, 100, (8, 8)).astype(np.int32)
    ref = [A, B, np.zeros((8, 8), np.int32)]
    df.build(sg.top, target="simulator")(*ref)
    s = df.customize(sg.top)
    for name, f in list(s.module.functions.items()):
        if name.startswith("pe_") and any(lp.name == "k" for lp in ir.loops(f.body)):
            s.pipeline(f"{name}:k")
    s.partition(s.A, allo.Partition.Complete, dim=1)
    s.partition(s.B, allo.Partition.Complete, dim=2)
    s.partition(s.C, allo.Partition.Complete, dim=0)
    C = np.zeros((8, 8), np.int32)
    mod = s.build(target=sim)
    mod(A, B, C)
    expect = _wrap(A.astype(np.int64) @ B)
    np.testing.assert_array_equal(ref[2], expect)
    np.testing.assert_array_equal(C, expect)
    assert mod.cycles <= 1.2 * (8 + 8 + 8), mod.cycles
