"""A kernel parameter named like a control port (``start``, ``done``, ``idle``, ``stall``)
replaced the port: the kernel read the start pulse (1) instead of the argument. Found through
the QoR suite's MachSuite bfs (its parameter is ``start``); rtl/port_names.py renames them in
the hardware build. Checked on every simulator against Python ints."""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.ir.types import int32


def control_names(start: int32, done: int32, idle: int32, stall: int32, B: int32[4]) -> int32:
    tail: int32 = 1
    B[0] = start
    B[1] = done * 2
    B[2] = idle - stall
    B[3] = tail
    return start + done


@pytest.mark.parametrize("sim", [None, pytest.param("icarus", marks=pytest.mark.icarus),
                                 pytest.param("verilator", marks=pytest.mark.verilator)])
def test_parameters_named_like_control_ports_keep_their_values(sim):
    mod = allo.customize(control_names).build(target=sim)
    B = np.zeros(4, np.int32)
    assert int(mod(5, -7, 100, 3, B)) == 5 - 7
    assert list(B) == [5, -14, 97, 1]


def array_port_names(A: int32[4], A_q0: int32, A_ce0: int32) -> int32:
    return A[1] * A_q0 + A_ce0


@pytest.mark.parametrize("sim", [None, pytest.param("icarus", marks=pytest.mark.icarus)])
def test_scalars_named_like_an_arrays_ports_keep_their_values(sim):
    # A's ports are A_address0, A_ce0, A_q0...: a scalar of that name would have taken one of them
    s = allo.customize(array_port_names)
    A = np.array([3, -11, 8, 2], np.int32)
    for mod in (s.build(target=sim), s.build(target="python")):
        assert int(mod(A, 6, 1000)) == int(A[1]) * 6 + 1000


def test_a_port_name_collision_stops_the_build_loudly():
    # port_names renames every collision it knows; one it does not know must not replace a port
    from allo_rtl.rtl.interface import KernelInterface, ScalarPort
    from allo_rtl.rtl.lower import signature_of
    iface = KernelInterface("k", params=[ScalarPort("done", int32, "param", 0)])
    with pytest.raises(RuntimeError, match="'done'.*collides"):
        signature_of(iface)
