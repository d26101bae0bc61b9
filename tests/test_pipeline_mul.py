"""pipeline-mul at a short clock: products longer than the ECP5's 10 ns cycle run on limb
multipliers (``mul_pipe``), and the hardware still equals the interpreter and numpy, with the
fast cycle model's exact cycle count; at the default clock nothing changes."""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.ir.types import int16, int32, int64, uint32
from allo_rtl.rtl.build import HardwareDesign
from kernels import i32
from pipelined_units import opcodes, run_three_ways

M = 4


def mm(A: int32[M, M], B: int32[M, M]) -> int32[M, M]:
    C: int32[M, M] = 0
    for i, j, k in allo.grid(M, M, M):
        C[i, j] += A[i, k] * B[k, j]
    return C


def dot_pipelined(a: int32[16], b: int32[16]) -> int32:
    acc: int32 = 0
    for i in range(16):
        acc += a[i] * b[i]
    return acc


def wide(a: int16[8], b: uint32[8]) -> int64[8]:
    c: int64[8] = 0
    for i in range(8):
        c[i] = a[i] * b[i]
    return c


def by_constant(a: int32[8]) -> int32[8]:
    c: int32[8] = 0
    for i in range(8):
        c[i] = a[i] * 12345
    return c


def schedule(kernel):
    s = allo.customize(kernel)
    if kernel is dot_pipelined:
        s.pipeline("i")
    return s


@pytest.mark.parametrize("edge", [False, True])
def test_matrix_product_at_100_mhz(edge):
    rng = np.random.default_rng(7)
    A, B = i32(rng, (M, M), edge), i32(rng, (M, M), edge)
    design = HardwareDesign(allo.customize(mm).module, "ecp5", 10.0)
    assert "mul_pipe" in opcodes(design) and "mul" not in opcodes(design)
    got, ref, cycles, model_cycles = run_three_ways(
        schedule, mm, [A, B], "ecp5", 10.0)
    want = (A.astype(np.int64) @ B.astype(np.int64)).astype(np.int32)   # wraps like int32
    assert np.array_equal(got, want) and np.array_equal(ref, want)
    assert cycles == model_cycles
    slow = allo.customize(mm).build(family="ecp5")
    assert np.array_equal(slow(A.copy(), B.copy()), want)
    assert cycles > slow.cycles        # the product takes a cycle more at 10 ns


def test_pipelined_loop_with_a_limb_multiplier():
    rng = np.random.default_rng(3)
    a, b = i32(rng, (16,)), i32(rng, (16,))
    design = HardwareDesign(schedule(dot_pipelined).module, "ecp5", 10.0)
    assert "mul_pipe" in opcodes(design)
    got, ref, cycles, model_cycles = run_three_ways(
        schedule, dot_pipelined, [a, b], "ecp5", 10.0)
    want = np.int32(np.sum(a.astype(np.int64) * b.astype(np.int64)).astype(np.int64)
                    .astype(np.int32))
    assert int(got) == int(want) == int(ref) and cycles == model_cycles


def test_a_64_bit_product_of_mixed_operands_gets_two_stages():
    rng = np.random.default_rng(5)
    a = np.concatenate([[-2 ** 15, 2 ** 15 - 1, -1, 0],
                        rng.integers(-2 ** 15, 2 ** 15, 4)]).astype(np.int16)
    b = np.concatenate([[2 ** 32 - 1, 2 ** 32 - 1, 2 ** 32 - 1, 7],
                        rng.integers(0, 2 ** 32, 4)]).astype(np.uint32)
    design = HardwareDesign(allo.customize(wide).module, "ecp5", 10.0)
    (op,) = [op for d in design.designs.values() for s in d.schedules.values()
             for op in s.block.ops if op.opcode == "mul_pipe"]
    assert design.timing.of(op).latency == 2
    got, ref, cycles, model_cycles = run_three_ways(
        schedule, wide, [a, b], "ecp5", 10.0)
    want = a.astype(np.int64) * b.astype(np.int64)    # exact: |a * b| < 2**47
    assert np.array_equal(got, want) and np.array_equal(ref, want)
    assert cycles == model_cycles


def test_default_clock_constant_operands_and_fast_families_keep_the_plain_multiply():
    assert "mul_pipe" not in opcodes(HardwareDesign(allo.customize(mm).module, "ecp5"))
    assert "mul_pipe" not in opcodes(HardwareDesign(allo.customize(mm).module, "generic", 10.0))
    assert "mul_pipe" not in opcodes(HardwareDesign(allo.customize(by_constant).module, "ecp5",
                                                    10.0))
