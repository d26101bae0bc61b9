"""s.build(pipeline_loops=N) (hls/auto_pipeline.py): innermost loops of N+ iterations the
schedule leaves alone are pipelined; hardware == numpy == interpreter, the cycle model agrees
with the RTL, and the report says which loops the option pipelined."""
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, seed, settings

import fuzz_kernels as fk

import allo_rtl as allo
from allo_rtl import int32
from allo_rtl.errors import AlloError
from kernels import CASES, assert_same, copy_args, gemm, jacobi_1d, jacobi_ref

N = 8


def _loops(hw):
    return {lp["name"]: lp for f in hw.report().to_dict()["functions"] for lp in f["loops"]}


@pytest.mark.parametrize("case", [c for c in CASES if not c.slow], ids=lambda c: c.name)
def test_auto_pipelined_kernels_match_numpy_and_the_cycle_model(case):
    hw = allo.customize(case.kernel).build(pipeline_loops=1)
    model = allo.customize(case.kernel).build(target="cycles", pipeline_loops=1)
    plain = allo.customize(case.kernel).build(target="python")
    for edge in (False, True):
        args = case.make_inputs(np.random.default_rng(sum(map(ord, case.name))), edge)
        a_np, a_hw, a_py, a_cy = (copy_args(args) for _ in range(4))
        expected = case.reference(a_np)
        got_hw, got_py = hw(*a_hw), plain(*a_py)
        model(*a_cy)
        if expected is not None:
            assert_same(got_hw, expected)
            assert_same(got_py, expected)
        for k in case.inplace:
            assert_same(a_hw[k], a_np[k])
        assert hw.cycles == model.cycles


def test_jacobi_on_ice40_at_30mhz_overlaps_its_divisions():
    """The sequential build waits for every pipelined division by 3 (5 cycles at 30 MHz);
    pipelined, the next iteration's loads start while it runs."""
    rng = np.random.default_rng(3)
    A = rng.integers(-2**31, 2**31, N, dtype=np.int64).astype(np.int32)
    B = rng.integers(-2**31, 2**31, N, dtype=np.int64).astype(np.int32)
    want = [A.copy(), B.copy()]
    jacobi_ref(want)
    opts = dict(family="ice40", clock_ns=1000 / 30)
    seq = allo.customize(jacobi_1d).build(target="cycles", **opts)
    seq(A.copy(), B.copy())
    hw = allo.customize(jacobi_1d).build(pipeline_loops=1, **opts)
    got = [A.copy(), B.copy()]
    hw(*got)
    assert all(np.array_equal(g, w) for g, w in zip(got, want))
    loops = _loops(hw)
    for name in ("i", "i1"):          # 6 iterations each, the store port shared with loads
        assert loops[name]["pipelined"] and "pipeline_loops=1" in loops[name]["note"]
    assert loops["t"]["pipelined"] is False
    # 2 x 2 loops of 6 iterations at II 4 (3 loads + 1 store on one port) + their depths,
    # against 10 cycles an iteration sequentially
    assert hw.cycles < 0.5 * seq.cycles


def test_the_threshold_counts_iterations():
    marked = allo.customize(jacobi_1d).build(target="cycles", pipeline_loops=6)
    assert [x[1] for x in marked.design.auto_pipelined] == ["i", "i1"]
    left = allo.customize(jacobi_1d).build(target="cycles", pipeline_loops=7)
    assert left.design.auto_pipelined == []
    plain = allo.customize(jacobi_1d).build(target="cycles")
    args = [np.arange(N, dtype=np.int32), np.zeros(N, np.int32)]
    left(*copy_args(args))
    plain(*copy_args(args))
    assert left.cycles == plain.cycles


def test_scheduled_loops_are_left_to_the_schedule():
    s = allo.customize(gemm)
    s.pipeline("j1", initiation_interval=3)     # unrolls k inside it
    hw = s.build(target="cycles", pipeline_loops=1)
    names = [x[1] for x in hw.design.auto_pipelined]
    assert "k" not in names and "j1" not in names
    assert "j" in names                           # the initialization nest is free
    loops = _loops(hw)
    assert loops["j1"]["ii_requested"] == 3 and "pipeline_loops" not in loops["j1"]["note"]


def _twice(x: int32) -> int32:
    return x * 2


def calls_in_a_loop(A: int32[8]):
    for i in range(8):
        A[i] = _twice(A[i])


def test_a_loop_it_cannot_pipeline_runs_sequentially_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hw = allo.customize(calls_in_a_loop).build(pipeline_loops=1)
    A = np.arange(-4, 4, dtype=np.int32)
    hw(A)
    assert np.array_equal(A, np.arange(-4, 4, dtype=np.int32) * 2)
    row = _loops(hw)["i"]
    assert not row["pipelined"] and row["note"].startswith("not pipelined (pipeline_loops)")


@pytest.mark.parametrize("bad", [0, -3, 1.5, True, "64"])
def test_bad_thresholds_are_refused(bad):
    with pytest.raises(AlloError, match="pipeline_loops must be an integer >= 1"):
        allo.customize(jacobi_1d).build(target="cycles", pipeline_loops=bad)


def test_the_interpreter_has_no_pipeline_loops():
    with pytest.raises(AlloError, match="no option 'pipeline_loops'"):
        allo.customize(jacobi_1d).build(target="python", pipeline_loops=1)


@seed(20261203)
@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(fk.samples())
def test_random_kernels_auto_pipelined_agree_with_the_interpreter(tmp_path_factory, sample):
    """The fuzzer's kernels and schedules (tests/fuzz_kernels.py), with pipeline_loops=1:
    results equal the interpreter's and the report's latency the measured cycles."""
    fk.run_sample(sample, Path(tmp_path_factory.mktemp("autopipe", numbered=True)),
                  pipeline_loops=1)
