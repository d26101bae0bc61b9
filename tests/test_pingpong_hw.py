"""``s.dataflow(loop)`` in hardware (ir/pingpong.py): the loop's stages run concurrently,
arrays between them double-buffered with token streams. Differential: the interpreter
(in turn) == the rewritten module on the KPN interpreter == Amaranth (== Icarus ==
Verilator, slow) == numpy; cycles fall; loops the double buffer would change are refused."""
import importlib.util
import pathlib

import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.errors import AlloError
from allo_rtl.ir.pingpong import pingpong_loops
from allo_rtl.ir.types import int32
from allo_rtl.sim.kpn import KPNModule

SIMS = [None, pytest.param("icarus", marks=[pytest.mark.icarus, pytest.mark.slow]),
        pytest.param("verilator", marks=[pytest.mark.verilator, pytest.mark.slow])]
T, N = 5, 16
EXAMPLE = pathlib.Path(__file__).resolve().parents[1] / "examples" / "dataflow" / \
    "pingpong_tiles.py"
_spec = importlib.util.spec_from_file_location("ex_pingpong_tiles", EXAMPLE)
pp = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pp)            # the kernel shared with benchmarks/bench_dataflow.py


def _ref(A):
    return pp.reference(A)


def _inputs(seed=3):
    A = np.random.default_rng(seed).integers(-2**31, 2**31, (T, N), dtype=np.int64)
    A[0, :2] = [-2**31, 2**31 - 1]
    return A.astype(np.int32)


def _schedule(dataflow=True):
    return pp.schedule(T, N, dataflow)


@pytest.mark.parametrize("sim", SIMS)
def test_pingpong_stages_match_interpreter_and_numpy(sim):
    A = _inputs()
    s = _schedule()
    np.testing.assert_array_equal(s.build(target="python")(A), _ref(A))
    np.testing.assert_array_equal(s.build(target=sim)(A), _ref(A))


def test_rewritten_module_on_the_kpn_interpreter():
    """The double buffers and tokens themselves, run as a Kahn network: same answer, no
    deadlock, no token left (the region ends with every stream empty)."""
    A = _inputs(5)
    mod = KPNModule(pingpong_loops(_schedule().module))
    np.testing.assert_array_equal(mod(A), _ref(A))
    moved = {name.rpartition(":")[2]: (st.puts, st.gets) for name, st in mod.streams.items()}
    # T halves filled and taken; T - 2 given back (the last two are not)
    assert moved == {"X_full": (T, T), "Y_full": (T, T), "X_free": (T - 2, T - 2),
                     "Y_free": (T - 2, T - 2)}, moved


def test_pingpong_overlaps_the_stages():
    """Three stages of about equal length over T iterations: in turn ~3T stage times,
    overlapped ~T + 2; the region takes well under the loop in turn."""
    A = _inputs()
    plain = _schedule(dataflow=False).build()
    np.testing.assert_array_equal(plain(A), _ref(A))
    mod = _schedule().build()
    np.testing.assert_array_equal(mod(A), _ref(A))
    assert mod.cycles < 0.75 * plain.cycles, (mod.cycles, plain.cycles)
    names = {r["name"] for r in mod.report().to_dict()["streams"]}
    assert names == {"X_full", "X_free", "Y_full", "Y_free"}


def _refused(kernel, pattern):
    s = allo.customize(kernel)
    s.dataflow("t")
    with pytest.raises(AlloError, match=pattern):
        s.build()


def test_refused_partial_write():
    def partial(A: int32[T, N]) -> int32[T, N]:
        B: int32[T, N]
        X: int32[N]
        for t in range(T):
            for i in range(N - 1):          # X[N - 1] keeps an older iteration's value
                X[i] = A[t, i]
            for k in range(N):
                B[t, k] = X[k]
        return B
    _refused(partial, r"does not write every element of X in iteration 0")


def test_refused_backward_dependence():
    def backward(A: int32[T, N]) -> int32[T, N]:
        B: int32[T, N]
        X: int32[N] = 0
        for t in range(T):
            for k in range(N):
                B[t, k] = X[k]
            for i in range(N):
                X[i] = A[t, i]
        return B
    _refused(backward, r"X\[0\] is read by the stage at line \d+ in iteration "
             r"0 and written by the stage at line \d+ in iteration 1: "
             r"a dependence between iterations")


def test_refused_backward_dependence_inside_the_loop():
    def backward(A: int32[T, N]) -> int32[T, N]:
        B: int32[T, N]
        X: int32[N]
        for t in range(T):
            for k in range(N):
                B[t, k] = X[k]
            for i in range(N):
                X[i] = A[t, i]
        return B
    _refused(backward, r"array X is read by the stage at line \d+ before the "
             r"stage at line \d+ writes it")


def test_refused_first_user_reading_its_copy():
    def accumulate(A: int32[T, N]) -> int32[T, N]:
        B: int32[T, N]
        X: int32[N]
        for t in range(T):
            for i in range(N):
                X[i] = X[i] + A[t, i]
            for k in range(N):
                B[t, k] = X[k]
        return B
    _refused(accumulate, r"reads X as well as writing it, as the first stage")


