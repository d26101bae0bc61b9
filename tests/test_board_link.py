"""The whole board top (UART bytes in -> kernel -> results out) simulated end to end, against
the interpreter and numpy; the board's cycle counter agrees with the Amaranth build."""
import numpy as np

import allo_rtl as allo
from allo_rtl.boards.device import Device, SimulatedBoard
from allo_rtl.ir.types import float32, int32
from allo_rtl.rtl.build import HardwareDesign
from kernels import BOARD_N, axpy_total

N = BOARD_N


def test_uart_round_trip_matches_interpreter_and_numpy():
    s = allo.customize(axpy_total)
    rng = np.random.default_rng(5)
    X = rng.integers(-2**31, 2**31, N, dtype=np.int64).astype(np.int32)
    Y = rng.integers(-2**19, 2**19, N).astype(np.int32)
    X[0], Y[0] = -2**31, -2**19
    a = -7
    board = SimulatedBoard(HardwareDesign(s.module), divisor=4)
    dev = Device(board, s)
    Y_dev, Y_ref = Y.copy(), Y.copy()
    Z, total = dev(a, X, Y_dev)
    Z_ref, total_ref = s.build(target="python")(a, X, Y_ref)
    expected_z = (a * X.astype(np.int64) + Y).astype(np.int32)
    assert np.array_equal(Z, expected_z) and np.array_equal(Z_ref, expected_z)
    wrap = lambda v, bits: (v + 2**(bits - 1)) % 2**bits - 2**(bits - 1)   # noqa: E731
    assert total == total_ref == wrap(int(expected_z.astype(np.int64).sum()), 32)
    expected_y = np.array([wrap(int(y) - 1, 20) for y in Y], dtype=np.int32)  # Y[0] wraps
    assert np.array_equal(Y_dev, expected_y) and np.array_equal(Y_ref, expected_y)
    hw = s.build()
    hw(a, X, Y.copy())
    assert dev.cycles == hw.cycles


def vadd(A: int32[8], B: int32[8]) -> int32[8]:
    C: int32[8] = 0
    for i in range(8):
        C[i] = A[i] + B[i]
    return C


def test_partitioned_arguments_round_trip_through_the_host_link():
    # the board runs the banked design: the Device splits A into A_p0/A_p1 as the build does
    s = allo.customize(vadd)
    s.partition(s.A, allo.Partition.Cyclic, dim=1, factor=2)
    s.unroll("i", 2)
    rng = np.random.default_rng(7)
    A = rng.integers(-1000, 1000, 8).astype(np.int32)
    B = rng.integers(-1000, 1000, 8).astype(np.int32)
    design = HardwareDesign(s.module)
    assert [p.name for p in design.module.top_func.params][:2] == ["A_p0", "A_p1"]
    dev = Device(SimulatedBoard(design, divisor=4), s)
    assert np.array_equal(dev(A, B), A + B)


def scale_shift(A: float32[6], b: float32) -> float32[6]:
    C: float32[6] = 0.0
    for i in range(6):
        C[i] = A[i] * b + 0.5
    return C


def test_float_arguments_and_results_cross_the_link_as_their_bits():
    # a float goes over the UART as its IEEE bits, not as its value rounded to an integer
    s = allo.customize(scale_shift)
    A = np.array([1.5, -2.0, 0.25, 3.0e-39, -0.0, 1.0e30], np.float32)   # a subnormal too
    b = np.float32(-1.25)
    dev = Device(SimulatedBoard(HardwareDesign(s.module), divisor=4), s)
    got = dev(A.copy(), b)
    want = (A * b + np.float32(0.5)).astype(np.float32)
    assert np.array_equal(got.view(np.uint32), want.view(np.uint32))
    interpreted = s.build(target="python")(A.copy(), b)
    assert np.array_equal(got.view(np.uint32), interpreted.view(np.uint32))
