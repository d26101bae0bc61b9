"""Hardware (Amaranth simulation) == reference interpreter == numpy, feature by feature.

Each kernel exercises one construct the backend must lower; inputs are random (fixed seeds)
plus edge values. The numpy expectations are written independently of both builds.
"""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.ir.types import Fixed, Int, UInt, int8, int16, int32, uint8

I32_MIN, I32_MAX = -(2 ** 31), 2 ** 31 - 1
RNG = np.random.default_rng(1234)


def run_both(kernel, *args):
    """Run hardware and interpreter on copies of args; return (hw, ref, hw_args, ref_args, mod)."""
    s = allo.customize(kernel)
    hw_args = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    ref_args = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    mod = s.build()
    hw = mod(*hw_args)
    ref = s.build(target="python")(*ref_args)
    return hw, ref, hw_args, ref_args, mod


def assert_same(a, b):
    if isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and np.array_equal(a, b), (a, b)
    else:
        assert a == b, (a, b)


def vadd(A: int32[16], B: int32[16]) -> int32[16]:
    C: int32[16] = 0
    for i in range(16):
        C[i] = A[i] + B[i]
    return C


def test_vector_add_wraps_like_int32():
    A = RNG.integers(I32_MIN, I32_MAX, 16, dtype=np.int64).astype(np.int32)
    B = RNG.integers(I32_MIN, I32_MAX, 16, dtype=np.int64).astype(np.int32)
    A[:3] = [I32_MAX, I32_MIN, -1]
    B[:3] = [1, -1, I32_MIN]
    hw, ref, *_ , mod = run_both(vadd, A, B)
    expected = (A.astype(np.int64) + B).astype(np.int32)
    assert_same(hw, expected)
    assert_same(ref, expected)
    assert mod.cycles > 16


def dot(A: int16[8], B: int16[8], bias: int32) -> int32:
    acc: int32 = bias
    for i in range(8):
        acc += A[i] * B[i]
    return acc


@pytest.mark.parametrize("bias", [0, -7, I32_MAX])
def test_scalar_in_scalar_out(bias):
    A = RNG.integers(-2 ** 15, 2 ** 15, 8).astype(np.int16)
    B = RNG.integers(-2 ** 15, 2 ** 15, 8).astype(np.int16)
    hw, ref, *_ = run_both(dot, A, B, bias)
    expected = int(np.int64(bias) + (A.astype(np.int64) * B).sum())
    expected = (expected + 2 ** 31) % 2 ** 32 - 2 ** 31
    assert hw == ref == expected


def branches(A: int32[16]) -> int32[16]:
    B: int32[16] = 0
    for i in range(16):
        if A[i] > 100:
            B[i] = 1
        elif A[i] < -100:
            B[i] = -1
        else:
            B[i] = A[i] * 2 if A[i] % 2 == 0 else 0
    return B


def test_if_elif_else_and_ternary():
    A = RNG.integers(-300, 300, 16).astype(np.int32)
    A[:4] = [100, 101, -100, -101]
    hw, ref, *_ = run_both(branches, A)
    expected = np.where(A > 100, 1, np.where(A < -100, -1, np.where(A % 2 == 0, A * 2, 0)))
    assert_same(hw, expected.astype(np.int32))
    assert_same(ref, expected.astype(np.int32))


def triangular(A: int32[8, 8]) -> int32[8]:
    S: int32[8] = 0
    for i in range(8):
        for j in range(i, 8):
            S[i] += A[i, j]
    return S


def test_triangular_loop_bounds_depend_on_outer_index():
    A = RNG.integers(-1000, 1000, (8, 8)).astype(np.int32)
    hw, ref, *_ = run_both(triangular, A)
    expected = np.array([A[i, i:].sum() for i in range(8)], dtype=np.int32)
    assert_same(hw, expected)
    assert_same(ref, expected)


def collatz(n: int32) -> int32:
    steps: int32 = 0
    while n != 1:
        if n % 2 == 0:
            n = n // 2
        else:
            n = 3 * n + 1
        steps += 1
    return steps


def _collatz(n):
    steps = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps


@pytest.mark.parametrize("n", [1, 6, 27])
def test_while_loop(n):
    hw, ref, *_ = run_both(collatz, n)
    assert hw == ref == _collatz(n)


