"""Allo's unroll is an annotation applied at build (the loop keeps its handle for later
primitives), and schedule primitives check their arguments like Allo's signatures, at the
user's line."""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.ir import nodes as ir
from allo_rtl.ir.types import int32
from allo_rtl.schedule.allo_api import PrimitiveArgumentError


def gemm(A: int32[8, 8], B: int32[8, 8]) -> int32[8, 8]:
    C: int32[8, 8] = 0
    for i, j, k in allo.grid(8, 8, 8):
        C[i, j] += A[i, k] * B[k, j]
    return C


def _inputs(seed=0):
    rng = np.random.default_rng(seed)
    a = rng.integers(-100, 100, (8, 8), dtype=np.int32)
    b = rng.integers(-100, 100, (8, 8), dtype=np.int32)
    return a, b, (a.astype(np.int64) @ b).astype(np.int32)


def _names(f):
    return [lp.name for lp in ir.loops(f.body)]


def test_unrolled_loop_keeps_its_handle_for_later_primitives():
    s = allo.customize(gemm)
    s.unroll("k")
    s.pipeline("k")                      # Allo: unroll is a hint, 'k' still exists
    s.unroll("j", 2)
    s.split("j", 4)                      # a partly unrolled loop can still be split
    assert "k" in _names(s.top) and "unroll=0" in str(s)
    built = s.lowered_module().top_func
    assert "k" not in _names(built)      # the build unrolled a copy ...
    assert "k" in _names(s.top)          # ... and the schedule's own module is unchanged
    a, b, expected = _inputs()
    for target in ("python", None):
        assert np.array_equal(s.build(target=target)(a, b), expected)


def test_fuse_unroll_then_pipeline_names_the_fused_loop():
    # Allo's test_schedule order: fuse, unroll the fused loop, then a primitive naming it
    def add(A: int32[4, 4]) -> int32[4, 4]:
        B: int32[4, 4] = 0
        for i, j in allo.grid(4, 4):
            B[i, j] = A[i, j] + 1
        return B
    s = allo.customize(add)
    s.fuse("i", "j")
    s.unroll("i_j_fused", 4)
    s.pipeline("i_j_fused")
    a = np.arange(16, dtype=np.int32).reshape(4, 4) * 7 - 50
    assert np.array_equal(s.build()(a), a + 1)
    assert np.array_equal(s.build(target="python")(a), a + 1)


def test_unroll_is_applied_innermost_first_whatever_the_call_order():
    a, b, expected = _inputs(3)
    results = []
    for order in (("i", "k"), ("k", "i")):
        s = allo.customize(gemm)
        for name in order:
            s.unroll(name, 2 if name == "i" else 0)
        built = s.lowered_module().top_func
        assert "k" not in _names(built) and "i" in _names(built)
        results.append(s.build(target="python")(a, b))
    assert all(np.array_equal(r, expected) for r in results)


def test_unroll_errors_still_at_the_call():
    s = allo.customize(gemm)
    with pytest.raises(allo.AlloError, match="factor must be an integer >= 0") as e:
        s.unroll("k", -1)
    assert "test_allo_compat_unroll.py" in str(e.value)
    with pytest.raises(allo.AlloError, match="has no loop named 'q'"):
        s.unroll("q")

    def bounded(A: int32[8], n: int32):
        for i in range(n):
            A[i] = A[i] + 1
    with pytest.raises(allo.AlloError, match="fully needs constant bounds"):
        allo.customize(bounded).unroll("i")


def test_unknown_keyword_of_a_primitive_is_an_allo_error_at_the_call():
    s = allo.customize(gemm)
    with pytest.raises(PrimitiveArgumentError, match=r"s.partition\(\) has no argument 'dims'") \
            as e:
        s.partition(s.A, dims=1)
    assert "did you mean dim?" in str(e.value)
    assert f"test_allo_compat_unroll.py:{test_unknown_keyword_of_a_primitive_is_an_allo_error_at_the_call.__code__.co_firstlineno + 4}" in str(e.value)
    assert isinstance(e.value, allo.AlloError) and isinstance(e.value, TypeError)
    with pytest.raises(PrimitiveArgumentError, match=r"s.split\(\): missing a required "
                                                     r"argument: 'factor'"):
        s.split("i")
    with pytest.raises(PrimitiveArgumentError, match=r"s.unroll\(\): too many positional"):
        s.unroll("i", 2, 3)
    with pytest.raises(PrimitiveArgumentError, match="initiation_interval"):
        s.pipeline("i", ii=2)
    assert s.primitives == []            # nothing was recorded by the refused calls


def test_allo_keyword_arguments_are_accepted():
    s = allo.customize(gemm)
    s.split(axis="i", factor=4)
    s.pipeline(axis="k", initiation_interval=2)
    s.unroll(axis="j", factor=2)
    s.partition(target=s.B, partition_type=allo.Partition.Cyclic, dim=2, factor=2)
    a, b, expected = _inputs(5)
    assert np.array_equal(s.build()(a, b), expected)
