"""Loop primitives: the interpreter and the hardware give numpy's results after each primitive
(random inputs, two or more kernels each), and the primitives show in the IR, the loop handles
and the hardware (cycles, II)."""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl import int32
from kernels import EDGE

N = 8


def gemm(A: int32[N, N], B: int32[N, N]) -> int32[N, N]:
    C: int32[N, N] = 0
    for i, j, k in allo.grid(N, N, N):
        C[i, j] += A[i, k] * B[k, j]
    return C


def shift_add(A: int32[N, N], B: int32[N, N]) -> int32[N, N]:
    C: int32[N, N] = 0
    for i, j in allo.grid(N, N):
        C[i, j] = A[i, j] + B[j, i] * 3
    return C


def row_sums(A: int32[N, N], B: int32[N, N]) -> int32[N, N]:
    C: int32[N, N] = 0
    for i in range(N):
        v: int32 = 0
        for j in range(N):
            v += A[i, j] - B[i, j]
        C[i, 0] = v
    return C


def _expected(fn, A, B):
    A64, B64 = A.astype(np.int64), B.astype(np.int64)
    if fn is gemm:
        return (A64 @ B64).astype(np.int32)
    if fn is shift_add:
        return (A64 + B64.T * 3).astype(np.int32)
    out = np.zeros((N, N), dtype=np.int64)
    out[:, 0] = (A64 - B64).sum(axis=1)
    return out.astype(np.int32)


def _inputs(seed=0, edge=False):
    """Random operands, or the int32 edge values (min, max, 0, -1, ...) that wrap around."""
    if edge:
        A = np.resize(EDGE, (N, N)).astype(np.int32)
        return A, np.roll(A, 3).T.copy()
    rng = np.random.default_rng(seed)
    return (rng.integers(-1000, 1000, (N, N)).astype(np.int32),
            rng.integers(-1000, 1000, (N, N)).astype(np.int32))


def _check(s, fn, hardware=True):
    """Interpreter and (optionally) hardware == numpy, on random and on edge inputs."""
    mod = s.build() if hardware else None
    for edge in (False, True):
        A, B = _inputs(edge=edge)
        assert np.array_equal(s.build(target="python")(A, B), _expected(fn, A, B))
        if hardware:
            assert np.array_equal(mod(A, B), _expected(fn, A, B))
    return mod


PRIMITIVES = {
    "split4": lambda s, fn: s.split("j", 4),
    "split3-guarded": lambda s, fn: s.split("j", 3),
    "reorder": lambda s, fn: s.reorder("j", "i") if fn is not row_sums else s.split("j", 2),
    "fuse": lambda s, fn: s.fuse("i", "j"),
    "unroll-full": lambda s, fn: s.unroll("j"),
    "unroll-2": lambda s, fn: s.unroll("j", 2),
    "unroll-3-tail": lambda s, fn: s.unroll("j", 3),
    "pipeline": lambda s, fn: s.pipeline("j"),
}


@pytest.mark.parametrize("fn", [gemm, shift_add], ids=lambda f: f.__name__)
@pytest.mark.parametrize("name", list(PRIMITIVES))
def test_results_unchanged_by_primitive(name, fn):
    s = allo.customize(fn)
    PRIMITIVES[name](s, fn)
    _check(s, fn, hardware=name in ("split3-guarded", "fuse", "unroll-3-tail", "pipeline",
                                    "reorder"))
    assert s.primitives and s.primitives[-1][0] in name


@pytest.mark.parametrize("name", ["split4", "unroll-full", "unroll-3-tail", "pipeline"])
def test_results_unchanged_on_imperfect_nest(name):
    s = allo.customize(row_sums)
    PRIMITIVES[name](s, row_sums)
    _check(s, row_sums)


def test_names_and_handles_follow_allo():
    s = allo.customize(gemm)
    loops = s.get_loops()
    assert [repr(b) for _, b in loops] == ["S_i_j_k_0: i, j, k"]   # (name, band) as Allo
    parts = s.split(loops.S_i_j_k_0.j, 4)
    assert (str(parts.outer), str(parts.inner)) == ("j.outer", "j.inner")
    band = s.get_loops()["S_i_j.outer_j.inner_k_0"]
    s.reorder(band["j.outer"], band.i)
    text = str(s)
    assert text.index("loop 'j.outer'") < text.index("loop 'i'") < text.index("loop 'j.inner'")
    assert [p[0] for p in s.primitives] == ["split", "reorder"]
    _check(s, gemm)


def test_named_bands_and_kernel_prefixed_names():
    def two_bands(A: int32[N, N]) -> int32[N, N]:
        B: int32[N, N] = 0
        for i, j in allo.grid(N, N, name="first"):
            B[i, j] = A[i, j] + 1
        for i, j in allo.grid(N, N, name="second"):
            B[i, j] = B[i, j] * 2
        return B

    s = allo.customize(two_bands)
    loops = s.get_loops()
    second_j = loops.second.j1 if "j1" in repr(loops.second) else loops.second.j
    s.pipeline(second_j)
    s.unroll("two_bands:j", 2)
    A = _inputs()[0]
    mod = s.build()
    assert np.array_equal(mod(A), ((A.astype(np.int64) + 1) * 2).astype(np.int32))


def test_unroll_and_pipeline_make_hardware_faster():
    plain = allo.customize(gemm).build()
    s = allo.customize(gemm)
    s.reorder("k", "j")
    s.pipeline("j")
    piped = _check(s, gemm)
    A, B = _inputs()
    plain(A, B)
    assert piped.cycles < plain.cycles
    row = [lp for lp in piped.design.report_dict()["functions"][0]["loops"] if lp["pipelined"]]
    assert row and row[0]["flattened"] == ["i", "k", "j"]


def test_unrolled_inner_loop_inside_a_pipeline():
    s = allo.customize(gemm)
    s.unroll("k")
    s.pipeline("j")
    mod = _check(s, gemm)
    (row,) = [lp for lp in mod.design.report_dict()["functions"][0]["loops"] if lp["pipelined"]]
    # 8 reads of A per iteration on A's single port: II = 8, reported with the reason
    assert row["ii"] == 8 and "A has 1 shared read/write port" in row["note"]


def test_parallel_is_recorded_when_legal():
    s = allo.customize(shift_add)
    s.parallel("j")
    assert "parallel=True" in str(s)
