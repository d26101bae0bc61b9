"""Pipelined hardware (modulo-scheduled loops): results equal numpy and the interpreter on
random and edge inputs for every registry kernel with all innermost loops pipelined; the
report's latency formula equals the measured cycles; external simulators agree."""
import warnings

import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.hls.synthesize import PipelineWarning
from kernels import CASES, assert_same, copy_args, pipeline_innermost








def _build(case, target=None):
    s = pipeline_innermost(allo.customize(case.kernel))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PipelineWarning)    # jacobi's division, syrk's bounds
        return s.build(target=target)


@pytest.mark.parametrize("edge", [False, True], ids=["random", "edge"])
@pytest.mark.parametrize("case", [c for c in CASES if not c.slow], ids=lambda c: c.name)
def test_pipelined_hardware_matches_numpy_and_interpreter(case, edge):
    args = case.make_inputs(np.random.default_rng(5), edge)
    mod = _build(case)
    ref = allo.customize(case.kernel).build(target="python")
    np_args, hw_args, ref_args = copy_args(args), copy_args(args), copy_args(args)
    expected = case.reference(np_args)
    assert_same(mod(*hw_args), expected)
    assert_same(ref(*ref_args), expected)
    for k in case.inplace:
        assert_same(hw_args[k], np_args[k])
    rep = mod.design.report_dict(mod.cycles)
    top = next(f for f in rep["functions"] if f["function"] == mod.design.module.top)
    if top["latency_estimate"] is not None:          # None: data-dependent trip counts
        assert top["latency_estimate"] == mod.cycles


def test_pipelining_cuts_cycles_and_reports_ii():
    case = next(c for c in CASES if c.name == "blur")
    plain = allo.customize(case.kernel).build()
    piped = _build(case)
    args = case.make_inputs(np.random.default_rng(1), False)
    plain(*copy_args(args))
    piped(*copy_args(args))
    assert piped.cycles < plain.cycles
    loops = [lp for f in piped.design.report_dict()["functions"] for lp in f["loops"]
             if lp["pipelined"]]
    assert loops and all(lp["ii"] >= lp["ii_requested"] for lp in loops)
    text = str(piped.report())
    assert "pipelined" in text and "II 1" in text


def scaled_by(A: allo.int32[8], d: allo.int32) -> allo.int32[8]:
    B: allo.int32[8] = 0
    for i in range(8):
        B[i] = A[i] / d          # a variable divisor: the iterative divider
    return B


def test_unpipelinable_loop_warns_and_reports_why():
    s = allo.customize(scaled_by)
    s.pipeline("i")
    with pytest.warns(PipelineWarning, match="division at line"):
        mod = s.build()
    assert "not pipelined: the division at line" in str(mod.report())
    A = np.arange(-4, 4, dtype=np.int32) * 7
    assert list(mod(A, 3)) == [int(a / 3) for a in A]     # truncates, as Allo's /


def test_jacobi_1d_divides_by_a_constant_and_pipelines():
    case = next(c for c in CASES if c.name == "jacobi_1d")
    s = pipeline_innermost(allo.customize(case.kernel))
    mod = s.build()
    assert "division" not in str(mod.report())
    args = case.make_inputs(np.random.default_rng(4), False)
    np_args = copy_args(args)
    expected = case.reference(np_args)
    got = mod(*args)
    if expected is not None:
        assert_same(got, expected)
    for k in case.inplace:
        assert_same(args[k], np_args[k])


@pytest.mark.parametrize("sim", [pytest.param("icarus", marks=pytest.mark.icarus),
                                 pytest.param("verilator", marks=pytest.mark.verilator)])
@pytest.mark.parametrize("name", ["gemm", "blur"])
def test_external_simulators_agree_on_pipelines(sim, name):
    case = next(c for c in CASES if c.name == name)
    args = case.make_inputs(np.random.default_rng(3), False)
    amaranth = _build(case)
    other = _build(case, target=sim)
    a_args, o_args, np_args = copy_args(args), copy_args(args), copy_args(args)
    expected = case.reference(np_args)
    assert_same(amaranth(*a_args), expected)
    assert_same(other(*o_args), expected)
    for k in case.inplace:
        assert_same(o_args[k], np_args[k])
    assert other.cycles == amaranth.cycles


def runtime_bounds(n: allo.int32, A: allo.int32[8]) -> allo.int32:
    v: allo.int32 = 0
    for j in range(n):
        v += A[j] * A[j]
    return v


@pytest.mark.parametrize("n", [0, 1, 2, 8])
def test_pipelined_loop_with_runtime_bounds(n):
    s = pipeline_innermost(allo.customize(runtime_bounds))
    mod = s.build()
    A = np.random.default_rng(n).integers(-1000, 1000, 8).astype(np.int32)
    assert mod(n, A) == int(np.sum(A[:n].astype(np.int64) ** 2))
    loop = mod.design.report_dict()["functions"][0]["loops"][0]
    assert loop["pipelined"] and loop["ii"] == 1 and loop["trip_count"] is None
