"""A primitive refused part-way leaves the schedule exactly as it was (schedule/rollback.py):
same IR text, same objects behind earlier handles, nothing recorded, and the schedule still
builds and computes the right result."""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.errors import AlloScheduleError
from allo_rtl.ir.types import int32


def pe(a: int32, b: int32) -> int32:
    return a * b + 1


def pe_0_0(a: int32) -> int32:        # takes the name unfold would give the first PE
    return a - 3


def systolic(A: int32[4], B: int32[4]) -> int32[4]:
    C: int32[4] = 0
    for i, j in allo.grid(2, 2, name="PE"):
        C[i * 2 + j] = pe(A[i * 2 + j], B[j])
    C[0] = C[0] + pe_0_0(A[3])
    return C


def _expected(A, B):
    C = np.array([A[i * 2 + j] * B[j] + 1 for i in range(2) for j in range(2)], dtype=np.int64)
    C[0] += A[3] - 3
    return C.astype(np.int32)


def test_unfold_failing_after_unrolling_rolls_back():
    # unfold unrolls the band first, then finds that PE kernel pe_0_0 would clash with the
    # user's pe_0_0: before rollback the band stayed unrolled and unrecorded
    s = allo.customize(systolic)
    a_handle, before, module = s.A, str(s), s.module
    with pytest.raises(AlloScheduleError, match="a kernel named pe_0_0 already exists"):
        s.unfold("PE", [0, 1])
    assert str(s) == before and s.primitives == [] and s.module is module
    assert s.A is a_handle and s.get_loops().PE.i is not None
    s.partition(a_handle, allo.Partition.Cyclic, dim=1, factor=2)   # old handles still work
    rng = np.random.default_rng(3)
    A = rng.integers(-1000, 1000, 4).astype(np.int32)
    B = rng.integers(-1000, 1000, 4).astype(np.int32)
    for target in ("python", None):
        np.testing.assert_array_equal(s.build(target=target)(A.copy(), B.copy()),
                                      _expected(A, B))


def gemm(A: int32[4, 4], B: int32[4, 4]) -> int32[4, 4]:
    C: int32[4, 4] = 0
    for i, j, k in allo.grid(4, 4, 4):
        C[i, j] += A[i, k] * B[k, j]
    return C


@pytest.mark.parametrize("misuse", [
    lambda s: s.reorder("k", "i", "nope"),
    lambda s: s.fuse("i", "j", "nope"),
    lambda s: s.partition(s.A, allo.Partition.Cyclic, dim=0, factor=5),
    lambda s: s.reuse_at(s.C, "k"),
    lambda s: s.unfold("S_i_j_k_0", [0, 7]),
])
def test_refused_primitive_then_the_schedule_goes_on(misuse):
    s = allo.customize(gemm)
    s.split("j", 2)
    before = repr(s.module)            # every field of every IR object
    with pytest.raises(AlloScheduleError):
        misuse(s)
    assert repr(s.module) == before and len(s.primitives) == 1
    s.pipeline("k")
    rng = np.random.default_rng(5)
    A, B = (rng.integers(-99, 99, (4, 4)).astype(np.int32) for _ in range(2))
    np.testing.assert_array_equal(s.build()(A, B), A.astype(np.int64) @ B)
