"""The cocotb drivers work in a user's own testbench on a bare kernel (Icarus)."""
import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.ir.types import int32
from allo_rtl.memory import Memory

N = 8


def vadd(A: int32[N], B: int32[N]) -> int32[N]:
    C: int32[N] = 0
    for i in range(N):
        C[i] = A[i] - B[i]
    return C


def _run_user_test(s, top, test_module, data, tmp_path):
    """Build ``s``'s bare kernel Verilog and run the cocotb ``test_module`` on Icarus."""
    if not shutil.which("iverilog"):
        pytest.fail("iverilog is not installed (scripts/setup_and_test.sh installs it)")
    from cocotb_tools.check_results import get_results
    from cocotb_tools.runner import get_runner
    src = s.build(target="verilog", project=tmp_path).design.write_project(tmp_path)
    runner = get_runner("icarus")
    runner.build(sources=[src], hdl_toplevel=top, build_dir=tmp_path / "build",
                 timescale=("1ns", "1ps"), always=True)
    env = {"USER_TEST_DATA": json.dumps(data),
           "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), *sys.path])}
    runner.test(hdl_toplevel=top, hdl_toplevel_lang="verilog", test_module=test_module,
                build_dir=tmp_path / "build", test_dir=tmp_path, extra_env=env,
                results_xml=str(tmp_path / "results.xml"))
    ntests, nfail = get_results(tmp_path / "results.xml")
    assert ntests == 1 and nfail == 0


@pytest.mark.icarus
def test_ap_memory_driver_on_bare_kernel(tmp_path):
    rng = np.random.default_rng(3)
    A = rng.integers(-2**31, 2**31, N, dtype=np.int64)
    B = rng.integers(-2**31, 2**31, N, dtype=np.int64)
    expected = [int(v) for v in (A - B).astype(np.int32)]
    _run_user_test(allo.customize(vadd), "vadd", "cocotb_user_vadd",
                   {"A": A.tolist(), "B": B.tolist(), "expected": expected}, tmp_path)


def accumulate(A: int32[N], C: int32[N] @ Memory(storage_type="RAM_2P")):
    for i in range(N):
        C[i] = C[i] - A[i]


@pytest.mark.icarus
def test_ap_memory_driver_on_a_two_port_argument(tmp_path):
    s = allo.customize(accumulate)
    s.pipeline("i")              # II 1: C's read and write in one cycle, on its two ports
    rng = np.random.default_rng(4)
    A, C = (rng.integers(-2**31, 2**31, N, dtype=np.int64) for _ in range(2))
    expected = [int(v) for v in (C - A).astype(np.int32)]
    _run_user_test(s, "accumulate", "cocotb_user_two_port",
                   {"A": A.tolist(), "C": C.tolist(), "expected": expected}, tmp_path)


def neighbour_sums(A: int32[N] @ Memory(storage_type="RAM_T2P")):
    for i in range(N - 1):
        A[i] = A[i] + A[i + 1]      # reads A[i + 1] before the next iteration overwrites it


@pytest.mark.icarus
def test_ap_memory_driver_on_a_dual_port_argument(tmp_path):
    s = allo.customize(neighbour_sums)
    s.pipeline("i")              # two reads and a write per iteration on A's two ports: II 2
    A = np.random.default_rng(6).integers(-2**31, 2**31, N, dtype=np.int64)
    want = A.copy()
    want[:-1] = A[:-1] + A[1:]
    expected = [int(v) for v in want.astype(np.int32)]
    _run_user_test(s, "neighbour_sums", "cocotb_user_dual_port",
                   {"A": A.tolist(), "expected": expected}, tmp_path)
