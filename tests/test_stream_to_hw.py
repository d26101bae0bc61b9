"""``s.to(s.B, dst, depth=d)`` honoured in hardware (ir/stream_to.py): between loop nests
and between kernels, B becomes a FIFO ``d`` deep and its producer and consumer run
concurrently. Differential: the interpreter (which ignores s.to) == Amaranth (== Icarus ==
Verilator, slow) == numpy; illegal streams are refused at the s.to line."""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.errors import AlloError
from allo_rtl.ir.types import int32

SIMS = [None, pytest.param("icarus", marks=[pytest.mark.icarus, pytest.mark.slow]),
        pytest.param("verilator", marks=[pytest.mark.verilator, pytest.mark.slow])]
R, C = 6, 8
rng = np.random.default_rng(21)


def _wrap(x):
    return ((np.asarray(x, np.int64) + 2**31) % 2**32 - 2**31).astype(np.int32)


def two_bands(A: int32[R, C]) -> int32[R, C]:
    B: int32[R, C]
    for i, j in allo.grid(R, C):
        B[i, j] = A[i, j] * 3
    D: int32[R, C]
    for ii, jj in allo.grid(R, C, name="D"):
        D[ii, jj] = B[ii, jj] - ii
    return D


def _two_bands_ref(A):
    return _wrap(A.astype(np.int64) * 3 - np.arange(R)[:, None])


def _inputs():
    A = rng.integers(-2**31, 2**31, (R, C), dtype=np.int64).astype(np.int32)
    A[0, :3] = [-2**31, 2**31 - 1, 0]
    return A


@pytest.mark.parametrize("sim", SIMS)
def test_two_loop_nests_through_a_fifo(sim):
    A = _inputs()
    s = allo.customize(two_bands)
    s.to(s.B, "D", depth=2)
    np.testing.assert_array_equal(s.build(target="python")(A), _two_bands_ref(A))
    mod = s.build(target=sim)
    np.testing.assert_array_equal(mod(A), _two_bands_ref(A))


def test_stream_depth_reported_and_stages_overlap():
    """The depth the user gives is the FIFO's (report); the two nests overlap, so the
    kernel takes fewer cycles than with B an array (nests in turn)."""
    A = _inputs()
    plain = allo.customize(two_bands).build()
    plain(A)
    s = allo.customize(two_bands)
    s.to(s.B, "D", depth=3)
    mod = s.build()
    np.testing.assert_array_equal(mod(A), _two_bands_ref(A))
    rep = mod.report().to_dict()
    assert [(r["name"], r["depth"]) for r in rep["streams"]] == [("B", 3)]
    assert {st["stage"] for st in rep["stages"]} == {"two_bands_S_i_j_0", "two_bands_D"}
    assert mod.cycles < 0.75 * plain.cycles, (mod.cycles, plain.cycles)


def func1(A: int32[R, C], B: int32[R, C]):
    for i, j in allo.grid(R, C):
        B[i, j] = A[i, j] + 1


def func2(A: int32[R, C], B: int32[R, C]):
    for i, j in allo.grid(R, C):
        B[i, j] = A[i, j] * 2


def func3(A: int32[R, C], B: int32[R, C], D: int32[R, C]):
    for i, j in allo.grid(R, C):
        D[i, j] = A[i, j] - B[i, j]


def nested(A: int32[R, C]) -> int32[R, C]:
    B: int32[R, C]
    D: int32[R, C]
    func1(A, B)
    func2(B, D)
    return D


def fork_join(A: int32[R, C]) -> int32[R, C]:
    B: int32[R, C]
    X: int32[R, C]
    D: int32[R, C]
    func1(A, B)
    func2(A, X)
    func3(B, X, D)
    return D


@pytest.mark.parametrize("sim", SIMS)
def test_between_kernels_depth_one(sim):
    """Allo's nested-function case: func1 -> B -> func2 with a 1-deep FIFO."""
    A = _inputs()
    s = allo.customize(nested)
    s.to(s.B, "func2", depth=1)
    mod = s.build(target=sim)
    np.testing.assert_array_equal(mod(A), _wrap((A.astype(np.int64) + 1) * 2))
    if sim is None:
        assert [(r["name"], r["depth"]) for r in mod.report().to_dict()["streams"]] == \
            [("B", 1)]


def test_fork_join_kernels_default_depth_is_the_array():
    """Two streams into one consumer, no depth given: as deep as the array (Allo's)."""
    A = _inputs()
    s = allo.customize(fork_join)
    s.to(s.B, "func3")
    s.to(s.X, "func3")
    mod = s.build()
    np.testing.assert_array_equal(mod(A), _wrap((A.astype(np.int64) + 1) - 2 * A.astype(np.int64)))
    assert sorted((r["name"], r["depth"]) for r in mod.report().to_dict()["streams"]) == \
        [("B", R * C), ("X", R * C)]


