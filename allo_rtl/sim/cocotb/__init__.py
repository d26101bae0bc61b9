"""cocotb verification of allo-rtl hardware on Icarus Verilog and Verilator.

``s.build(target="icarus"|"verilator")`` uses ``runner.CocotbSimulation``; for hand-written
cocotb tests, ``drivers`` has ``ApMemory`` (a BRAM on a kernel's ap_memory port),
``HostMemory`` and signal helpers, and ``check_dut_against_reference`` compares a DUT's results
with the reference interpreter. (Importing this package does not import cocotb: the drivers
module does, and is only loaded inside a simulator.)
"""
from __future__ import annotations

import numpy as np

from ...errors import AlloError


def check_dut_against_reference(schedule, args, got, got_args=None):
    """Raise AlloError naming the first differing index if ``got`` (the DUT's return value,
    numpy/tuple as a build returns) differs from the interpreter on ``args``."""
    ref_args = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    expected = schedule.build(target="python")(*ref_args)
    _compare("result", got, expected)
    if got_args is not None:
        for k, (g, e) in enumerate(zip(got_args, ref_args)):
            if isinstance(e, np.ndarray):
                _compare(f"argument {k}", g, e)
    return expected


def _compare(what, got, expected):
    if isinstance(expected, tuple):
        for k, (g, e) in enumerate(zip(got, expected)):
            _compare(f"{what}[{k}]", g, e)
        return
    if isinstance(expected, np.ndarray):
        diff = np.argwhere(np.asarray(got) != expected)
        if diff.size:
            idx = tuple(int(i) for i in diff[0])
            raise AlloError(f"{what} differs from the reference interpreter at index {idx}: "
                            f"expected {expected[idx]!r}, got {np.asarray(got)[idx]!r} "
                            f"({len(diff)} element(s) differ)")
    elif got != expected:
        raise AlloError(f"{what} differs from the reference interpreter: expected "
                        f"{expected!r}, got {got!r}")
