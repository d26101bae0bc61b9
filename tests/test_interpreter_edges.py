"""Reference interpreter on width edge cases and the rest of the kernel language, against
plain Python/numpy computed independently."""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.ir.types import (Fixed, Int, UFixed, UInt, float32, index, int8, int16, int32,
                               int64, uint32)


def run(kernel, *args):
    return allo.customize(kernel).build(target="llvm")(*args)   # "llvm" is Allo's name


def wrap(v, bits):
    return (v + (1 << (bits - 1))) % (1 << bits) - (1 << (bits - 1))


def shifts(x: int32, n: int32) -> (int32, int32, uint32, int8):
    u: uint32 = x
    small: int8 = x
    return x >> n, x << n, u >> n, small << n


@pytest.mark.parametrize("x, n", [(-8, 1), (-1, 31), (-(2 ** 31), 4), (12345, 40), (7, -1)])
def test_shifts_signed_unsigned_and_out_of_range(x, n):
    amount = n if n >= 0 else n & 0xFFFFFFFF
    sra = x >> min(amount, 32)                             # arithmetic right shift
    shl = wrap(x << amount, 32) if amount < 32 else 0
    srl = (x & 0xFFFFFFFF) >> min(amount, 32)
    small = wrap(x, 8)
    sl8 = wrap(small << amount, 8) if amount < 8 else 0
    assert run(shifts, x, n) == (sra, shl, srl, sl8)


def divisions(a: int32, b: int32) -> (int32, int32, int32):
    return a / b, a // b, a % b


@pytest.mark.parametrize("a, b", [(7, 2), (-7, 2), (7, -2), (-7, -2), (-(2 ** 31), -1),
                                  (5, 0), (-5, 0), (0, -3)])