def filled(A: int32[R, C]) -> int32[R, C]:
    B: int32[R, C] = 0
    for i, j in allo.grid(R, C):
        B[i, j] = A[i, j] ^ 5
    D: int32[R, C] = 0
    for ii, jj in allo.grid(R, C, name="D"):
        D[ii, jj] = B[ii, jj] + 1
    return D


def test_zero_fill_of_the_streamed_array_is_dropped():
    A = _inputs()
    s = allo.customize(filled)
    s.to(s.B, "D", depth=2)
    np.testing.assert_array_equal(s.build()(A), _wrap((A ^ 5).astype(np.int64) + 1))


# --- refused at the s.to line ------------------------------------------------------------
def transposed(A: int32[R, C]) -> int32[C, R]:
    B: int32[R, C]
    for i, j in allo.grid(R, C):
        B[i, j] = A[i, j]
    D: int32[C, R]
    for jj, ii in allo.grid(C, R, name="D"):
        D[jj, ii] = B[ii, jj]
    return D


def between(A: int32[R, C]) -> int32[R, C]:
    B: int32[R, C]
    E: int32[R, C]
    for i, j in allo.grid(R, C):
        B[i, j] = A[i, j]
        E[i, j] = A[i, j] + 1
    F: int32[R, C]
    for i2, j2 in allo.grid(R, C):      # shares nothing with the stages: runs before them
        F[i2, j2] = 0
    D: int32[R, C]
    for ii, jj in allo.grid(R, C, name="D"):
        D[ii, jj] = B[ii, jj] + E[ii, jj]
    return D


def test_refused_consumer_reads_in_another_order():
    s = allo.customize(transposed)
    s.to(s.B, "D")
    line = test_refused_consumer_reads_in_another_order.__code__.co_firstlineno + 2
    with pytest.raises(AlloError, match=rf"test_stream_to_hw.py:{line}:\d+: error: to\(\): B's "
                                        r"consumer reads its elements in another order.*"
                                        r"access #1 the producer writes B\[0, 1\], the "
                                        r"consumer reads B\[1, 0\]"):
        s.build()
    np.testing.assert_array_equal(s.build(target="python")(A := _inputs()), A.T)


def test_refused_array_between_concurrent_stages_without_a_stream():
    s = allo.customize(between)
    s.to(s.B, "D")
    with pytest.raises(AlloError, match=r"array E is written by the stage at line \d+ and "
                                        r"used by the stage at line \d+; the stages run "
                                        r"concurrently(.|\n)*s\.to\(s\.E"):
        s.build()
    s.to(s.E, "D")                      # both streamed: legal, two streams, two stages
    A = _inputs()
    np.testing.assert_array_equal(s.build()(A), _wrap(2 * A.astype(np.int64) + 1))


def test_refused_two_consumers():
    def fork(A: int32[R, C]) -> int32[R, C]:
        B: int32[R, C]
        for i, j in allo.grid(R, C):
            B[i, j] = A[i, j]
        D: int32[R, C]
        for ii, jj in allo.grid(R, C, name="D"):
            D[ii, jj] = B[ii, jj]
        E: int32[R, C]
        for i3, j3 in allo.grid(R, C, name="E"):
            E[i3, j3] = B[i3, j3] + D[i3, j3]
        return E
    s = allo.customize(fork)
    s.to(s.B, "D")
    with pytest.raises(AlloError, match=r"B is also used at line \d+, besides its producer "
                                        r"and its consumer"):
        s.build()


# --- one array, two consumers (Allo's test_fork_join): a stream each --------------------
def fork_join2(A: int32[R, C], B: int32[R, C]) -> int32[R, C]:
    X: int32[R, C]
    D: int32[R, C]
    E: int32[R, C]
    F: int32[R, C]
    for i, j in allo.grid(R, C):
        X[i, j] = A[i, j] + B[i, j]
    for ii, jj in allo.grid(R, C, name="D"):
        D[ii, jj] = X[ii, jj] + 1
    for ii, jj in allo.grid(R, C, name="E"):
        E[ii, jj] = X[ii, jj] * 3
    for ii, jj in allo.grid(R, C, name="F"):
        F[ii, jj] = D[ii, jj] * E[ii, jj]
    return F


@pytest.mark.parametrize("sim", SIMS)
def test_fork_to_two_consumers_is_two_streams(sim):
    """s.to(s.X, "D") and s.to(s.X, "E"): X's producer puts each value into two FIFOs,
    X_D and X_E, one per consumer (one producer and one consumer each), all four stages
    concurrent."""
    s = allo.customize(fork_join2)
    for buf, dst in (("X", "D"), ("X", "E"), ("D", "F"), ("E", "F")):
        s.to(getattr(s, buf), dst, depth=2)
    A, B = _inputs(), _inputs()
    mod = s.build(target=sim)
    x = A.astype(np.int64) + B
    np.testing.assert_array_equal(mod(A, B, wrap=True),
                                  _wrap(_wrap(x + 1).astype(np.int64) * _wrap(x * 3)))
    streams = {r["name"]: r for r in mod.report().to_dict()["streams"]}
    assert sorted(streams) == ["D", "E", "X_D", "X_E"]
    assert all(r["depth"] == 2 for r in streams.values())