def divmod_kernel(A: int32[8], B: int32[8]) -> (int32[8], int32[8], int32[8]):
    Q: int32[8] = 0
    F: int32[8] = 0
    R: int32[8] = 0
    for i in range(8):
        Q[i] = A[i] / B[i]
        F[i] = A[i] // B[i]
        R[i] = A[i] % B[i]
    return Q, F, R


def test_division_follows_c_and_floor_semantics():
    A = np.array([7, -7, 7, -7, I32_MIN, 0, 5, I32_MAX], dtype=np.int32)
    B = np.array([2, 2, -2, -2, -1, 3, 0, 1], dtype=np.int32)
    hw, ref, *_ = run_both(divmod_kernel, A, B)
    a, b = A.astype(np.int64), B.astype(np.int64)
    safe = np.where(b == 0, 1, b)
    trunc = np.where(b == 0, -1, np.trunc(a / safe).astype(np.int64))
    floor = np.where(b == 0, -1, a // safe)
    rem = np.where(b == 0, a, a - np.trunc(a / safe).astype(np.int64) * safe)
    wrap = lambda x: ((x + 2 ** 31) % 2 ** 32 - 2 ** 31).astype(np.int32)   # noqa: E731
    for got in (hw, ref):
        assert_same(got, (wrap(trunc), wrap(floor), wrap(rem)))


def bits(A: uint8[8], x: int32) -> (uint8[8], int32):
    B: uint8[8] = 0
    for i in range(8):
        B[i] = (A[i] << 1) ^ (A[i] >> 3) | A[i][0]
    return B, x[4:12] + x[31]


def test_shifts_bit_get_and_slice():
    A = RNG.integers(0, 256, 8).astype(np.uint8)
    for x in (0x12345678, -1, I32_MIN):
        hw, ref, *_ = run_both(bits, A, x)
        a = A.astype(np.int64)
        expected_b = ((((a << 1) & 0xFF) ^ (a >> 3)) | (a & 1)).astype(np.uint8)
        ux = x & 0xFFFFFFFF
        expected_x = ((ux >> 4) & 0xFF) + (ux >> 31)
        for got in (hw, ref):
            assert_same(got, (expected_b, expected_x))


def fixed_mac(A: Fixed(12, 4)[8], B: Fixed(12, 4)[8]) -> Fixed(16, 6):
    acc: Fixed(16, 6) = 0.0
    for i in range(8):
        acc += A[i] * B[i]
    return acc


def test_fixed_point_truncates_and_wraps():
    A = RNG.integers(-2 ** 11, 2 ** 11, 8) / 16.0
    B = RNG.integers(-2 ** 11, 2 ** 11, 8) / 16.0
    hw, ref, *_ = run_both(fixed_mac, A, B)
    acc = 0                                             # raw, 6 fraction bits
    for a, b in zip((A * 16).astype(np.int64), (B * 16).astype(np.int64)):
        total = acc * 4 + a * b                         # exact sum at 8 fraction bits
        acc = total >> 2                                # truncate toward -inf to 6 bits
        acc = (acc + 2 ** 15) % 2 ** 16 - 2 ** 15       # wrap to 16 bits
    assert hw == ref == acc / 64.0


def add_rows(A: int32[4], B: int32[4]) -> int32[4]:
    C: int32[4] = 0
    for i in range(4):
        C[i] = A[i] + B[i]
    return C


def twice(A: int32[4], B: int32[4]) -> int32[4]:
    T = add_rows(A, B)
    return add_rows(T, A)


def test_sub_kernel_called_twice_stays_a_submodule():
    A = RNG.integers(-100, 100, 4).astype(np.int32)
    B = RNG.integers(-100, 100, 4).astype(np.int32)
    hw, ref, *_, mod = run_both(twice, A, B)
    assert_same(hw, (2 * A + B).astype(np.int32))
    assert_same(ref, (2 * A + B).astype(np.int32))
    assert "module" in mod.verilog and "add_rows" in mod.verilog
    # mod.module (Allo's users print it): the IR the hardware was made from, both functions
    assert {"twice", "add_rows"} <= set(mod.module.functions)
    assert "call @add_rows" in str(mod.module)


def scale_in_place(A: int32[8], k: int8):
    for i in range(8):
        A[i] = A[i] * k


def test_in_place_argument_update():
    A = RNG.integers(-1000, 1000, 8).astype(np.int32)
    hw, ref, hw_args, ref_args, _ = run_both(scale_in_place, A, -3)
    assert hw is None and ref is None
    assert_same(hw_args[0], (A * -3).astype(np.int32))
    assert_same(ref_args[0], (A * -3).astype(np.int32))


LUT = np.array([3, 1, 4, 1, 5, 9, 2, 6], dtype=np.int32)


def lookup(idx: UInt(3)[8]) -> int32[8]:
    out: int32[8] = 0
    tmp: int32[8] = 0
    for i in range(8):
        tmp[i] = LUT[idx[i]] * 10
    for i in range(8):
        out[7 - i] = tmp[i] + min(i, 3) - max(i, 5) + abs(i - 4)
    return out


def test_constant_rom_local_memory_and_minmax():
    idx = RNG.integers(0, 8, 8).astype(np.uint8)
    hw, ref, *_ = run_both(lookup, idx)
    i = np.arange(8)
    tmp = LUT[idx] * 10
    expected = np.empty(8, dtype=np.int32)
    expected[7 - i] = tmp + np.minimum(i, 3) - np.maximum(i, 5) + np.abs(i - 4)
    assert_same(hw, expected)
    assert_same(ref, expected)


def wide(A: UInt(100)[4], B: Int(70)[4]) -> Int(100)[4]:
    C: Int(100)[4] = 0
    for i in range(4):
        C[i] = A[i] - B[i]
    return C


def test_widths_beyond_64_bits():
    A = np.array([2 ** 99 + 5, 0, 1, 2 ** 100 - 1], dtype=object)
    B = np.array([-(2 ** 69), 2 ** 69 - 1, 1, -1], dtype=object)
    hw, ref, *_ = run_both(wide, A, B)
    expected = np.array([((int(a) - int(b) + 2 ** 99) % 2 ** 100) - 2 ** 99
                         for a, b in zip(A, B)], dtype=object)
    assert_same(hw, expected)
    assert_same(ref, expected)


def forever(x: int32) -> int32:
    while x > 0:
        x = x + 1 - 1
    return x


def test_design_that_never_finishes_is_reported():
    mod = allo.customize(forever).build(max_cycles=500)
    with pytest.raises(allo.AlloError, match="500"):
        mod(5)


def test_vcd_written(tmp_path):
    mod = allo.customize(vadd).build()
    A = np.arange(16, dtype=np.int32)
    path = tmp_path / "vadd.vcd"
    mod(A, A, vcd=str(path))
    assert path.exists() and path.stat().st_size > 0


def test_report_lists_loops_memories_and_cycles():
    mod = allo.customize(triangular).build()
    mod(np.ones((8, 8), dtype=np.int32))
    rep = mod.report().to_dict()
    assert rep["cycles"] == mod.cycles
    loops = {loop["name"]: loop for loop in rep["functions"][0]["loops"]}
    assert loops["i"]["trip_count"] == 8 and loops["j"]["trip_count"] is None
    assert "loop i" in str(mod.report())


def float_kernel(A: allo.float32[4]) -> allo.float32[4]:
    B: allo.float32[4] = 0.0
    for i in range(4):
        B[i] = allo.log2(A[i])       # float arithmetic, exp ... power run in hardware; log2 not yet
    return B


def test_unsupported_float_op_is_refused_with_source_line():
    s = allo.customize(float_kernel)
    with pytest.raises(allo.AlloError, match=r"test_hw_features.py:\d+"):
        s.build()


def aliased(A: int32[4]) -> int32[4]:
    return add_rows(A, A)


def test_array_passed_twice_to_a_sub_kernel_is_refused():
    s = allo.customize(aliased)
    assert np.array_equal(s.build(target="python")(np.arange(4, dtype=np.int32)),
                          2 * np.arange(4))
    with pytest.raises(allo.AlloError, match=r"test_hw_features.py:\d+.*passed twice"):
        s.build()
