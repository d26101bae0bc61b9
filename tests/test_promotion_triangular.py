"""Register promotion in pipelined loops with run-time trips (hls/promote.py): the element is
loaded before the loop and stored after it, and a subscript the loop's range keeps away from
the element's (``B[k, j]`` beside ``B[i, j]`` in ``for k in range(i + 1, N)``) is no alias.
Results against loops written out in Python here; a range that can reach the element
blocks the promotion, and the report says why."""
import numpy as np

import allo_rtl as allo
from allo_rtl.ir.types import int32

N = 6


def trmm_like(alpha: int32, A: int32[N, N], B: int32[N, N]):
    for i in range(N):
        for j in range(N):
            for k in range(i + 1, N):               # k > i: B[k, j] is never B[i, j]
                B[i, j] += A[k, i] * B[k, j]
            B[i, j] = alpha * B[i, j]


def below(A: int32[N, N], B: int32[N, N]):
    for i in range(N):
        for j in range(N):
            for k in range(0, i):                   # k < i
                B[i, j] += A[i, k] * B[k, j]


def reaching(A: int32[N, N], B: int32[N, N]):
    for i in range(N):
        for j in range(N):
            for k in range(i, N):                   # k == i in the first iteration
                B[i, j] += A[k, i] * B[k, j]


def _wrap(x):
    return ((np.asarray(x, dtype=np.int64) + 2 ** 31) % 2 ** 32 - 2 ** 31).astype(np.int32)


def _reference(kernel, alpha, A, B):
    b = B.astype(np.int64)
    for i in range(N):
        for j in range(N):
            ks = {"trmm_like": range(i + 1, N), "below": range(0, i),
                  "reaching": range(i, N)}[kernel.__name__]
            for k in ks:                            # in order: B[k, j] may be updated already
                b[i, j] = (b[i, j] + int(A[k, i] if kernel is not below else A[i, k])
                           * b[k, j] + 2 ** 31) % 2 ** 32 - 2 ** 31
            if kernel is trmm_like:
                b[i, j] = alpha * b[i, j]
    return _wrap(b)


def _run(kernel, seed):
    rng = np.random.default_rng(seed)
    A, B = (rng.integers(-60, 60, (N, N)).astype(np.int32) for _ in range(2))
    s = allo.customize(kernel)
    s.pipeline("k")
    mod = s.build()
    args = (-3, A, B.copy()) if kernel is trmm_like else (A, B.copy())
    mod(*args)
    assert np.array_equal(args[-1], _reference(kernel, -3, A, B))
    rep = mod.report().to_dict()
    top = next(f for f in rep["functions"] if f["function"] == mod.top.name)
    return mod, rep["promotions"], next(r for r in top["loops"] if r["name"] == "k")


def test_triangular_loop_keeps_its_element_in_a_register():
    mod, notes, k = _run(trmm_like, 1)
    assert [(p["subscripts"], p["applied"], p["around"]) for p in notes] == \
        [("[i, j]", True, True)]
    assert k["ii"] == 1, k
    assert "read before the loop and written after it" in str(mod.report())


def test_a_range_below_the_element_is_no_alias_either():
    _, notes, k = _run(below, 2)
    assert [p["applied"] for p in notes] == [True] and k["ii"] == 1


def test_a_range_that_reaches_the_element_blocks_promotion():
    _, notes, k = _run(reaching, 3)
    assert notes and not any(p["applied"] for p in notes)
    assert all("another element" in p["reason"] for p in notes)
    assert k["ii"] > 1


def syrk_like(C: int32[N, N], A: int32[N, N]):
    for i in range(N):
        for k in range(N):
            for j in range(i + 1):
                C[i, j] += A[i, k] * A[j, k]


def test_a_read_only_element_of_a_run_time_loop_stays_in_memory():
    """A[i, k] is fixed in the j loop, but loading it before the loop would cost a state on
    every entry for no II (C's port keeps it at 2): not promoted."""
    rng = np.random.default_rng(4)
    C, A = (rng.integers(-60, 60, (N, N)).astype(np.int32) for _ in range(2))
    s = allo.customize(syrk_like)
    s.pipeline("j")
    mod = s.build()
    want = C.astype(np.int64)
    for i in range(N):
        for k in range(N):
            for j in range(i + 1):
                want[i, j] += int(A[i, k]) * int(A[j, k])
    got = C.copy()
    mod(got, A)
    assert np.array_equal(got, _wrap(want))
    assert not [p for p in mod.report().to_dict()["promotions"] if p["applied"]]
