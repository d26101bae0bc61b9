"""Simulator and tool robustness (issue 16): 1-bit ports on the external simulators, Verilator
designs large enough to split their C++, and more. References are numpy / Python ints."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.ir.types import Int, UInt

SIMS = [pytest.param("icarus", marks=pytest.mark.icarus),
        pytest.param("verilator", marks=pytest.mark.verilator)]


def one_bit(A: UInt(1)[4], S: Int(1)[4], b: UInt(1),
            t: Int(1)) -> (UInt(1)[4], Int(1)[4], UInt(1), Int(1)):
    C: UInt(1)[4] = 0
    D: Int(1)[4] = 0
    par: UInt(1) = 0
    for i in range(4):
        C[i] = A[i] ^ b
        D[i] = S[i] ^ t
        par = par ^ A[i]
    neg: Int(1) = S[0] & t
    return C, D, par, neg


@pytest.mark.parametrize("sim", SIMS)
def test_one_bit_arrays_and_scalars_on_external_simulators(sim):
    # cocotb hands 1-bit ports over as a Logic, not a LogicArray
    A = np.array([0, 1, 1, 1], dtype=np.uint8)
    S = np.array([-1, 0, -1, 0], dtype=np.int8)       # Int(1) holds -1 and 0
    C, D, par, neg = allo.customize(one_bit).build(target=sim)(A, S, 1, -1)
    np.testing.assert_array_equal(C, A ^ 1)
    np.testing.assert_array_equal(D, S ^ np.int8(-1))
    assert par == int(np.bitwise_xor.reduce(A)) and neg == int(S[0] & -1) == -1


def gemm16(A: allo.int32[16, 16], B: allo.int32[16, 16]) -> allo.int32[16, 16]:
    C: allo.int32[16, 16] = 0
    for i, j, k in allo.grid(16, 16, 16):
        C[i, j] += A[i, k] * B[k, j]
    return C


@pytest.mark.verilator
def test_verilator_builds_a_design_split_into_several_cpp_files(tmp_path, monkeypatch):
    # 256 multipliers: Verilator splits the C++ and compiles the files in parallel with a
    # precompiled header, which the wheel's verilated.mk breaks (empty CFG_CXXFLAGS_PCH_I)
    monkeypatch.setenv("ALLO_RTL_CACHE", str(tmp_path))     # always a fresh build
    s = allo.customize(gemm16)
    s.unroll("k", 16)
    s.unroll("j", 16)
    mod = s.build(target="verilator")
    rng = np.random.default_rng(3)
    A, B = (rng.integers(-2**15, 2**15, (16, 16), dtype=np.int64).astype(np.int32)
            for _ in range(2))
    got = mod(A, B)
    np.testing.assert_array_equal(got, (A.astype(np.int64) @ B.astype(np.int64)).astype(np.int32))
    classes = (mod.cocotb().build_dir / "Vtop_classes.mk").read_text()
    assert "VM_PARALLEL_BUILDS = 1" in classes        # the split path was exercised


def _fake_verilator(tmp_path, pch_line):
    root = tmp_path / "root"
    (root / "include").mkdir(parents=True)
    (root / "include" / "verilated.mk").write_text(f"X = 1\n{pch_line}\nY = 2\n")
    exe = tmp_path / "verilator"
    exe.write_text(f"#!{sys.executable}\nprint({str(root)!r})\n")
    exe.chmod(0o755)
    return str(exe)


def test_pch_fix_only_for_an_empty_include_flag(tmp_path):
    from allo_rtl.sim.cocotb.runner import verilator_make_fixes
    broken = _fake_verilator(tmp_path / "a", "CFG_CXXFLAGS_PCH_I = ")
    assert verilator_make_fixes(broken)["CFG_CXXFLAGS_PCH_I"] == "-include"
    clang = _fake_verilator(tmp_path / "b", "CFG_CXXFLAGS_PCH_I = -include-pch")
    assert "CFG_CXXFLAGS_PCH_I" not in verilator_make_fixes(clang)


VSUM_SCRIPT = """
import sys
import numpy as np
import allo_rtl as allo

