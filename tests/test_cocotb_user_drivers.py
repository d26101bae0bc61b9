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

N = 8


def vadd(A: int32[N], B: int32[N]) -> int32[N]:
    C: int32[N] = 0
    for i in range(N):
        C[i] = A[i] - B[i]
    return C


@pytest.mark.icarus
def test_ap_memory_driver_on_bare_kernel(tmp_path):
    if not shutil.which("iverilog"):
        pytest.fail("iverilog is not installed (scripts/setup_and_test.sh installs it)")
    from cocotb_tools.runner import get_runner
    s = allo.customize(vadd)
    src = s.build(target="verilog", project=tmp_path).design.write_project(tmp_path)
    rng = np.random.default_rng(3)
    A = rng.integers(-2**31, 2**31, N, dtype=np.int64)
    B = rng.integers(-2**31, 2**31, N, dtype=np.int64)
    expected = [int(v) for v in (A - B).astype(np.int32)]
    runner = get_runner("icarus")
    runner.build(sources=[src], hdl_toplevel="vadd", build_dir=tmp_path / "build",
                 timescale=("1ns", "1ps"), always=True)
    env = {"VADD_DATA": json.dumps({"A": A.tolist(), "B": B.tolist(), "expected": expected}),
           "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), *sys.path])}
    runner.test(hdl_toplevel="vadd", hdl_toplevel_lang="verilog", test_module="cocotb_user_vadd",
                build_dir=tmp_path / "build", test_dir=tmp_path, extra_env=env,
                results_xml=str(tmp_path / "results.xml"))
    from cocotb_tools.check_results import get_results
    ntests, nfail = get_results(tmp_path / "results.xml")
    assert ntests == 1 and nfail == 0