def test_division_by_negative_numbers_and_zero(a, b):
    if b == 0:
        expected = (-1, -1, a)                            # documented convention
    else:
        q = abs(a) // abs(b) * (1 if (a >= 0) == (b > 0) else -1)   # C: toward zero
        expected = (wrap(q, 32), wrap(a // b, 32), wrap(a - q * b, 32))
    assert run(divisions, a, b) == expected


def fixed_ops(x: Fixed(8, 4), y: UFixed(8, 3)) -> (Fixed(8, 2), Fixed(16, 8), Fixed(10, 4)):
    return x, x * y, x - y


@pytest.mark.parametrize("x, y", [(-1.3125, 2.5), (7.9375, 31.875), (-8.0, 0.125)])
def test_fixed_point_rounding_truncates_toward_minus_infinity(x, y):
    rx, ry = int(x * 16), int(y * 8)                       # raw inputs (exact here)
    narrow = wrap(rx >> 2, 8) / 4                          # 4 -> 2 fraction bits
    prod = wrap(rx * ry << 1, 16) / 256                    # 7 -> 8 fraction bits
    diff = wrap(rx - (ry << 1), 10) / 16
    assert run(fixed_ops, x, y) == (narrow, prod, diff)


def bits(x: int32) -> (UInt(1), UInt(8), UInt(8), UInt(4)):
    return x[31], x[0:8], x[7:0], x[28:32]


@pytest.mark.parametrize("x", [0x12345678, -1, -(2 ** 31), 0xAB])
def test_bit_get_and_slices(x):
    u = x & 0xFFFFFFFF
    assert run(bits, x) == (u >> 31, u & 0xFF, u & 0xFF, (u >> 28) & 0xF)


def logic(a: int32, b: int32) -> (int32, int32, int32, int32, int32):
    t: int32 = a if a > b else b
    both: int32 = (a > 0) and (b > 0)
    either: int32 = (a > 0) or not (b > 0)
    return t, both, either, min(a, b, 3), abs(a) - max(a, -b)


@pytest.mark.parametrize("a, b", [(3, 9), (-4, 2), (0, 0), (-(2 ** 31), 5)])
def test_ternary_logic_and_minmax(a, b):
    expected = (max(a, b), int(a > 0 and b > 0), int(a > 0 or not b > 0), min(a, b, 3),
                wrap(wrap(abs(a), 32) - max(a, -b), 32))
    assert run(logic, a, b) == expected


def gcd(a: int32, b: int32) -> int32:
    while b != 0:
        t: int32 = b
        b = a % b
        a = t
    return a


def test_while_loop():
    assert run(gcd, 1071, 462) == 21


def triangle(A: int32[6, 6]) -> int32:
    s: int32 = 0
    for i in range(6):
        for j in range(i, 6, 2):
            s += A[i, j]
        for k in range(5, i, -1):
            s -= A[k, i]
    return s


def test_triangular_and_negative_step_loops():
    A = np.arange(36, dtype=np.int32).reshape(6, 6)
    expected = sum(int(A[i, j]) for i in range(6) for j in range(i, 6, 2)) - \
        sum(int(A[k, i]) for i in range(6) for k in range(5, i, -1))
    assert run(triangle, A) == expected


WEIGHTS = np.array([[1, -2], [3, 4]], dtype=np.int16)


def arrays(A: int32[2, 2], B: int32[2, 2]) -> (int32[2, 2], int32[2, 2], int32[2, 2]):
    C = A + B * 2
    D = allo.matmul(A, B)
    E: int32[2, 2] = allo.sub(A, 1)
    for i, j in allo.grid(2, 2):
        E[i, j] += WEIGHTS[i, j]
    return C, D, E


def test_whole_array_arithmetic_builtins_and_numpy_constants():
    A = np.array([[1, 2], [3, 4]], dtype=np.int32)
    B = np.array([[5, -6], [7, 8]], dtype=np.int32)
    C, D, E = run(arrays, A, B)
    assert np.array_equal(C, A + 2 * B) and C.dtype == np.int32   # cast to the declared result
    assert np.array_equal(D, A @ B) and np.array_equal(E, A - 1 + WEIGHTS)


def floats(A: float32[4]) -> float32[4]:
    B: float32[4] = 0.0
    for i in range(4):
        B[i] = allo.exp(A[i]) + allo.sqrt(A[i]) - allo.log(A[i] + 1.0)
    return B


def test_float32_math_like_numpy():
    A = np.array([0.5, 1.0, 2.0, 3.5], dtype=np.float32)
    expected = np.exp(A) + np.sqrt(A) - np.log(A + np.float32(1.0))
    got = run(floats, A)
    assert got.dtype == np.float32 and np.allclose(got, expected, rtol=1e-6)


def wide(A: UInt(200)[2], b: Int(130)) -> (UInt(200)[2], Int(130)):
    C: UInt(200)[2] = 0
    for i in range(2):
        C[i] = A[i] * 3 + b
    return C, b * b


def test_widths_beyond_64_bits_use_object_arrays():
    A = np.array([2 ** 199 + 1, 12345], dtype=object)
    b = -(2 ** 129)
    C, bb = run(wide, A, b)
    assert C.dtype == object
    assert list(C) == [(int(a) * 3 + b) % 2 ** 200 for a in A]
    assert bb == wrap(b * b, 130)


def inplace(A: int16[4], k: int16) -> int32:
    total: int32 = 0
    for i in range(4):
        A[i] = A[i] * k
        total += A[i]
    return total


def test_in_place_updates_and_scalar_result():
    A = np.array([1000, -2000, 3, 4], dtype=np.int16)
    total = run(inplace, A, 40)
    expected = [wrap(v * 40, 16) for v in (1000, -2000, 3, 4)]
    assert list(A) == expected and total == sum(expected)


def fixed_io(X: Fixed(12, 4)[3]) -> UFixed(8, 2)[3]:
    Y: UFixed(8, 2)[3] = 0.0
    for i in range(3):
        Y[i] = X[i]
    return Y


def test_fixed_arrays_travel_as_floats():
    X = np.array([1.0625, -0.5, 70.25])
    Y = run(fixed_io, X)
    assert Y.dtype == np.float64
    assert list(Y) == [1.0, ((-8 >> 2) % 256) / 4, ((70 * 16 + 4) >> 2) % 256 / 4]


def index_math(n: index) -> int64:
    return n * 3 - 1


def test_index_scalar():
    assert run(index_math, 10) == 29
