"""compute_at into a consumer nest that is not perfect (statements beside the chain of loops
down to the target loop): hardware == interpreter == numpy where the fused order keeps every
value, refused naming the element where it does not."""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.errors import AlloScheduleError
from allo_rtl.ir.types import int32

N = 6


def row_sums(A: int32[N, N]) -> int32[N]:
    B: int32[N, N] = 0
    for i, j in allo.grid(N, N):
        B[i, j] = A[i, j] * 3 - i
    R: int32[N] = 0
    for ii in range(N):
        t: int32 = 0                 # beside the jj loop, before it
        for jj in range(N):
            t += B[ii, jj] * (jj + 1)
        R[ii] = t + B[ii, N - 1]     # after it: the whole row is there by then
    return R


def reads_ahead(A: int32[N, N]) -> int32[N]:
    B: int32[N, N] = 0
    for i, j in allo.grid(N, N):
        B[i, j] = A[i, j] + 1
    R: int32[N] = 0
    for ii in range(N):
        t: int32 = B[ii, N - 1]      # before the jj loop: needs the row's last element
        for jj in range(N):
            t += B[ii, jj]
        R[ii] = t
    return R


def reference(a, f):
    out = np.zeros(N, np.int64)
    for i in range(N):
        out[i] = f(a, i)
    return out.astype(np.int32)


@pytest.mark.parametrize("axes", [("j", "jj"), ("i", "ii")])
def test_compute_at_into_an_imperfect_consumer(axes):
    a = np.random.default_rng(2).integers(-1000, 1000, (N, N)).astype(np.int32)
    b = a.astype(np.int64) * 3 - np.arange(N)[:, None]
    want = reference(a, lambda a, i: np.sum(b[i] * np.arange(1, N + 1)) + b[i, N - 1])
    s = allo.customize(row_sums)
    s.compute_at(*axes)
    assert "for i in" not in str(s.module)          # the producer nest is gone
    for target in (None, "python"):
        assert np.array_equal(s.build(target=target)(a), want)


def test_compute_at_refuses_a_statement_beside_the_chain_reading_ahead():
    s = allo.customize(reads_ahead)
    with pytest.raises(AlloScheduleError, match=r"element B\[0, 5\]"):
        s.compute_at("j", "jj")
    s.compute_at("i", "ii")                          # at the outer level the row is complete
    a = np.random.default_rng(4).integers(-9, 9, (N, N)).astype(np.int32)
    want = reference(a, lambda a, i: (a[i, N - 1] + 1) + np.sum(a[i] + 1))
    assert np.array_equal(s.build()(a), want)


def test_a_producer_statement_beside_the_chain_sharing_the_array_is_refused():
    def k(A: int32[N, N]) -> int32[N, N]:
        B: int32[N, N] = 0
        for i in range(N):
            B[i, 0] = 1                      # beside the j loop, writes what it updates
            for j in range(N):
                B[i, j] += A[i, j]
        C: int32[N, N] = 0
        for ii, jj in allo.grid(N, N):
            C[ii, jj] = B[ii, jj]
        return C
    s = allo.customize(k)
    with pytest.raises(AlloScheduleError, match="B is used both by the body of 'j' and by "
                                                "statements beside it in the producer nest"):
        s.compute_at("j", "jj")
    assert "B[i, 0:int32] = 1:int32" in str(s.module) and s.primitives == []   # rolled back


def imperfect_producer(A: int32[N, N]) -> int32[N, N]:
    B: int32[N, N] = 0
    E: int32[N] = 0
    for i in range(N):
        E[i] = A[i, 0] - i                   # beside the j loop, independent of it: stays
        for j in range(N):
            B[i, j] = A[i, j] * 5 + j
        E[i] += A[i, N - 1]                  # after it, independent too
    C: int32[N, N] = 0
    for ii, jj in allo.grid(N, N):
        C[ii, jj] = B[ii, jj] - E[ii]
    return C


def imperfect_producer_reference(a):
    a = a.astype(np.int64)
    b = a * 5 + np.arange(N)[None, :]
    e = a[:, 0] - np.arange(N) + a[:, N - 1]
    return (b - e[:, None]).astype(np.int32)


def test_compute_at_from_an_imperfect_producer():
    a = np.random.default_rng(7).integers(-10**6, 10**6, (N, N)).astype(np.int32)
    a[0, 0], a[-1, -1] = -2**31 // 8, 2**31 // 8 - 1
    s = allo.customize(imperfect_producer)
    s.compute_at("j", "jj")
    text = str(s.module)
    assert "for j in" not in text                     # the j loop moved into the consumer
    assert text.count("E[i] =") == 2                  # the statements beside it stayed
    want = imperfect_producer_reference(a)
    for target in ("python", None):
        assert np.array_equal(s.build(target=target)(a), want), target


def test_an_imperfect_producer_loop_left_empty_goes():
    def k(A: int32[N, N]) -> int32[N, N, 2]:
        B: int32[N, N, 2] = 0
        E: int32[N] = 0
        for i in range(N):
            E[i] = A[i, 1]
            for j in range(N):
                for m in range(2):
                    B[i, j, m] = A[i, j] + m
        C: int32[N, N, 2] = 0
        for ii, jj, mm in allo.grid(N, N, 2):
            C[ii, jj, mm] = B[ii, jj, mm] * E[ii]
        return C
    s = allo.customize(k)
    s.compute_at("m", "mm")
    text = str(s.module)
    assert "loop 'j'" not in text and "loop 'm'" not in text     # j was left empty
    assert "E[i] = A[i, 1:int32]" in text
    a = np.random.default_rng(8).integers(-1000, 1000, (N, N)).astype(np.int32)
    want = ((a[:, :, None].astype(np.int64) + np.arange(2)) * a[:, 1, None, None])
    for target in ("python", None):
        assert np.array_equal(s.build(target=target)(a), want.astype(np.int32)), target