def test_two_consumers_and_a_stage_updating_in_place():
    """X goes through all four stages (written, then read three times) and Y through the
    last three (written, updated in place, read): each array becomes one copy per stage of
    the longest chain (four), the stages of a chain pass a copy on with a token each."""
    def three(A: int32[T, N]) -> int32[T, N]:
        B: int32[T, N]
        X: int32[N]
        Y: int32[N]
        for t in range(T):
            for i in range(N):
                X[i] = A[t, i] - t
            for j in range(N):
                Y[j] = X[N - 1 - j] * 3
            for k in range(N):
                Y[k] = Y[k] + X[k]
            for m in range(N):
                B[t, m] = Y[m] ^ X[m]
        return B
    s = allo.customize(three)
    s.dataflow("t")
    A = _inputs(11)
    a = A.astype(np.int64)
    X = a - np.arange(T)[:, None]
    Y = X[:, ::-1] * 3 + X
    wrap = lambda v: ((v + 2**31) % 2**32 - 2**31)  # noqa: E731
    expect = (wrap(Y) ^ wrap(X)).astype(np.int32)
    np.testing.assert_array_equal(s.build(target="python")(A), expect)
    mod = KPNModule(pingpong_loops(s.module))
    np.testing.assert_array_equal(mod(A), expect)
    moved = {name.rpartition(":")[2]: (st.puts, st.gets) for name, st in mod.streams.items()}
    # X: links full, full2, full3; Y: full, full2; the last 4 copies are not given back
    assert moved == {"X_full": (T, T), "X_full2": (T, T), "X_full3": (T, T),
                     "X_free": (T - 4, T - 4), "Y_full": (T, T), "Y_full2": (T, T),
                     "Y_free": (T - 4, T - 4)}, moved
    hw = s.build()
    np.testing.assert_array_equal(hw(A), expect)
    plain = allo.customize(three).build()
    np.testing.assert_array_equal(plain(A), expect)
    assert hw.cycles < plain.cycles, (hw.cycles, plain.cycles)


def test_rows_of_a_parameter_shared_by_stages():
    """Allo's polybench two_mm schedule: buffer_at a row of the output, then dataflow over
    the rows. The row is loaded, accumulated in place and stored back by three stages, and
    the output parameter is read by the first and written by the last in the same iteration
    (rows apart between iterations): proven, shared through the arbiter."""
    def mm(A: int32[N, N], B: int32[N, N], C: int32[N, N]):
        for i, j in allo.grid(N, N, name="mm"):
            for k in allo.reduction(N):
                C[i, j] += A[i, k] * B[k, j]
    def schedule(dataflow):
        s = allo.customize(mm)
        s.reorder("k", "j")
        s.buffer_at(s.C, axis="i")
        s.pipeline("k")
        if dataflow:
            s.dataflow(s.get_loops("mm")["mm"]["i"])
        return s
    s = schedule(True)
    rng = np.random.default_rng(4)
    A, B = (rng.integers(-1000, 1000, (N, N)).astype(np.int32) for _ in range(2))
    C0 = rng.integers(-1000, 1000, (N, N)).astype(np.int32)
    expect = (C0 + A.astype(np.int64) @ B).astype(np.int32)
    for target in ("python", None):
        C = C0.copy()
        mod = s.build(target=target)
        mod(A, B, C)
        np.testing.assert_array_equal(C, expect)
    C = C0.copy()
    ref = schedule(False).build()
    ref(A, B, C)
    assert mod.cycles < ref.cycles, (mod.cycles, ref.cycles)


def test_refused_shared_parameter_rows_overlapping():
    def shifted(A: int32[T, N], C: int32[T, N]):
        X: int32[N]
        for t in range(T):
            for i in range(N):
                X[i] = C[(t + 1) % T, i]
            for k in range(N):
                C[t, k] = X[k] + A[t, k]
    _refused(shifted, r"C\[\d+, \d+\] is .* a dependence between "
             r"iterations")


def test_zero_fill_inside_the_loop_is_dropped():
    """Allo's usual `X: int32[N] = 0` inside the loop: a fill before the producer, not a
    second producer; results as the loop in turn."""
    def filled(A: int32[T, N]) -> int32[T, N]:
        B: int32[T, N]
        for t in range(T):
            X: int32[N] = 0
            for i in range(N):
                X[i] = A[t, i] - t
            for k in range(N):
                B[t, k] = X[N - 1 - k] * 5
        return B
    s = allo.customize(filled)
    s.dataflow("t")
    A = _inputs(7)
    expect = ((A[:, ::-1].astype(np.int64) - np.arange(T)[:, None]) * 5)
    expect = ((expect + 2**31) % 2**32 - 2**31).astype(np.int32)
    np.testing.assert_array_equal(s.build(target="python")(A), expect)
    mod = s.build()
    np.testing.assert_array_equal(mod(A), expect)
    assert {r["name"] for r in mod.report().to_dict()["streams"]} == {"X_full", "X_free"}
