"""A kernel parameter named like a control port (``start``, ``done``, ``idle``, ``stall``)
replaced the port: the kernel read the start pulse (1) instead of the argument. Found through
the QoR suite's MachSuite bfs (its parameter is ``start``); hls/port_names.py renames them in
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
