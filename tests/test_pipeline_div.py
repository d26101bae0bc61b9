"""pipeline-div at a short clock: divisions by a constant longer than the ECP5's 10 ns cycle
(or the iCE40's 33 ns) run on pipelined units (``*_const_pipe``), and the hardware still
equals the interpreter and numpy / Python ints (Allo's rules: ``/`` truncates, ``//`` floors,
``%`` takes the dividend's sign), with the fast cycle model's exact cycle count; at a long
clock the division stays combinational."""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.ir.types import int32, uint32
from allo_rtl.rtl.build import HardwareDesign
from kernels import i32, jacobi_1d, jacobi_ref
from pipelined_units import opcodes, run_three_ways

EDGE_U32 = np.array([0, 1, 2, 6, 7, 2 ** 31, 2 ** 32 - 1, 2 ** 32 - 2], dtype=np.uint32)


def three_ways(a: int32[8], u: uint32[8]) -> int32[8]:
    c: int32[8] = 0
    for i in range(8):
        c[i] = a[i] // 7 + a[i] % 10 + (u[i] % 1000003)
    return c


def pipelined_div(a: int32[16]) -> int32[16]:
    c: int32[16] = 0
    for i in range(16):
        c[i] = a[i] / 3
    return c


def trunc(a, d):
    q = abs(a) // d
    return -q if a < 0 else q


def wrap32(v):
    return (v + 2 ** 31) % 2 ** 32 - 2 ** 31


def schedule(kernel):
    s = allo.customize(kernel)
    if kernel is pipelined_div:
        s.pipeline("i")
    return s


@pytest.mark.parametrize("edge", [False, True])
def test_floor_and_remainder_signed_and_unsigned_at_100_mhz(edge):
    rng = np.random.default_rng(11)
    a = i32(rng, (8,), edge)
    u = EDGE_U32 if edge else rng.integers(0, 2 ** 32, 8).astype(np.uint32)
    ops = opcodes(HardwareDesign(allo.customize(three_ways).module, "ecp5", 10.0))
    assert {"floordiv_const_pipe", "mod_const_pipe"} <= set(ops)
    assert not {"floordiv_const", "mod_const"} & set(ops)
    got, ref, cycles, model_cycles = run_three_ways(
        schedule, three_ways, [a, u], "ecp5", 10.0)
    want = np.array([wrap32(int(x) // 7 + (int(x) - trunc(int(x), 10) * 10)
                            + int(y) % 1000003) for x, y in zip(a, u)], dtype=np.int32)
    assert np.array_equal(got, want) and np.array_equal(ref, want)
    assert cycles == model_cycles


@pytest.mark.parametrize("family,clock_ns", [("ecp5", 10.0), ("ice40", 1000 / 30)])
def test_jacobi_divides_by_3_on_a_pipelined_unit(family, clock_ns):
    rng = np.random.default_rng(5)
    A, B = i32(rng, (8,), True), i32(rng, (8,))
    assert "tdiv_const_pipe" in opcodes(HardwareDesign(allo.customize(jacobi_1d).module,
                                                       family, clock_ns))
    hw = allo.customize(jacobi_1d).build(family=family, clock_ns=clock_ns)
    got = [A.copy(), B.copy()]
    hw(*got)
    want = [A.copy(), B.copy()]
    jacobi_ref(want)
    model = allo.customize(jacobi_1d).build(target="cycles", family=family, clock_ns=clock_ns)
    model(A.copy(), B.copy())
    assert all(np.array_equal(g, w) for g, w in zip(got, want))
    assert hw.cycles == model.cycles


def test_pipelined_loop_with_a_pipelined_division():
    rng = np.random.default_rng(3)
    a = np.concatenate([[-2 ** 31, 2 ** 31 - 1, -1, 0, 1, -2, -3, 3], i32(rng, (8,))])
    a = a.astype(np.int32)
    design = HardwareDesign(schedule(pipelined_div).module, "ecp5", 10.0)
    assert "tdiv_const_pipe" in opcodes(design) and design.designs   # pipelined loop body
    assert any(d.pipelines for d in design.designs.values())
    got, ref, cycles, model_cycles = run_three_ways(
        schedule, pipelined_div, [a], "ecp5", 10.0)
    want = np.array([trunc(int(x), 3) for x in a], dtype=np.int32)
    assert np.array_equal(got, want) and np.array_equal(ref, want)
    assert cycles == model_cycles


def test_long_clocks_keep_the_combinational_division():
    for family, clock_ns in [("ecp5", 40.0), ("ice40", 83.3), ("generic", None)]:
        ops = opcodes(HardwareDesign(allo.customize(jacobi_1d).module, family, clock_ns))
        assert "tdiv_const" in ops and "tdiv_const_pipe" not in ops, (family, clock_ns)