def vsum(A: allo.int32[16]) -> allo.int32:
    s: allo.int32 = 0
    for i in range(16):
        s += A[i]
    return s

print(allo.customize(vsum).build(target=sys.argv[1])(np.arange(16, dtype=np.int32)))
"""


@pytest.mark.parametrize("sim", SIMS)
def test_simulators_run_without_an_activated_venv(sim, tmp_path):
    # `.venv/bin/python script.py`: neither verilator nor the venv's python on PATH (the
    # wheel's make rules call a bare `python`)
    venv_bin = str(Path(sys.executable).parent)
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env["PATH"] = os.pathsep.join(d for d in env.get("PATH", "").split(os.pathsep)
                                  if d and d != venv_bin and not Path(d, "python").exists())
    env["PATH"] = env["PATH"] or "/usr/bin:/bin"
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    env["ALLO_RTL_CACHE"] = str(tmp_path / "cache")          # a fresh simulator build
    script = tmp_path / "run_vsum.py"
    script.write_text(VSUM_SCRIPT)
    run = subprocess.run([sys.executable, str(script), sim], env=env, capture_output=True,
                         text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert int(run.stdout.split()[-1]) == sum(range(16))


def spin_inside(x: allo.int32) -> allo.int32:
    s: allo.int32 = 0
    for i in range(3):
        s += i
        while x > 0:           # never ends for x > 0
            x = x + 1 - 1
    return x + s


def helper_spins(x: allo.int32) -> allo.int32:
    while x > 0:
        x = x + 1 - 1
    return x


def calls_spinner(x: allo.int32) -> allo.int32:
    y: allo.int32 = helper_spins(x)
    return y + 1


def line_of(text: str) -> int:
    """Line number, in this file, of the line containing text (independent of allo_rtl)."""
    with open(__file__) as f:
        return next(n for n, line in enumerate(f, 1) if text in line)


ALL_SIMS = [pytest.param("amaranth"), *SIMS]


def build_on(schedule, sim, **kw):
    return schedule.build(**kw) if sim == "amaranth" else schedule.build(target=sim, **kw)


@pytest.mark.parametrize("sim", ALL_SIMS)
def test_long_simulation_shows_progress_and_names_the_spinning_loop(sim, monkeypatch, capfd):
    from allo_rtl.sim import amaranth_sim
    monkeypatch.setattr(amaranth_sim, "PROGRESS_AFTER_S", 0.0)    # report from the start
    monkeypatch.setattr(amaranth_sim, "PROGRESS_EVERY_S", 0.0)
    monkeypatch.setenv("ALLO_RTL_PROGRESS", "1")    # capfd is no terminal: ask for it
    mod = build_on(allo.customize(spin_inside), sim, max_cycles=3000)
    with pytest.raises(amaranth_sim.SimTimeoutError, match="within 3000 cycles") as info:
        mod(5)
    loc = info.value.loc
    assert (loc.file, loc.line) == (__file__, line_of("while x > 0:           # never"))
    assert "while x > 0:" in str(info.value)              # the source line is shown
    err = capfd.readouterr().err
    assert f"spin_inside on {sim}:" in err and "cycles/s" in err


def test_a_spinning_sub_kernel_is_named_at_its_call():
    mod = allo.customize(calls_spinner).build(max_cycles=500)
    with pytest.raises(allo.AlloError, match="in the call of helper_spins") as info:
        mod(2)
    assert info.value.loc.line == line_of("y: allo.int32 = helper_spins(x)")


def test_short_simulations_print_no_progress(capfd):
    assert allo.customize(spin_inside).build()(0) == 3
    assert "[allo-rtl]" not in capfd.readouterr().err