def _plus1(A: int32[R, C], B: int32[R, C]):
    for i, j in allo.grid(R, C):
        B[i, j] = A[i, j] + 1


def _twice(A: int32[R, C], B: int32[R, C]):
    for i, j in allo.grid(R, C):
        B[i, j] = A[i, j] * 2


def _minus7(A: int32[R, C], B: int32[R, C]):
    for i, j in allo.grid(R, C):
        B[i, j] = A[i, j] - 7


def fork_calls(A: int32[R, C]) -> int32[R, C]:
    B: int32[R, C]
    X: int32[R, C]
    D: int32[R, C]
    _plus1(A, B)
    _twice(B, X)
    _minus7(B, D)
    E: int32[R, C] = 0
    for i, j in allo.grid(R, C):
        E[i, j] = X[i, j] + D[i, j]
    return E


def test_fork_between_kernels():
    s = allo.customize(fork_calls)
    s.to(s.B, "_twice")
    s.to(s.B, "_minus7")
    A = _inputs()
    b = _wrap(A.astype(np.int64) + 1).astype(np.int64)
    mod = s.build()
    np.testing.assert_array_equal(mod(A, wrap=True), _wrap(_wrap(b * 2) + _wrap(b - 7)))
    assert sorted(r["name"] for r in mod.report().to_dict()["streams"]) == ["B__minus7",
                                                                           "B__twice"]


def test_fork_to_one_consumer_twice_refused():
    s = allo.customize(fork_join2)
    for buf, dst in (("X", "D"), ("X", "D"), ("X", "E"), ("D", "F"), ("E", "F")):
        s.to(getattr(s, buf), dst)
    with pytest.raises(AlloError, match=r"X is streamed to the same consumer twice"):
        s.build()


# --- stages returning arrays (B = func1(A); D = func2(B), Allo's usual form) --------------
def inc_k(A: int32[R, C]) -> int32[R, C]:
    B: int32[R, C] = 0
    for i, j in allo.grid(R, C):
        B[i, j] = A[i, j] + 1
    return B


def dbl_k(A: int32[R, C]) -> int32[R, C]:
    B: int32[R, C]
    for i, j in allo.grid(R, C):
        B[i, j] = A[i, j] * 2
    return B


def returned(A: int32[R, C]) -> int32[R, C]:
    B = inc_k(A)
    D = dbl_k(B)
    return D


@pytest.mark.parametrize("sim", [None, pytest.param("icarus", marks=[pytest.mark.icarus,
                                                                      pytest.mark.slow]),
                                 pytest.param("verilator", marks=[pytest.mark.verilator,
                                                                  pytest.mark.long])])
def test_stages_returning_arrays(sim):
    """Each callee returning an array is called with that array as an out-parameter
    (``inc_k_o(A, B)``); B, the first one's result, is the stream."""
    s = allo.customize(returned)
    s.to(s.B, "dbl_k", depth=2)
    A = _inputs()
    mod = s.build(target=sim)
    np.testing.assert_array_equal(mod(A, wrap=True),
                                  _wrap(_wrap(A.astype(np.int64) + 1).astype(np.int64) * 2))
    (row,) = mod.report().to_dict()["streams"]
    assert (row["name"], row["depth"]) == ("B", 2)


# --- stages returning scalars ------------------------------------------------------------
def summed(A: int32[R, C]) -> int32:
    B: int32[R, C]
    for i, j in allo.grid(R, C):
        B[i, j] = A[i, j] * 2
    total: int32 = 7                    # read by the consumer before it adds: passed in
    for ii, jj in allo.grid(R, C, name="D"):
        total += B[ii, jj] ^ ii
    return total


def count(B: int32[R, C]) -> int32:
    n: int32 = 0
    for i, j in allo.grid(R, C):
        if B[i, j] > 0:
            n += 1
    return n


def counted(A: int32[R, C]) -> int32:
    B: int32[R, C]
    func1(A, B)
    n: int32 = count(B)
    return n * 10


@pytest.mark.parametrize("sim", SIMS)
def test_stages_return_scalars(sim):
    """A loop-nest stage's scalar and a called stage's return value come back when the
    region ends (the join captures the stages' result registers)."""
    A = _inputs()
    s = allo.customize(summed)
    s.to(s.B, "D", depth=2)
    expect = int(_wrap(7 + np.sum(_wrap(A.astype(np.int64) * 2) ^ np.arange(R)[:, None],
                                  dtype=np.int64)))
    assert s.build(target="python")(A) == expect
    assert s.build(target=sim)(A) == expect
    s = allo.customize(counted)
    s.to(s.B, "count", depth=2)
    assert s.build(target=sim)(A) == int(np.sum(_wrap(A.astype(np.int64) + 1) > 0)) * 10
