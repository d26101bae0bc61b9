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


def test_the_producer_nest_must_still_be_perfect():
    def k(A: int32[N, N]) -> int32[N, N]:
        B: int32[N, N] = 0
        for i in range(N):
            B[i, 0] = 1
            for j in range(N):
                B[i, j] += A[i, j]
        C: int32[N, N] = 0
        for ii, jj in allo.grid(N, N):
            C[ii, jj] = B[ii, jj]
        return C
    with pytest.raises(AlloScheduleError, match="not a perfect nest"):
        allo.customize(k).compute_at("j", "jj")
