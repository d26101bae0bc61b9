"""Allo's templates (PEP 695 on Python 3.12, @allo.template on 3.11) and Allo's name scoping:
names from closures and from the function that calls customize."""
import importlib
import sys

import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.ir.types import int8, int16, int32, float32

needs_312 = pytest.mark.skipif(sys.version_info < (3, 12), reason="PEP 695 needs Python 3.12")


def pep695():
    return importlib.import_module("allo_compat_pep695_kernels")


@pytest.fixture(autouse=True)
def _tests_on_path(monkeypatch):
    monkeypatch.syspath_prepend(str(__import__("pathlib").Path(__file__).parent))


@needs_312
@pytest.mark.parametrize("target", ["python", None])
def test_pep695_vadd(target):
    k = pep695()
    mod = allo.customize(k.vadd, instantiate=[int16, 6]).build(target=target)
    a = np.array([30000, -30000, 5, 7, -1, 0], dtype=np.int16)
    b = np.array([10000, -10000, 1, 2, 3, 4], dtype=np.int16)
    expected = (a.astype(np.int64) + b).astype(np.int16)      # wraps as int16 assignment
    assert np.array_equal(mod(a, b), expected)


@needs_312
def test_pep695_constraints_and_bounds():
    k = pep695()
    rng = np.random.default_rng(1)
    a = rng.integers(-50, 50, (3, 5)).astype(np.int32)
    b = rng.integers(-50, 50, (5, 2)).astype(np.int32)
    mod = allo.customize(k.gemm, instantiate=[int32, 3, 2, 5]).build()
    assert np.array_equal(mod(a, b), a.astype(np.int64) @ b)
    with pytest.raises(allo.AlloError, match="must be one of int8, int32"):
        allo.customize(k.gemm, instantiate=[int16, 3, 2, 5])
    with pytest.raises(allo.AlloError, match="declared int32"):
        allo.customize(k.gemm, instantiate=[int32, "3", 2, 5])
    with pytest.raises(allo.AlloError, match="declared Int"):
        allo.customize(k.scale, instantiate=[float32, 4])
    with pytest.raises(allo.AlloError, match="4 values, not 2"):
        allo.customize(k.gemm, instantiate=[int32, 3])


@needs_312
def test_pep695_sub_kernel_instantiated_in_a_call():
    k = pep695()
    a = np.array([100, -100, 3, 64], dtype=np.int8)
    expected = (a.astype(np.int64) * 2).astype(np.int8)
    s = allo.customize(k.calls_template, instantiate=[int8])
    assert np.array_equal(s.build(target="python")(a), expected)
    assert np.array_equal(s.build()(a), expected)


@allo.template("T", "M")
def vsub(A: "T[M]", B: "T[M]") -> "T[M]":
    C: T[M] = 0
    for i in range(M):
        C[i] = A[i] - B[i]
    return C


def test_template_decorator_still_works():
    a, b = np.arange(4, dtype=np.int8), np.full(4, 100, dtype=np.int8)
    mod = allo.customize(vsub, instantiate=[int8, 4]).build(target="python")
    assert np.array_equal(mod(a, b), (a.astype(np.int64) - b).astype(np.int8))
    with pytest.raises(allo.AlloError, match="not a template"):
        allo.customize(global_names_kernel, instantiate=[int8])


M_GLOBAL = 3


def global_names_kernel(A: int32[M_GLOBAL]) -> int32:
    s: int32 = 0
    for i in range(M_GLOBAL):
        s += A[i]
    return s


def test_names_from_the_calling_function():
    M, K = 4, 3                       # only the caller's frame knows these

    def kernel(A: int32[M, K]) -> int32[M, K]:
        B: int32[M, K] = 0
        for i, j in allo.grid(M, K):
            B[i, j] = A[i, j] * 3 + 1
        return B

    a = np.arange(12, dtype=np.int32).reshape(4, 3)
    for target in ("python", None):
        assert np.array_equal(allo.customize(kernel).build(target=target)(a), a * 3 + 1)


def test_caller_frame_names_for_sub_kernels_and_strings():
    N = 5
    scale_by = 7                     # a closure cell of `inner`

    def inner(x: int32) -> int32:
        return x * scale_by

    def kernel(A: "int32[N]") -> "int32[N]":
        B: int32[N] = 0
        for i in range(N):
            B[i] = inner(A[i])
        return B

    a = np.arange(5, dtype=np.int32) - 2
    assert np.array_equal(allo.customize(kernel).build()(a), a * 7)


def _customize_elsewhere(kernel):
    M_GLOBAL = 99                     # noqa: F841 - must NOT change the global kernel's size
    return allo.customize(kernel)


def test_caller_locals_do_not_override_an_unrelated_kernels_globals():
    s = _customize_elsewhere(global_names_kernel)
    assert s.module.top_func.params[0].type.shape == (3,)
    assert s.build(target="python")(np.array([1, 2, 3], dtype=np.int32)) == 6


def test_inner_frame_wins_over_global():
    M_GLOBAL = 2

    def kernel(A: int32[M_GLOBAL]) -> int32:
        return A[0] + A[M_GLOBAL - 1]

    assert allo.customize(kernel).build(target="python")(np.array([5, 9], dtype=np.int32)) == 14


def test_unresolved_name_is_reported_at_the_line():
    def kernel(A: "int32[NOT_DEFINED_ANYWHERE]"):
        pass

    with pytest.raises(allo.AlloError, match="NOT_DEFINED_ANYWHERE") as e:
        allo.customize(kernel)
    assert "test_allo_compat_templates.py" in str(e.value)


@needs_312
def test_pep695_unquoted_dimension_annotation():
    k = pep695()
    a = np.arange(-6, 6, dtype=np.int32).reshape(3, 4)
    for target in ("python", None):
        mod = allo.customize(k.rowsum, instantiate=[3, 4]).build(target=target)
        assert np.array_equal(mod(a), a.sum(axis=1))


@needs_312
def test_bare_call_of_a_template_takes_the_callers_parameters_by_name():
    k = pep695()
    rng = np.random.default_rng(3)
    a = rng.integers(-1000, 1000, (5, 3)).astype(np.int16)
    s0 = rng.integers(-1000, 1000, 3).astype(np.int16)
    expected = (s0.astype(np.int64) + a.sum(axis=0)).astype(np.int16)
    sch = allo.customize(k.bare_template_call, instantiate=[int16, 3, 5])
    for target in ("python", None):
        s = s0.copy()
        sch.build(target=target)(a, s)
        assert np.array_equal(s, expected), target
    with pytest.raises(allo.AlloError, match=r"needs its parameters here \(M, N not bound") as e:
        allo.customize(k.bare_call_missing, instantiate=[int16])
    assert e.value.loc.file.endswith("allo_compat_pep695_kernels.py")
