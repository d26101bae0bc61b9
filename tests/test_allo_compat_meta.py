"""Allo's compile-time constructs and small language items: ConstExpr, meta_if/elif/else,
meta_for, list literals, nested sub-kernel definitions, re-declaration in a sibling scope,
``-> None``, allo.concat and allo.copy. Interpreter and hardware against numpy."""
import math

import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.ir.types import ConstExpr, int8, int32, uint2

TARGETS = ["python", None]
M = 10


def constexpr_kernel(A: int32[10]) -> int32[10]:
    limit: ConstExpr[int32] = M // 2
    base: ConstExpr[int8] = 130                 # wraps to int8: -126
    offset: ConstExpr[int32] = limit * 3 + base
    B: int32[10] = 0
    for i in range(limit):
        B[i] = A[i] + offset
    for i in range(limit, 10):
        B[i] = A[i] * limit
    return B


@pytest.mark.parametrize("target", TARGETS)
def test_constexpr(target):
    a = np.arange(10, dtype=np.int32) - 3
    expected = np.where(np.arange(10) < 5, a + (15 - 126), a * 5)
    assert np.array_equal(allo.customize(constexpr_kernel).build(target=target)(a), expected)


def shift_of(i):
    return (i * 3) % 4


def meta_kernel(A: int32[4], C: uint2[4]) -> int32[4]:
    B: int32[4] = [10, 20, -30, 40]
    with allo.meta_for(4) as i:
        src: ConstExpr[int32] = shift_of(i)          # a Python helper at compile time
        with allo.meta_if(i == 0):
            B[i] += A[src]
        with allo.meta_elif(i == 1):
            B[i] -= A[src]
        with allo.meta_else():
            x: int32 = A[src] * i                   # declared once per copy
            B[i] = B[i] + x
            B[i][0:2] = C[i]
    return B


def meta_ref(a, c):
    b = [10, 20, -30, 40]
    for i in range(4):
        s = (i * 3) % 4
        if i == 0:
            b[i] += int(a[s])
        elif i == 1:
            b[i] -= int(a[s])
        else:
            b[i] = ((b[i] + int(a[s]) * i) & ~3) | int(c[i])
    return np.array(b, dtype=np.int32)


@pytest.mark.parametrize("target", TARGETS)
def test_meta_blocks_and_list_literal(target):
    a = np.array([5, -7, 11, 13], dtype=np.int32)
    c = np.array([3, 1, 2, 1], dtype=np.uint8)
    got = allo.customize(meta_kernel).build(target=target)(a, c)
    assert np.array_equal(got, meta_ref(a, c))


def nested_and_scopes(A: int32[10]) -> int32[10]:
    B: int32[10] = 0

    def bump(x: int32) -> int32:
        return x + M                                 # sees the kernel's names (M = 10)

    for i in range(10):
        y: int32 = bump(A[i])
        B[i] = y * 2
    for j in range(10):
        y: int32 = B[j]                              # re-declared in a sibling scope
        B[j] = y - 1
    return B


@pytest.mark.parametrize("target", TARGETS)
def test_nested_def_and_redeclaration(target):
    a = np.arange(10, dtype=np.int32) * 7 - 20
    got = allo.customize(nested_and_scopes).build(target=target)(a)
    assert np.array_equal(got, (a + 10) * 2 - 1)


def concat_copy(A: int32[2, 3], B: int32[2, 2]) -> int32[4, 3]:
    D: int32[2, 3] = allo.copy(A)
    A[0, 0] = 99                                     # D keeps the old value
    wide: int32[2, 5] = allo.concat(D, B, axis=1)
    C: int32[4, 3] = allo.concat(D, A)
    C[3, 2] = wide[1, 4]
    return C


@pytest.mark.parametrize("target", TARGETS)
def test_concat_and_copy(target):
    a = np.arange(6, dtype=np.int32).reshape(2, 3)
    b = np.arange(4, dtype=np.int32).reshape(2, 2) + 10
    a_in = a.copy()
    got = allo.customize(concat_copy).build(target=target)(a_in, b)
    a_after = a.copy()
    a_after[0, 0] = 99
    expected = np.concatenate((a, a_after))
    expected[3, 2] = np.concatenate((a, b), axis=1)[1, 4]
    assert np.array_equal(got, expected) and a_in[0, 0] == 99


def none_returns(A: int32[4]) -> None:
    A[0] = 1
    return None


def test_none_return():
    a = np.zeros(4, dtype=np.int32)
    assert allo.customize(none_returns).build(target="python")(a) is None
    assert a[0] == 1


def test_meta_errors_point_at_the_line():
    def elif_alone(A: int32[4]):
        A[0] = 1
        with allo.meta_elif(True):
            A[1] = 2

    def uses_kernel_variable(A: int32[4]):
        for i in range(4):
            with allo.meta_if(i == 0):
                A[i] = 1

    def constexpr_from_variable(A: int32[4]):
        x: int32 = A[0]
        n: ConstExpr[int32] = x + 1

    def same_scope_twice(A: int32[4]):
        y: int32 = 1
        for i in range(4):
            A[i] = y
        y: int8 = 2                                   # another type: refused

    def other_with(A: int32[4]):
        with open("f"):
            pass

    for kernel, msg in [(elif_alone, "must follow a meta_if"),
                        (uses_kernel_variable, "'i' is a kernel variable"),
                        (constexpr_from_variable, "'x' is a kernel variable"),
                        (same_scope_twice, "declared twice"),
                        (other_with, "meta_if/meta_elif/meta_else/meta_for only")]:
        with pytest.raises(allo.AlloError, match=msg) as e:
            allo.customize(kernel)
        assert "test_allo_compat_meta.py" in str(e.value), kernel.__name__


def redeclare_same_type(A: int32[2]) -> int32:
    a_: int32 = A[0]
    a_: int32 = a_ * 3                  # Allo: the same type again is an assignment
    tmp: int32[2] = [1, 2]
    tmp: int32[2] = [M, 4]
    return a_ + tmp[0] + tmp[1]


@pytest.mark.parametrize("target", TARGETS)
def test_redeclaration_with_the_same_type_assigns(target):
    a = np.array([7, 0], dtype=np.int32)
    assert allo.customize(redeclare_same_type).build(target=target)(a) == 7 * 3 + 10 + 4
